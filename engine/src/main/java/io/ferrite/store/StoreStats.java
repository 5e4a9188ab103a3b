package io.ferrite.store;

import org.HdrHistogram.Histogram;

import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * A snapshot of a store's counters and latency histograms (nanoseconds), cumulative since open.
 * <p>
 * {@link #blockFileOpens()} and {@link #blockBytesRead()} exist so tests and operators can prove what touched the
 * disk: a block file open is any open of a block file (for mapping or reading); block bytes read are bytes of block
 * files read by recovery, by building a block's sequence table, or through a channel — everything except reading a
 * message from an already mapped and indexed block.
 */
public final class StoreStats
{
    private final long blockFileOpens;
    private final long blockBytesRead;
    private final long blocksCreated;
    private final long fullStateWrites;
    private final Map<String, Histogram> histograms;

    public StoreStats(
        final long blockFileOpens,
        final long blockBytesRead,
        final long blocksCreated,
        final long fullStateWrites,
        final Map<String, Histogram> histograms)
    {
        this.blockFileOpens = blockFileOpens;
        this.blockBytesRead = blockBytesRead;
        this.blocksCreated = blocksCreated;
        this.fullStateWrites = fullStateWrites;
        this.histograms = Collections.unmodifiableMap(histograms);
    }

    public long blockFileOpens()
    {
        return blockFileOpens;
    }

    public long blockBytesRead()
    {
        return blockBytesRead;
    }

    public long blocksCreated()
    {
        return blocksCreated;
    }

    public long fullStateWrites()
    {
        return fullStateWrites;
    }

    /** Names of the histograms, e.g. {@code writeFullState}, {@code writeFullState.fsync}, {@code recovery.scan}. */
    public Set<String> histogramNames()
    {
        return histograms.keySet();
    }

    /**
     * @return the histogram of that name, in nanoseconds.
     * @throws IllegalArgumentException when no histogram has that name.
     */
    public Histogram histogram(final String name)
    {
        final Histogram histogram = histograms.get(name);
        if (null == histogram)
        {
            throw new IllegalArgumentException("no histogram named '" + name + "', known: " + histograms.keySet());
        }
        return histogram;
    }

    @Override
    public String toString()
    {
        return "StoreStats{blockFileOpens=" + blockFileOpens + ", blockBytesRead=" + blockBytesRead +
            ", blocksCreated=" + blocksCreated + ", fullStateWrites=" + fullStateWrites + '}';
    }
}
