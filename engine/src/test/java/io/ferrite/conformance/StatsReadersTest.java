package io.ferrite.conformance;

import com.sun.management.ThreadMXBean;
import io.ferrite.store.IntervalStatsReader;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.StoreCounters;
import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StoreProvider;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoreStatsReader;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The statistics an embedder polls: {@code counters()} is a live view that moves with appends, removals and flushes
 * in both stores and is read without any lock a writer holds; {@code newStatsReader()} gives each reader intervals of
 * its own, so two readers and {@code stats()} never reset each other.
 */
class StatsReadersTest
{
    private static final byte[] PAYLOAD = new byte[100];
    /** The file store times one append in this many (a sequence that is a multiple of it). */
    private static final int SAMPLE_PERIOD = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path root;

    private StreamStore open(final String kind)
    {
        final StreamConfig config = StreamConfig.builder("stats").blockSize(4096).maxMsgSize(512)
            .syncMode(SyncMode.INTERVAL).build();
        return StoreProvider.named(kind).open(root.resolve(kind), config);
    }

    private static void append(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("stats.a", null, PAYLOAD);
        }
    }

    private static long appendSamples(final StoreStats stats)
    {
        return stats.intervalHistogram(StoreMetricNames.APPEND).getTotalCount();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void countersMoveWithAppendsRemovalsAndFlushes(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            final StoreCounters counters = store.counters();
            assertThat(store.counters()).as("one view for the store's lifetime").isSameAs(counters);
            assertThat(counters.lastSeq()).isZero();
            assertThat(counters.firstSeq()).isEqualTo(1);
            assertThat(counters.msgs()).isZero();
            assertThat(counters.bytes()).isZero();

            append(store, 100);
            StreamState state = store.state();
            assertThat(counters.lastSeq()).isEqualTo(100).isEqualTo(store.lastSeq());
            assertThat(counters.msgs()).isEqualTo(100).isEqualTo(state.msgs());
            assertThat(counters.bytes()).isEqualTo(state.bytes()).isPositive();

            final long bytesBefore = counters.bytes();
            assertThat(store.remove(1)).isTrue();
            assertThat(store.remove(50)).isTrue();
            state = store.state();
            assertThat(counters.msgs()).isEqualTo(98).isEqualTo(state.msgs());
            assertThat(counters.bytes()).isEqualTo(state.bytes()).isLessThan(bytesBefore);
            assertThat(counters.firstSeq()).isEqualTo(2).isEqualTo(store.firstSeq());
            assertThat(counters.lastSeq()).isEqualTo(100);

            assertThat(store.flush().join()).isEqualTo(100);
            assertThat(counters.durableSeq()).isEqualTo(100).isEqualTo(store.durableSeq());
            if ("file".equals(kind))
            {
                assertThat(counters.blocksCreated()).as("100 frames of ~150 B in 4 KiB blocks").isGreaterThan(2);
                // The flusher counts its cycle after it released the flush: wait for it, bounded.
                await(() -> counters.forceCycles() > 0);
                final long writes = counters.fullStateWrites();
                store.writeFullState();
                // At least ours: a reclaim pass after the removals may write one too.
                assertThat(counters.fullStateWrites()).isGreaterThan(writes);
                assertThat(counters.forceBytesPerSecond()).isPositive();
            }
            else
            {
                assertThat(counters.blocksCreated()).isZero();
                assertThat(counters.forceCycles()).isZero();
                assertThat(counters.forceBytesPerSecond()).isEqualTo(-1);
            }
            final StoreStats stats = store.stats();
            assertThat(counters.blocksCreated()).isEqualTo(stats.blocksCreated());
            assertThat(counters.blockFileOpens()).isEqualTo(stats.blockFileOpens());
            assertThat(counters.blockBytesRead()).isEqualTo(stats.blockBytesRead());
            assertThat(counters.backPressureWaits()).isEqualTo(stats.backPressureWaits());
            assertThat(counters.reclaimFailures()).isEqualTo(stats.reclaimFailures());

            store.purge();
            assertThat(counters.msgs()).isZero();
            assertThat(counters.bytes()).isZero();
            assertThat(counters.firstSeq()).isEqualTo(101);
            store.close();
            assertThat(counters.lastSeq()).as("a closed store's view answers its last values").isEqualTo(100);
            assertThat(counters.msgs()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void countersAreReadWhileAnotherThreadHoldsTheAppendLock(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            final MessageClaim claim = new MessageClaim();
            // The claim holds the append lock (the memory store's write lock) until it is committed.
            store.tryClaim(store.subject("stats.b"), 0, 8, claim);
            try
            {
                final StoreCounters counters = store.counters();
                final long[] read = assertTimeoutPreemptively(TIMEOUT, () -> CompletableFuture.supplyAsync(
                    () -> new long[] {counters.lastSeq(), counters.msgs(), counters.bytes(), counters.durableSeq(),
                        counters.firstSeq(), counters.forceCycles(), counters.blocksCreated()}).get());
                assertThat(read[0]).isEqualTo(10);
                assertThat(read[1]).isEqualTo(10);
            }
            finally
            {
                claim.commit();
            }
            assertThat(store.counters().lastSeq()).isEqualTo(11);
        }
    }

    @Test
    void twoReadersAndStatsDoNotResetEachOther()
    {
        try (StreamStore store = open("file"))
        {
            append(store, 2 * SAMPLE_PERIOD);
            final StoreStatsReader first = store.newStatsReader();
            final StoreStatsReader second = store.newStatsReader();
            assertThat(appendSamples(store.stats())).as("stats() since open").isEqualTo(2);

            append(store, 3 * SAMPLE_PERIOD);
            assertThat(appendSamples(first.read())).as("first reader, since it was made").isEqualTo(3);
            assertThat(appendSamples(first.read())).as("first reader, nothing since its last read").isZero();
            assertThat(appendSamples(store.stats())).as("stats(), untouched by the reader").isEqualTo(3);
            assertThat(appendSamples(second.read())).as("second reader, untouched by both").isEqualTo(3);

            append(store, SAMPLE_PERIOD);
            final StoreStats fromFirst = first.read();
            assertThat(appendSamples(fromFirst)).isEqualTo(1);
            assertThat(appendSamples(second.read())).isEqualTo(1);
            final StoreStats fromStats = store.stats();
            assertThat(appendSamples(fromStats)).isEqualTo(1);
            assertThat(appendSamples(store.stats())).isZero();
            assertThat(fromFirst.histogram(StoreMetricNames.APPEND).getTotalCount()).as("cumulative, since open")
                .isEqualTo(6).isEqualTo(fromStats.histogram(StoreMetricNames.APPEND).getTotalCount());

            final StoreStatsReader late = store.newStatsReader();
            assertThat(appendSamples(late.read())).as("a new reader starts from when it was made").isZero();
        }
    }

    @Test
    void anIntervalIsTheCumulativeHistogramLessThePreviousRead()
    {
        // The default reader of the SPI, over a source whose cumulative histogram only grows.
        final Histogram total = new Histogram(3);
        total.recordValue(1_000_000);
        final StoreStatsReader reader = new IntervalStatsReader(() -> new StoreStats(0, 0, 0, 0,
            Map.of("op", total.copy())));
        total.recordValue(100);
        total.recordValue(200);
        final Histogram interval = reader.read().intervalHistogram("op");
        assertThat(interval.getTotalCount()).isEqualTo(2);
        assertThat(interval.getMaxValue()).as("the value before the reader was made is not in it").isLessThan(300);
        total.recordValue(5_000);
        final StoreStats next = reader.read();
        assertThat(next.intervalHistogram("op").getTotalCount()).isEqualTo(1);
        assertThat(next.intervalHistogram("op").getMinValue()).isBetween(4_990L, 5_010L);
        assertThat(next.histogram("op").getTotalCount()).isEqualTo(4);
    }

    @Test
    void readingEveryCounterAllocatesNothing()
    {
        final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (StreamStore store = open("file"))
        {
            append(store, 1_000);
            final StoreCounters counters = store.counters();
            long sum = 0;
            for (int i = 0; i < 200_000; i++)
            {
                sum += readAll(counters);
            }
            final int reads = 1_000_000;
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < reads; i++)
            {
                sum += readAll(counters);
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(sum).isPositive();
            assertThat((double)allocated / reads).as(allocated + " bytes over " + reads + " reads").isLessThan(0.01);
        }
    }

    private static long readAll(final StoreCounters counters)
    {
        return counters.lastSeq() + counters.firstSeq() + counters.durableSeq() + counters.msgs() + counters.bytes() +
            counters.blocksCreated() + counters.blockFileOpens() + counters.blockBytesRead() +
            counters.fullStateWrites() + counters.forceCycles() + counters.backPressureWaits() +
            counters.forceBytesPerSecond() + counters.reclaimFailures();
    }

    private static void await(final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean())
        {
            assertThat(System.nanoTime() - deadline).as("condition not met within " + TIMEOUT).isNegative();
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
