package io.ferrite.engine.recovery;

import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.StoreException;

import java.util.ArrayList;
import java.util.List;

/**
 * The losses recovery finds, in the order found. A damaged region's last lost sequence is often known only later —
 * at the next valid record, the next block's base, or the next block's proof of the previous one's last sequence — so
 * such a range stays open until {@link #closeOpen(long)} is told it.
 */
final class LossLedger
{
    private final List<LostRange> lost = new ArrayList<>();
    private final List<Integer> open = new ArrayList<>();

    void add(final LostRange range)
    {
        lost.add(range);
    }

    /**
     * Add a range whose last sequence is not known yet.
     */
    void addOpen(final LostRange range)
    {
        lost.add(range);
        open.add(lost.size() - 1);
    }

    boolean hasOpen()
    {
        return !open.isEmpty();
    }

    /**
     * Close every open range at {@code lastLostSeq} ({@link StoreException#UNKNOWN}: runs to the end). A range that
     * turns out to hold no sequence at all keeps its offsets with unknown sequences.
     */
    void closeOpen(final long lastLostSeq)
    {
        for (final int index : open)
        {
            final LostRange range = lost.get(index);
            final long first = lastLostSeq == StoreException.UNKNOWN ? range.firstSeq() :
                (range.firstSeq() > lastLostSeq ? StoreException.UNKNOWN : range.firstSeq());
            lost.set(index, new LostRange(range.file(), range.fromOffset(), range.toOffset(), first,
                first == StoreException.UNKNOWN ? StoreException.UNKNOWN : lastLostSeq, range.kind()));
        }
        open.clear();
    }

    /**
     * @return the highest last sequence of a range whose last sequence is known, 0 when none is: the stream reached it,
     * so it must not be assigned again.
     */
    long lastKnownSeq()
    {
        long last = 0;
        for (final LostRange range : lost)
        {
            if (range.lastSeq() != StoreException.UNKNOWN)
            {
                last = Math.max(last, range.lastSeq());
            }
        }
        return last;
    }

    List<LostRange> list()
    {
        return lost;
    }
}
