package io.ferrite.tools;

import org.HdrHistogram.Histogram;

import java.util.Map;

/**
 * The percentiles the tools print from an HdrHistogram of nanoseconds.
 */
record LatencySummary(long count, double mean, long p50, long p90, long p99, long p999, long p9999, long max)
{
    /** Column headings matching {@link #cells(String)}. */
    static final String[] HEADERS = { "", "COUNT", "MEAN", "P50", "P90", "P99", "P99.9", "P99.99", "MAX" };

    static LatencySummary of(final Histogram histogram)
    {
        if (histogram.getTotalCount() == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0, 0);
        }
        return new LatencySummary(
            histogram.getTotalCount(),
            histogram.getMean(),
            histogram.getValueAtPercentile(50),
            histogram.getValueAtPercentile(90),
            histogram.getValueAtPercentile(99),
            histogram.getValueAtPercentile(99.9),
            histogram.getValueAtPercentile(99.99),
            histogram.getMaxValue());
    }

    /**
     * @return a table row: the label, then the count and each percentile in human units.
     */
    Object[] cells(final String label)
    {
        if (count == 0)
        {
            return new Object[] { label, "0", "-", "-", "-", "-", "-", "-", "-" };
        }
        return new Object[] {
            label, Units.count(count), Units.nanos(Math.round(mean)), Units.nanos(p50), Units.nanos(p90),
            Units.nanos(p99), Units.nanos(p999), Units.nanos(p9999), Units.nanos(max) };
    }

    /**
     * @return the summary in nanoseconds for {@code --json}.
     */
    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("count", count);
        json.put("meanNanos", Math.round(mean));
        json.put("p50Nanos", p50);
        json.put("p90Nanos", p90);
        json.put("p99Nanos", p99);
        json.put("p999Nanos", p999);
        json.put("p9999Nanos", p9999);
        json.put("maxNanos", max);
        return json;
    }

    static Table table()
    {
        return new Table(HEADERS).alignRight(1, 2, 3, 4, 5, 6, 7, 8);
    }

    /**
     * A table for operations timed a handful of times (state writes, flushes, recovery), where tail percentiles
     * would only repeat the maximum.
     */
    static Table phaseTable()
    {
        return new Table("PHASE", "COUNT", "MEAN", "P50", "MAX").alignRight(1, 2, 3, 4);
    }

    Object[] phaseCells(final String label)
    {
        if (count == 0)
        {
            return new Object[] { label, "0", "-", "-", "-" };
        }
        return new Object[] {
            label, Units.count(count), Units.nanos(Math.round(mean)), Units.nanos(p50), Units.nanos(max) };
    }
}
