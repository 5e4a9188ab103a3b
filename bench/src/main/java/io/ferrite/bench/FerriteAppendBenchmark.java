package io.ferrite.bench;

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
import java.util.concurrent.TimeUnit;

/**
 * Ferrite append, read against {@link AgronaFloorBenchmark} and {@link ChronicleQueueAppendBenchmark} in the same run.
 * <p>
 * A fresh store per iteration: an append-only store grows by about a gigabyte per second here, and one iteration's
 * worth of blocks is what a real stream would be rolling through; block creation (preallocating 8 MiB) is part of the
 * measured cost, as Chronicle's cycle-file creation is part of its.
 */
@State(Scope.Thread)
public class FerriteAppendBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per append. */
    @Param({ "32", "128", "1024", "4096" })
    public int payloadLength;

    private Path directory;
    private FerriteAppender appender;

    /**
     * Opens an empty store for the iteration.
     */
    @Setup(Level.Iteration)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-append");
        appender = new FerriteAppender(directory, Payloads.random(payloadLength));
    }

    /**
     * Closes and deletes the iteration's store.
     */
    @TearDown(Level.Iteration)
    public void tearDown()
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

    /**
     * Appends as fast as possible.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public void throughput()
    {
        appender.append();
    }

    /**
     * Appends, timing each call.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void latency()
    {
        appender.append();
    }
}
