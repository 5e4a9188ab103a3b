package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Back-pressure of {@code StreamConfig.maxUnforcedBytes} (issue 12): one thread appending 900 B messages flat out in
 * {@code INTERVAL} mode (100 ms) into 2 MiB blocks — the shape, where one force carried 798 blocks and took
 * 8.6 s — with the bound small (1 MiB), at its default (64 MiB), and off ({@code -1}, the engine before the bound).
 * <p>
 * {@code throughput} gives appends per second; {@code latency} (SampleTime) the time of one append, whose tail is
 * where the waits for the flusher show. What the bound buys is in the summary line each trial prints, from the
 * store's own histograms over the measurement iterations: {@code appendToDurable} (a sampled append to the force that
 * covered it completing: the window a power cut could take, in time), the longest force cycle, and how many appends
 * waited.
 * <p>
 * A fresh store per iteration, deleted after it: flat-out appends write a few hundred MB a second, and a store kept
 * for a trial would grow by gigabytes. Run it on the disk under test ({@link BenchDirectory}); on tmpfs forces are
 * free and the bound never bites.
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Benchmark)
public class IntervalBoundBenchmark extends BenchmarkDefaults
{
    /** The block size. */
    public static final int BLOCK_SIZE = 2 << 20;

    /** Histogram precision for the summary line: 3 significant digits, the JMH and HdrHistogram norm. */
    private static final int SIGNIFICANT_DIGITS = 3;

    /** {@code maxUnforcedBytes}: small (half a block, four blocks), the default, and no bound. */
    @Param({ "1048576", "8388608", "67108864", "-1" })
    public long maxUnforcedBytes;

    /** Payload bytes per append: the incident's record size. */
    @Param({ "900" })
    public int payloadLength;

    private final Histogram trialAppendToDurable = new Histogram(SIGNIFICANT_DIGITS);
    private final Histogram trialFlush = new Histogram(SIGNIFICANT_DIGITS);
    private long trialWaits;
    private long trialAppends;
    private long forceBytesPerSecond = -1;
    private byte[] payload;
    private Path directory;
    private StreamStore store;
    private long firstSeq;

    /**
     * Prepares the payload every iteration reuses.
     */
    @Setup(Level.Trial)
    public void setUpTrial()
    {
        payload = Payloads.random(payloadLength);
    }

    /**
     * Opens an empty store.
     */
    @Setup(Level.Iteration)
    public void setUpIteration()
    {
        directory = BenchDirectory.create("interval-bound");
        store = FileStreamStore.open(directory, StreamConfig.builder("bench").blockSize(BLOCK_SIZE)
            .syncMode(SyncMode.INTERVAL).maxUnforcedBytes(maxUnforcedBytes).build());
        // Resets the interval histograms, so the teardown's stats() holds this iteration only.
        store.stats();
        firstSeq = store.state().lastSeq();
    }

    /**
     * Keeps a measurement iteration's store figures for the summary, then closes and deletes the store.
     *
     * @param iteration tells measurement from warm-up.
     */
    @TearDown(Level.Iteration)
    public void tearDownIteration(final IterationParams iteration)
    {
        try
        {
            if (IterationType.MEASUREMENT == iteration.getType())
            {
                final StoreStats stats = store.stats();
                trialAppendToDurable.add(stats.intervalHistogram("appendToDurable"));
                trialFlush.add(stats.intervalHistogram("flush"));
                trialWaits += stats.backPressureWaits();
                trialAppends += store.state().lastSeq() - firstSeq;
                forceBytesPerSecond = stats.forceBytesPerSecond();
            }
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * Prints the trial's summary: what the bound does to the window, next to JMH's append figures.
     */
    @TearDown(Level.Trial)
    public void tearDownTrial()
    {
        System.out.println("IntervalBound maxUnforcedBytes=" + maxUnforcedBytes +
            ": appendToDurable " + describe(trialAppendToDurable) +
            "; force cycle " + describe(trialFlush) +
            "; " + trialWaits + " of " + trialAppends + " appends waited for the flusher" +
            "; disk forced " + (forceBytesPerSecond < 0 ? "?" : String.format("%.1f MB/s", forceBytesPerSecond / 1e6)) +
            " (last iteration)");
    }

    /**
     * Appends per second.
     *
     * @return the sequence, so nothing is eliminated.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long throughput()
    {
        return store.append(FerriteAppender.SUBJECT, null, payload);
    }

    /**
     * The time of one append, waits for the flusher included.
     *
     * @return the sequence, so nothing is eliminated.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long latency()
    {
        return store.append(FerriteAppender.SUBJECT, null, payload);
    }

    private static String describe(final Histogram nanos)
    {
        if (0 == nanos.getTotalCount())
        {
            return "no samples";
        }
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)",
            nanos.getValueAtPercentile(50) / 1e6, nanos.getValueAtPercentile(99) / 1e6, nanos.getMaxValue() / 1e6,
            nanos.getTotalCount());
    }
}
