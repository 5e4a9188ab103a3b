package io.ferrite.engine.view;

import io.ferrite.format.PositionsDescriptor;

/**
 * The rewinds a view saw — truncations, and a restarted writer that kept less than the view had shown — for its
 * tailers: a count and a ring of the sequences kept, as large as the writer's truncation ring.
 * <p>
 * Threading: written under the owning {@link ReadOnlyStream}'s monitor; the count is also read without it, by a
 * tailer's lock-free check.
 */
final class RewindLog
{
    private final long[] ring = new long[PositionsDescriptor.TRUNCATION_RING];
    private volatile long count;

    /**
     * Record a rewind that kept the sequences up to {@code to}.
     */
    void rewound(final long to)
    {
        final long next = count + 1;
        ring[(int)(next & (ring.length - 1))] = to;
        count = next;
    }

    long count()
    {
        return count;
    }

    /**
     * @return the lowest rewind point among rewinds {@code seen + 1} to now, or 0 when more than the ring holds.
     */
    long lowestSince(final long seen)
    {
        final long now = count;
        if (now - seen > ring.length)
        {
            return 0;
        }
        long lowest = Long.MAX_VALUE;
        for (long r = seen + 1; r <= now; r++)
        {
            lowest = Math.min(lowest, ring[(int)(r & (ring.length - 1))]);
        }
        return lowest;
    }
}
