package io.ferrite.bench;

import io.ferrite.replication.ReplicatedStream;
import io.ferrite.replication.ReplicationNode;
import io.ferrite.replication.ReplicationPeer;
import io.ferrite.store.StreamConfig;
import org.apache.ratis.util.SizeInBytes;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What it costs a lagging follower to come back (issue 17): three Raft peers on loopback; per iteration one follower
 * is stopped, the others take {@link #behind} appends of {@link #payloadLength} bytes, snapshot and purge their logs,
 * and the measured operation restarts the follower and waits until its stream holds the leader's last sequence — the
 * snapshot's transfer, its install through the stream's restore, and the catch-up from the log after it. An iteration
 * in which the follower caught up without installing a snapshot fails rather than measure the wrong thing. All three
 * peers share this machine's cores and disk.
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SnapshotInstallBenchmark extends BenchmarkDefaults
{
    /** Appends the follower misses while it is down. */
    @Param({ "2000" })
    public int behind;

    /** Payload bytes per append. */
    @Param({ "512" })
    public int payloadLength;

    private static final int IN_FLIGHT = 64;
    /** Enough 512-byte appends to close several 64 KiB log segments, which the snapshot then purges. */
    private static final int MIN_BEHIND = 500;
    private static final long DEADLINE_SECONDS = 120;

    private Path directory;
    private final UUID groupId = UUID.randomUUID();
    private final List<ReplicationPeer> peers = new ArrayList<>();
    private final ReplicationNode[] nodes = new ReplicationNode[3];
    private byte[] payload;
    private int follower;
    private long target;

    /**
     * Starts the three peers and waits for a leader.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("snapshot-install");
        payload = Payloads.random(payloadLength);
        for (int i = 0; i < nodes.length; i++)
        {
            peers.add(new ReplicationPeer("n" + i, "127.0.0.1:" + LoopbackPorts.free()));
        }
        for (int i = 0; i < nodes.length; i++)
        {
            start(i);
        }
        leader();
    }

    /**
     * Stops a follower, appends what it will miss, and has the others snapshot and purge their logs.
     */
    @Setup(Level.Iteration)
    public void fallBehind()
    {
        final int leader = leader();
        follower = (leader + 1) % nodes.length;
        nodes[follower].close();
        nodes[follower] = null;
        final ReplicatedStream stream = nodes[leader].stream();
        final Semaphore inFlight = new Semaphore(IN_FLIGHT);
        // Never fewer than fill several log segments: a smoke run's scaled-down count would leave the follower's
        // entries in the log, and it would catch up without the install this measures.
        final int appends = Math.max(MIN_BEHIND, SmokeScale.scale(behind));
        for (int i = 0; i < appends; i++)
        {
            inFlight.acquireUninterruptibly();
            stream.append(FerriteAppender.SUBJECT, null, payload).whenComplete((seq, failure) -> inFlight.release());
        }
        inFlight.acquireUninterruptibly(IN_FLIGHT);
        target = stream.lastSeq();
        for (final ReplicationNode node : nodes)
        {
            if (null != node)
            {
                node.takeSnapshot(TimeUnit.SECONDS.toMillis(DEADLINE_SECONDS));
            }
        }
    }

    /**
     * Restart the follower and wait until it holds everything the leader acknowledged.
     *
     * @return its last sequence.
     */
    @Benchmark
    public long catchUp()
    {
        final ReplicationNode node = start(follower);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
        while (node.stream().lastSeq() < target)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("follower " + node.peerId() + " not at sequence " + target +
                    " within " + DEADLINE_SECONDS + " s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (node.snapshotsInstalled() != 1)
        {
            throw new IllegalStateException("follower " + node.peerId() + " caught up with " +
                node.snapshotsInstalled() + " snapshots installed, not 1: the log was not purged behind it");
        }
        return node.stream().lastSeq();
    }

    /**
     * Stops the peers and deletes their files.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            for (final ReplicationNode node : nodes)
            {
                if (null != node)
                {
                    node.close();
                }
            }
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    private ReplicationNode start(final int i)
    {
        nodes[i] = ReplicationNode.builder()
            .directory(directory.resolve(peers.get(i).id()))
            .peerId(peers.get(i).id())
            .groupId(groupId)
            .peers(peers)
            .streamConfig(StreamConfig.builder("bench").build())
            // Snapshots only when asked; small log segments so a snapshot purges the log behind the follower.
            .snapshotThreshold(Long.MAX_VALUE / 2)
            .segmentSize(SizeInBytes.valueOf("64KB"))
            .purgeLogUpToSnapshot(true)
            .start();
        return nodes[i];
    }

    private int leader()
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
        while (true)
        {
            for (int i = 0; i < nodes.length; i++)
            {
                if (null != nodes[i] && nodes[i].isLeader())
                {
                    return i;
                }
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("no leader elected within " + DEADLINE_SECONDS + " s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
