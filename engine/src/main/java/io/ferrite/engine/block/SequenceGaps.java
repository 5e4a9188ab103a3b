package io.ferrite.engine.block;

import java.util.Arrays;
import java.util.function.LongPredicate;

/**
 * Tells whole records cut out of a block from the sequence gaps a block may hold by design, during one scan of it.
 * <p>
 * Records cut out of a block's middle (the file shorter, the records after the cut moved up and still verifying) leave
 * no damage to find, only a gap in the sequences — and so do an {@code appendAt} jump, a skip or removal a rewrite
 * dropped, none of which anything records. What does tell them apart is the block entry's count of live messages: a
 * scan that accounts for fewer (messages found, plus sequences that damage found holds) lost some to a cut. Which of
 * the gaps the cut left cannot be known, so each gap the removed sequences do not explain is then a candidate, with the
 * offset of the record after it: where the cut was, since the records after it moved up to there.
 * <p>
 * Only sequences up to the block entry's last count: records after it were written after the count was taken.
 * Allocation: a small array of gaps, grown as needed; once per block scan, never on the append path. Not thread-safe.
 */
public final class SequenceGaps
{
    /**
     * One gap that no removal explains.
     */
    @FunctionalInterface
    public interface Consumer
    {
        /**
         * @param offset where the record after the gap starts: where bytes were cut out, if these were.
         */
        void accept(long firstSeq, long lastSeq, int offset);
    }

    private final long lastCountedSeq;
    private final LongPredicate removed;
    private long lastSeq;
    /** Damage with unknown sequences was found since {@link #lastSeq}: the sequences up to the next record are its. */
    private boolean damageOpen;
    private long accounted;
    /** (first, last, offset after) triples. */
    private long[] gaps = new long[0];
    private int gapCount;

    /**
     * @param lastCountedSeq the last sequence of the block when its message count was taken.
     * @param removed        whether a sequence was removed when the count was taken (or since, with the count
     *                       lowered to match).
     */
    public SequenceGaps(final long baseSeq, final long lastCountedSeq, final LongPredicate removed)
    {
        this.lastSeq = baseSeq - 1;
        this.lastCountedSeq = lastCountedSeq;
        this.removed = removed;
    }

    /**
     * A record holding {@code seq} at {@code offset}: a valid one, or a damaged one whose header verified.
     *
     * @param message whether it counts as a live message unless removed: a message, or a record whose reads fail
     *                (damaged, or a skip that does not authenticate and so may be a forged message).
     */
    public void onRecord(final long seq, final int offset, final boolean message)
    {
        if (seq <= lastSeq)
        {
            // Not a sequence of its own (the scan requires ascending ones; a damaged record repeating one counts once).
            return;
        }
        if (seq > lastSeq + 1 && lastSeq < lastCountedSeq)
        {
            final long last = Math.min(seq - 1, lastCountedSeq);
            if (damageOpen)
            {
                accountLive(lastSeq + 1, last);
            }
            else
            {
                addGap(lastSeq + 1, last, offset);
            }
        }
        damageOpen = false;
        if (message && seq <= lastCountedSeq && !removed.test(seq))
        {
            accounted++;
        }
        lastSeq = seq;
    }

    /**
     * Bytes that held no verifiable record: the sequences up to the next record (or the end) are theirs.
     */
    public void onDamage()
    {
        damageOpen = true;
    }

    /**
     * The scan ended at {@code offset}: the sequences after the last record up to the counted last form one more gap,
     * or belong to damage.
     *
     * @param bytesMissing whether data the block entry recorded is missing at the end (the file cut short, or the
     *                     data ending before the recorded end): the sequences past the last record are that damage's.
     */
    public void onEnd(final int offset, final boolean bytesMissing)
    {
        damageOpen |= bytesMissing;
        onRecord(lastCountedSeq + 1, offset, false);
    }

    /**
     * @param expectedMsgs the live messages the block entry counts, or -1 when unknown.
     * @return whether the scan accounted for fewer: records holding messages were cut out.
     */
    public boolean messagesMissing(final long expectedMsgs)
    {
        return expectedMsgs >= 0 && accounted < expectedMsgs;
    }

    public long accounted()
    {
        return accounted;
    }

    /**
     * Visit every run of gap sequences that no removal explains, in sequence order.
     */
    public void forEachUnexplained(final Consumer consumer)
    {
        for (int g = 0; g < gapCount; g++)
        {
            final int offset = (int)gaps[g * 3 + 2];
            long runStart = -1;
            for (long seq = gaps[g * 3]; seq <= gaps[g * 3 + 1]; seq++)
            {
                if (removed.test(seq))
                {
                    if (runStart >= 0)
                    {
                        consumer.accept(runStart, seq - 1, offset);
                        runStart = -1;
                    }
                }
                else if (runStart < 0)
                {
                    runStart = seq;
                }
            }
            if (runStart >= 0)
            {
                consumer.accept(runStart, gaps[g * 3 + 1], offset);
            }
        }
    }

    private void accountLive(final long from, final long to)
    {
        for (long seq = from; seq <= to; seq++)
        {
            accounted += removed.test(seq) ? 0 : 1;
        }
    }

    private void addGap(final long first, final long last, final int offset)
    {
        if (gapCount * 3 == gaps.length)
        {
            gaps = Arrays.copyOf(gaps, Math.max(12, gaps.length * 2));
        }
        gaps[gapCount * 3] = first;
        gaps[gapCount * 3 + 1] = last;
        gaps[gapCount * 3 + 2] = offset;
        gapCount++;
    }
}
