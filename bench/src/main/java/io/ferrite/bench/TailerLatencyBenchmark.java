package io.ferrite.bench;

import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SyncMode;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
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

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Write-to-read latency in one process, Ferrite's {@code StreamTailer} against Chronicle Queue's {@code ExcerptTailer}
 * measured the same way in the same run: the benchmark thread appends messages of {@link #payloadLength} bytes whose
 * first 8 carry {@code System.nanoTime()} (paced to {@link #rate} per second, or flat out with 0), and one follower
 * thread busy-spins on its tailer and records, per message, the time from just before the append to the moment the
 * follower holds it, into an HdrHistogram. JMH reports the appender's throughput; the histogram of every message
 * appended during the measurement iterations is printed at the trial's end (the teardown lets the follower read every
 * message appended before it stops it). Messages of the warm-up are left out: while the follower's code is still
 * interpreted or being compiled it falls behind, and the backlog it then drains would be reported as the steady
 * state's tail. The {@code floor} is a hand-over through memory only ({@link MemoryHandover}: the message copied into
 * a ring of fixed slots, a position published, the slot read in place, nothing framed, checksummed or zeroed): what
 * two threads cost on the machine before any store's work, at a paced rate; flat out its appender outruns the follower
 * and fills the ring, so it measures the ring's queue instead. Ferrite: plaintext, {@link #syncMode}
 * ({@code INTERVAL} unless told), {@code poll(handler, 64)} on a zero-copy view; Chronicle:
 * {@code writeBytes(BytesStore)}, {@code readingDocument()} on its bytes in place.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TailerLatencyBenchmark extends BenchmarkDefaults
{
    /** How long the teardown waits for the follower to read what was appended. */
    private static final long DRAIN_TIMEOUT_SECONDS = 60;

    /** Which store: {@code ferrite}, {@code chronicle}, or {@code floor} (a hand-over through memory only). */
    @Param({ "ferrite", "chronicle", "floor" })
    public String store;

    /** Message payload bytes, the send time included. */
    @Param({ "128", "1024" })
    public int payloadLength;

    /** Messages per second the appender is paced to; 0 for flat out. */
    @Param({ "100000", "0" })
    public long rate;

    /** Ferrite's sync mode; {@code NONE} shows what the flusher's forces cost the follower. */
    @Param({ "INTERVAL" })
    public SyncMode syncMode;

    private Path directory;
    private Thread follower;
    private volatile boolean running;
    /** Set with {@link #measuredFrom} at the first measurement iteration. */
    private volatile boolean measuring;
    /** When the first measurement iteration began: the follower records only messages sent from then on. */
    private volatile long measuredFrom;
    /** Messages appended, by the benchmark thread. */
    private long appended;
    /** Messages the follower received (recorded or not), published after each poll for the teardown's drain. */
    private final AtomicLong received = new AtomicLong();
    /** The follower's own count. */
    private long receivedByFollower;
    private final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    private StampingAppender appender;

    /**
     * Opens the store and starts the follower thread.
     */
    @Setup(Level.Trial)
    public void setUp() throws InterruptedException
    {
        directory = BenchDirectory.create("tailer-latency-" + store);
        running = true;
        switch (store)
        {
            case "ferrite" -> startFerrite();
            case "chronicle" -> startChronicle();
            case "floor" -> startFloor();
            default -> throw new IllegalArgumentException("store must be ferrite, chronicle or floor: " + store);
        }
        appender.startPace();
    }

    private void startFerrite()
    {
        appender = StampingAppender.ferrite(directory, syncMode, payloadLength, rate);
        final StreamTailer tailer = appender.ferriteStore().createTailer(1);
        final MessageHandler handler = this::onFerriteMessage;
        follower = new Thread(() ->
        {
            try (tailer)
            {
                while (running)
                {
                    tailer.poll(handler, 64);
                    received.lazySet(receivedByFollower);
                }
            }
        }, "bench-ferrite-tailer");
        follower.start();
    }

    private void startFloor()
    {
        appender = StampingAppender.floor(payloadLength, rate);
        final MemoryHandover handover = appender.floorHandover();
        final MemoryHandover.SlotHandler handler = (buffer, offset) ->
            record(buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN));
        follower = new Thread(() ->
        {
            while (running)
            {
                handover.poll(handler, 64);
                received.lazySet(receivedByFollower);
            }
        }, "bench-floor-tailer");
        follower.start();
    }

    private void startChronicle() throws InterruptedException
    {
        appender = StampingAppender.chronicle(directory, payloadLength, rate);
        final ChronicleQueue queue = appender.chronicleQueue();
        // Chronicle's tailers are single-threaded: made on the thread that uses them, which then says it is ready.
        final Object ready = new Object();
        final boolean[] started = new boolean[1];
        follower = new Thread(() ->
        {
            try (ExcerptTailer tailer = queue.createTailer())
            {
                synchronized (ready)
                {
                    started[0] = true;
                    ready.notifyAll();
                }
                while (running)
                {
                    readChronicle(tailer);
                    received.lazySet(receivedByFollower);
                }
            }
        }, "bench-chronicle-tailer");
        follower.start();
        synchronized (ready)
        {
            while (!started[0])
            {
                ready.wait();
            }
        }
    }

    private void readChronicle(final ExcerptTailer tailer)
    {
        for (int i = 0; i < 64; i++)
        {
            try (DocumentContext document = tailer.readingDocument())
            {
                if (!document.isPresent())
                {
                    return;
                }
                final Bytes<?> bytes = document.wire().bytes();
                record(bytes.readLong(bytes.readPosition()));
            }
        }
    }

    /**
     * Record from the first measurement iteration on.
     */
    @Setup(Level.Iteration)
    public void setUpIteration(final IterationParams iteration)
    {
        if (IterationType.MEASUREMENT == iteration.getType() && !measuring)
        {
            measuredFrom = System.nanoTime();
            measuring = true;
        }
    }

    /**
     * Stops the follower, prints the histogram, closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        // Every message appended is recorded before the follower stops: a backlog left unread would drop the slowest.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_TIMEOUT_SECONDS);
        while (received.get() < appended && System.nanoTime() - deadline < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        running = false;
        follower.join();
        try
        {
            appender.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
        if (received.get() < appended)
        {
            throw new IllegalStateException("the follower received " + received.get() + " of " + appended +
                " messages in " + DRAIN_TIMEOUT_SECONDS + " s after the last iteration");
        }
        System.out.printf("%nwrite-to-read latency, %s, %d B, rate %s/s, %d messages: p50 %d ns, p90 %d ns, " +
            "p99 %d ns, p99.9 %d ns, p99.99 %d ns, max %d ns%n", store, payloadLength,
            rate == 0 ? "flat-out" : Long.toString(rate), histogram.getTotalCount(),
            histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90),
            histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9),
            histogram.getValueAtPercentile(99.99), histogram.getMaxValue());
    }

    /**
     * One append, paced.
     */
    @Benchmark
    public long append()
    {
        appended++;
        return appender.append();
    }

    private void onFerriteMessage(final MessageView view)
    {
        record(view.buffer().getLong(view.payloadOffset(), ByteOrder.LITTLE_ENDIAN));
    }

    private void record(final long sentNanos)
    {
        receivedByFollower++;
        if (!measuring || sentNanos - measuredFrom < 0)
        {
            return;
        }
        histogram.recordValue(Math.min(System.nanoTime() - sentNanos, histogram.getHighestTrackableValue()));
    }
}
