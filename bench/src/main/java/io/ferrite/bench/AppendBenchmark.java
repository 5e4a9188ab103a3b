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
 * One append benchmark for every store compared: a subclass names the store and opens its {@link AppendTarget}; the
 * measured code, payloads and lifecycle are the same for all, so their figures compare like with like.
 * <p>
 * A fresh target per iteration: the growing stores (Chronicle Queue, Ferrite) add about a gigabyte per second here,
 * and one iteration's worth is what a real one would be rolling through. One append in setup takes each store's
 * first-write costs (Chronicle creates its cycle file then) out of the first measured op. Two methods run the same
 * append so each mode gets a readable unit; SampleTime times single calls, so its percentiles include the timer's own
 * ~20–30 ns.
 */
@State(Scope.Thread)
public abstract class AppendBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per append. */
    @Param({ "32", "128", "1024", "4096" })
    public int payloadLength;

    private Path directory;
    private AppendTarget target;

    /**
     * @return a short name for the store's temporary directory.
     */
    protected abstract String storeName();

    /**
     * @return the store, opened in an empty directory, appending {@code payload}.
     */
    protected abstract AppendTarget open(Path directory, byte[] payload);

    /**
     * Opens an empty store for the iteration and appends once.
     */
    @Setup(Level.Iteration)
    public void setUp()
    {
        directory = BenchDirectory.create(storeName());
        target = open(directory, Payloads.random(payloadLength));
        target.append();
    }

    /**
     * Closes the store and deletes its files.
     */
    @TearDown(Level.Iteration)
    public void tearDown()
    {
        try
        {
            target.close();
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
        target.append();
    }

    /**
     * Appends, timing each call.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void latency()
    {
        target.append();
    }
}
