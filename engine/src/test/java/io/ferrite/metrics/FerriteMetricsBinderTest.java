package io.ferrite.metrics;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.memory.MemoryStreamStore;
import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Micrometer binder against {@link SimpleMeterRegistry}: gauges and counters follow the store's counters, latency
 * quantiles cover the interval since the previous scrape, and binding never resets the intervals of {@code stats()}.
 */
class FerriteMetricsBinderTest
{
    private static final byte[] PAYLOAD = new byte[100];
    /** The file store times one append in this many. */
    private static final int SAMPLE_PERIOD = 64;

    @TempDir
    Path dir;

    private static StreamConfig config()
    {
        return StreamConfig.builder("orders").blockSize(4096).maxMsgSize(512).syncMode(SyncMode.INTERVAL).build();
    }

    private static void append(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("orders.eu", null, PAYLOAD);
        }
    }

    private static double gauge(final MeterRegistry registry, final String name)
    {
        return registry.get(FerriteMetricsBinder.PREFIX + name).tag("stream", "orders").gauge().value();
    }

    private static double counter(final MeterRegistry registry, final String name)
    {
        return registry.get(FerriteMetricsBinder.PREFIX + name).tag("stream", "orders").functionCounter().count();
    }

    private static TimeGauge appendQuantile(final MeterRegistry registry, final String quantile)
    {
        return registry.get(FerriteMetricsBinder.PREFIX + "latency").tags("stream", "orders", "metric",
            StoreMetricNames.APPEND, "quantile", quantile).timeGauge();
    }

    @Test
    void gaugesAndCountersFollowTheStoreCounters()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            final MeterRegistry registry = new SimpleMeterRegistry();
            new FerriteMetricsBinder(store, "orders", Tags.of("env", "test")).bindTo(registry);
            assertThat(gauge(registry, "last.seq")).isZero();

            append(store, 100);
            assertThat(store.remove(1)).isTrue();
            store.flush().join();
            assertThat(gauge(registry, "last.seq")).isEqualTo(100);
            assertThat(gauge(registry, "first.seq")).isEqualTo(2);
            assertThat(gauge(registry, "durable.seq")).isEqualTo(100);
            assertThat(gauge(registry, "messages")).isEqualTo(99);
            assertThat(gauge(registry, "bytes")).isEqualTo(store.state().bytes());
            assertThat(counter(registry, "blocks.created")).isEqualTo(store.counters().blocksCreated()).isPositive();
            assertThat(counter(registry, "block.file.opens")).isEqualTo(store.counters().blockFileOpens());
            final Meter.Id id = registry.get(FerriteMetricsBinder.PREFIX + "messages").gauge().getId();
            assertThat(id.getTag("env")).isEqualTo("test");
            assertThat(id.getBaseUnit()).isEqualTo("messages");
            assertThat(registry.find(FerriteMetricsBinder.PREFIX + "force.cycles").functionCounter()).isNotNull();
            assertThat(registry.find(FerriteMetricsBinder.PREFIX + "reclaim.failures").functionCounter()).isNotNull();
            assertThat(registry.find(FerriteMetricsBinder.PREFIX + "commits.per.force")
                .tags("quantile", "0.99").gauge()).isNotNull();
        }
    }

    @Test
    void latencyQuantilesCoverTheIntervalSinceThePreviousScrape()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            final MeterRegistry registry = new SimpleMeterRegistry();
            new FerriteMetricsBinder(store, "orders").bindTo(registry);
            final FunctionCounter count = registry.get(FerriteMetricsBinder.PREFIX + "latency.count")
                .tags("metric", StoreMetricNames.APPEND).functionCounter();

            append(store, 3 * SAMPLE_PERIOD);
            // A registry reads each meter once per scrape: the second read of a meter starts the next scrape.
            final TimeGauge p99 = appendQuantile(registry, "0.99");
            final TimeGauge max = appendQuantile(registry, "1.0");
            final double p99Nanos = p99.value(TimeUnit.NANOSECONDS);
            assertThat(p99Nanos).as("3 appends timed in this interval").isPositive();
            assertThat(max.value(TimeUnit.NANOSECONDS)).isGreaterThanOrEqualTo(p99Nanos);
            assertThat(count.count()).isEqualTo(3);

            // Nothing appended before the next scrape: the interval is empty, the count since open stays.
            assertThat(p99.value(TimeUnit.NANOSECONDS)).isNaN();
            assertThat(count.count()).isEqualTo(3);

            assertThat(store.stats().intervalHistogram(StoreMetricNames.APPEND).getTotalCount())
                .as("stats() keeps its own interval: the scrapes took nothing from it").isEqualTo(3);

            append(store, SAMPLE_PERIOD);
            assertThat(p99.value(TimeUnit.NANOSECONDS)).isPositive();
            assertThat(count.count()).isEqualTo(4);
        }
    }

    @Test
    void twoRegistriesKeepTheirOwnIntervals()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            final MeterRegistry first = new SimpleMeterRegistry();
            final MeterRegistry second = new SimpleMeterRegistry();
            final FerriteMetricsBinder binder = new FerriteMetricsBinder(store, "orders");
            binder.bindTo(first);
            binder.bindTo(second);
            append(store, 2 * SAMPLE_PERIOD);
            assertThat(appendQuantile(first, "0.5").value(TimeUnit.NANOSECONDS)).isPositive();
            assertThat(appendQuantile(first, "0.5").value(TimeUnit.NANOSECONDS)).as("first, next scrape").isNaN();
            assertThat(appendQuantile(second, "0.5").value(TimeUnit.NANOSECONDS)).as("second, untouched").isPositive();
        }
    }

    @Test
    void aMemoryStoreHasCountersAndNoLatencies()
    {
        try (StreamStore store = MemoryStreamStore.create(config()))
        {
            final MeterRegistry registry = new SimpleMeterRegistry();
            new FerriteMetricsBinder(store, "orders").bindTo(registry);
            append(store, 7);
            assertThat(gauge(registry, "last.seq")).isEqualTo(7);
            assertThat(gauge(registry, "durable.seq")).isEqualTo(7);
            assertThat(gauge(registry, "force.rate")).as("no force ever: unknown").isNaN();
            assertThat(registry.find(FerriteMetricsBinder.PREFIX + "latency").meters()).isEmpty();
            store.close();
            assertThat(gauge(registry, "last.seq")).as("a closed store's meters answer its last values").isEqualTo(7);
        }
    }

    @Test
    void anEmptyStreamNameIsRefused()
    {
        try (StreamStore store = MemoryStreamStore.create(config()))
        {
            assertThatThrownBy(() -> new FerriteMetricsBinder(store, "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("streamName");
        }
    }
}
