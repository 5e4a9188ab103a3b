package io.ferrite.engine.state;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockEntryDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptFileException;
import org.agrona.DirectBuffer;

import java.nio.file.Path;

/**
 * Holds the block entries of a {@code state.db} to what the writer can produce, before recovery trusts them without
 * opening the blocks. A plaintext state is protected by CRC32C only, which anyone can recompute: a forged base or last
 * sequence would otherwise size a sealed block's sequence table and removed set (a base 2^31 below the block's
 * overflowed the table's index), and a forged message count the reclaimer's rewrite plan.
 * <p>
 * What holds for every entry the engine writes: a block's sequences lie in {@code [base, base +
 * BlockDescriptor.MAX_SEQUENCE_SPAN)} (the writer rolls rather than widen a block), an empty block's last sequence is
 * {@code base - 1}, its live messages are at most its sequences, each block starts after the previous one's last
 * sequence, and the stream's last sequence is at least the last block's. A violation is a
 * {@link CorruptFileException} naming the entry's field and its offset; recovery then rebuilds from the blocks.
 */
final class BlockEntryCheck
{
    private BlockEntryCheck()
    {
    }

    /**
     * @param entries offset of the first block entry in {@code buffer}.
     * @param lastSeq the state's last sequence, already checked to be one a stream may assign.
     */
    static void check(final DirectBuffer buffer, final int entries, final int blockCount, final long lastSeq,
        final Path file)
    {
        long previousLast = 0;
        for (int i = 0; i < blockCount; i++)
        {
            final int at = entries + i * BlockEntryDescriptor.ENTRY_LENGTH;
            final long id = buffer.getLong(at + BlockEntryDescriptor.BLOCK_ID_OFFSET);
            final long base = buffer.getLong(at + BlockEntryDescriptor.BASE_SEQ_OFFSET);
            if (base <= previousLast || base > RecordDescriptor.MAX_SEQUENCE + 1)
            {
                throw refuse(file, at + BlockEntryDescriptor.BASE_SEQ_OFFSET, i, id,
                    "base sequence " + base + " is outside [" +
                    (previousLast + 1) + ", " + (RecordDescriptor.MAX_SEQUENCE + 1) + "] (after the previous block's " +
                    "last sequence)");
            }
            final long highest = Math.min(RecordDescriptor.MAX_SEQUENCE, base + BlockDescriptor.MAX_SEQUENCE_SPAN - 1);
            final long last = buffer.getLong(at + BlockEntryDescriptor.LAST_SEQ_OFFSET);
            if (last < base - 1 || last > highest || (i == blockCount - 1 && last > lastSeq))
            {
                throw refuse(file, at + BlockEntryDescriptor.LAST_SEQ_OFFSET, i, id,
                    "last sequence " + last + " is outside [" +
                    (base - 1) + ", " + (i == blockCount - 1 ? Math.min(highest, lastSeq) : highest) + "], the " +
                    "sequences a block based at " + base + " can hold" +
                    (i == blockCount - 1 ? " up to the stream's last sequence" : ""));
            }
            final long first = buffer.getLong(at + BlockEntryDescriptor.FIRST_SEQ_OFFSET);
            if (first != 0 && (first < base || first > highest))
            {
                throw refuse(file, at + BlockEntryDescriptor.FIRST_SEQ_OFFSET, i, id, "first sequence " + first +
                    " is neither 0 nor in [" + base + ", " + highest + "]");
            }
            final int msgs = buffer.getInt(at + BlockEntryDescriptor.MSGS_OFFSET);
            if (msgs < 0 || msgs > last - base + 1)
            {
                throw refuse(file, at + BlockEntryDescriptor.MSGS_OFFSET, i, id,
                    "message count " + msgs + " is outside [0, " +
                    (last - base + 1) + "], the sequences from its base to its last");
            }
            final int writeOffset = buffer.getInt(at + BlockEntryDescriptor.WRITE_OFFSET_OFFSET);
            if (writeOffset < BlockDescriptor.DATA_OFFSET)
            {
                throw refuse(file, at + BlockEntryDescriptor.WRITE_OFFSET_OFFSET, i, id, "write offset " + writeOffset +
                    " is before the block's data (" + BlockDescriptor.DATA_OFFSET + ")");
            }
            previousLast = last;
        }
    }

    private static CorruptFileException refuse(
        final Path file, final int offset, final int entry, final long id, final String why)
    {
        return new CorruptFileException("state block entry " + entry + " (block " + id + "): " + why, file, offset);
    }
}
