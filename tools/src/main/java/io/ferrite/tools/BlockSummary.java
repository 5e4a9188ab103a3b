package io.ferrite.tools;

import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockEntryDescriptor;
import org.agrona.DirectBuffer;

import java.util.Map;

/**
 * One block as {@code state.db} records it — a copy of the engine's off-heap {@link BlockIndex} entry, read without
 * opening the block file.
 *
 * @param firstSeq    the first message's sequence, 0 when the block holds no message.
 * @param lastSeq     the last sequence written to it (messages and skips), {@code baseSeq - 1} when empty.
 * @param msgBytes    bytes of subject, headers and payload of its messages.
 * @param writeOffset where its valid data ends: the next record's offset.
 * @param active      the newest block, the one appends go to; every other block is sealed.
 */
record BlockSummary(
    long id, long baseSeq, long firstSeq, long lastSeq, long firstTime, long lastTime, int msgs, int msgBytes,
    int writeOffset, int lastChecksum, boolean active)
{
    static BlockSummary of(final StateSnapshot snapshot, final int i)
    {
        final DirectBuffer buffer = snapshot.buffer();
        final int at = snapshot.blockEntryOffset(i);
        return new BlockSummary(
            buffer.getLong(at + BlockEntryDescriptor.BLOCK_ID_OFFSET),
            buffer.getLong(at + BlockEntryDescriptor.BASE_SEQ_OFFSET),
            buffer.getLong(at + BlockEntryDescriptor.FIRST_SEQ_OFFSET),
            buffer.getLong(at + BlockEntryDescriptor.LAST_SEQ_OFFSET),
            buffer.getLong(at + BlockEntryDescriptor.FIRST_TIME_OFFSET),
            buffer.getLong(at + BlockEntryDescriptor.LAST_TIME_OFFSET),
            buffer.getInt(at + BlockEntryDescriptor.MSGS_OFFSET),
            buffer.getInt(at + BlockEntryDescriptor.BYTES_OFFSET),
            buffer.getInt(at + BlockEntryDescriptor.WRITE_OFFSET_OFFSET),
            buffer.getInt(at + BlockEntryDescriptor.LAST_CHECKSUM_OFFSET),
            i == snapshot.blockCount() - 1);
    }

    /** Bytes of records written, header excluded. */
    long dataBytes()
    {
        return Math.max(0, writeOffset - BlockDescriptor.DATA_OFFSET);
    }

    /** True when no record has been written: the last checksum means nothing. */
    boolean isEmpty()
    {
        return writeOffset <= BlockDescriptor.DATA_OFFSET;
    }

    String sequences()
    {
        if (lastSeq < baseSeq)
        {
            return "(empty)";
        }
        return msgs == 0 ? baseSeq + ".." + lastSeq + " (skips only)" : firstSeq + ".." + lastSeq;
    }

    Map<String, Object> toJson(final boolean encrypted)
    {
        final Map<String, Object> json = Json.object();
        json.put("id", id);
        json.put("file", BlockDescriptor.fileName(id));
        json.put("baseSeq", baseSeq);
        json.put("firstSeq", msgs == 0 ? null : firstSeq);
        json.put("lastSeq", lastSeq < baseSeq ? null : lastSeq);
        json.put("firstTime", msgs == 0 ? null : Units.instant(firstTime));
        json.put("lastTime", msgs == 0 ? null : Units.instant(lastTime));
        json.put("msgs", msgs);
        json.put("msgBytes", Integer.toUnsignedLong(msgBytes));
        json.put("writeOffset", writeOffset);
        json.put("status", active ? "active" : "sealed");
        json.put("encrypted", encrypted);
        json.put("lastChecksum", isEmpty() ? null : Units.checksum(lastChecksum));
        return json;
    }
}
