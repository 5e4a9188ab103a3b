package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StoreCounters;
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
 * {@code writeFullState} against the number of blocks: a copy of the off-heap index (64 bytes a block) into one file,
 * then write, fsync, rename and directory fsync. The store is reopened before measuring, so no block is mapped and a
 * state write that touched block files would show here as thousands of opens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FerriteFullStateBenchmark extends BenchmarkDefaults
{
    /** Appends between checks of the block count while filling: a few blocks' worth at most. */
    static final int FILL_BATCH = 16;

    /** Blocks in the store. */
    @Param({ "10", "1000", "10000" })
    public int blocks;

    private Path directory;
    private StreamStore store;

    /**
     * Fills {@link #blocks} 4 KiB blocks, closes, and reopens.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-state");
        final StreamConfig config = StreamConfig.builder("bench").blockSize(4096).maxMsgSize(1024).build();
        final byte[] payload = Payloads.random(900);
        try (StreamStore filling = FileStreamStore.open(directory, config))
        {
            // counters() copies nothing: a check per batch costs a LongAdder sum (stats() copied every histogram).
            final StoreCounters counters = filling.counters();
            while (counters.blocksCreated() < SmokeScale.scale(blocks))
            {
                for (int i = 0; i < FILL_BATCH; i++)
                {
                    filling.append(FerriteAppender.SUBJECT, null, payload);
                }
            }
        }
        store = FileStreamStore.open(directory, config);
    }

    /**
     * Closes and deletes the store, refusing a result if a state write opened a block file.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            if (store.counters().blockFileOpens() > 1)
            {
                throw new IllegalStateException("writeFullState opened block files: " + store.stats());
            }
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * One full state write, durable on return.
     */
    @Benchmark
    public void writeFullState()
    {
        store.writeFullState();
    }
}
