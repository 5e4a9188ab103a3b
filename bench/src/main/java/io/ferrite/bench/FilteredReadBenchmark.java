package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
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

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Filtered reads over a sparse subject: {@code loadNext}, {@code numPending} and {@code sequenceAt} against what a
 * store without per-block subject summaries or time ranges has to do instead.
 * <p>
 * The store holds {@link #messages} messages of 128 B in 8 MiB blocks (the default). 0.1 % of them have the subject
 * {@value #RARE}, the rest rotate over {@value #OTHER_SUBJECTS} subjects {@code orders.<n>}. A plaintext record of that
 * shape is 184 B, so a block holds about 45,000 messages. Where the rare messages sit decides what summaries can skip:
 * <ul>
 *     <li>{@code even}: one every 1,000 messages. Every block holds about 45 of them, so no block can be skipped and
 *     the figures measure how cheaply the engine steps through a block's records;</li>
 *     <li>{@code clustered}: the same count in {@value #BURSTS} bursts of consecutive messages, one burst in the middle
 *     of every tenth of the stream, so about half the blocks hold none and a summary can rule them out.</li>
 * </ul>
 * Every message is written with {@code appendAt} at a known time, {@value #TIME_STEP_NANOS} ns apart, so that
 * {@code sequenceAt}'s answer is known. Setup checks the engine's and the baselines' answers against the layout
 * before anything is measured: a fast wrong answer must fail the run, not publish a figure.
 * <p>
 * Each operation starts from the next sequence (or instant) of a rotating golden-ratio sequence: consecutive starts
 * spread evenly over the stream, so even an iteration of a dozen slow full scans averages over the whole layout
 * instead of over wherever a dozen random draws fell. The engine and its baseline get the same starts in the same
 * order.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FilteredReadBenchmark extends BenchmarkDefaults
{
    /** The sparse subject. */
    public static final String RARE = "rare.x";

    /** A filter that matches only {@link #RARE}, but through the wildcard path. */
    public static final String RARE_WILDCARD = "rare.*";

    /** One message in this many has the subject {@link #RARE}: 0.1 %. */
    public static final int RARE_EVERY = 1000;

    /** Subjects {@code orders.0} to {@code orders.99} share the other 99.9 %. */
    public static final int OTHER_SUBJECTS = 100;

    /** Bursts of the {@code clustered} layout: fewer bursts than blocks, so some blocks hold no rare message. */
    public static final int BURSTS = 10;

    /** The fractional part of the golden ratio: successive multiples modulo 1 are as evenly spread as any can be. */
    private static final double GOLDEN_FRACTION = 0.6180339887498949;

    /** 1 µs between messages: a million messages span one second of stream time. */
    public static final long TIME_STEP_NANOS = 1000;

    /** The first message's time; fixed so that every run stores the same bytes. */
    public static final long FIRST_TIME_NANOS = epochNanos(Instant.parse("2026-11-26T00:00:00Z"));

    /** Random starts and instants whose answers setup checks, besides the edges. */
    private static final int VERIFIED_STARTS = 16;

    /** Messages in the store, before the smoke test's {@link SmokeScale} divisor. */
    @Param({ "1000000" })
    public int messages;

    /** Whether records are sealed with AES-GCM, so every record the engine verifies is also decrypted. */
    @Param({ "false", "true" })
    public boolean encrypted;

    /** Where the rare messages sit: {@code even} or {@code clustered}. */
    @Param({ "even", "clustered" })
    public String layout;

    private Path directory;
    private StreamStore store;
    private long count;
    private long[] rareSeqs;
    private double startPhase;
    private double timePhase = 0.5;

    /**
     * Writes the messages once per trial and checks the answers every benchmark will get.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        count = SmokeScale.scale(messages);
        rareSeqs = rareSeqs(layout, count);
        directory = BenchDirectory.create("ferrite-filtered-read");
        final StreamConfig.Builder config = StreamConfig.builder("bench");
        store = FileStreamStore.open(directory, encrypted ? config.encryptionKey(Payloads.random(32)).build() :
            config.build());

        final String[] others = new String[OTHER_SUBJECTS];
        for (int i = 0; i < OTHER_SUBJECTS; i++)
        {
            others[i] = "orders." + i;
        }
        final byte[] payload = Payloads.random(128);
        int nextRare = 0;
        for (long seq = 1; seq <= count; seq++)
        {
            final boolean rare = nextRare < rareSeqs.length && rareSeqs[nextRare] == seq;
            final String subject = rare ? RARE : others[(int)(seq % OTHER_SUBJECTS)];
            store.appendAt(seq, timeOf(seq), subject, null, payload);
            nextRare += rare ? 1 : 0;
        }
        // Durable before measuring, so the flusher's forces of the setup's writes land in no iteration.
        store.flush().join();

        verify();
    }

    /**
     * Closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            if (null != store)
            {
                store.close();
            }
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * The engine's filtered read of a literal subject: per-block summaries rule out blocks without it.
     */
    @Benchmark
    public StoredMessage ferriteLoadNextSparse()
    {
        return store.loadNext(RARE, nextStart());
    }

    /**
     * The same answer as {@link #ferriteLoadNextSparse()} without summaries: load every message from the start until
     * one has the subject, as a store that only knows sequences must.
     */
    @Benchmark
    public StoredMessage fullScanBaseline()
    {
        return scanNext(nextStart());
    }

    /**
     * The engine's filtered read through a wildcard filter that matches only the rare subject.
     */
    @Benchmark
    public StoredMessage ferriteLoadNextWildcard()
    {
        return store.loadNext(RARE_WILDCARD, nextStart());
    }

    /**
     * How many rare messages remain from the next start.
     */
    @Benchmark
    public long numPendingSparse()
    {
        return store.numPending(nextStart(), RARE);
    }

    /**
     * The first sequence at or after the next instant, from the blocks' time ranges.
     */
    @Benchmark
    public long sequenceAt()
    {
        return store.sequenceAt(instantOf(nextTime()));
    }

    /**
     * The same answer as {@link #sequenceAt()} without time ranges: a binary search that loads a message per probe
     * (about 20 loads for a million messages). It relies on this store having no gaps, which a real store cannot.
     */
    @Benchmark
    public long sequenceAtBaseline()
    {
        return searchTime(nextTime());
    }

    private long nextStart()
    {
        startPhase = rotate(startPhase);
        return 1 + (long)(startPhase * count);
    }

    private long nextTime()
    {
        timePhase = rotate(timePhase);
        return FIRST_TIME_NANOS + (long)(timePhase * (timeOf(count) - FIRST_TIME_NANOS + 1));
    }

    private static double rotate(final double phase)
    {
        final double next = phase + GOLDEN_FRACTION;
        return next >= 1.0 ? next - 1.0 : next;
    }

    private StoredMessage scanNext(final long fromSeq)
    {
        for (long seq = fromSeq; seq <= count; seq++)
        {
            final StoredMessage message = store.load(seq);
            if (null != message && RARE.equals(message.subject()))
            {
                return message;
            }
        }

        return null;
    }

    private long searchTime(final long timeNanos)
    {
        long low = 1;
        long high = count + 1;
        while (low < high)
        {
            final long mid = (low + high) >>> 1;
            if (store.load(mid).timestamp() < timeNanos)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    /**
     * Compares every benchmark's answer with the one the layout dictates: at the edges (the first and last rare
     * message, either side of them, both ends of the stream) and from seeded random starts and instants. Few of them:
     * on an encrypted stream one filtered call can decrypt a block's worth of records.
     */
    private void verify()
    {
        final long firstRare = rareSeqs[0];
        final long lastRare = rareSeqs[rareSeqs.length - 1];
        final long[] starts = { 1, firstRare - 1, firstRare, firstRare + 1, lastRare, lastRare + 1, count };
        final SplittableRandom draws = new SplittableRandom(~Payloads.SEED);
        for (int i = 0; i < starts.length + VERIFIED_STARTS; i++)
        {
            final long from = i < starts.length ? Math.max(1, Math.min(count, starts[i])) : 1 + draws.nextLong(count);
            final int next = firstRareAtOrAfter(from);
            final long expectedSeq = next < rareSeqs.length ? rareSeqs[next] : 0;
            check("loadNext(" + RARE + ", " + from + ")", expectedSeq, seqOf(store.loadNext(RARE, from)));
            check("loadNext(" + RARE_WILDCARD + ", " + from + ")", expectedSeq,
                seqOf(store.loadNext(RARE_WILDCARD, from)));
            check("numPending(" + from + ", " + RARE + ")", rareSeqs.length - next, store.numPending(from, RARE));
            check("scan from " + from, expectedSeq, seqOf(scanNext(from)));
        }

        final long lastTime = timeOf(count);
        for (int i = 0; i < VERIFIED_STARTS; i++)
        {
            final long time = i == 0 ? FIRST_TIME_NANOS : i == 1 ? lastTime :
                FIRST_TIME_NANOS + draws.nextLong(lastTime - FIRST_TIME_NANOS + 1);
            final long expectedAt = 1 + Math.floorDiv(time - FIRST_TIME_NANOS + TIME_STEP_NANOS - 1, TIME_STEP_NANOS);
            check("sequenceAt(" + instantOf(time) + ")", expectedAt, store.sequenceAt(instantOf(time)));
            check("binary search for " + time, expectedAt, searchTime(time));
        }
        check("sequenceAt(before the first message)", 1, store.sequenceAt(instantOf(FIRST_TIME_NANOS - 1)));
        check("sequenceAt(after the last message)", count + 1, store.sequenceAt(instantOf(lastTime + 1)));
    }

    private int firstRareAtOrAfter(final long seq)
    {
        final int found = Arrays.binarySearch(rareSeqs, seq);
        return found >= 0 ? found : -found - 1;
    }

    private void check(final String what, final long expected, final long actual)
    {
        if (expected != actual)
        {
            throw new IllegalStateException(what + " returned " + actual + ", expected " + expected + " (layout " +
                layout + ", encrypted " + encrypted + ", " + count + " messages in " + directory + ")");
        }
    }

    private static long seqOf(final StoredMessage message)
    {
        return null == message ? 0 : message.seq();
    }

    private static long timeOf(final long seq)
    {
        return FIRST_TIME_NANOS + (seq - 1) * TIME_STEP_NANOS;
    }

    private static Instant instantOf(final long epochNanos)
    {
        return Instant.ofEpochSecond(0, epochNanos);
    }

    private static long epochNanos(final Instant instant)
    {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }

    /**
     * @return the ascending sequences of the rare messages among {@code count}: one in {@link #RARE_EVERY}, at least
     * one.
     */
    static long[] rareSeqs(final String layout, final long count)
    {
        final int rare = (int)Math.max(1, count / RARE_EVERY);
        final long[] seqs = new long[rare];
        switch (layout)
        {
            case "even":
                // The middle of every stretch of RARE_EVERY, so no start is ever far from the next one.
                final long spacing = count / rare;
                for (int i = 0; i < rare; i++)
                {
                    seqs[i] = 1 + i * spacing + spacing / 2;
                }
                break;

            case "clustered":
                // Consecutive runs in the middle of each tenth: a start lands half a tenth from a burst on average.
                final int bursts = Math.min(BURSTS, rare);
                final long period = count / bursts;
                for (int i = 0; i < rare; i++)
                {
                    final int burst = (int)((long)i * bursts / rare);
                    final int firstOfBurst = (int)(((long)burst * rare + bursts - 1) / bursts);
                    seqs[i] = 1 + burst * period + period / 2 + (i - firstOfBurst);
                }
                break;

            default:
                throw new IllegalArgumentException("layout must be even or clustered: " + layout);
        }

        return seqs;
    }
}
