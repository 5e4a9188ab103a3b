package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a reader asking questions in a loop costs the appender (issue 15, "Cost of state()/numPending() called in a
 * loop by a reader on the appender's p99"): the benchmark thread appends 128 B messages over {@value #SUBJECTS}
 * subjects into a store prefilled with {@value #PREFILL} of them, while one reader thread calls {@link #query}
 * back to back: {@code none} (no reader: the baseline), {@code lastSeq} (lock-free position), {@code state}
 * ({@code state()}), {@code numPending} ({@code numPending(lastSeq / 2, "md.*")}: block summaries and one block
 * scanned), {@code subjects} ({@code subjects("md.*")}), {@code filteredState}
 * ({@code filteredState("md.3", lastSeq / 2)}: a count, then the first and last match searched) and {@code sequenceAt}
 * (the time of a message half way through: a binary search of the blocks, then of one block). SampleTime gives the
 * appender's latency distribution; the reader's queries per second are printed at the end of the trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class QueryInterferenceBenchmark extends BenchmarkDefaults
{
    static final int SUBJECTS = 16;
    static final int PREFILL = 500_000;

    /** What the reader thread asks in its loop. */
    @Param({ "none", "lastSeq", "state", "numPending", "subjects", "filteredState", "sequenceAt" })
    public String query;

    private Path directory;
    private StreamStore store;
    private Thread reader;
    private volatile boolean running;
    private final LongAdder queries = new LongAdder();
    private long startedNanos;
    private final String[] subjects = new String[SUBJECTS];
    private final byte[] payload = Payloads.random(128);
    private int next;
    /** The time of the prefill's middle message, asked by {@code sequenceAt}. */
    private Instant middle;

    /**
     * Opens and prefills the store, then starts the reader.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("query-interference");
        store = FileStreamStore.open(directory, StreamConfig.builder("bench").build());
        for (int i = 0; i < SUBJECTS; i++)
        {
            subjects[i] = "md." + i;
        }
        final int prefill = SmokeScale.scale(PREFILL);
        for (int i = 0; i < prefill; i++)
        {
            store.append(subjects[i % SUBJECTS], null, payload);
        }
        middle = Instant.ofEpochSecond(0, store.load(Math.max(1, prefill / 2)).timestamp());
        running = true;
        startedNanos = System.nanoTime();
        reader = new Thread(this::ask, "bench-query-reader");
        if (!"none".equals(query))
        {
            reader.start();
        }
    }

    private void ask()
    {
        long sink = 0;
        while (running)
        {
            sink += switch (query)
            {
                case "lastSeq" -> store.lastSeq();
                case "state" -> store.state().msgs();
                case "numPending" -> store.numPending(Math.max(1, store.lastSeq() / 2), "md.*");
                case "subjects" -> store.subjects("md.*").size();
                case "filteredState" -> store.filteredState("md.3", Math.max(1, store.lastSeq() / 2)).msgs();
                case "sequenceAt" -> store.sequenceAt(middle);
                default -> throw new IllegalArgumentException("unknown query " + query);
            };
            queries.increment();
        }
        if (sink == Long.MIN_VALUE)
        {
            System.out.println(sink);
        }
    }

    /**
     * Stops the reader, closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        running = false;
        if (reader.isAlive())
        {
            reader.join();
        }
        System.out.printf("%nreader %s: %.0f queries/s over the trial%n", query,
            queries.sum() * 1e9 / Math.max(1, System.nanoTime() - startedNanos));
        try
        {
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * One append, round-robin over the subjects.
     */
    @Benchmark
    public long append()
    {
        final String subject = subjects[next];
        next = (next + 1) % SUBJECTS;
        return store.append(subject, null, payload);
    }
}
