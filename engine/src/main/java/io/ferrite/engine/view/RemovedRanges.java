package io.ferrite.engine.view;

import java.util.Map.Entry;
import java.util.TreeMap;

/**
 * The sequences a view learned are removed, from the tombstones it indexed: ranges kept disjoint and not adjacent, so
 * a lookup is one floor search. Ranges are only ever added (a removed message never comes back) until the view drops
 * its whole index.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class RemovedRanges
{
    /** From to to, inclusive. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    /**
     * Add {@code [from, to]}, merging it with the ranges it overlaps or touches.
     */
    void add(final long from, final long to)
    {
        long low = from;
        long high = to;
        final Entry<Long, Long> before = ranges.floorEntry(from);
        if (null != before && before.getValue() >= from - 1)
        {
            low = before.getKey();
            high = Math.max(high, before.getValue());
        }
        for (Entry<Long, Long> next = ranges.ceilingEntry(low); null != next && next.getKey() <= high + 1;
            next = ranges.ceilingEntry(low))
        {
            high = Math.max(high, next.getValue());
            ranges.remove(next.getKey());
        }
        ranges.put(low, high);
    }

    boolean contains(final long seq)
    {
        final Entry<Long, Long> range = ranges.floorEntry(seq);
        return null != range && range.getValue() >= seq;
    }

    void clear()
    {
        ranges.clear();
    }
}
