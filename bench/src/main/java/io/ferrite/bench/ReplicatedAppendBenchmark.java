package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.replication.ReplicatedStream;
import io.ferrite.replication.ReplicationNode;
import io.ferrite.replication.ReplicationPeer;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A durable append replicated to a majority of three Raft peers on loopback (Apache Ratis, one JVM, one disk), against
 * a durable append to one store in {@code ALWAYS} mode, with 1, 8 and 64 threads each waiting for its own append.
 * <p>
 * Both acknowledge only what survives a power cut of the acknowledging side: the single store after its force, the
 * replicated stream once two of three peers forced the entry into their Raft logs (the peers' streams are in
 * {@code INTERVAL} mode: the Raft log is what makes an entry durable, and a restart replays it). All three peers share
 * this machine's cores and disk, so the figure is a floor for three machines, not an estimate of them.
 * <p>
 * Throughput gives appends per second; SampleTime the time from calling append to holding the sequence.
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Benchmark)
public class ReplicatedAppendBenchmark extends BenchmarkDefaults
{
    /** Payload bytes per append. */
    @Param({ "128" })
    public int payloadLength;

    /**
     * Appends made before the measurement starts, 64 in flight. JMH's warm-up iterations are timed, not counted, and at
     * a few hundred replicated appends a second a short warm-up leaves gRPC, protobuf and Ratis mostly interpreted:
     * measured here, a sequential append's p50 went from about 13 ms to about 4-6 ms after 3,000 warm-up appends.
     */
    @Param({ "5000" })
    public int warmUpAppends;

    /** {@code REPLICATED}: three Raft peers. {@code SINGLE_ALWAYS}: one store, group commit. */
    @Param({ "REPLICATED", "SINGLE_ALWAYS" })
    public String target;

    private static final int WARM_UP_IN_FLIGHT = 64;

    private Path directory;
    private StreamStore single;
    private final List<ReplicationNode> nodes = new ArrayList<>();
    private ReplicatedStream stream;
    private byte[] payload;

    /**
     * Starts the three peers (and waits for a leader) or opens the single store.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("replicated-append");
        payload = Payloads.random(payloadLength);
        if ("SINGLE_ALWAYS".equals(target))
        {
            single = FileStreamStore.open(directory.resolve("single"),
                StreamConfig.builder("bench").syncMode(SyncMode.ALWAYS).build());
            warmUp();
            return;
        }
        final UUID groupId = UUID.randomUUID();
        final List<ReplicationPeer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            peers.add(new ReplicationPeer("n" + i, "127.0.0.1:" + LoopbackPorts.free()));
        }
        for (final ReplicationPeer peer : peers)
        {
            final ReplicationNode.Builder builder = ReplicationNode.builder()
                .directory(directory.resolve(peer.id()))
                .peerId(peer.id())
                .groupId(groupId)
                .peers(peers)
                .streamConfig(StreamConfig.builder("bench").build());
            // Ratis settings to try, by their documented keys: -jvmArgsAppend -Draft.server.log.force.sync.num=...
            for (final String key : System.getProperties().stringPropertyNames())
            {
                if (key.startsWith("raft."))
                {
                    builder.raftProperty(key, System.getProperty(key));
                }
            }
            nodes.add(builder.start());
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (nodes.stream().noneMatch(ReplicationNode::isLeader))
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("no leader elected within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        // Append through the leader's own client: the usual deployment sends writes where the leader is.
        stream = nodes.stream().filter(ReplicationNode::isLeader).findFirst().orElseThrow().stream();
        warmUp();
    }

    private void warmUp()
    {
        final Semaphore inFlight = new Semaphore(WARM_UP_IN_FLIGHT);
        for (int i = 0; i < warmUpAppends; i++)
        {
            inFlight.acquireUninterruptibly();
            if (null != single)
            {
                single.append(FerriteAppender.SUBJECT, null, payload);
                inFlight.release();
            }
            else
            {
                stream.append(FerriteAppender.SUBJECT, null, payload)
                    .whenComplete((seq, failure) -> inFlight.release());
            }
        }
        inFlight.acquireUninterruptibly(WARM_UP_IN_FLIGHT);
    }

    /**
     * Stops the peers or closes the store, and deletes the files.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            if (null != single)
            {
                single.close();
            }
            for (final ReplicationNode node : nodes)
            {
                node.close();
            }
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * One thread appending.
     *
     * @return the sequence, so nothing is eliminated.
     */
    @Benchmark
    @Threads(1)
    @BenchmarkMode({ Mode.Throughput, Mode.SampleTime })
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long threads1()
    {
        return append();
    }

    /**
     * Eight threads appending.
     *
     * @return the sequence.
     */
    @Benchmark
    @Threads(8)
    @BenchmarkMode({ Mode.Throughput, Mode.SampleTime })
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long threads8()
    {
        return append();
    }

    /**
     * Sixty-four threads appending (on a 2-core machine nearly all of them wait for a commit at any time).
     *
     * @return the sequence.
     */
    @Benchmark
    @Threads(64)
    @BenchmarkMode({ Mode.Throughput, Mode.SampleTime })
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long threads64()
    {
        return append();
    }

    private long append()
    {
        if (null != single)
        {
            return single.append(FerriteAppender.SUBJECT, null, payload);
        }
        return stream.append(FerriteAppender.SUBJECT, null, payload).join();
    }
}
