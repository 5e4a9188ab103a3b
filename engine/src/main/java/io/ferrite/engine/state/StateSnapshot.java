package io.ferrite.engine.state;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.DeletedSequences;
import io.ferrite.format.BlockEntryDescriptor;
import org.agrona.DirectBuffer;

import static io.ferrite.format.StateDescriptor.*;

/**
 * A validated {@code state.db}, read-only: the totals, the block entries and the subjects.
 */
public final class StateSnapshot
{
    private final DirectBuffer buffer;
    private final int body;
    private final int blockCount;
    private final String[] subjects;
    private final long[] subjectValues;
    private final byte[] subjectFlags;
    /** Removed sequences as ascending (first, last) pairs. */
    private final long[] removedRuns;

    StateSnapshot(
        final DirectBuffer buffer, final int body, final int blockCount, final long[] removedRuns,
        final String[] subjects, final long[] subjectValues, final byte[] subjectFlags)
    {
        this.removedRuns = removedRuns;
        this.subjectFlags = subjectFlags;
        this.buffer = buffer;
        this.body = body;
        this.blockCount = blockCount;
        this.subjects = subjects;
        this.subjectValues = subjectValues;
    }

    public int blockCount()
    {
        return blockCount;
    }

    public int subjectCount()
    {
        return buffer.getInt(body + SUBJECT_COUNT_OFFSET);
    }

    /**
     * @return false for an encrypted state read without its key: totals and blocks are readable, subjects are not.
     */
    public boolean hasSubjects()
    {
        return null != subjects;
    }

    /**
     * @return whether the state's subject section is encrypted.
     */
    public boolean isEncrypted()
    {
        return (buffer.getInt(FLAGS_OFFSET) & FLAG_ENCRYPTED) != 0;
    }

    public long msgs()
    {
        return buffer.getLong(body + MSGS_OFFSET);
    }

    public long bytes()
    {
        return buffer.getLong(body + BYTES_OFFSET);
    }

    public long firstSeq()
    {
        return buffer.getLong(body + FIRST_SEQ_OFFSET);
    }

    public long lastSeq()
    {
        return buffer.getLong(body + LAST_SEQ_OFFSET);
    }

    public long firstTime()
    {
        return buffer.getLong(body + FIRST_TIME_OFFSET);
    }

    public long lastTime()
    {
        return buffer.getLong(body + LAST_TIME_OFFSET);
    }

    public long nextBlockId()
    {
        return buffer.getLong(body + NEXT_BLOCK_ID_OFFSET);
    }

    /** @return the offset of block entry {@code i} in {@link #buffer()}. */
    public int blockEntryOffset(final int i)
    {
        return body + BLOCKS_OFFSET + i * BlockEntryDescriptor.ENTRY_LENGTH;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    public long blockId(final int i)
    {
        return buffer.getLong(blockEntryOffset(i) + BlockEntryDescriptor.BLOCK_ID_OFFSET);
    }

    public long blockBaseSeq(final int i)
    {
        return buffer.getLong(blockEntryOffset(i) + BlockEntryDescriptor.BASE_SEQ_OFFSET);
    }

    public int blockWriteOffset(final int i)
    {
        return buffer.getInt(blockEntryOffset(i) + BlockEntryDescriptor.WRITE_OFFSET_OFFSET);
    }

    public int blockLastChecksum(final int i)
    {
        return buffer.getInt(blockEntryOffset(i) + BlockEntryDescriptor.LAST_CHECKSUM_OFFSET);
    }

    /**
     * @return the live messages of block {@code i} when the state was written.
     */
    public int blockMsgs(final int i)
    {
        return buffer.getInt(blockEntryOffset(i) + BlockEntryDescriptor.MSGS_OFFSET);
    }

    public long blockLastSeq(final int i)
    {
        return buffer.getLong(blockEntryOffset(i) + BlockEntryDescriptor.LAST_SEQ_OFFSET);
    }

    /**
     * @return how many sequences the state lists as removed (in blocks that still exist).
     */
    public long removedCount()
    {
        long count = 0;
        for (int i = 0; i < removedRuns.length; i += 2)
        {
            count += removedRuns[i + 1] - removedRuns[i] + 1;
        }
        return count;
    }

    /**
     * Visit the sequences the state lists as removed, as ascending runs. Recovery re-applies them when it cannot use
     * the state as a whole: a removal the state recorded stays removed even if the tombstone that made it was lost.
     */
    public void forEachRemovedRun(final DeletedSequences.RunConsumer consumer)
    {
        for (int r = 0; r < removedRuns.length; r += 2)
        {
            consumer.accept(removedRuns[r], removedRuns[r + 1]);
        }
    }

    /**
     * @return whether the state lists {@code seq} as removed.
     */
    public boolean isRemoved(final long seq)
    {
        final int r = firstRunEndingAtOrAfter(seq);
        return r < removedRuns.length && removedRuns[r] <= seq;
    }

    /**
     * Give {@code block}, the state's block {@code i}, the removed sequences in its range.
     */
    public void restoreDeleted(final MessageBlock block, final int i)
    {
        // The block's own base (from its header when recovery opened it) bounds what it can hold, whatever the
        // state's entry claims: a removed set cannot start below it.
        final long from = Math.max(blockBaseSeq(i), block.baseSeq());
        // The last block's range ends at the state's last sequence: nothing after it was ever removed. The removed set
        // keeps only what the block can hold (DeletedSequences), however far a run reaches.
        final long to = i + 1 < blockCount ? blockBaseSeq(i + 1) - 1 : lastSeq();
        // Runs are ascending and disjoint (FullStateReader): starting at the first that reaches the block makes
        // restoring every block cost a search per block plus the runs once, not blocks times runs.
        for (int r = firstRunEndingAtOrAfter(from); r < removedRuns.length && removedRuns[r] <= to; r += 2)
        {
            block.contents().deleted().addRange(Math.max(from, removedRuns[r]), Math.min(to, removedRuns[r + 1]));
        }
    }

    /**
     * @return the index in {@link #removedRuns} of the first run whose last sequence is at or above {@code seq}.
     */
    private int firstRunEndingAtOrAfter(final long seq)
    {
        int low = 0;
        int high = removedRuns.length / 2;
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            if (removedRuns[mid * 2 + 1] < seq)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low * 2;
    }

    public String subject(final int i)
    {
        return subjects[i];
    }

    /**
     * Copy totals and subjects into {@code index}; block entries are added by recovery as it places each block.
     */
    public void restoreInto(final StreamIndex index)
    {
        if (null == subjects)
        {
            throw new IllegalStateException("an encrypted state read without its key cannot be restored");
        }
        index.restoreTotals(msgs(), bytes(), firstSeq(), lastSeq(), firstTime(), lastTime());
        index.nextBlockId(nextBlockId());
        for (int i = 0; i < subjects.length; i++)
        {
            index.subjects().restore(subjects[i], subjectValues[i * 3], subjectValues[i * 3 + 1],
                subjectValues[i * 3 + 2], (subjectFlags[i] & SUBJECT_FIRST_EXACT) != 0,
                (subjectFlags[i] & SUBJECT_LAST_EXACT) != 0);
        }
    }
}
