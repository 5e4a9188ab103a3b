package io.ferrite.bench;

import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreEnvironment;
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
 * The catalog of an environment: {@code env.snapshot()} (a copy from memory) and {@code env.writeSnapshot()} (the
 * copy, then {@code catalog.snapshot} written, forced and renamed), at the incident's shape (4 streams, 43 consumers)
 * and at 1,000 streams / 10,000 consumers ({@link CatalogFixture}). What a snapshot costs an appender meanwhile is
 * {@link SnapshotInterferenceBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CatalogSnapshotBenchmark extends BenchmarkDefaults
{
    /** "streams/consumers". */
    @Param({ "4/43", "1000/10000" })
    public String shape;

    private Path directory;
    private StoreEnvironment env;

    /**
     * Creates the environment once; under the smoke test the shape shrinks.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-catalog");
        env = StoreEnvironment.open(directory, EnvironmentConfig.builder().build());
        CatalogFixture.populate(env, shape);
    }

    /**
     * Closes and deletes the environment.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        env.close();
        BenchDirectory.delete(directory);
    }

    /**
     * The catalog copied from memory.
     */
    @Benchmark
    public EnvironmentSnapshot snapshot()
    {
        return env.snapshot();
    }

    /**
     * The catalog copied and written to {@code catalog.snapshot} durably.
     */
    @Benchmark
    public EnvironmentSnapshot writeSnapshot()
    {
        return env.writeSnapshot();
    }
}
