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
 * The append floor ({@link AgronaFloorAppender}): copy + CRC32C into a preallocated mapped file. Every
 * Ferrite append figure is read against this one, measured in the same run.
 * <p>
 * Two methods run the same append so each mode gets a readable unit: {@code throughput} in ops/s and
 * {@code latency} as a sampled distribution in ns (SampleTime times single invocations, so its
 * percentiles include the timer's own cost, about 20–30 ns here).
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Thread)
public class AgronaFloorBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per append. */
    @Param({ "32", "128", "1024", "4096" })
    public int payloadLength;

    private Path directory;
    private AgronaFloorAppender appender;

    /**
     * Maps a fresh file for the trial.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("floor");
        appender = new AgronaFloorAppender(directory, Payloads.random(payloadLength));
    }

    /**
     * Unmaps and deletes the file.
     */
    @TearDown(Level.Trial)
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
