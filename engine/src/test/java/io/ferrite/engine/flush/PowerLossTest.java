package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.agrona.IoUtil;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Durability under simulated power loss ({@link PowerLossIO}): SIGKILL keeps the page cache, so only a model of the
 * disk can show that {@code ALWAYS} appends and {@code flush()} really made data durable.
 * <p>
 * Each cycle opens the store on the previous cycle's power-cut image, with the model as its {@link StorageIO}; runs
 * {@code ALWAYS} appenders (several threads, so commits are grouped), or {@code INTERVAL} (1 ms to 200 ms) or {@code
 * NONE} appenders calling {@code flush()}, with {@code writeFullState()} interleaved by an appender and, in most
 * cycles, called at random moments by a thread of its own — a state that describes block data the disk does not hold
 * yet must never survive a cut, or recovery would trust it; cuts the power once a seeded random number of appends went
 * through; and reopens the image. Plaintext and encrypted streams alike. Every message whose durability was
 * acknowledged before the cut must be present and byte-identical; any sequence up to the recovered last one that is
 * missing must be listed in the recovery report; nothing is ever returned corrupt. Sequences after the recovered last
 * one were never acknowledged, so losing them is allowed (a dropped tail page is indistinguishable from never-written
 * data).
 * <p>
 * The {@code INTERVAL} window is a promise too ({@code StreamConfig.maxUnforcedBytes}, issue 12): each cycle runs
 * under a bound drawn from {@link #BOUNDS}, and of the appends that had returned when the power was cut, those the
 * reopened store lacks must hold at most the bound plus the largest record the cycle's appends can write, counted in
 * record frames (the bytes an append writes into its block). That is exactly what the engine guarantees: before a
 * frame is written, under the append lock, at most the bound is written and not covered by a completed force.
 * <p>
 * {@value #CYCLES_DEFAULT} cycles on one seed per mode by default; with {@code -Psoak}, {@value #CYCLES_SOAK} cycles
 * on each of {@link CampaignSeeds}' seeds; replay a failure with {@code -Dferrite.powerloss.seed=<seed>}.
 */
class PowerLossTest
{
    static final int CYCLES_DEFAULT = 60;
    static final int CYCLES_SOAK = 300;
    private static final long DEFAULT_SEED = 0x0FF_5EEDL;
    private static final int BLOCK_SIZE = 16 * 1024;
    private static final int MAX_PAYLOAD = 900;
    private static final int THREADS = 3;
    private static final long TIMEOUT_SECONDS = 60;
    /**
     * {@code maxUnforcedBytes} per cycle: from one page, which most cycles' appends outrun many times over, to the
     * default, which none reaches. Drawn from a random of its own so the other draws of a seed stay as they were.
     */
    private static final long[] BOUNDS = { 4096, 16 * 1024, 64 * 1024, StreamConfig.MAX_UNFORCED_BYTES_DEFAULT };

    @TempDir
    Path tmp;

    /** Longest pause of the state-writer thread between two state writes: many writes per cycle, at random moments. */
    private static final long STATE_PAUSE_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(3);

    private StreamMode streamMode;

    /** What each appended sequence holds: the subject and payload, recorded when its append returned. */
    private final Map<Long, byte[]> payloads = new ConcurrentHashMap<>();
    private final Map<Long, String> subjects = new ConcurrentHashMap<>();

    static Stream<Arguments> campaigns()
    {
        return CampaignSeeds.perValue(
            StreamMode.values(), "ferrite.powerloss.seed", (mode) -> DEFAULT_SEED + mode.ordinal());
    }

    @ParameterizedTest(name = "{0} seed={1}")
    @MethodSource("campaigns")
    void acknowledgedMessagesSurvivePowerCutsAtRandomMoments(final StreamMode streamMode, final long seed)
        throws Exception
    {
        this.streamMode = streamMode;
        final int cycles =
            Integer.getInteger("ferrite.powerloss.cycles", CampaignSeeds.soak() ? CYCLES_SOAK : CYCLES_DEFAULT);
        final Random random = new Random(seed);
        final Random boundRandom = new Random(~seed);
        Path dir = tmp.resolve("cycle-0");
        long durableHigh = 0;
        long lostReported = 0;
        long rebuilt = 0;
        long tornPages = 0;
        long revertedEntries = 0;
        long acknowledged = 0;
        long intervalCuts = 0;
        long backPressureWaits = 0;
        long closestLoss = 0;
        long closestPromise = 1;
        final long started = System.nanoTime();

        for (int cycle = 1; cycle <= cycles; cycle++)
        {
            final SyncMode mode = SyncMode.values()[random.nextInt(SyncMode.values().length)];
            final Duration interval = Duration.ofMillis(1 + random.nextInt(random.nextBoolean() ? 2 : 200));
            final int appendsBeforeCut = 1 + random.nextInt(cycle % 10 == 0 ? 1500 : 150);
            final int stateEvery = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(40);
            final boolean stateThread = random.nextInt(3) != 0;
            final long bound = BOUNDS[boundRandom.nextInt(BOUNDS.length)];
            final String plan = streamMode + " seed=" + seed + " (-Dferrite.powerloss.seed), cycle " + cycle + "/" +
                cycles + ": " + mode + (mode == SyncMode.INTERVAL ?
                " every " + interval.toMillis() + " ms, maxUnforcedBytes " + bound : "") +
                ", cut after " + appendsBeforeCut + " appends, writeFullState every " + stateEvery +
                (stateThread ? " and from a thread of its own" : "");
            final PowerLossIO io = new PowerLossIO(dir);
            final Path image = tmp.resolve("cycle-" + cycle);
            final AtomicLong acked = new AtomicLong(durableHigh);
            final long high;
            final Map<Long, Integer> appendedBeforeCut;
            try (FileStreamStore store = FileStreamStore.open(dir, config(mode, interval, bound), io))
            {
                final Workload workload =
                    new Workload(store, mode, random.nextLong(), cycle, stateEvery, stateThread, acked);
                workload.start();
                workload.awaitAppends(appendsBeforeCut, plan);
                high = acked.get();
                // Every append in the copy returned before the cut began; one returning meanwhile may be left out,
                // which only leaves less to count against the bound.
                appendedBeforeCut = new HashMap<>(workload.frames);
                io.cut(random, image);
                workload.stop(plan);
                acknowledged += workload.acknowledgedCount();
                backPressureWaits += store.stats().backPressureWaits();
            }
            tornPages += io.pagesTorn();
            revertedEntries += io.entriesReverted();

            final Verified verified;
            try
            {
                verified = verify(image, high, plan);
            }
            catch (final AssertionError ex)
            {
                keepForInspection(dir, image);
                throw ex;
            }
            if (mode == SyncMode.INTERVAL)
            {
                // The promise: the appends the cut took hold at most the bound plus one frame, the largest this
                // cycle's appends can write (the one written when exactly the bound was unforced).
                final long lost = lostFrameBytes(appendedBeforeCut, verified);
                final long promised = bound + largestFrame(cycle);
                assertThat(lost).as("%s: bytes of appended records lost at the cut, against maxUnforcedBytes %d " +
                    "plus one frame of at most %d", plan, bound, promised - bound).isLessThanOrEqualTo(promised);
                intervalCuts++;
                if (lost * closestPromise > closestLoss * promised)
                {
                    closestLoss = lost;
                    closestPromise = promised;
                }
            }
            lostReported += verified.lostReported;
            rebuilt += verified.rebuilt ? 1 : 0;
            durableHigh = verified.lastSeq;
            payloads.keySet().removeIf((seq) -> seq > verified.lastSeq);
            // The verified image is the next cycle's store; the one it was cut from is no longer needed, and a soak
            // of thousands of cycles would otherwise fill the disk with them.
            IoUtil.delete(dir.toFile(), false);
            dir = image;
        }
        System.out.println("PowerLossTest " + streamMode + ": seed=" + seed + ", " + cycles + " cycles in " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms, " + acknowledged +
            " acknowledgements, " + durableHigh + " messages at the end, " + tornPages + " torn pages, " +
            revertedEntries + " directory entries reverted, " + lostReported + " losses reported, " + rebuilt +
            " rebuilds from blocks; " + intervalCuts + " INTERVAL cuts, the closest to its promise lost " +
                closestLoss +
            " of at most " + closestPromise + " bytes of appended frames; " + backPressureWaits +
            " appends waited for the flusher");
        assertThat(durableHigh).as("the workload made progress").isPositive();
    }

    /**
     * With {@code -Dferrite.powerloss.keep=<dir>}, a failing cycle's input and power-cut image are copied there.
     */
    private static void keepForInspection(final Path before, final Path image)
    {
        final String keep = System.getProperty("ferrite.powerloss.keep");
        if (null != keep)
        {
            BlockFiles.copyTree(before, Path.of(keep, "before"));
            BlockFiles.copyTree(image, Path.of(keep, "image"));
        }
    }

    /**
     * @param absent sequences up to {@code lastSeq} the reopened store does not hold.
     */
    private record Verified(long lastSeq, long lostReported, boolean rebuilt, Set<Long> absent)
    {
    }

    /**
     * @return bytes of the frames of {@code appended} (sequence to frame length) the reopened store does not hold.
     */
    private static long lostFrameBytes(final Map<Long, Integer> appended, final Verified verified)
    {
        long lost = 0;
        for (final Map.Entry<Long, Integer> entry : appended.entrySet())
        {
            final long seq = entry.getKey();
            if (seq > verified.lastSeq() || verified.absent().contains(seq))
            {
                lost += entry.getValue();
            }
        }
        return lost;
    }

    /**
     * @return the largest frame an append of cycle {@code cycle} can write: the longest subject and payload.
     */
    private long largestFrame(final int cycle)
    {
        return frameLength(subject(cycle, THREADS - 1), MAX_PAYLOAD);
    }

    private long frameLength(final String subject, final int payloadLength)
    {
        return RecordDescriptor.frameLengthForContent(subject.length() + payloadLength, streamMode.encrypted());
    }

    private static String subject(final int cycle, final int thread)
    {
        return "c" + cycle + ".t" + thread;
    }

    /**
     * Reopen the power-cut image and hold it against what was acknowledged before the cut.
     */
    private Verified verify(final Path image, final long acknowledgedHigh, final String plan)
    {
        final FileStreamStore store;
        try
        {
            store = FileStreamStore.open(image, config(SyncMode.INTERVAL, Duration.ofMillis(1)),
                new PowerLossIO(image));
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError(plan + ": the store did not reopen after the power cut: " + ex, ex);
        }
        try (store)
        {
            final Set<Long> absent = new HashSet<>();
            final RecoveryReport report = store.recoveryReport();
            final long last = store.state().lastSeq();
            final String context = plan + ", acknowledged up to " + acknowledgedHigh + "\nrecovered " +
                store.state() + "\nreport " + report;
            assertThat(last).as("every acknowledged sequence is recovered: %s", context)
                .isGreaterThanOrEqualTo(acknowledgedHigh);
            for (final RecoveryReport.LostRange range : report.lost())
            {
                for (long seq = Math.max(1, range.firstSeq()); seq <= acknowledgedHigh && range.covers(seq); seq++)
                {
                    // A sequence lost (and reported) by an earlier cycle's cut is reported again when a rebuild
                    // scans its block: only a loss of something this run still holds counts.
                    if (payloads.containsKey(seq))
                    {
                        fail("acknowledged sequence " + seq + " reported lost (" + range + "): " + context);
                    }
                }
            }
            for (long seq = 1; seq <= last; seq++)
            {
                final StoredMessage message;
                try
                {
                    message = store.load(seq);
                }
                catch (final CorruptRecordException ex)
                {
                    if (payloads.containsKey(seq))
                    {
                        throw new AssertionError("load(" + seq + ") failed: " + ex + ": " + context, ex);
                    }
                    // Lost (and reported) by an earlier cycle's cut, in a block a later state.db lists as sealed:
                    // a read raises rather than returning the damaged bytes.
                    continue;
                }
                catch (final RuntimeException ex)
                {
                    throw new AssertionError("load(" + seq + ") failed: " + ex + ": " + context, ex);
                }
                if (null == message)
                {
                    if (seq <= acknowledgedHigh && payloads.containsKey(seq))
                    {
                        fail("acknowledged sequence " + seq + " is missing: " + context);
                    }
                    final long missing = seq;
                    if (payloads.containsKey(seq) &&
                        report.lost().stream().noneMatch((range) -> range.covers(missing)))
                    {
                        // Never acknowledged, so it may be lost, but never without a word: a sealed block's lost
                        // tail is proven by the next block's header (its previous last sequence) and reported.
                        fail("sequence " + seq + " was silently dropped (not in the recovery report): " + context);
                    }
                    payloads.remove(seq);
                    absent.add(seq);
                    continue;
                }
                final byte[] expected = payloads.get(seq);
                if (null == expected || !Arrays.equals(expected, message.payload()) ||
                    !subjects.get(seq).equals(message.subject()))
                {
                    fail("sequence " + seq + " holds other bytes than were appended (" +
                        (null == expected ? "nothing recorded" : expected.length + " bytes expected, " +
                        message.payload().length + " found") + "): " + context);
                }
            }
            return new Verified(last, report.lost().size(),
                report.outcome() == RecoveryReport.Outcome.REBUILT_FROM_BLOCKS, absent);
        }
    }

    private StreamConfig config(final SyncMode mode, final Duration interval)
    {
        return config(mode, interval, StreamConfig.MAX_UNFORCED_BYTES_DEFAULT);
    }

    private StreamConfig config(final SyncMode mode, final Duration interval, final long maxUnforcedBytes)
    {
        return streamMode.config(StreamConfig.builder("powerloss").blockSize(BLOCK_SIZE).maxMsgSize(MAX_PAYLOAD + 64)
            .syncMode(mode).syncInterval(interval).maxUnforcedBytes(maxUnforcedBytes));
    }

    /**
     * Appender threads, each recording what every append returned, and acknowledging durability the way the mode
     * does: an {@code ALWAYS} append's return, an {@code INTERVAL} {@code flush()}'s result.
     */
    private final class Workload
    {
        private final FileStreamStore store;
        private final SyncMode mode;
        private final long seed;
        private final int cycle;
        private final int stateEvery;
        private final boolean stateThread;
        private final AtomicLong acked;
        private final AtomicLong appends = new AtomicLong();
        private final AtomicLong acknowledgements = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final List<Throwable> failures = new ArrayList<>();
        /** Every append that returned: its sequence and the bytes of its frame. */
        final Map<Long, Integer> frames = new ConcurrentHashMap<>();

        Workload(final FileStreamStore store, final SyncMode mode, final long seed, final int cycle,
            final int stateEvery, final boolean stateThread, final AtomicLong acked)
        {
            this.stateThread = stateThread;
            this.store = store;
            this.mode = mode;
            this.seed = seed;
            this.cycle = cycle;
            this.stateEvery = stateEvery;
            this.acked = acked;
        }

        void start()
        {
            for (int t = 0; t < THREADS; t++)
            {
                final int thread = t;
                final Thread worker = new Thread(() -> run(thread), "powerloss-appender-" + t);
                worker.setDaemon(true);
                threads.add(worker);
                worker.start();
            }
            if (stateThread)
            {
                final Thread writer = new Thread(this::writeStates, "powerloss-state-writer");
                writer.setDaemon(true);
                threads.add(writer);
                writer.start();
            }
        }

        /**
         * State writes at random moments while the appenders run: each must describe only what the disk holds.
         */
        private void writeStates()
        {
            final Random random = new Random(seed - 1);
            try
            {
                while (running.get())
                {
                    store.writeFullState();
                    LockSupport.parkNanos(1 + (long)(random.nextDouble() * STATE_PAUSE_MAX_NANOS));
                }
            }
            catch (final Throwable ex)
            {
                synchronized (failures)
                {
                    failures.add(ex);
                }
            }
        }

        private void run(final int thread)
        {
            final Random random = new Random(seed + thread);
            final String subject = subject(cycle, thread);
            try
            {
                for (int i = 1; running.get(); i++)
                {
                    final byte[] payload = new byte[random.nextInt(MAX_PAYLOAD + 1)];
                    random.nextBytes(payload);
                    final long seq = store.append(subject, null, payload);
                    frames.put(seq, (int)frameLength(subject, payload.length));
                    payloads.put(seq, payload);
                    subjects.put(seq, subject);
                    appends.incrementAndGet();
                    if (mode == SyncMode.ALWAYS)
                    {
                        acked.accumulateAndGet(seq, Math::max);
                        acknowledgements.incrementAndGet();
                    }
                    else if (random.nextInt(8) == 0)
                    {
                        acked.accumulateAndGet(store.flush().join(), Math::max);
                        acknowledgements.incrementAndGet();
                    }
                    if (thread == 0 && stateEvery > 0 && i % stateEvery == 0)
                    {
                        store.writeFullState();
                    }
                }
            }
            catch (final Throwable ex)
            {
                synchronized (failures)
                {
                    failures.add(ex);
                }
            }
        }

        void awaitAppends(final long count, final String plan)
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (appends.get() < count)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    fail(plan + ": only " + appends.get() + " appends in " + TIMEOUT_SECONDS + " s; " + failures);
                }
                synchronized (failures)
                {
                    if (!failures.isEmpty())
                    {
                        throw new AssertionError(plan + ": an appender failed", failures.get(0));
                    }
                }
                Thread.onSpinWait();
            }
        }

        void stop(final String plan) throws InterruptedException
        {
            running.set(false);
            for (final Thread thread : threads)
            {
                thread.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
                assertThat(thread.isAlive()).as("%s: %s stopped", plan, thread.getName()).isFalse();
            }
            synchronized (failures)
            {
                if (!failures.isEmpty())
                {
                    throw new AssertionError(plan + ": an appender failed", failures.get(0));
                }
            }
        }

        long acknowledgedCount()
        {
            return acknowledgements.get();
        }
    }
}
