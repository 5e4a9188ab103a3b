package io.ferrite.metrics;

import org.HdrHistogram.Histogram;

import javax.management.ConstructorParameters;

/**
 * One histogram of a stream, summarized for JMX ({@link StreamStatsMXBean#getLatencies()}, shown there as composite
 * data): the quantiles and count over an interval, and the count since open. Values are in the histogram's unit:
 * nanoseconds, except {@code groupCommit}, which counts commits per force. Quantiles of an empty interval are 0.
 */
public final class LatencySummary
{
    private final String name;
    private final long count;
    private final long totalCount;
    private final long p50;
    private final long p99;
    private final long p999;
    private final long max;

    @ConstructorParameters({"name", "count", "totalCount", "p50", "p99", "p999", "max"})
    public LatencySummary(
        final String name, final long count, final long totalCount, final long p50, final long p99, final long p999,
        final long max)
    {
        this.name = name;
        this.count = count;
        this.totalCount = totalCount;
        this.p50 = p50;
        this.p99 = p99;
        this.p999 = p999;
        this.max = max;
    }

    /**
     * @return the summary of {@code interval}, with {@code total}'s count as the count since open.
     */
    static LatencySummary of(final String name, final Histogram interval, final Histogram total)
    {
        return new LatencySummary(name, interval.getTotalCount(), total.getTotalCount(),
            interval.getValueAtPercentile(50.0), interval.getValueAtPercentile(99.0),
            interval.getValueAtPercentile(99.9), interval.getMaxValue());
    }

    /**
     * @return the histogram's name, e.g. {@code append} or {@code flush.force}.
     */
    public String getName()
    {
        return name;
    }

    /**
     * @return values recorded in the interval.
     */
    public long getCount()
    {
        return count;
    }

    /**
     * @return values recorded since the store was opened.
     */
    public long getTotalCount()
    {
        return totalCount;
    }

    public long getP50()
    {
        return p50;
    }

    public long getP99()
    {
        return p99;
    }

    public long getP999()
    {
        return p999;
    }

    public long getMax()
    {
        return max;
    }

    @Override
    public String toString()
    {
        return name + "{count=" + count + ", totalCount=" + totalCount + ", p50=" + p50 + ", p99=" + p99 + ", p999=" +
            p999 + ", max=" + max + '}';
    }
}
