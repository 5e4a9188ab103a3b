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
 * Chronicle Bytes' raw {@code MappedBytes} append ({@link ChronicleBytesAppender}): the layer under
 * Chronicle Queue, over a preallocated file that wraps like the floor's. Read against
 * {@link AgronaFloorBenchmark} it shows what Chronicle's checked copy costs; read against
 * {@link ChronicleQueueAppendBenchmark} it shows what the queue adds on top.
 * <p>
 * Two methods run the same append so each mode gets a readable unit (ops/s and ns). JMH subclasses
 * benchmark classes, so this one cannot be final.
 */
@State(Scope.Thread)
public class ChronicleBytesAppendBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per append. */
    @Param({ "32", "128", "1024", "4096" })
    public int payloadLength;

    private Path directory;
    private ChronicleBytesAppender appender;

    /**
     * Maps a fresh file for the trial; it wraps, so one is enough.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("chronicle-bytes");
        appender = new ChronicleBytesAppender(directory, Payloads.random(payloadLength));
    }

    /**
     * Releases the mapping and deletes the file.
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
