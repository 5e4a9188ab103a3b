package io.ferrite.format;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * Walks the records of a block and finds its valid end. Damage costs only what it hits: a record whose header
 * verifies but whose body does not is skipped by its (trusted) length; a header that does not verify starts a
 * re-synchronisation on the next aligned offset holding a header that verifies, with a higher sequence and an intact
 * body. Only when nothing valid follows is the damage a torn tail.
 * <p>
 * A zero first word where a record would start marks the end of the data: appends are sequential, so only damage can
 * put zeros before a later record, and a zero run exactly on a record boundary is not worth an 8 MiB probe on every
 * open. {@code verify} in the CLI probes anyway ({@link #scan(int, long, boolean, Visitor)} with {@code
 * probeZeroTail}).
 * <p>
 * Not thread-safe; allocation-free.
 */
public final class RecordScanner
{
    /**
     * What the scan found, in offset order.
     */
    public interface Visitor
    {
        /**
         * A record whose header and body checksums verified.
         */
        void onRecord(UnsafeBuffer buffer, int offset, int frameLength, byte type, long seq, int checksum);

        /**
         * Bytes that held no verifiable record.
         *
         * @param knownSeq the sequence of the damaged record when its header verified, else 0.
         * @param tail     true when nothing valid follows: a torn tail.
         */
        void onDamage(int fromOffset, int toOffset, long knownSeq, boolean tail);
    }

    private final Crc32c crc = new Crc32c();
    private UnsafeBuffer buffer;
    private ByteBuffer byteBuffer;
    private int limit;
    private boolean encrypted;
    private long minSeq;
    private long maxSeq;

    /**
     * @param mapped the block's mapping.
     * @param limit  the offset past which no record may extend.
     */
    public RecordScanner wrap(final UnsafeBuffer buffer, final ByteBuffer mapped, final int limit)
    {
        return wrap(buffer, mapped, limit, false);
    }

    /**
     * @param encrypted whether the block is encrypted: only records flagged alike are valid in it, so a plaintext
     *                  record forged into an encrypted block is damage, never data.
     */
    public RecordScanner wrap(final UnsafeBuffer buffer, final ByteBuffer mapped, final int limit,
        final boolean encrypted)
    {
        this.encrypted = encrypted;
        this.buffer = buffer;
        this.byteBuffer = mapped;
        this.limit = limit;
        this.minSeq = 0;
        this.maxSeq = Long.MAX_VALUE;
        return this;
    }

    /**
     * Hold messages and skips to the sequences a block based at {@code baseSeq} can carry
     * ({@link BlockDescriptor#MAX_SEQUENCE_SPAN}): a record claiming another verifies only by forgery or chance, and
     * taking it would have its number size the block's sequence table. Such a record is damage. Until the next wrap.
     */
    public RecordScanner blockBase(final long baseSeq)
    {
        this.minSeq = baseSeq;
        this.maxSeq = baseSeq + BlockDescriptor.MAX_SEQUENCE_SPAN - 1;
        return this;
    }

    /**
     * Scan from {@code start}.
     *
     * @param afterSeq records must carry sequences above this (the last valid sequence before {@code start}).
     * @return the end of the valid data: where the next record would be written.
     */
    public int scan(final int start, final long afterSeq, final boolean probeZeroTail, final Visitor visitor)
    {
        int offset = start;
        long lastSeq = afterSeq;
        int end = start;
        while (offset + HEADER_LENGTH <= limit)
        {
            if (buffer.getLong(offset) == 0)
            {
                if (!probeZeroTail)
                {
                    break;
                }
                final int next = nextValidRecord(offset + ALIGNMENT, lastSeq);
                if (next < 0)
                {
                    break;
                }
                visitor.onDamage(offset, next, 0, false);
                offset = next;
                continue;
            }
            if (isValidHeader(offset, lastSeq))
            {
                final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
                final long seq = buffer.getLong(offset + SEQUENCE_OFFSET);
                final int checksumOffset = checksumOffset(offset, frameLength);
                final int checksum = buffer.getInt(checksumOffset);
                if (crc.compute(byteBuffer, offset, frameLength - CHECKSUM_LENGTH) == checksum)
                {
                    visitor.onRecord(buffer, offset, frameLength, buffer.getByte(offset + TYPE_OFFSET), seq, checksum);
                    end = offset + frameLength;
                }
                else
                {
                    // A damaged tombstone's header sequence is not a sequence it held: report it without one.
                    final long knownSeq = buffer.getByte(offset + TYPE_OFFSET) == TYPE_DELETE ? 0 : seq;
                    if (nextValidRecord(offset + frameLength, seq) < 0 && isTornTail(offset + frameLength))
                    {
                        visitor.onDamage(offset, offset + frameLength, knownSeq, true);
                        return end;
                    }
                    visitor.onDamage(offset, offset + frameLength, knownSeq, false);
                }
                lastSeq = seq;
                offset += frameLength;
                continue;
            }
            final int next = nextValidRecord(offset + ALIGNMENT, lastSeq);
            if (next < 0)
            {
                visitor.onDamage(offset, dataExtent(offset), 0, true);
                return end;
            }
            visitor.onDamage(offset, next, 0, false);
            offset = next;
        }
        return end;
    }

    /**
     * Where a reader that met a record header that does not verify goes on, as {@link #scan} does: the first aligned
     * offset at or after {@code from} holding a fully valid record with a sequence above {@code afterSeq} (a tombstone
     * may carry {@code afterSeq} itself), within the limit and sequences this scanner was wrapped with.
     *
     * @return that offset, or -1 when no valid record follows.
     */
    public int nextValidRecord(final int from, final long afterSeq)
    {
        for (int offset = from; offset + HEADER_LENGTH <= limit; offset += ALIGNMENT)
        {
            if (buffer.getLong(offset) != 0 && isValidHeader(offset, afterSeq))
            {
                final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
                if (crc.compute(byteBuffer, offset, frameLength - CHECKSUM_LENGTH) ==
                    buffer.getInt(checksumOffset(offset, frameLength)))
                {
                    return offset;
                }
            }
        }
        return -1;
    }

    /**
     * A record with a bad body is a torn tail only when nothing but zeros follows it.
     */
    private boolean isTornTail(final int from)
    {
        return from + ALIGNMENT > limit || buffer.getLong(from) == 0;
    }

    /**
     * @return the offset after the last non-zero aligned word at or after {@code from}: how far damage extends.
     */
    private int dataExtent(final int from)
    {
        int extent = from;
        for (int offset = from; offset + ALIGNMENT <= limit; offset += ALIGNMENT)
        {
            if (buffer.getLong(offset) != 0)
            {
                extent = offset + ALIGNMENT;
            }
        }
        return extent;
    }

    private boolean isValidHeader(final int offset, final long afterSeq)
    {
        final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
        if (frameLength < MIN_FRAME_LENGTH || (frameLength & (ALIGNMENT - 1)) != 0 || frameLength > limit - offset)
        {
            return false;
        }
        if (crc.compute(byteBuffer, offset, HEADER_CHECKSUM_OFFSET) != buffer.getInt(offset + HEADER_CHECKSUM_OFFSET))
        {
            return false;
        }
        final int subjectLength = buffer.getShort(offset + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        final int headersLength = buffer.getInt(offset + HEADERS_LENGTH_OFFSET);
        final int payloadLength = buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET);
        final byte type = buffer.getByte(offset + TYPE_OFFSET);
        final boolean sealed = (buffer.getByte(offset + FLAGS_OFFSET) & FLAG_ENCRYPTED) != 0;
        final long seq = buffer.getLong(offset + SEQUENCE_OFFSET);
        // A sequence above the ceiling was never assigned (and would share nonces with tombstones): damage.
        return isKnownType(type) && isSequence(seq) &&
            headersLength >= 0 && payloadLength >= 0 &&
            sealed == encrypted &&
            frameLengthForContent((long)subjectLength + headersLength + payloadLength, sealed) == frameLength &&
            (seq > afterSeq || type == TYPE_DELETE && seq == afterSeq) &&
            (type == TYPE_DELETE || seq >= minSeq && seq <= maxSeq);
    }
}
