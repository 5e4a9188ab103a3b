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
 * The peer Ferrite's append is judged against ({@link ChronicleQueueAppender}): one excerpt per call,
 * written from preallocated native memory. The design target is at least 2× this throughput at 128 B,
 * measured in the same run.
 * <p>
 * A fresh queue per iteration: Chronicle's cycle file only grows, and at 4 KiB payloads one trial would
 * otherwise leave gigabytes behind; creating it is setup, outside the measurement.
 * <p>
 * Two methods run the same append so each mode gets a readable unit (ops/s and ns). JMH subclasses
 * benchmark classes, so this one cannot be final.
 */
@State(Scope.Thread)
public class ChronicleQueueAppendBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per append. */
    @Param({ "32", "128", "1024", "4096" })
    public int payloadLength;

    private Path directory;
    private ChronicleQueueAppender appender;

    /**
     * Builds a fresh queue on the benchmark thread, which Chronicle binds the appender to, and appends
     * once: Chronicle creates the cycle file on the first write, and that belongs to setup, not to the
     * first measured op.
     */
    @Setup(Level.Iteration)
    public void setUp()
    {
        directory = BenchDirectory.create("chronicle-queue");
        appender = new ChronicleQueueAppender(directory, Payloads.random(payloadLength));
        appender.append();
    }

    /**
     * Closes the queue and deletes its files.
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
