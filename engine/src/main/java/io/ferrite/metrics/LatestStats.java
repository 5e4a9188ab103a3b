package io.ferrite.metrics;

import io.ferrite.store.StoreStats;
import io.ferrite.store.StoreStatsReader;

import java.util.BitSet;
import java.util.function.ToDoubleFunction;

/**
 * One read of a {@link StoreStatsReader} shared by many meters, so that the meters of one scrape or publish all see
 * the same interval and the reader is read once per scrape, not once per meter. A registry reads each meter once per
 * scrape; a meter read a second time therefore means a new scrape, and that read takes a new
 * {@link StoreStatsReader#read()}. This needs no clock, and the interval each scrape sees is the time since the scrape
 * before, whatever the scrape period.
 * <p>
 * Threading: any thread; reads are serialized on this object (a registry polls from one thread at a time anyway).
 */
final class LatestStats
{
    private final StoreStatsReader reader;
    /** Guarded by this: which meters were read since {@link #stats} was taken. */
    private final BitSet seen = new BitSet();
    /** Guarded by this. */
    private StoreStats stats;

    LatestStats(final StoreStatsReader reader)
    {
        this.reader = reader;
    }

    /**
     * @param meter this meter's number, unique among the meters sharing this object.
     * @param value what the meter reports of the current read.
     */
    synchronized double value(final int meter, final ToDoubleFunction<StoreStats> value)
    {
        if (null == stats || seen.get(meter))
        {
            stats = reader.read();
            seen.clear();
        }
        seen.set(meter);
        return value.applyAsDouble(stats);
    }
}
