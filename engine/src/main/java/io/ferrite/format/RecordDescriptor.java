package io.ferrite.format;

import org.agrona.BitUtil;

import java.time.Instant;

/**
 * Layout of one record in a block. Records start 8-byte aligned, one after another, from
 * {@link BlockDescriptor#DATA_OFFSET}. This class is the only code that knows the offsets.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                    Frame Length (aligned 8)                   |  0
 *  +---------------+---------------+-------------------------------+
 *  |     Type      |     Flags     |        Subject Length         |  4
 *  +---------------+---------------+-------------------------------+
 *  |                         Sequence (64)                         |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   Timestamp, epoch nanos (64)                 | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Headers Length                         | 24
 *  +---------------------------------------------------------------+
 *  |                        Payload Length                         | 28
 *  +---------------------------------------------------------------+
 *  |                       Reserved (zero)                         | 32
 *  +---------------------------------------------------------------+
 *  |              Header Checksum, CRC32C of bytes 0..35           | 36
 *  +---------------------------------------------------------------+
 *  |  Subject (ASCII) | Headers | Payload | zero padding ...      ...| 40
 *  +---------------------------------------------------------------+
 *  |        Record Checksum, CRC32C of bytes 0..(length - 5)       | length - 4
 *  +---------------------------------------------------------------+
 * </pre>
 * The header checksum lets recovery tell a damaged body (skip exactly this frame, the length is trustworthy) from a
 * damaged header (re-synchronise on the next aligned header whose checksum verifies), so one bad record never costs
 * the records after it. The record checksum is the block's "last checksum" once it is the newest record.
 */
public final class RecordDescriptor
{
    public static final int ALIGNMENT = 8;

    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int FLAGS_OFFSET = 5;
    public static final int SUBJECT_LENGTH_OFFSET = 6;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int TIMESTAMP_OFFSET = 16;
    public static final int HEADERS_LENGTH_OFFSET = 24;
    public static final int PAYLOAD_LENGTH_OFFSET = 28;
    public static final int RESERVED_OFFSET = 32;
    public static final int HEADER_CHECKSUM_OFFSET = 36;
    public static final int HEADER_LENGTH = 40;
    public static final int CHECKSUM_LENGTH = 4;

    /** A stored message. */
    public static final byte TYPE_MESSAGE = 1;
    /** A reserved sequence with no message: keeps {@code skip()} and {@code appendAt} gaps durable. */
    public static final byte TYPE_SKIP = 2;

    /**
     * A tombstone: the messages in a sequence range are removed. Its body is {@link #TOMBSTONE_LENGTH} bytes held as
     * the payload (subject and headers empty): first removed sequence (64), last removed sequence (64), flags (64,
     * {@link #TOMBSTONE_FLAG_ERASE}). Its header sequence is the stream's last sequence when it was written — not a
     * sequence of its own — so a tombstone may carry the same header sequence as the record before it.
     */
    public static final byte TYPE_DELETE = 3;

    public static final int TOMBSTONE_LENGTH = 24;
    public static final int TOMBSTONE_FROM_OFFSET = 0;
    public static final int TOMBSTONE_TO_OFFSET = 8;
    public static final int TOMBSTONE_FLAGS_OFFSET = 16;
    /** Tombstone flag: the message's bytes were also overwritten on disk ({@code erase}). */
    public static final long TOMBSTONE_FLAG_ERASE = 1;
    /**
     * In a tombstone's header, the otherwise reserved word holds its <em>epoch</em> (0 to 2^31 - 1), part of an
     * encrypted tombstone's frame counter (see {@link FrameCounters}): 0 in a block this process created, else the
     * epoch the block's header recorded and forced before the tombstone went into a block whose key may have sealed
     * records past its write offset before (found on open, or cut by a truncation) because no new block could be
     * created (a full disk). Covered by the header checksum, and a changed one fails the tag.
     */
    public static final int TOMBSTONE_EPOCH_OFFSET = 32;
    /** At most this many tombstones fit the room at the end of every block that only tombstones may use. */
    public static final int MAX_TOMBSTONE_RESERVE = 16;
    /** At least this many: even a 4 KiB block can take a removal when no block can be created. */
    public static final int MIN_TOMBSTONE_RESERVE = 2;

    /**
     * Flag: the body is sealed by AES-GCM ({@link SealedBodyDescriptor}) and {@link SealedBodyDescriptor#OVERHEAD}
     * bytes longer.
     */
    public static final byte FLAG_ENCRYPTED = 1;

    /**
     * The highest sequence a stream may assign: 2^62 - 1. The range above is the frame-counter domain of encrypted
     * tombstones (see {@link FrameCounters}). Enforced where sequences are assigned (the stream's writer), written
     * ({@code RecordWriter}) and read back ({@link RecordScanner}, {@code state.db}, block headers).
     */
    public static final long MAX_SEQUENCE = (1L << 62) - 1;

    /** Subjects are stored with a 16-bit length. */
    public static final int MAX_SUBJECT_LENGTH = 0xFFFF;

    /** The smallest possible frame: a skip record. */
    public static final int MIN_FRAME_LENGTH = frameLength(0, 0, 0);

    private RecordDescriptor()
    {
    }

    /**
     * The room at the end of every block that messages and skips may not use, so that a removal — the only way to
     * free space — still finds room for its tombstone when the disk is too full to create a block: about 1/64 of the
     * block's data area, between {@link #MIN_TOMBSTONE_RESERVE} and {@link #MAX_TOMBSTONE_RESERVE} tombstones.
     *
     * @param dataCapacity the bytes a block holds records in (after its header, before an encrypted block's footer).
     * @return the reserved bytes.
     */
    public static int tombstoneReserve(final int dataCapacity, final boolean encrypted)
    {
        final int frame = (int)frameLengthForContent(TOMBSTONE_LENGTH, encrypted);
        final int count = Math.max(MIN_TOMBSTONE_RESERVE, Math.min(MAX_TOMBSTONE_RESERVE, dataCapacity / 64 / frame));
        return count * frame;
    }

    /**
     * @return the aligned length of a record with these content lengths, including header and checksum.
     */
    public static int frameLength(final int subjectLength, final int headersLength, final int payloadLength)
    {
        return BitUtil.align(HEADER_LENGTH + subjectLength + headersLength + payloadLength + CHECKSUM_LENGTH,
            ALIGNMENT);
    }

    /**
     * @return the aligned frame length of a record whose subject, headers and payload total {@code contentLength}
     * bytes, with the encryption overhead when {@code encrypted}.
     */
    public static long frameLengthForContent(final long contentLength, final boolean encrypted)
    {
        return frameLengthForContent(contentLength + (encrypted ? SealedBodyDescriptor.OVERHEAD : 0));
    }

    public static long frameLengthForContent(final long contentLength)
    {
        return (HEADER_LENGTH + contentLength + CHECKSUM_LENGTH + ALIGNMENT - 1) & ~(long)(ALIGNMENT - 1);
    }

    public static int subjectOffset(final int recordOffset)
    {
        return recordOffset + HEADER_LENGTH;
    }

    public static int headersOffset(final int recordOffset, final int subjectLength)
    {
        return recordOffset + HEADER_LENGTH + subjectLength;
    }

    public static int payloadOffset(final int recordOffset, final int subjectLength, final int headersLength)
    {
        return recordOffset + HEADER_LENGTH + subjectLength + headersLength;
    }

    public static int checksumOffset(final int recordOffset, final int frameLength)
    {
        return recordOffset + frameLength - CHECKSUM_LENGTH;
    }

    /**
     * @return whether {@code seq} is in [0, {@link #MAX_SEQUENCE}]: a sequence a record header may carry (0 only as a
     * tombstone's "no sequence yet").
     */
    public static boolean isSequence(final long seq)
    {
        return (seq & ~MAX_SEQUENCE) == 0;
    }

    public static boolean isKnownType(final byte type)
    {
        return type == TYPE_MESSAGE || type == TYPE_SKIP || type == TYPE_DELETE;
    }

    /**
     * @return {@code time} as a record timestamp (epoch nanoseconds), clamped to the range of a long: an instant past
     * the year 2262 is after every record, one before 1677 before every record.
     */
    public static long epochNanos(final Instant time)
    {
        return time.getEpochSecond() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE :
            time.getEpochSecond() <= Long.MIN_VALUE / 1_000_000_000L ? Long.MIN_VALUE :
            time.getEpochSecond() * 1_000_000_000L + time.getNano();
    }
}
