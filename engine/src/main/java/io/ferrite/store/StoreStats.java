package io.ferrite.store;

import org.HdrHistogram.Histogram;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A snapshot of a store's counters and latency histograms (nanoseconds), cumulative since open, and the same
 * histograms over the interval since the previous {@code stats()} call ({@link #intervalHistogram(String)}) — or, from
 * a {@link StoreStatsReader}, since that reader's previous read. Names and units are listed in
 * {@code io.ferrite.engine.metrics.StoreMetrics}. Every histogram here is a copy owned by this snapshot. The counters
 * alone are cheaper to read through {@link StreamStore#counters()}.
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
    private final Map<String, Histogram> intervals;
    private final long forceCycles;
    private final long durableSeq;
    private final long backPressureWaits;
    private final long forceBytesPerSecond;
    private final long reclaimFailures;
    private final String reclaimFailure;

    public StoreStats(
        final long blockFileOpens,
        final long blockBytesRead,
        final long blocksCreated,
        final long fullStateWrites,
        final Map<String, Histogram> histograms)
    {
        this(blockFileOpens, blockBytesRead, blocksCreated, fullStateWrites, histograms, Map.of(), 0, 0);
    }

    public StoreStats(
        final long blockFileOpens,
        final long blockBytesRead,
        final long blocksCreated,
        final long fullStateWrites,
        final Map<String, Histogram> histograms,
        final Map<String, Histogram> intervals,
        final long forceCycles,
        final long durableSeq)
    {
        this(blockFileOpens, blockBytesRead, blocksCreated, fullStateWrites, histograms, intervals, forceCycles,
            durableSeq, 0, -1);
    }

    public StoreStats(
        final long blockFileOpens,
        final long blockBytesRead,
        final long blocksCreated,
        final long fullStateWrites,
        final Map<String, Histogram> histograms,
        final Map<String, Histogram> intervals,
        final long forceCycles,
        final long durableSeq,
        final long backPressureWaits,
        final long forceBytesPerSecond)
    {
        this(blockFileOpens, blockBytesRead, blocksCreated, fullStateWrites, histograms, intervals, forceCycles,
            durableSeq, backPressureWaits, forceBytesPerSecond, 0, null);
    }

    public StoreStats(
        final long blockFileOpens,
        final long blockBytesRead,
        final long blocksCreated,
        final long fullStateWrites,
        final Map<String, Histogram> histograms,
        final Map<String, Histogram> intervals,
        final long forceCycles,
        final long durableSeq,
        final long backPressureWaits,
        final long forceBytesPerSecond,
        final long reclaimFailures,
        final String reclaimFailure)
    {
        this.reclaimFailures = reclaimFailures;
        this.reclaimFailure = reclaimFailure;
        this.backPressureWaits = backPressureWaits;
        this.forceBytesPerSecond = forceBytesPerSecond;
        this.blockFileOpens = blockFileOpens;
        this.blockBytesRead = blockBytesRead;
        this.blocksCreated = blocksCreated;
        this.fullStateWrites = fullStateWrites;
        this.histograms = Collections.unmodifiableMap(histograms);
        this.intervals = Collections.unmodifiableMap(intervals);
        this.forceCycles = forceCycles;
        this.durableSeq = durableSeq;
    }

    /**
     * @return the same counters and cumulative histograms, with {@code intervals} as the interval histograms.
     */
    StoreStats withIntervals(final Map<String, Histogram> intervals)
    {
        return new StoreStats(blockFileOpens, blockBytesRead, blocksCreated, fullStateWrites, histograms, intervals,
            forceCycles, durableSeq, backPressureWaits, forceBytesPerSecond, reclaimFailures, reclaimFailure);
    }

    /**
     * @return force cycles of the flusher that did I/O; with {@code groupCommit} it shows how many commits shared one.
     */
    public long forceCycles()
    {
        return forceCycles;
    }

    /**
     * @return appends that found {@code maxUnforcedBytes} written and not yet forced ({@code INTERVAL} mode) and
     * waited for the flusher; histogram {@code backPressure} holds how long each waited.
     */
    public long backPressureWaits()
    {
        return backPressureWaits;
    }

    /**
     * @return bytes per second the disk took over the flusher's recent force cycles (decaying over about a second of
     * force time), or -1 before any force carried bytes.
     */
    public long forceBytesPerSecond()
    {
        return forceBytesPerSecond;
    }

    /**
     * @return reclaim passes (deleting emptied blocks, rewriting sparse ones, expiring by age) that failed since open.
     * A failed pass is retried, with a growing delay while it keeps failing; removed messages stay removed meanwhile,
     * only their space is not given back.
     */
    public long reclaimFailures()
    {
        return reclaimFailures;
    }

    /**
     * @return why the newest reclaim pass failed (the exception, naming the file), or empty when it succeeded or none
     * has run: while this is present, space from removals may not be coming back.
     */
    public Optional<String> reclaimFailure()
    {
        return Optional.ofNullable(reclaimFailure);
    }

    /**
     * @return the highest sequence the flusher had made durable when this snapshot was taken.
     */
    public long durableSeq()
    {
        return durableSeq;
    }

    /**
     * @return what was recorded into histogram {@code name} between the previous {@code stats()} call and this one (or,
     * from a {@link StoreStatsReader}, that reader's previous read and this one).
     * @throws IllegalArgumentException when no histogram has that name.
     */
    public Histogram intervalHistogram(final String name)
    {
        final Histogram histogram = intervals.get(name);
        if (null == histogram)
        {
            throw new IllegalArgumentException("no interval histogram named '" + name + "', known: " +
                intervals.keySet());
        }
        return histogram;
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
            ", blocksCreated=" + blocksCreated + ", fullStateWrites=" + fullStateWrites +
            ", forceCycles=" + forceCycles + ", durableSeq=" + durableSeq + ", backPressureWaits=" + backPressureWaits +
            ", forceBytesPerSecond=" + forceBytesPerSecond + ", reclaimFailures=" + reclaimFailures +
            (null == reclaimFailure ? "" : ", reclaimFailure=" + reclaimFailure) + '}';
    }
}
