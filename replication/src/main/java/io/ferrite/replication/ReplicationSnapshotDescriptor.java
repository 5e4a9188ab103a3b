package io.ferrite.replication;

import io.ferrite.store.StreamLimits;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of a replicated stream's snapshot file, {@code snapshot.TERM_INDEX} in the Ratis state machine directory: the
 * replication state at that log index, then the stream's own snapshot (the layout of
 * {@code io.ferrite.format.SnapshotDescriptor}), which {@code FileStreamStore.restore} verifies on its own.
 * Little-endian.
 * <pre>
 *   0  magic "FERRAFT1" (64)
 *   8  format version (32)                  12 reserved, zero (32)
 *  16  term of the last applied entry (64)
 *  24  index of the last applied entry (64)
 *  32  last sequence assigned (64)
 *  40  last timestamp given, epoch nanos (64)
 *  48  the stream limits in force (36): maxMsgs, maxBytes, maxAge nanos, maxMsgsPerSubject (64 each), discard (32)
 *  84  length m of the message id section (32), zero in version 1
 *  88  CRC32C of bytes 0 .. 87 (32)          92 reserved, zero (32)
 *  96  message id section (m), version 2: count n (32), then n times
 *        id length i (32)   sequence (64)   expiry, epoch nanos of the leader's clock (64)   id, UTF-8 (i)
 *      then CRC32C of the section's bytes before it (32)
 *  96 + m  the stream snapshot
 * </pre>
 * Version 1 (no message ids) is still read.
 * The last sequence and timestamp are the state machine's, not read back from the stream: they are what the entries
 * after the snapshot continue from when a restarted peer replays its log.
 */
public final class ReplicationSnapshotDescriptor
{
    /** "FERRAFT1", little-endian. */
    public static final long MAGIC = 0x3154464152524546L;
    public static final int VERSION = 2;
    /** Before message ids: offset 84 was reserved, zero, which reads as an empty section. */
    public static final int VERSION_WITHOUT_MESSAGE_IDS = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int TERM_OFFSET = 16;
    public static final int INDEX_OFFSET = 24;
    public static final int LAST_SEQ_OFFSET = 32;
    public static final int LAST_TIMESTAMP_OFFSET = 40;
    public static final int LIMITS_OFFSET = 48;
    public static final int MESSAGE_ID_SECTION_LENGTH_OFFSET = 84;
    public static final int CHECKSUM_OFFSET = 88;
    public static final int HEADER_LENGTH = 96;

    private ReplicationSnapshotDescriptor()
    {
    }

    /**
     * @return the header, checksum included.
     */
    public static ByteBuffer encode(
        final long term, final long index, final long lastSeq, final long lastTimestamp, final StreamLimits limits,
        final int messageIdSectionLength)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putLong(TERM_OFFSET, term);
        buffer.putLong(INDEX_OFFSET, index);
        buffer.putLong(LAST_SEQ_OFFSET, lastSeq);
        buffer.putLong(LAST_TIMESTAMP_OFFSET, lastTimestamp);
        ReplicationCommandDescriptor.putLimits(buffer, LIMITS_OFFSET, limits);
        buffer.putInt(MESSAGE_ID_SECTION_LENGTH_OFFSET, messageIdSectionLength);
        buffer.putInt(CHECKSUM_OFFSET, checksum(buffer));
        return buffer;
    }

    /**
     * Check a header read from {@code file}.
     *
     * @param buffer a little-endian buffer of {@link #HEADER_LENGTH} bytes.
     * @throws IllegalStateException naming the file and what does not match.
     */
    public static void verify(final ByteBuffer buffer, final Object file)
    {
        if (buffer.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw new IllegalStateException("not a replicated stream snapshot (bad magic): " + file);
        }
        final int version = buffer.getInt(VERSION_OFFSET);
        if (version != VERSION && version != VERSION_WITHOUT_MESSAGE_IDS)
        {
            throw new IllegalStateException(
                "unknown replicated snapshot version " + buffer.getInt(VERSION_OFFSET) + ": " + file);
        }
        if (buffer.getInt(CHECKSUM_OFFSET) != checksum(buffer))
        {
            throw new IllegalStateException("replicated snapshot header checksum mismatch: " + file);
        }
        if (buffer.getInt(MESSAGE_ID_SECTION_LENGTH_OFFSET) < 0)
        {
            throw new IllegalStateException("replicated snapshot message id section length negative: " +
                buffer.getInt(MESSAGE_ID_SECTION_LENGTH_OFFSET) + ": " + file);
        }
    }

    private static int checksum(final ByteBuffer buffer)
    {
        final CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().position(0).limit(CHECKSUM_OFFSET));
        return (int)crc.getValue();
    }
}
