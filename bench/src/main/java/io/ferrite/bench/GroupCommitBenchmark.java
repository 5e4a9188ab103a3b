package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
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
import org.openjdk.jmh.annotations.Threads;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Durable commits: {@code ALWAYS} mode, where an append returns only once it is on disk, with 1, 2, 4 and 8 appending
 * threads sharing one store, against one force per message (each append followed by its own {@code flush()}, one at
 * a time). Group commit should make commits per second grow with threads while the force rate stays at what the disk
 * allows; one force per message is capped at that rate whatever the thread count.
 * <p>
 * Throughput gives commits per second; SampleTime gives the time from calling append to holding a durable sequence
 * (p99 is the figure to read). The disk's own floor is {@link ForceLatencyBenchmark}'s {@code mappedWriteChannelForce}.
 * Run it on the disk under test ({@link BenchDirectory}).
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Benchmark)
public class GroupCommitBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per commit. */
    @Param({ "128" })
    public int payloadLength;

    /**
     * {@code ALWAYS}: group commit through the flusher. {@code FORCE_PER_MESSAGE}: each append followed by its own
     * force, serialized, so no two messages share one.
     */
    @Param({ "ALWAYS", "FORCE_PER_MESSAGE" })
    public String durability;

    private Path directory;
    private StreamStore store;
    private byte[] payload;
    private boolean groupCommit;
    private final Object forceOneAtATime = new Object();

    /**
     * Opens an empty store for the trial.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("group-commit");
        groupCommit = "ALWAYS".equals(durability);
        final SyncMode mode = groupCommit ? SyncMode.ALWAYS : SyncMode.NONE;
        store = FileStreamStore.open(directory, StreamConfig.builder("bench").syncMode(mode).build());
        payload = Payloads.random(payloadLength);
    }

    /**
     * Closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * One thread committing.
     *
     * @return the durable sequence, so nothing is eliminated.
     */
    @Benchmark
    @Threads(1)
    @BenchmarkMode({ Mode.Throughput, Mode.SampleTime })
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long threads1()
    {
        return commit();
    }

    /**
     * Two threads committing.
     *
     * @return the durable sequence.
     */
    @Benchmark
    @Threads(2)
    @BenchmarkMode({ Mode.Throughput, Mode.SampleTime })
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long threads2()
    {
        return commit();
    }

    /**
     * Four threads committing.
     *
     * @return the durable sequence.
     */
    @Benchmark
    @Threads(4)
    @BenchmarkMode({ Mode.Throughput, Mode.SampleTime })
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long threads4()
    {
        return commit();
    }

    /**
     * Eight threads committing (on a 2-core machine: six of them are parked waiting for a force at any time).
     *
     * @return the durable sequence.
     */
    @Benchmark
    @Threads(8)
    @BenchmarkMode({ Mode.Throughput, Mode.SampleTime })
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long threads8()
    {
        return commit();
    }

    private long commit()
    {
        if (groupCommit)
        {
            return store.append(FerriteAppender.SUBJECT, null, payload);
        }
        synchronized (forceOneAtATime)
        {
            store.append(FerriteAppender.SUBJECT, null, payload);
            return store.flush().join();
        }
    }
}
