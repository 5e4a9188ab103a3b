package io.ferrite.bench;

import io.ferrite.store.MessageHandler;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SyncMode;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What following tailers cost the appender (issue 15: "appender throughput/latency with 0, 1 and 4 tailers
 * following; tailers must not slow the appender by more than 10 %"): the benchmark thread appends 128 B messages
 * while {@link #tailers} tailer threads follow it, each polling batches of 64 and idling with Agrona's
 * {@link BackoffIdleStrategy} when nothing is new (so, on a machine with fewer cores than threads, the tailers yield
 * rather than take the appender's core by spinning). Throughput; run it with {@code -bm sample -tu ns} for the
 * latency distribution. Messages the tailers received are printed per trial.
 * <p>
 * {@link #store} {@code chronicle} is the peer measured the same way: Chronicle Queue's {@code writeBytes} appender
 * ({@link ChronicleQueueAppender}) with {@link #tailers} {@code ExcerptTailer}s, each made on its own thread and
 * reading up to 64 documents in place per turn of the same idle loop — so a ratio to 0 tailers can be read against the
 * peer's on the same cores, not against a machine with a core per thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TailerInterferenceBenchmark extends BenchmarkDefaults
{
    /** The store under test: {@code ferrite} or {@code chronicle}. */
    @Param({ "ferrite", "chronicle" })
    public String store;

    /** Tailer threads following the appender. */
    @Param({ "0", "1", "4" })
    public int tailers;

    /** The stream's sync mode (Ferrite only); {@code NONE} shows what the flusher's forces add to the tailers' cost. */
    @Param({ "INTERVAL" })
    public SyncMode syncMode;

    private Path directory;
    private AppendTarget target;
    private StreamStore stream;
    private ChronicleQueue queue;
    private final List<Thread> followers = new ArrayList<>();
    private final LongAdder received = new LongAdder();
    private volatile boolean running;
    private final byte[] payload = Payloads.random(128);

    /**
     * Opens the store and starts the tailers.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("tailer-interference");
        switch (store)
        {
            case "ferrite" ->
            {
                final FerriteAppender ferrite = new FerriteAppender(directory, payload, syncMode);
                stream = ferrite.store();
                target = ferrite;
            }
            case "chronicle" ->
            {
                final ChronicleQueueAppender chronicle = new ChronicleQueueAppender(directory, payload);
                queue = chronicle.queue();
                target = chronicle;
            }
            default -> throw new IllegalArgumentException("store must be ferrite or chronicle: " + store);
        }
        running = true;
        for (int i = 0; i < tailers; i++)
        {
            final Runnable follow;
            if (null != stream)
            {
                final StreamTailer tailer = stream.createTailer(1);
                follow = () -> follow(tailer);
            }
            else
            {
                follow = this::followChronicle;
            }
            final Thread follower = new Thread(follow, "bench-tailer-" + i);
            followers.add(follower);
            follower.start();
        }
    }

    private void followChronicle()
    {
        final IdleStrategy idle = new BackoffIdleStrategy();
        long count = 0;
        // Made here: a Chronicle tailer is bound to the thread that uses it.
        try (ExcerptTailer tailer = queue.createTailer())
        {
            while (running)
            {
                int read = 0;
                while (read < 64)
                {
                    try (DocumentContext document = tailer.readingDocument())
                    {
                        if (!document.isPresent())
                        {
                            break;
                        }
                        read++;
                    }
                }
                count += read;
                idle.idle(read);
            }
        }
        received.add(count);
    }

    private void follow(final StreamTailer tailer)
    {
        final IdleStrategy idle = new BackoffIdleStrategy();
        final long[] count = new long[1];
        final MessageHandler handler = (view) -> count[0]++;
        try (tailer)
        {
            while (running)
            {
                idle.idle(tailer.poll(handler, 64));
            }
        }
        received.add(count[0]);
    }

    /**
     * Stops the tailers, closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        running = false;
        for (final Thread follower : followers)
        {
            follower.join();
        }
        final long appended = null != stream ? stream.lastSeq() : -1;
        try
        {
            target.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
        System.out.printf("%n%d tailer(s) received %d of %s messages each on average%n", tailers,
            tailers == 0 ? 0 : received.sum() / tailers, appended < 0 ? "the" : String.valueOf(appended));
    }

    /**
     * One append of 128 B.
     */
    @Benchmark
    public void append()
    {
        target.append();
    }
}
