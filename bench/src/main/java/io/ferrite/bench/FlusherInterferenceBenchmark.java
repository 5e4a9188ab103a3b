package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Does the flusher slow appends down? {@code INTERVAL} append latency with the flusher forcing in the background
 * (every 100 ms, the default, and every 1 ms, a flusher that is nearly always busy) against {@code NONE}, where it
 * never forces during the measurement. The target is a p99 within 10 % of {@code NONE}'s: the flusher holds the
 * append lock only to read a few fields, and never while it waits on the disk.
 * <p>
 * A fresh store per iteration, as in {@link FerriteAppendBenchmark}.
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Thread)
public class FlusherInterferenceBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per append. */
    @Param({ "128" })
    public int payloadLength;

    /** {@code NONE}, or {@code INTERVAL-<millis>}. */
    @Param({ "NONE", "INTERVAL-100", "INTERVAL-1" })
    public String sync;

    private Path directory;
    private StreamStore store;
    private byte[] payload;

    /**
     * Opens an empty store for the iteration.
     */
    @Setup(Level.Iteration)
    public void setUp()
    {
        directory = BenchDirectory.create("flusher-interference");
        final StreamConfig.Builder config = StreamConfig.builder("bench");
        if (sync.startsWith("INTERVAL-"))
        {
            config.syncMode(SyncMode.INTERVAL)
                .syncInterval(Duration.ofMillis(Long.parseLong(sync.substring("INTERVAL-".length()))));
        }
        else
        {
            config.syncMode(SyncMode.valueOf(sync));
        }
        store = FileStreamStore.open(directory, config.build());
        payload = Payloads.random(payloadLength);
    }

    /**
     * Closes and deletes the iteration's store.
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

    /**
     * Appends, timing each call.
     *
     * @return the sequence, so nothing is eliminated.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long append()
    {
        return store.append(FerriteAppender.SUBJECT, null, payload);
    }
}
