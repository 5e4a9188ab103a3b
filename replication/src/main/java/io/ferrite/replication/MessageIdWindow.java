package io.ferrite.replication;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The message ids a replicated stream has stored within their duplicate windows, so an append resent under the same id
 * (by an application that gave up on a future, or through another peer's client) is answered with the first sequence
 * instead of being stored again.
 * <p>
 * Deterministic: every decision uses only what is in the Raft log — the leader's timestamp of the command, made
 * non-decreasing at apply, and the window the command carries — so every peer keeps the same ids and answers alike.
 * Expired ids are dropped as the log's time passes them; an id whose message is truncated away is forgotten with it.
 * The ids go into every snapshot ({@link ReplicationSnapshotDescriptor}), so a restarted peer or one installed from a
 * snapshot answers as the others do.
 * <p>
 * Threading: Ratis's state machine updater thread only (it applies, snapshots and installs).
 */
final class MessageIdWindow
{
    private static final int ENTRY_FIXED_LENGTH = 4 + 8 + 8;
    private static final int COUNT_LENGTH = 4;
    private static final int CHECKSUM_LENGTH = 4;

    /** In order of first storing, which is also non-decreasing time: expiry scans stop at the first live id. */
    private final LinkedHashMap<String, long[]> ids = new LinkedHashMap<>();

    /**
     * @return the sequence stored under {@code id} if its window still covers {@code now}, else 0.
     */
    long sequenceOf(final String id, final long now)
    {
        final long[] entry = ids.get(id);
        return null != entry && entry[1] >= now ? entry[0] : 0;
    }

    void record(final String id, final long seq, final long expiry)
    {
        ids.remove(id);
        ids.put(id, new long[]{seq, expiry});
    }

    /**
     * Drop the ids expired at {@code now} from the front. An id with a longer window ahead of them keeps later ones a
     * little longer; {@link #sequenceOf} checks the expiry itself, so that only costs memory.
     */
    void expire(final long now)
    {
        final Iterator<long[]> entries = ids.values().iterator();
        while (entries.hasNext())
        {
            if (entries.next()[1] >= now)
            {
                return;
            }
            entries.remove();
        }
    }

    /** A truncate takes back the sequences above {@code lastSeq}: their ids may be stored again. */
    void forgetAbove(final long lastSeq)
    {
        ids.values().removeIf(entry -> entry[0] > lastSeq);
    }

    /** A version 1 snapshot holds no ids. */
    void clear()
    {
        ids.clear();
    }

    int size()
    {
        return ids.size();
    }

    /**
     * @return the section for a snapshot: count, entries, CRC32C (layout in {@link ReplicationSnapshotDescriptor}).
     */
    ByteBuffer encode()
    {
        int length = COUNT_LENGTH + CHECKSUM_LENGTH;
        for (final String id : ids.keySet())
        {
            length += ENTRY_FIXED_LENGTH + id.getBytes(StandardCharsets.UTF_8).length;
        }
        final ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(ids.size());
        for (final Map.Entry<String, long[]> entry : ids.entrySet())
        {
            final byte[] id = entry.getKey().getBytes(StandardCharsets.UTF_8);
            buffer.putInt(id.length).putLong(entry.getValue()[0]).putLong(entry.getValue()[1]).put(id);
        }
        buffer.putInt(checksum(buffer.array(), buffer.position()));
        return buffer.flip();
    }

    /**
     * Replace the ids with those of a snapshot's section.
     *
     * @throws IllegalStateException naming {@code file} when the section is damaged.
     */
    void decode(final ByteBuffer section, final Object file)
    {
        final byte[] bytes = new byte[section.remaining()];
        section.duplicate().get(bytes);
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < COUNT_LENGTH + CHECKSUM_LENGTH ||
            buffer.getInt(bytes.length - CHECKSUM_LENGTH) != checksum(bytes, bytes.length - CHECKSUM_LENGTH))
        {
            throw new IllegalStateException("replicated snapshot message id section of " + bytes.length +
                " bytes damaged (checksum mismatch): " + file);
        }
        ids.clear();
        final int count = buffer.getInt();
        for (int i = 0; i < count; i++)
        {
            final int idLength = buffer.getInt();
            final long seq = buffer.getLong();
            final long expiry = buffer.getLong();
            if (idLength < 0 || idLength > buffer.remaining() - CHECKSUM_LENGTH)
            {
                throw new IllegalStateException("replicated snapshot message id " + i + " of " + idLength +
                    " bytes runs past its section: " + file);
            }
            final byte[] id = new byte[idLength];
            buffer.get(id);
            ids.put(new String(id, StandardCharsets.UTF_8), new long[]{seq, expiry});
        }
    }

    private static int checksum(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }
}
