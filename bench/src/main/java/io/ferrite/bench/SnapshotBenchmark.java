package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
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

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code store.snapshot(out)} of an idle stream of {@link #megabytes} MB of 1 KiB messages into a channel that
 * discards what it is given: the cost of the cut (state capture, a force of nothing new) and of reading every block
 * from the page cache with two CRC32C passes (entry and running checksum), without the destination's cost. Divide the
 * stream's size by the time for the throughput. Encrypted streams copy ciphertext as is, so they should cost the same.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SnapshotBenchmark extends BenchmarkDefaults
{
    /** Megabytes of records in the store. */
    @Param({ "256" })
    public int megabytes;

    @Param({ "false", "true" })
    public boolean encrypted;

    private Path directory;
    private FileStreamStore store;
    private final WritableByteChannel discard = new Discard();

    /**
     * Writes the data once; the store stays open, as a running application's would.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-snapshot");
        final StreamConfig.Builder builder = StreamConfig.builder("bench");
        if (encrypted)
        {
            builder.encryptionKey(Payloads.random(32));
        }
        store = FileStreamStore.open(directory, builder.build());
        final byte[] payload = Payloads.random(1024);
        final long target = (long)SmokeScale.scale(megabytes) << 20;
        while (store.counters().bytes() < target)
        {
            for (int i = 0; i < 1024; i++)
            {
                store.append(FerriteAppender.SUBJECT, null, payload);
            }
        }
        store.flush().join();
        final long bytes = store.snapshot(discard);
        if (bytes < target)
        {
            throw new IllegalStateException("a snapshot of " + target + " bytes of records wrote " + bytes);
        }
        System.out.println("snapshot: " + bytes + " bytes, " + store.counters().bytes() + " bytes of records");
    }

    /**
     * Closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        store.close();
        BenchDirectory.delete(directory);
    }

    /**
     * One whole snapshot.
     */
    @Benchmark
    public long snapshot()
    {
        return store.snapshot(discard);
    }

    /**
     * Takes every byte and keeps none.
     */
    private static final class Discard implements WritableByteChannel
    {
        @Override
        public int write(final ByteBuffer src)
        {
            final int length = src.remaining();
            src.position(src.limit());
            return length;
        }

        @Override
        public boolean isOpen()
        {
            return true;
        }

        @Override
        public void close()
        {
        }
    }
}
