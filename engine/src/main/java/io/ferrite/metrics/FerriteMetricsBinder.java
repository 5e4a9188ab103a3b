package io.ferrite.metrics;

import io.ferrite.store.StoreCounters;
import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoreStatsReader;
import io.ferrite.store.StreamStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Binds one stream's statistics to a Micrometer {@link MeterRegistry}, every meter tagged {@code stream=<name>}:
 * <ul>
 *   <li>gauges of positions and totals, read from {@link StreamStore#counters()} at each scrape (no copy, no lock):
 *   {@code ferrite.stream.last.seq}, {@code .first.seq}, {@code .durable.seq}, {@code .messages}, {@code .bytes},
 *   and {@code ferrite.stream.force.rate} (bytes/s the disk took over recent forces; NaN before any);</li>
 *   <li>function counters of what only grows: {@code ferrite.stream.blocks.created}, {@code .block.file.opens},
 *   {@code .block.bytes.read}, {@code .full.state.writes}, {@code .force.cycles}, {@code .back.pressure.waits},
 *   {@code .reclaim.failures};</li>
 *   <li>for each latency histogram of {@link StoreStats} (tag {@code metric}, e.g. {@code append},
 *   {@code flush.force}, {@code writeFullState.fsync}): time gauges {@code ferrite.stream.latency} with tag
 *   {@code quantile} {@code 0.5}, {@code 0.99}, {@code 0.999} and {@code 1.0} (the maximum) over the interval since the
 *   previous scrape (NaN when nothing was recorded in it), and a function counter {@code ferrite.stream.latency.count}
 *   of everything recorded since open. The {@code groupCommit} histogram counts commits per force, not time: its
 *   quantiles are plain gauges {@code ferrite.stream.commits.per.force}.</li>
 * </ul>
 * The histogram meters share one {@link StoreStatsReader} per {@link #bindTo} (the store's {@code newStatsReader()}),
 * read once per scrape: they never reset the intervals of {@code stats()}, of JMX or of another registry. Only that
 * read copies histograms, once per scrape.
 * <p>
 * Optional: the engine declares Micrometer as an optional dependency; an application using this class brings
 * {@code io.micrometer:micrometer-core} itself.
 * <pre>
 * new FerriteMetricsBinder(store, "orders").bindTo(registry);
 * </pre>
 * Threading: {@link #bindTo} from any thread; the meters may be read from any thread. The meters keep answering after
 * the store is closed (its last values); remove them from the registry when the stream goes away.
 */
public final class FerriteMetricsBinder implements MeterBinder
{
    /** Prefix of every meter name. */
    public static final String PREFIX = "ferrite.stream.";
    /** The tag naming the stream. */
    public static final String STREAM_TAG = "stream";
    /** The tag naming the histogram a latency meter reads. */
    public static final String METRIC_TAG = "metric";
    /** The tag naming the quantile of a latency gauge; {@code 1.0} is the maximum. */
    public static final String QUANTILE_TAG = "quantile";

    private static final double[] QUANTILES = {0.5, 0.99, 0.999, 1.0};

    private final StreamStore store;
    private final Tags tags;

    /**
     * @param store      the stream; its {@link StreamStore#counters()} and a {@link StreamStore#newStatsReader()} per
     *                   {@link #bindTo} are read.
     * @param streamName the value of the {@code stream} tag.
     */
    public FerriteMetricsBinder(final StreamStore store, final String streamName)
    {
        this(store, streamName, Tags.empty());
    }

    /**
     * @param extraTags added to every meter, after {@code stream}.
     */
    public FerriteMetricsBinder(final StreamStore store, final String streamName, final Iterable<Tag> extraTags)
    {
        this.store = Objects.requireNonNull(store, "store");
        Objects.requireNonNull(streamName, "streamName");
        if (streamName.isEmpty())
        {
            throw new IllegalArgumentException("streamName must not be empty");
        }
        this.tags = Tags.of(STREAM_TAG, streamName).and(Objects.requireNonNull(extraTags, "extraTags"));
    }

    @Override
    public void bindTo(final MeterRegistry registry)
    {
        bindCounters(registry);
        bindLatencies(registry);
    }

    private void bindCounters(final MeterRegistry registry)
    {
        gauge(registry, "last.seq", "last sequence assigned and visible to readers", StoreCounters::lastSeq, null);
        gauge(registry, "first.seq", "first sequence holding a message", StoreCounters::firstSeq, null);
        gauge(registry, "durable.seq", "highest sequence a completed force made durable", StoreCounters::durableSeq,
            null);
        gauge(registry, "messages", "messages stored", StoreCounters::msgs, "messages");
        gauge(registry, "bytes", "bytes stored", StoreCounters::bytes, BaseUnits.BYTES);
        Gauge.builder(PREFIX + "force.rate", store, (s) -> rate(s.counters().forceBytesPerSecond()))
            .description("bytes per second the disk took over recent force cycles").baseUnit("bytes/s")
            .tags(tags).register(registry);
        counter(registry, "blocks.created", "block files created", StoreCounters::blocksCreated, "blocks");
        counter(registry, "block.file.opens", "block files opened", StoreCounters::blockFileOpens, "opens");
        counter(registry, "block.bytes.read", "bytes read from block files other than through a mapped block",
            StoreCounters::blockBytesRead, BaseUnits.BYTES);
        counter(registry, "full.state.writes", "state.db files written", StoreCounters::fullStateWrites, "writes");
        counter(registry, "force.cycles", "flusher force cycles that did I/O", StoreCounters::forceCycles, "cycles");
        counter(registry, "back.pressure.waits", "appends that waited for the flusher",
            StoreCounters::backPressureWaits, "appends");
        counter(registry, "reclaim.failures", "reclaim passes that failed", StoreCounters::reclaimFailures, "passes");
    }

    private void gauge(
        final MeterRegistry registry, final String name, final String description,
        final ToLongFunction<StoreCounters> value, final String unit)
    {
        // The store, not its counters view, is the referent: a store whose counters() makes a new view per call (the
        // SPI's default) would otherwise leave the registry holding a view nothing else keeps alive.
        Gauge.builder(PREFIX + name, store, (s) -> value.applyAsLong(s.counters()))
            .description(description).baseUnit(unit).tags(tags).register(registry);
    }

    private void counter(
        final MeterRegistry registry, final String name, final String description,
        final ToLongFunction<StoreCounters> value, final String unit)
    {
        FunctionCounter.builder(PREFIX + name, store, (s) -> value.applyAsLong(s.counters()))
            .description(description).baseUnit(unit).tags(tags).register(registry);
    }

    private void bindLatencies(final MeterRegistry registry)
    {
        final StoreStatsReader reader = store.newStatsReader();
        final List<String> names = List.copyOf(reader.read().histogramNames());
        final LatestStats latest = new LatestStats(reader);
        int meter = 0;
        for (final String name : names)
        {
            final Tags metricTags = tags.and(METRIC_TAG, name);
            for (final double quantile : QUANTILES)
            {
                final int slot = meter++;
                final Tags quantileTags = metricTags.and(QUANTILE_TAG, Double.toString(quantile));
                if (StoreMetricNames.GROUP_COMMIT.equals(name))
                {
                    // The gauges hold the shared reader strongly: nothing else keeps it once bindTo returns.
                    Gauge.builder(PREFIX + "commits.per.force", latest,
                            (l) -> l.value(slot, (stats) -> quantile(stats.intervalHistogram(name), quantile)))
                        .description("commits resolved by one force, over the interval since the previous scrape")
                        .tags(quantileTags).strongReference(true).register(registry);
                }
                else
                {
                    TimeGauge.builder(PREFIX + "latency", latest, TimeUnit.NANOSECONDS,
                            (l) -> l.value(slot, (stats) -> quantile(stats.intervalHistogram(name), quantile)))
                        .description("latency quantile over the interval since the previous scrape")
                        .tags(quantileTags).strongReference(true).register(registry);
                }
            }
            final int slot = meter++;
            // A function counter holds its object weakly: the store is that object (as for the counters above), and the
            // shared reader is held by the function itself.
            FunctionCounter.builder(PREFIX + "latency.count", store,
                    (s) -> latest.value(slot, (stats) -> stats.histogram(name).getTotalCount()))
                .description("values recorded into the histogram since open").tags(metricTags).register(registry);
        }
    }

    private static double quantile(final Histogram interval, final double quantile)
    {
        if (interval.getTotalCount() == 0)
        {
            return Double.NaN;
        }
        return quantile >= 1.0 ? interval.getMaxValue() : interval.getValueAtPercentile(quantile * 100.0);
    }

    private static double rate(final long bytesPerSecond)
    {
        return bytesPerSecond < 0 ? Double.NaN : bytesPerSecond;
    }
}
