package io.ferrite.bench;

import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.EnvironmentSnapshot;
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

/**
 * The catalog of an environment: {@code env.snapshot()} (a copy from memory) and {@code env.writeSnapshot()} (the
 * copy, then {@code catalog.snapshot} written, forced and renamed), at the incident's shape (4 streams, 43 consumers)
 * and at 1,000 streams / 10,000 consumers. Each stream holds a few messages and each consumer a few deliveries, one
 * pending; the streams stay open and idle, as in a running broker.
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
        final String[] parts = shape.split("/");
        final int streams = SmokeScale.scale(Integer.parseInt(parts[0]));
        final int consumers = Math.max(streams, SmokeScale.scale(Integer.parseInt(parts[1])));
        directory = BenchDirectory.create("ferrite-catalog");
        env = StoreEnvironment.open(directory, EnvironmentConfig.builder().build());
        final byte[] payload = Payloads.random(128);
        final StreamStore[] stores = new StreamStore[streams];
        for (int s = 0; s < streams; s++)
        {
            stores[s] = env.createStream(env.streamConfig("stream-" + s).blockSize(64 << 10).maxMsgSize(4096)
                .preparedBlocks(1).build());
            for (int i = 0; i < 4; i++)
            {
                stores[s].append(FerriteAppender.SUBJECT, null, payload);
            }
        }
        for (int c = 0; c < consumers; c++)
        {
            final ConsumerStore consumer =
                env.consumer("stream-" + (c % streams), "consumer-" + c, ConsumerConfig.builder().build());
            consumer.updateDelivered(1, 1, 1, System.nanoTime());
            consumer.updateDelivered(2, 2, 1, System.nanoTime());
            consumer.updateAcks(1, 1);
        }
        final EnvironmentSnapshot snapshot = env.snapshot();
        if (snapshot.streams().size() != streams || snapshot.consumerCount() != consumers)
        {
            throw new IllegalStateException("catalog of " + snapshot.streams().size() + " streams and " +
                snapshot.consumerCount() + " consumers, wanted " + streams + " and " + consumers);
        }
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
