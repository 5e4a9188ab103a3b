package io.ferrite.replication;

import io.ferrite.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Appends are stored once across a leader change: a retry by the same Ratis client is answered from the retry cache,
 * and a resend by the application (another client, after a restart) is answered from the message ids of
 * {@code appendOnce}.
 */
class DuplicateAppendTest
{
    private static final long TIMEOUT_SECONDS = 60;

    @TempDir
    Path dir;

    @Test
    void aResendUnderTheSameMessageIdThroughAnotherPeerIsStoredOnce() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final ReplicatedStream first = cluster.nodes[0].stream();
            final ReplicatedStream second = cluster.nodes[1].stream();
            final long seq = get(first.appendOnce("m-1", "orders", null, bytes("one")));
            assertThat(get(second.appendOnce("m-1", "orders", null, bytes("one")))).isEqualTo(seq);
            assertThat(get(second.appendOnce("m-1", "orders", null, bytes("other content, same id"))))
                .as("the id decides, not the content").isEqualTo(seq);
            assertThat(get(second.appendOnce("m-2", "orders", null, bytes("two")))).isEqualTo(seq + 1);

            // Without an id, a resend through another client is a new call: stored twice.
            final long plain = get(first.append("orders", null, bytes("plain")));
            assertThat(get(second.append("orders", null, bytes("plain")))).isEqualTo(plain + 1);

            // A truncate takes the sequence back, and its id with it.
            get(first.truncate(seq - 1));
            assertThat(get(second.appendOnce("m-1", "orders", null, bytes("one again")))).isEqualTo(seq);
            cluster.awaitApplied(seq);
            cluster.assertIdentical();
            for (final ReplicationNode node : cluster.nodes)
            {
                assertThat(payloadCounts(node)).as(node.peerId()).isEqualTo(Map.of("one again", 1));
            }
        }
    }

    @Test
    void messageIdsSurviveASnapshotAndARestartOfEveryPeer() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final long seq = get(cluster.nodes[0].stream().appendOnce("m-1", "orders", null, bytes("one")));
            cluster.awaitApplied(seq);
            for (final ReplicationNode node : cluster.nodes)
            {
                assertThat(node.takeSnapshot(TIMEOUT_SECONDS * 1000)).isPositive();
            }
            cluster.close();
            cluster.startAll();
            // The log up to the snapshot is not replayed: the id can only come from the snapshot.
            assertThat(get(cluster.nodes[2].stream().appendOnce("m-1", "orders", null, bytes("one"))))
                .isEqualTo(seq);
            assertThat(get(cluster.nodes[2].stream().appendOnce("m-2", "orders", null, bytes("two"))))
                .isEqualTo(seq + 1);
            cluster.awaitApplied(seq + 1);
            cluster.assertIdentical();
            for (final ReplicationNode node : cluster.nodes)
            {
                assertThat(payloadCounts(node)).as(node.peerId()).isEqualTo(Map.of("one", 1, "two", 1));
            }
        }
    }

    @Test
    void appendsInFlightWhenTheLeaderStopsAreStoredExactlyOnce() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final int leader = cluster.awaitLeader();
            final int client = (leader + 1) % 3;
            final int other = (leader + 2) % 3;
            final ReplicatedStream stream = cluster.nodes[client].stream();
            for (int i = 0; i < 20; i++)
            {
                get(stream.append("warm", null, bytes("warm-" + i)));
            }
            final List<CompletableFuture<Long>> once = new ArrayList<>();
            final List<CompletableFuture<Long>> plain = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                once.add(stream.appendOnce("id-" + i, "once", null, bytes("once-" + i)));
                plain.add(stream.append("plain", null, bytes("plain-" + i)));
            }
            cluster.stop(leader);
            final List<Long> first = new ArrayList<>();
            for (final CompletableFuture<Long> ack : once)
            {
                first.add(get(ack));
            }
            for (final CompletableFuture<Long> ack : plain)
            {
                get(ack);
            }
            // The application resends every appendOnce through the other surviving peer's client.
            for (int i = 0; i < 20; i++)
            {
                assertThat(get(cluster.nodes[other].stream().appendOnce("id-" + i, "once", null, bytes("once-" + i))))
                    .as("resend of id-" + i).isEqualTo(first.get(i));
            }
            cluster.start(leader);
            final long last = get(cluster.nodes[other].stream().lastSeqLinearizable());
            assertThat(last).as("20 warm-up, 20 once, 20 plain").isEqualTo(60);
            cluster.awaitApplied(last);
            cluster.assertIdentical();
            for (final ReplicationNode node : cluster.nodes)
            {
                final Map<String, Integer> counts = payloadCounts(node);
                assertThat(counts).as(node.peerId() + ": every payload once").hasSize(60);
                assertThat(counts.values()).as(node.peerId()).containsOnly(1);
            }
        }
    }

    private static Map<String, Integer> payloadCounts(final ReplicationNode node)
    {
        final Map<String, Integer> counts = new HashMap<>();
        for (long seq = 1; seq <= node.stream().lastSeq(); seq++)
        {
            final StoredMessage message = node.stream().load(seq);
            if (null != message)
            {
                counts.merge(new String(message.payload(), StandardCharsets.UTF_8), 1, Integer::sum);
            }
        }
        return counts;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static <T> T get(final CompletableFuture<T> future) throws Exception
    {
        return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
