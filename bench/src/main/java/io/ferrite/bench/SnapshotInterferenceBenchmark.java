package io.ferrite.bench;

import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StreamStore;
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
import java.util.concurrent.atomic.LongAdder;

/**
 * What catalog snapshots cost an appender (issue 16: "snapshot time and appender p99 while it runs"): the benchmark
 * thread appends 128 B messages to one stream of an environment holding {@link #shape} ({@link CatalogFixture}),
 * while one thread takes snapshots back to back: {@code none} (the baseline), {@code copy} ({@code env.snapshot()})
 * or {@code write} ({@code env.writeSnapshot()}: the copy, then {@code catalog.snapshot} written, forced and renamed).
 * SampleTime gives the appender's latency distribution; the snapshots taken are printed at the end of the trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SnapshotInterferenceBenchmark extends BenchmarkDefaults
{
    /** "streams/consumers". */
    @Param({ "4/43", "1000/10000" })
    public String shape;

    /** What the snapshot thread does in its loop. */
    @Param({ "none", "copy", "write" })
    public String snapshots;

    private Path directory;
    private StoreEnvironment env;
    private StreamStore appended;
    private Thread snapshotter;
    private volatile boolean running;
    private final LongAdder taken = new LongAdder();
    private final byte[] payload = Payloads.random(128);

    /**
     * Creates the environment and starts the snapshot thread.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        if (!"none".equals(snapshots) && !"copy".equals(snapshots) && !"write".equals(snapshots))
        {
            throw new IllegalArgumentException("snapshots must be none, copy or write: " + snapshots);
        }
        directory = BenchDirectory.create("snapshot-interference");
        env = StoreEnvironment.open(directory, EnvironmentConfig.builder().build());
        appended = CatalogFixture.populate(env, shape)[0];
        running = true;
        snapshotter = new Thread(this::snapshotLoop, "bench-snapshotter");
        if (!"none".equals(snapshots))
        {
            snapshotter.start();
        }
    }

    private void snapshotLoop()
    {
        final boolean write = "write".equals(snapshots);
        while (running)
        {
            if (write)
            {
                env.writeSnapshot();
            }
            else
            {
                env.snapshot();
            }
            taken.increment();
        }
    }

    /**
     * Stops the snapshot thread, closes and deletes the environment.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        running = false;
        if (snapshotter.isAlive())
        {
            snapshotter.join();
        }
        try
        {
            env.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
        System.out.printf("%n%s snapshots taken while appending: %d%n", snapshots, taken.sum());
    }

    /**
     * One append of 128 B to the environment's first stream.
     */
    @Benchmark
    public long append()
    {
        return appended.append(FerriteAppender.SUBJECT, null, payload);
    }
}
