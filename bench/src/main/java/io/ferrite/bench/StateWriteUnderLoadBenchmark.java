package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code writeFullState} under sustained appends, against the small-file floor measured at the same time: does a
 * state write wait on block I/O when the disk is busy? The targets (DESIGN, "Performance targets"): state-write p50
 * ≤ 2× the floor's p50 and max ≤ 3× the floor's max, and the appender's p99 moved by no more than 10 % by state
 * writes every 100 ms.
 * <p>
 * Two JMH groups, each run with a fresh store per iteration:
 * <ul>
 *     <li>{@code underLoad}: {@code append} appends 900 B records flat out; {@code writeFullState} writes the state
 *     once every {@value #PACE_PERIOD_MICROS} µs; {@code smallFileFloor} writes the floor once every period, half a
 *     period after each state write;</li>
 *     <li>{@code noStateWrites}: the same appender ({@code baselineAppend}) and the same floor writer
 *     ({@code baselineSmallFileFloor}), no state writes. The floor runs here too so that the state writes are the
 *     only difference between the groups: compare {@code underLoad:append} with
 *     {@code noStateWrites:baselineAppend} for the appender target, and the two floors to see whether state writes
 *     slow the disk for everyone.</li>
 * </ul>
 * The small-file floor is the physical floor of any state write at that moment: a 2 KiB file written in a sibling
 * directory on the same file system, {@code fsync}ed, renamed over the previous one and the directory {@code fsync}ed
 * — the same calls {@code StreamDirectory.replaceAtomically} makes for {@code state.db}. The floor is offset by half a
 * period so that, once state writes are as fast as the target wants, the two never share one journal commit: each
 * measures the disk under the appender's load, not under the other's {@code fsync}. A state write that takes longer
 * than half a period (today's, which waits for block forces) overlaps the floor anyway.
 * <p>
 * Pacing: the two paced methods take a per-thread slot state whose {@code @Setup(Level.Invocation)} sleeps until the
 * thread's next slot on a fixed grid of {@link System#nanoTime()}; JMH does not time invocation-level fixtures, so
 * {@code SampleTime} records only the write itself. A write that overruns its slot is followed by the next slot on the
 * grid, never by a burst of catch-up writes. The period is divided by {@link SmokeScale} in the smoke test, so each
 * paced method gets many invocations in its 100 ms.
 * <p>
 * SampleTime throughout: JMH reports p50 … p99.99 and max per method of a group (the rows labelled
 * {@code underLoad:writeFullState} and so on; the group's own row mixes every method's samples and means nothing
 * here). Every time is in microseconds, because JMH refuses two output units in one group; the appender's
 * resolution is unaffected, as JMH records nanoseconds and only converts when printing. The trial also prints one
 * summary line with the state-write-to-floor ratios of its measurement iterations, from histograms kept by the paced
 * methods themselves.
 * <p>
 * When an iteration ends, JMH lets a state write in progress finish while the appender goes on, untimed: today's
 * state writes, which take seconds, lengthen iterations and leave few samples in the module's 1 s default. Give the
 * state writes room, e.g. {@code -wi 1 -i 3 -w 2s -r 5s} or longer.
 * <p>
 * A fresh store and floor directory per iteration, deleted after it: sustained 900 B appends write about 200 MB/s, so
 * a store kept for a trial would grow by gigabytes. Run it with {@code -Dferrite.bench.dir} on the disk under test
 * ({@link BenchDirectory}); on tmpfs both the state write and the floor are memory copies.
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StateWriteUnderLoadBenchmark extends BenchmarkDefaults
{
    /** One state write, and one floor write, per this many microseconds: the cadence the issue measures at. */
    public static final int PACE_PERIOD_MICROS = 100_000;

    /** Bytes of the floor file: the size of a small {@code state.db}, as the issue defines the floor. */
    public static final int FLOOR_FILE_LENGTH = 2048;

    /** The floor file, replaced on every floor write. */
    public static final String FLOOR_FILE_NAME = "floor.db";

    /** What the floor file is written as before the rename, as {@code state.db.tmp} is for the state. */
    public static final String FLOOR_TEMP_NAME = "floor.db.tmp";

    /** The caller's key for encrypted stores: fixed, so two runs seal the same way. */
    private static final byte[] ENCRYPTION_KEY = Payloads.random(32);

    /** Histogram precision for the summary line: 3 significant digits, the JMH and HdrHistogram norm. */
    private static final int SIGNIFICANT_DIGITS = 3;

    /** Durability of appends: which force the state write may find itself waiting on. */
    @Param({ "INTERVAL", "NONE", "ALWAYS" })
    public SyncMode sync;

    /** Whether the stream is encrypted: an encrypted state write also seals its subject section. */
    @Param({ "false", "true" })
    public boolean encrypted;

    /** Bytes per block file: how much a block force may carry. */
    @Param({ "2097152", "8388608" })
    public int blockSize;

    /** Payload bytes per append: the incident's record size. */
    @Param({ "900" })
    public int payloadLength;

    private final Histogram stateWriteNanos = new Histogram(SIGNIFICANT_DIGITS);
    private final Histogram floorNanos = new Histogram(SIGNIFICANT_DIGITS);
    private final Histogram trialStateWriteNanos = new Histogram(SIGNIFICANT_DIGITS);
    private final Histogram trialFloorNanos = new Histogram(SIGNIFICANT_DIGITS);
    private byte[] payload;
    private ByteBuffer floorContent;
    private Path directory;
    private Path floorDirectory;
    private Path floorFile;
    private Path floorTemp;
    private StreamStore store;
    private long maxBlocksCreated;
    /** Measurement iterations' {@code writeFullState} calls, and how many of them wrote {@code state.db}. */
    private long stateCalls;
    private long stateFilesWritten;

    /**
     * Prepares what every iteration reuses: the payload and the floor file's content.
     */
    @Setup(Level.Trial)
    public void setUpTrial()
    {
        payload = Payloads.random(payloadLength);
        // Direct, as the state writer's buffer is: a heap buffer would add a JDK copy to the floor only.
        floorContent = ByteBuffer.allocateDirect(FLOOR_FILE_LENGTH);
        floorContent.put(Payloads.random(FLOOR_FILE_LENGTH)).clear();
    }

    /**
     * Opens an empty store and a floor directory beside it, holding one floor file so that the first floor write
     * renames over an existing file like every later one.
     *
     * @throws IOException if the first floor file cannot be written, which fails the iteration.
     */
    @Setup(Level.Iteration)
    public void setUpIteration() throws IOException
    {
        stateWriteNanos.reset();
        floorNanos.reset();
        directory = BenchDirectory.create("state-under-load");
        floorDirectory = BenchDirectory.create("state-under-load-floor");
        floorFile = floorDirectory.resolve(FLOOR_FILE_NAME);
        floorTemp = floorDirectory.resolve(FLOOR_TEMP_NAME);
        writeFloorFile();
        final StreamConfig.Builder config = StreamConfig.builder("bench").blockSize(blockSize).syncMode(sync);
        if (encrypted)
        {
            config.encryptionKey(ENCRYPTION_KEY);
        }
        store = FileStreamStore.open(directory, config.build());
    }

    /**
     * Closes and deletes the iteration's store and floor directory, keeping a measurement iteration's state-write and
     * floor times for the summary line.
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
                trialStateWriteNanos.add(stateWriteNanos);
                trialFloorNanos.add(floorNanos);
                maxBlocksCreated = Math.max(maxBlocksCreated, store.counters().blocksCreated());
                // A call finding no state newer than the file's that is durable writes nothing and returns at once:
                // count the calls that wrote, so a median over mostly empty calls cannot pass for a fast state write.
                stateCalls += stateWriteNanos.getTotalCount();
                stateFilesWritten += store.counters().fullStateWrites();
            }
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
            BenchDirectory.delete(floorDirectory);
        }
    }

    /**
     * Prints the trial's summary: the targets as ratios, so a run answers "met or missed" without arithmetic on the
     * JMH table. JMH's own percentiles remain the figures to quote; these histograms also hold the few writes JMH
     * runs untimed while other threads finish an iteration.
     */
    @TearDown(Level.Trial)
    public void tearDownTrial()
    {
        final StringBuilder line = new StringBuilder(256)
            .append("StateWriteUnderLoad sync=").append(sync)
            .append(" encrypted=").append(encrypted)
            .append(" blockSize=").append(blockSize)
            .append(": floor ").append(describe(trialFloorNanos));
        if (trialStateWriteNanos.getTotalCount() > 0 && trialFloorNanos.getTotalCount() > 0)
        {
            line.append("; writeFullState ").append(describe(trialStateWriteNanos))
                .append("; p50 ratio ").append(ratio(
                    trialStateWriteNanos.getValueAtPercentile(50), trialFloorNanos.getValueAtPercentile(50)))
                .append(" (target <= 2), max ratio ").append(ratio(
                    trialStateWriteNanos.getMaxValue(), trialFloorNanos.getMaxValue()))
                .append(" (target <= 3)");
        }
        line.append("; ").append(stateFilesWritten).append(" of ").append(stateCalls)
            .append(" state writes wrote state.db");
        line.append("; up to ").append(maxBlocksCreated).append(" blocks per iteration");
        System.out.println(line);
    }

    /**
     * Appends flat out while state writes run: the load, and the appender half of the targets.
     *
     * @return the sequence, so nothing is eliminated.
     */
    @Benchmark
    @Group("underLoad")
    public long append()
    {
        return store.append(FerriteAppender.SUBJECT, null, payload);
    }

    /**
     * One state write, durable on return, at its slot.
     *
     * @param slot only for its invocation-level setup, which waits for this thread's next slot untimed.
     */
    @Benchmark
    @Group("underLoad")
    public void writeFullState(final StateWriteSlot slot)
    {
        final long start = System.nanoTime();
        store.writeFullState();
        stateWriteNanos.recordValue(System.nanoTime() - start);
    }

    /**
     * The small-file floor beside the state writes.
     *
     * @param slot only for its invocation-level setup, which waits for this thread's next slot untimed.
     * @throws IOException if the disk fails the floor write, which fails the run.
     */
    @Benchmark
    @Group("underLoad")
    public void smallFileFloor(final FloorSlot slot) throws IOException
    {
        timedFloorWrite();
    }

    /**
     * The same appender with no state writes: the baseline for the appender's p99.
     *
     * @return the sequence, so nothing is eliminated.
     */
    @Benchmark
    @Group("noStateWrites")
    public long baselineAppend()
    {
        return store.append(FerriteAppender.SUBJECT, null, payload);
    }

    /**
     * The small-file floor with no state writes, so that the groups differ by the state writes alone.
     *
     * @param slot only for its invocation-level setup, which waits for this thread's next slot untimed.
     * @throws IOException if the disk fails the floor write, which fails the run.
     */
    @Benchmark
    @Group("noStateWrites")
    public void baselineSmallFileFloor(final FloorSlot slot) throws IOException
    {
        timedFloorWrite();
    }

    private void timedFloorWrite() throws IOException
    {
        final long start = System.nanoTime();
        writeFloorFile();
        floorNanos.recordValue(System.nanoTime() - start);
    }

    /**
     * Write, fsync, rename over the previous file, fsync the directory: the calls of
     * {@code StreamDirectory.replaceAtomically} through {@code FileStorageIO}, for a file of
     * {@value #FLOOR_FILE_LENGTH} bytes.
     */
    private void writeFloorFile() throws IOException
    {
        floorContent.clear();
        try (FileChannel channel = FileChannel.open(floorTemp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            while (floorContent.hasRemaining())
            {
                channel.write(floorContent);
            }
            channel.force(true);
        }
        Files.move(floorTemp, floorFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(floorDirectory, StandardOpenOption.READ))
        {
            dir.force(true);
        }
    }

    private static String describe(final Histogram nanos)
    {
        if (0 == nanos.getTotalCount())
        {
            return "no samples";
        }

        return String.format("p50 %.3f ms, p99 %.3f ms, max %.3f ms (%d writes)",
            millis(nanos.getValueAtPercentile(50)), millis(nanos.getValueAtPercentile(99)),
            millis(nanos.getMaxValue()), nanos.getTotalCount());
    }

    private static double millis(final long nanos)
    {
        return nanos / 1e6;
    }

    private static String ratio(final long stateWrite, final long floor)
    {
        return String.format("%.2f", (double)stateWrite / Math.max(1, floor));
    }

    /**
     * Waits, untimed, for the next slot on a grid of {@link System#nanoTime()} shared by every thread of the JVM, so
     * that slots of different threads keep a fixed phase to one another.
     *
     * @param periodNanos the grid's period.
     * @param phaseNanos where in the period this thread's slots fall.
     */
    static void awaitSlot(final long periodNanos, final long phaseNanos)
    {
        final long now = System.nanoTime();
        final long intoPeriod = Math.floorMod(now - phaseNanos, periodNanos);
        if (0 == intoPeriod)
        {
            return;
        }
        final long slot = now + periodNanos - intoPeriod;
        long remaining;
        while ((remaining = slot - System.nanoTime()) > 0)
        {
            LockSupport.parkNanos(remaining);
        }
    }

    /**
     * @return the pacing period in nanoseconds, divided by {@link SmokeScale} in the smoke test.
     */
    static long periodNanos()
    {
        return TimeUnit.MICROSECONDS.toNanos(SmokeScale.scale(PACE_PERIOD_MICROS));
    }

    /**
     * The state writer's slots: at the start of each period. A per-thread state only for its invocation-level setup.
     */
    @State(Scope.Thread)
    public static class StateWriteSlot
    {
        private long periodNanos;

        /**
         * Reads the period once: {@link SmokeScale} looks up a system property.
         */
        @Setup(Level.Trial)
        public void setUp()
        {
            periodNanos = periodNanos();
        }

        /**
         * Sleeps until the next slot; JMH does not time it.
         */
        @Setup(Level.Invocation)
        public void awaitSlot()
        {
            StateWriteUnderLoadBenchmark.awaitSlot(periodNanos, 0);
        }
    }

    /**
     * The floor writer's slots: half a period after the state writer's.
     */
    @State(Scope.Thread)
    public static class FloorSlot
    {
        private long periodNanos;

        /**
         * Reads the period once: {@link SmokeScale} looks up a system property.
         */
        @Setup(Level.Trial)
        public void setUp()
        {
            periodNanos = periodNanos();
        }

        /**
         * Sleeps until the next slot; JMH does not time it.
         */
        @Setup(Level.Invocation)
        public void awaitSlot()
        {
            StateWriteUnderLoadBenchmark.awaitSlot(periodNanos, periodNanos / 2);
        }
    }
}
