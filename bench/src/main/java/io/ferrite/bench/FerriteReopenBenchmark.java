package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
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

/**
 * Open and close of a cleanly closed store against its data volume. After a clean close {@code state.db} matches the
 * tail, so opening reads the state and scans only the last block: the figure must not grow with the data.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FerriteReopenBenchmark extends BenchmarkDefaults
{
    /** Megabytes of records in the store. */
    @Param({ "100", "1000" })
    public int megabytes;

    private Path directory;
    private StreamConfig config;

    /**
     * Writes the data once and closes cleanly.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-reopen");
        config = StreamConfig.builder("bench").build();
        final byte[] payload = Payloads.random(1024);
        final long target = (long)SmokeScale.scale(megabytes) << 20;
        try (StreamStore store = FileStreamStore.open(directory, config))
        {
            while (store.state().bytes() < target)
            {
                for (int i = 0; i < 1024; i++)
                {
                    store.append(FerriteAppender.SUBJECT, null, payload);
                }
            }
        }
    }

    /**
     * Deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        BenchDirectory.delete(directory);
    }

    /**
     * Open, check that only the tail was scanned, close.
     */
    @Benchmark
    public long reopen()
    {
        try (StreamStore store = FileStreamStore.open(directory, config))
        {
            final RecoveryReport report = store.recoveryReport();
            if (report.outcome() != RecoveryReport.Outcome.LOADED_STATE || report.blocksScanned() != 1)
            {
                throw new IllegalStateException("reopen did more than state-sized work: " + report);
            }
            return store.state().lastSeq();
        }
    }
}
