package io.ferrite.bench.latency;

import io.ferrite.bench.AppendTarget;
import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;

/**
 * Times single appends into an HdrHistogram: {@code warmupOps} untimed appends so the JIT has compiled
 * the path, then {@code measuredOps} appends each bracketed by {@link System#nanoTime()}.
 * <p>
 * What it measures is service time back to back, one thread, no pacing: there is no request schedule,
 * so coordinated omission does not apply, and a stall shows up as the one slow op it was rather than as
 * the queue of late requests an open-loop load would build behind it. Every value includes one
 * {@code nanoTime} pair; {@link #timerOverhead()} records that cost so plots can show it as a baseline.
 * <p>
 * Not thread safe; one recorder per measuring thread.
 */
public final class LatencyRecorder
{
    /** Values above one minute are clamped by the histogram; an append that slow is a failure anyway. */
    public static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** Three significant digits: 0.1 % value resolution, the HdrHistogram default for latency. */
    public static final int SIGNIFICANT_DIGITS = 3;

    private final int warmupOps;
    private final int measuredOps;

    /**
     * @param warmupOps   untimed appends before measuring, enough for C2 to compile the append path.
     * @param measuredOps timed appends recorded.
     */
    public LatencyRecorder(final int warmupOps, final int measuredOps)
    {
        if (warmupOps < 0)
        {
            throw new IllegalArgumentException("warmupOps must be >= 0: " + warmupOps);
        }
        if (measuredOps < 1)
        {
            throw new IllegalArgumentException("measuredOps must be >= 1: " + measuredOps);
        }

        this.warmupOps = warmupOps;
        this.measuredOps = measuredOps;
    }

    /**
     * @param target to append to; stays open.
     * @return latency of each measured append, in nanoseconds.
     */
    public Histogram record(final AppendTarget target)
    {
        for (int i = 0; i < warmupOps; i++)
        {
            target.append();
        }

        // Allocated up front at its full size so that recording never resizes inside the timed loop.
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
        for (int i = 0; i < measuredOps; i++)
        {
            final long start = System.nanoTime();
            target.append();
            histogram.recordValue(Math.min(System.nanoTime() - start, HIGHEST_TRACKABLE_NANOS));
        }

        return histogram;
    }

    /**
     * Records {@code measuredOps} back-to-back {@code nanoTime} pairs with nothing between them.
     *
     * @return cost of the timer itself, in nanoseconds: the part of every value {@link #record(AppendTarget)}
     * records that is not the append.
     */
    public Histogram timerOverhead()
    {
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
        for (int i = 0; i < measuredOps; i++)
        {
            final long start = System.nanoTime();
            histogram.recordValue(Math.min(System.nanoTime() - start, HIGHEST_TRACKABLE_NANOS));
        }

        return histogram;
    }
}
