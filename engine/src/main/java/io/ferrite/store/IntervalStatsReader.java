package io.ferrite.store;

import org.HdrHistogram.Histogram;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A {@link StoreStatsReader} that finds its intervals by subtraction: it keeps the cumulative histograms it saw at its
 * previous read, and an interval is the cumulative histogram now less that copy. Nothing is registered with the store
 * and nothing the store records is consumed, which is why any number of readers cannot take from each other, and why a
 * reader that is dropped costs the store nothing.
 * <p>
 * The source must answer cumulative histograms that only ever grow (its own interval histograms are ignored); its
 * counters are passed through. Threading: {@link #read()} is synchronized on this reader.
 */
public final class IntervalStatsReader implements StoreStatsReader
{
    private final Supplier<StoreStats> cumulative;
    /** Guarded by this: the cumulative histograms as of the previous read, by name. */
    private final Map<String, Histogram> previous = new HashMap<>();

    /**
     * @param cumulative answers the store's counters and cumulative histograms; called once here, so that the first
     *                   read's intervals start now, and once per {@link #read()}.
     */
    public IntervalStatsReader(final Supplier<StoreStats> cumulative)
    {
        this.cumulative = cumulative;
        final StoreStats start = cumulative.get();
        for (final String name : start.histogramNames())
        {
            previous.put(name, start.histogram(name).copy());
        }
    }

    @Override
    public synchronized StoreStats read()
    {
        final StoreStats now = cumulative.get();
        final Map<String, Histogram> intervals = new LinkedHashMap<>();
        for (final String name : now.histogramNames())
        {
            final Histogram total = now.histogram(name);
            final Histogram interval = total.copy();
            final Histogram before = previous.get(name);
            if (null == before)
            {
                previous.put(name, total.copy());
            }
            else
            {
                // The total only grows, so it covers every value the earlier copy holds: the difference is what was
                // recorded in between, and adding it back brings the copy up to now without a second full copy.
                interval.subtract(before);
                before.add(interval);
            }
            intervals.put(name, interval);
        }
        return now.withIntervals(intervals);
    }
}
