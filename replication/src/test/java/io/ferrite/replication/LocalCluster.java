package io.ferrite.replication;

import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.util.SizeInBytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peers of one group on loopback in this JVM, on ports the kernel handed out free, each in its own directory.
 */
final class LocalCluster implements AutoCloseable
{
    /** Generous: gRPC backs off reconnecting to a peer that was down, and the build machine is shared. */
    static final Duration DEADLINE = Duration.ofSeconds(90);

    final UUID groupId = UUID.randomUUID();
    final List<ReplicationPeer> peers = new ArrayList<>();
    final ReplicationNode[] nodes;
    private final Path root;
    private final long snapshotThreshold;
    private final SizeInBytes segmentSize;
    /** Ratis settings every peer of this cluster is started with, by their documented keys. */
    final Map<String, String> raftProperties = new LinkedHashMap<>();

    LocalCluster(final Path root, final int size, final long snapshotThreshold, final SizeInBytes segmentSize)
    {
        this.root = root;
        this.snapshotThreshold = snapshotThreshold;
        this.segmentSize = segmentSize;
        for (int i = 0; i < size; i++)
        {
            peers.add(new ReplicationPeer("n" + i, "127.0.0.1:" + freePort()));
        }
        nodes = new ReplicationNode[size];
    }

    static LocalCluster started(final Path root)
    {
        final LocalCluster cluster =
            new LocalCluster(root, 3, ReplicationNode.SNAPSHOT_THRESHOLD_DEFAULT, ReplicationNode.SEGMENT_SIZE_DEFAULT);
        cluster.startAll();
        return cluster;
    }

    static int freePort()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static StreamConfig streamConfig()
    {
        return StreamConfig.builder("orders").blockSize(1 << 20).maxMsgSize(64 << 10).build();
    }

    Path directory(final int i)
    {
        return root.resolve("n" + i);
    }

    void startAll()
    {
        for (int i = 0; i < nodes.length; i++)
        {
            start(i);
        }
        awaitLeader();
    }

    ReplicationNode start(final int i)
    {
        final ReplicationNode.Builder b = ReplicationNode.builder()
            .directory(directory(i))
            .peerId(peers.get(i).id())
            .groupId(groupId)
            .peers(peers)
            .streamConfig(streamConfig())
            .snapshotThreshold(snapshotThreshold)
            .segmentSize(segmentSize);
        raftProperties.forEach(b::raftProperty);
        // Ratis settings to try on the command line: -DargLine="... -Draft.server.log.force.sync.num=..."
        for (final String key : System.getProperties().stringPropertyNames())
        {
            if (key.startsWith("raft."))
            {
                b.raftProperty(key, System.getProperty(key));
            }
        }
        nodes[i] = b.start();
        return nodes[i];
    }

    void stop(final int i)
    {
        nodes[i].close();
        nodes[i] = null;
    }

    int awaitLeader()
    {
        final int[] leader = {-1};
        await("a leader", () ->
        {
            for (int i = 0; i < nodes.length; i++)
            {
                if (null != nodes[i] && nodes[i].isLeader())
                {
                    leader[0] = i;
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    int follower()
    {
        final int leader = awaitLeader();
        for (int i = 0; i < nodes.length; i++)
        {
            if (i != leader && null != nodes[i])
            {
                return i;
            }
        }
        throw new IllegalStateException("no follower running");
    }

    /**
     * Waits until every running peer's stream reaches {@code seq} and every peer applied the log as far as the most
     * advanced one had when called. The second wait matters after a truncate: a follower still holding the messages
     * the truncate took back already shows {@code lastSeq >= seq}, and would be compared before it applied the
     * truncate and the appends after it.
     */
    void awaitApplied(final long seq)
    {
        long logIndex = -1;
        for (final ReplicationNode node : nodes)
        {
            if (null != node)
            {
                logIndex = Math.max(logIndex, appliedLogIndex(node));
            }
        }
        final long target = logIndex;
        for (final ReplicationNode node : nodes)
        {
            if (null != node)
            {
                await(node.peerId() + " at log index " + target,
                    () -> appliedLogIndex(node) >= target);
                await(node.peerId() + " at sequence " + seq, () -> node.stream().lastSeq() >= seq);
            }
        }
    }

    private static long appliedLogIndex(final ReplicationNode node)
    {
        final TermIndex applied = node.stateMachine().getLastAppliedTermIndex();
        return null == applied ? -1 : applied.getIndex();
    }

    static void await(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out after " + DEADLINE + " waiting for " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /**
     * Every running peer's stream holds the same messages: sequence, time, subject, headers and payload checksum.
     */
    void assertIdentical()
    {
        StreamStore reference = null;
        String referenceId = null;
        for (final ReplicationNode node : nodes)
        {
            if (null == node)
            {
                continue;
            }
            final StreamStore store = node.stateMachine().store();
            if (null == reference)
            {
                reference = store;
                referenceId = node.peerId();
                continue;
            }
            assertThat(store.lastSeq()).as(node.peerId() + " lastSeq vs " + referenceId)
                .isEqualTo(reference.lastSeq());
            assertThat(store.state().msgs()).as(node.peerId() + " messages").isEqualTo(reference.state().msgs());
            for (long seq = 1; seq <= reference.lastSeq(); seq++)
            {
                assertThat(fingerprint(store.load(seq))).as(node.peerId() + " seq " + seq)
                    .isEqualTo(fingerprint(reference.load(seq)));
            }
        }
    }

    static String fingerprint(final StoredMessage message)
    {
        if (null == message)
        {
            return "none";
        }
        final CRC32C crc = new CRC32C();
        crc.update(message.payload());
        final CRC32C headers = new CRC32C();
        if (null != message.headers())
        {
            headers.update(message.headers());
        }
        return message.seq() + "/" + message.timestamp() + "/" + message.subject() + "/" + headers.getValue() + "/" +
            crc.getValue();
    }

    @Override
    public void close()
    {
        for (int i = 0; i < nodes.length; i++)
        {
            if (null != nodes[i])
            {
                stop(i);
            }
        }
    }
}
