package io.ferrite.bench;

import io.ferrite.store.SyncMode;
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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Write-to-read latency across two JVMs, Ferrite against Chronicle Queue measured the same way in the same run (issue
 * 15): this JVM appends messages of {@link #payloadLength} bytes whose first 8 carry {@code System.nanoTime()}, paced
 * to {@link #rate} per second, and a child JVM ({@link CrossProcessFollower}, started with this JVM's {@code java},
 * class path and {@link JvmFlags}) follows the same directory — Ferrite through {@code FileStreamStore.openReadOnly}'s
 * tailer (the mapped {@code positions} file), Chronicle through an {@code ExcerptTailer} — busy-spinning, and records
 * each message's latency into an HdrHistogram. {@code System.nanoTime()} is {@code CLOCK_MONOTONIC} on Linux, shared by
 * every process of the machine. JMH reports the appender's (paced) throughput; the child's histogram of every message
 * sent during the measurement iterations (the warm-up left out) is printed at the trial's end. Ferrite: plaintext,
 * {@code INTERVAL} or {@code NONE}; Chronicle: {@code writeBytes(BytesStore)}. Both readers poll in batches of 64 on
 * their bytes in place.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CrossProcessLatencyBenchmark extends BenchmarkDefaults
{
    /** How long setup waits for the child to say its tailer is ready: a JVM start, with a margin for a busy machine. */
    private static final long CHILD_TIMEOUT_SECONDS = 60;

    /**
     * Which store: {@code ferrite} ({@code INTERVAL}, the default sync mode), {@code ferrite-nosync}
     * ({@code SyncMode.NONE}: no background force and no bound on unforced bytes, as Chronicle Queue forces nothing by
     * default; separates the writer's durability work from the read path) or {@code chronicle}.
     */
    @Param({ "ferrite", "ferrite-nosync", "chronicle" })
    public String store;

    /** Message payload bytes, the send time included. */
    @Param({ "128" })
    public int payloadLength;

    /** Messages per second the appender is paced to; 0 for flat out. */
    @Param({ "100000" })
    public long rate;

    private Path directory;
    private Process child;
    private BufferedReader childOut;
    private StampingAppender appender;
    /** Whether the child was told the measurement began. */
    private boolean measuring;
    /** Messages appended, by the benchmark thread. */
    private long appended;

    /**
     * Opens the store for writing, then starts the following JVM and waits until its tailer is in place.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        directory = BenchDirectory.create("cross-process-latency-" + store);
        appender = switch (store)
        {
            case "ferrite" -> StampingAppender.ferrite(directory, SyncMode.INTERVAL, payloadLength, rate);
            case "ferrite-nosync" -> StampingAppender.ferrite(directory, SyncMode.NONE, payloadLength, rate);
            case "chronicle" -> StampingAppender.chronicle(directory, payloadLength, rate);
            default -> throw new IllegalArgumentException(
                "store must be ferrite, ferrite-nosync or chronicle: " + store);
        };
        try
        {
            startChild();
        }
        catch (final IOException | RuntimeException ex)
        {
            // JMH runs no teardown after a failed setup: close and delete here.
            try
            {
                appender.close();
            }
            finally
            {
                BenchDirectory.delete(directory);
            }
            throw ex;
        }
        appender.startPace();
    }

    private void startChild() throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow(
            () -> new IllegalStateException("cannot tell which java binary runs this JVM")));
        command.addAll(JvmFlags.forkFlags());
        command.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"),
            CrossProcessFollower.class.getName(), null == appender.chronicleQueue() ? "ferrite" : "chronicle",
            directory.toString()));
        child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        childOut = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
        final String line = awaitLine(CrossProcessFollower.READY, CHILD_TIMEOUT_SECONDS);
        if (null == line)
        {
            child.destroyForcibly();
            throw new IllegalStateException("the following JVM ended before its tailer was ready (exit " +
                exitOf(child) + "): " + command);
        }
    }

    /**
     * @return the first line of the child starting with {@code prefix}, or null when it ends first; gives up after
     * {@code timeoutSeconds}.
     */
    private String awaitLine(final String prefix, final long timeoutSeconds) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline)
        {
            if (!childOut.ready() && child.isAlive())
            {
                // Not measured: leave the cores to the child starting up or finishing.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                continue;
            }
            final String line = childOut.readLine();
            if (null == line)
            {
                return null;
            }
            if (line.startsWith(prefix))
            {
                return line;
            }
        }
        child.destroyForcibly();
        throw new IllegalStateException("the following JVM printed no " + prefix + " line in " +
            timeoutSeconds + " s");
    }

    private static String exitOf(final Process process)
    {
        return process.isAlive() ? "?" : Integer.toString(process.exitValue());
    }

    /**
     * Stops the child, prints its histogram, closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException, InterruptedException
    {
        try
        {
            stopChild();
        }
        finally
        {
            try
            {
                appender.close();
            }
            finally
            {
                BenchDirectory.delete(directory);
            }
        }
    }

    /**
     * At the first measurement iteration, tell the child to record from now on.
     */
    @Setup(Level.Iteration)
    public void setUpIteration(final IterationParams iteration) throws IOException
    {
        if (IterationType.MEASUREMENT == iteration.getType() && !measuring)
        {
            measuring = true;
            final OutputStream toChild = child.getOutputStream();
            toChild.write((CrossProcessFollower.MEASURE + " " + System.nanoTime() + "\n")
                .getBytes(StandardCharsets.US_ASCII));
            toChild.flush();
        }
    }

    private void stopChild() throws IOException, InterruptedException
    {
        try (OutputStream stop = child.getOutputStream())
        {
            stop.write((CrossProcessFollower.STOP + " " + appended + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        catch (final IOException ex)
        {
            // The child is gone already; its missing result line says so below.
        }
        // The child may drain for up to its own limit before it answers.
        final String result = awaitLine(CrossProcessFollower.RESULT,
            CrossProcessFollower.DRAIN_TIMEOUT_SECONDS + CHILD_TIMEOUT_SECONDS);
        if (!child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS))
        {
            child.destroyForcibly();
        }
        if (null == result)
        {
            throw new IllegalStateException("the following JVM ended without a result (exit " + exitOf(child) + ")");
        }
        final String[] figures = result.split(" ");
        if (Long.parseLong(figures[8]) < appended)
        {
            throw new IllegalStateException("the following JVM read " + figures[8] + " of the " + appended +
                " messages appended");
        }
        System.out.printf("%ncross-process write-to-read latency, %s, %d B, rate %s/s, %s messages: p50 %s ns, " +
            "p90 %s ns, p99 %s ns, p99.9 %s ns, p99.99 %s ns, max %s ns%n", store, payloadLength,
            rate == 0 ? "flat-out" : Long.toString(rate), figures[1], figures[2], figures[3], figures[4], figures[5],
            figures[6], figures[7]);
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
}
