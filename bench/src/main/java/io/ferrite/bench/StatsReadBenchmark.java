package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StoreCounters;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What reading a store's statistics costs (issue 16, "Metrics for embedders"): one counter and every counter through
 * {@code counters()} against a whole {@code stats()} copy, on a store whose histograms hold data; and the fill loop
 * the state benchmarks use (append 900 B messages into 2 MiB blocks, check the block count every
 * {@value #CHECK_EVERY} appends) with the check read from {@code counters()} against the old check through
 * {@code stats()}.
 * <p>
 * The fill scores are appends per second ({@code @OperationsPerInvocation}); MB/s is the score times
 * {@value #FILL_PAYLOAD} bytes. Each fill iteration starts a fresh store, so blocks are created as in the real fill.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StatsReadBenchmark extends BenchmarkDefaults
{
    /** Appends between two checks of the block count, as in {@link FerriteFullStateBenchmark#FILL_BATCH}. */
    static final int CHECK_EVERY = FerriteFullStateBenchmark.FILL_BATCH;
    /** Payload bytes per fill append, as in the state benchmarks' fill. */
    static final int FILL_PAYLOAD = 900;
    /** Messages in the store the read benchmarks read: enough that every append and flush histogram holds values. */
    private static final int READ_STORE_MESSAGES = 100_000;

    private static StreamConfig config(final String name)
    {
        return StreamConfig.builder(name).blockSize(2 << 20).maxMsgSize(1024).build();
    }

    /**
     * One store, filled once and flushed, read by the read benchmarks.
     */
    @State(Scope.Benchmark)
    public static class Reads
    {
        private Path directory;
        private StreamStore store;
        private StoreCounters counters;

        /**
         * Opens and fills the store.
         */
        @Setup(Level.Trial)
        public void setUp()
        {
            directory = BenchDirectory.create("stats-read");
            store = FileStreamStore.open(directory, config("stats-read"));
            final byte[] payload = Payloads.random(128);
            for (int i = 0; i < SmokeScale.scale(READ_STORE_MESSAGES); i++)
            {
                store.append(FerriteAppender.SUBJECT, null, payload);
            }
            store.flush().join();
            counters = store.counters();
        }

        /**
         * Closes and deletes the store.
         */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            try
            {
                store.close();
            }
            finally
            {
                BenchDirectory.delete(directory);
            }
        }
    }

    /**
     * A fresh store per iteration for the fill loops.
     */
    @State(Scope.Thread)
    public static class Fill
    {
        private final byte[] payload = Payloads.random(FILL_PAYLOAD);
        private Path directory;
        private StreamStore store;
        private StoreCounters counters;
        /** What the check read, so the loop cannot be told its result is unused. */
        private long blocks;

        /**
         * Opens an empty store.
         */
        @Setup(Level.Iteration)
        public void setUp()
        {
            directory = BenchDirectory.create("stats-fill");
            store = FileStreamStore.open(directory, config("stats-fill"));
            counters = store.counters();
        }

        /**
         * Closes and deletes the store.
         */
        @TearDown(Level.Iteration)
        public void tearDown()
        {
            try
            {
                store.close();
            }
            finally
            {
                BenchDirectory.delete(directory);
            }
        }
    }

    /**
     * One counter: the last sequence, an acquire load.
     */
    @Benchmark
    public long oneCounter(final Reads reads)
    {
        return reads.counters.lastSeq();
    }

    /**
     * Every counter and position of {@link StoreCounters}.
     */
    @Benchmark
    public long allCounters(final Reads reads)
    {
        final StoreCounters counters = reads.counters;
        return counters.lastSeq() + counters.firstSeq() + counters.durableSeq() + counters.msgs() + counters.bytes() +
            counters.blocksCreated() + counters.blockFileOpens() + counters.blockBytesRead() +
            counters.fullStateWrites() + counters.forceCycles() + counters.backPressureWaits() +
            counters.forceBytesPerSecond() + counters.reclaimFailures();
    }

    /**
     * A whole {@code stats()}: every histogram harvested and copied twice (totals and interval).
     */
    @Benchmark
    public StoreStats stats(final Reads reads)
    {
        return reads.store.stats();
    }

    /**
     * The fill loop as it is now: {@value #CHECK_EVERY} appends, then the block count from {@code counters()}.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(CHECK_EVERY)
    public long fillWithCounters(final Fill fill)
    {
        for (int i = 0; i < CHECK_EVERY; i++)
        {
            fill.store.append(FerriteAppender.SUBJECT, null, fill.payload);
        }
        fill.blocks = fill.counters.blocksCreated();
        return fill.blocks;
    }

    /**
     * The fill loop as it was: {@value #CHECK_EVERY} appends, then the block count from a whole {@code stats()}.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(CHECK_EVERY)
    public long fillWithStats(final Fill fill)
    {
        for (int i = 0; i < CHECK_EVERY; i++)
        {
            fill.store.append(FerriteAppender.SUBJECT, null, fill.payload);
        }
        fill.blocks = fill.store.stats().blocksCreated();
        return fill.blocks;
    }
}
