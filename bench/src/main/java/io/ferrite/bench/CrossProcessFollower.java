package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/**
 * The reading JVM of {@link CrossProcessLatencyBenchmark}: follows a stream another JVM appends to — Ferrite through
 * {@link FileStreamStore#openReadOnly(Path)}'s tailer, Chronicle Queue through an {@code ExcerptTailer} on the same
 * queue directory — busy-spinning, and records per message the time from the send stamp in its first 8 payload bytes
 * to the moment this process holds it. {@code System.nanoTime()} is {@code CLOCK_MONOTONIC} on Linux, one clock for
 * every process of the machine, so the two JVMs' readings subtract.
 * <p>
 * Protocol on stdout/stdin: prints {@value #READY} once its tailer exists; a stdin line {@value #MEASURE} followed by
 * a {@code System.nanoTime()} reading makes it record only messages sent from then on (the parent's measurement
 * iterations, not the warm-up, when this JVM's code is still being compiled and falls behind); it stops at any other
 * line or the end of stdin (the parent gone) at once, and after a line {@value #STOP} followed by the number of
 * messages the parent appended once it read that many (at most a minute more), so a backlog is measured and not
 * dropped; then prints {@value #RESULT} followed by the count recorded, the p50, p90, p99, p99.9, p99.99 and max
 * latencies in nanoseconds and the count received, and exits.
 * <p>
 * Threading: the main thread polls and records; one daemon thread watches stdin.
 */
public final class CrossProcessFollower
{
    /** Printed once the tailer is in place: messages appended from then on are all seen. */
    public static final String READY = "READY";

    /** Prefix of the stdin line that asks to stop once the count of messages after it were read. */
    public static final String STOP = "STOP";

    /** How long the reading goes on after a stop was asked, to read what the parent appended. */
    public static final long DRAIN_TIMEOUT_SECONDS = 60;

    private static final long DRAIN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(DRAIN_TIMEOUT_SECONDS);

    /** Prefix of the stdin line that starts the measurement. */
    public static final String MEASURE = "MEASURE";

    /** Prefix of the result line. */
    public static final String RESULT = "RESULT";

    private static final int BATCH = 64;

    private final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    /** Set with {@link #measuredFrom} by the {@value #MEASURE} line. */
    private volatile boolean measuring;
    /** Messages sent before this {@code System.nanoTime()} reading are not recorded. */
    private volatile long measuredFrom;
    /** How many messages to read before stopping: unbounded until the parent says ({@value #STOP}). */
    private volatile long stopAt = Long.MAX_VALUE;
    /** When a stop was asked: the reading gives up a drain that takes longer than {@link #DRAIN_TIMEOUT_NANOS}. */
    private volatile long stopAskedAt;
    /** Messages received, recorded or not; main thread only. */
    private long received;

    private CrossProcessFollower()
    {
    }

    /**
     * @param args {@code ferrite|chronicle} and the stream or queue directory.
     */
    public static void main(final String[] args)
    {
        if (args.length != 2)
        {
            throw new IllegalArgumentException("usage: CrossProcessFollower ferrite|chronicle <directory>");
        }
        final CrossProcessFollower follower = new CrossProcessFollower();
        follower.stopOnStdin();
        final Path directory = Paths.get(args[1]);
        switch (args[0])
        {
            case "ferrite" -> follower.followFerrite(directory);
            case "chronicle" -> follower.followChronicle(directory);
            default -> throw new IllegalArgumentException("store must be ferrite or chronicle: " + args[0]);
        }
        follower.printResult(System.out);
        // The stores' own threads (Chronicle's, Ferrite's) must not keep this JVM alive once the result is out.
        System.exit(0);
    }

    private void stopOnStdin()
    {
        final Thread watcher = new Thread(() ->
        {
            try
            {
                final BufferedReader in =
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
                for (String line = in.readLine(); null != line; line = in.readLine())
                {
                    if (line.startsWith(MEASURE))
                    {
                        measuredFrom = Long.parseLong(line.substring(MEASURE.length()).trim());
                        measuring = true;
                    }
                    else if (line.startsWith(STOP))
                    {
                        stopAskedAt = System.nanoTime();
                        stopAt = Long.parseLong(line.substring(STOP.length()).trim());
                        return;
                    }
                    else
                    {
                        break;
                    }
                }
            }
            catch (final IOException ignored)
            {
                // stdin gone: the same as being asked to stop
            }
            stopAskedAt = System.nanoTime();
            stopAt = 0;
        }, "follower-stdin");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void followFerrite(final Path directory)
    {
        final MessageHandler handler = this::onFerriteMessage;
        try (StreamView view = FileStreamStore.openReadOnly(directory);
            StreamTailer tailer = view.createTailer(1))
        {
            ready();
            while (running())
            {
                tailer.poll(handler, BATCH);
            }
        }
    }

    private void onFerriteMessage(final MessageView message)
    {
        record(message.buffer().getLong(message.payloadOffset(), ByteOrder.LITTLE_ENDIAN));
    }

    private void followChronicle(final Path directory)
    {
        try (ChronicleQueue queue = SingleChronicleQueueBuilder.binary(directory).build();
            ExcerptTailer tailer = queue.createTailer())
        {
            ready();
            while (running())
            {
                for (int i = 0; i < BATCH; i++)
                {
                    try (DocumentContext document = tailer.readingDocument())
                    {
                        if (!document.isPresent())
                        {
                            break;
                        }
                        final Bytes<?> bytes = document.wire().bytes();
                        record(bytes.readLong(bytes.readPosition()));
                    }
                }
            }
        }
    }

    /**
     * @return whether to go on reading: no stop asked, or fewer messages read than the parent appended and the drain
     * not yet over time.
     */
    private boolean running()
    {
        final long limit = stopAt;
        return received < limit && (limit == Long.MAX_VALUE || System.nanoTime() - stopAskedAt < DRAIN_TIMEOUT_NANOS);
    }

    private static void ready()
    {
        System.out.println(READY);
        System.out.flush();
    }

    private void record(final long sentNanos)
    {
        received++;
        if (!measuring || sentNanos - measuredFrom < 0)
        {
            return;
        }
        histogram.recordValue(Math.min(System.nanoTime() - sentNanos, histogram.getHighestTrackableValue()));
    }

    private void printResult(final PrintStream out)
    {
        out.println(RESULT + " " + histogram.getTotalCount() + " " + histogram.getValueAtPercentile(50) + " " +
            histogram.getValueAtPercentile(90) + " " + histogram.getValueAtPercentile(99) + " " +
            histogram.getValueAtPercentile(99.9) + " " + histogram.getValueAtPercentile(99.99) + " " +
            histogram.getMaxValue() + " " + received);
        out.flush();
    }
}
