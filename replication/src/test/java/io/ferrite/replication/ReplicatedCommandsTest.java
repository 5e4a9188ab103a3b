package io.ferrite.replication;

import io.ferrite.store.StreamState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Erase, compact, truncate and skip as replicated commands: applied alike on every peer, and replayed after a restart
 * from a snapshot older than all of them (a stream that holds history from after a truncate) to the same streams.
 */
class ReplicatedCommandsTest
{
    private static final long TIMEOUT_SECONDS = 60;

    @TempDir
    Path dir;

    @Test
    void eraseCompactTruncateAndSkipLeaveTheThreeStreamsIdenticalAndReplayToTheSame() throws Exception
    {
        try (LocalCluster cluster = new LocalCluster(dir, 3, ReplicationNode.SNAPSHOT_THRESHOLD_DEFAULT,
            ReplicationNode.SEGMENT_SIZE_DEFAULT))
        {
            // Restart replays the log from the snapshot taken below, not from one taken at stop.
            cluster.raftProperties.put("raft.server.snapshot.trigger-when-stop.enabled", "false");
            cluster.startAll();
            final ReplicatedStream stream = cluster.nodes[cluster.follower()].stream();
            for (int i = 1; i <= 5; i++)
            {
                assertThat(append(stream, "a." + i)).isEqualTo(i);
            }
            cluster.awaitApplied(5);
            for (final ReplicationNode node : cluster.nodes)
            {
                assertThat(node.takeSnapshot(TIMEOUT_SECONDS * 1000)).isPositive();
            }
            for (int i = 6; i <= 40; i++)
            {
                assertThat(append(stream, "a." + i)).isEqualTo(i);
            }
            assertThat(get(stream.erase(5))).isTrue();
            assertThat(get(stream.erase(5))).as("already erased").isFalse();
            assertThat(get(stream.erase(41))).as("not assigned yet").isFalse();

            get(stream.truncate(20));
            // The truncate completed on the leader; this client's peer is a follower and may not have applied it yet.
            cluster.awaitApplied(20);
            assertThat(stream.lastSeq()).isEqualTo(20);
            for (int i = 21; i <= 25; i++)
            {
                assertThat(append(stream, "b." + i)).as("sequences taken back are assigned again").isEqualTo(i);
            }
            assertThat(get(stream.compact(8))).as("1..7 without the erased 5").isEqualTo(6);
            assertThat(get(stream.skip())).isEqualTo(26);
            assertThat(get(stream.skip(3))).isEqualTo(29);
            assertThat(get(stream.erase(22))).isTrue();
            assertThat(append(stream, "c.30")).isEqualTo(30);
            assertThatThrownBy(() -> get(stream.truncate(31))).hasCauseInstanceOf(ReplicationRejectedException.class)
                .hasMessageContaining("[0, 30]");
            assertThatThrownBy(() -> get(stream.skip(0))).hasCauseInstanceOf(ReplicationRejectedException.class);
            assertThatThrownBy(() -> get(stream.compact(0))).hasCauseInstanceOf(ReplicationRejectedException.class);

            cluster.awaitApplied(30);
            cluster.assertIdentical();
            final List<String> before = fingerprints(cluster.nodes[0]);
            final StreamState state = cluster.nodes[0].stream().state();
            assertThat(state.msgs()).as("8..21, 23..25 and 30").isEqualTo(18);
            assertThat(state.firstSeq()).isEqualTo(8);
            assertThat(before.get(5 - 1)).isEqualTo("none");
            assertThat(before.get(22 - 1)).isEqualTo("none");
            assertThat(before.get(26 - 1)).isEqualTo("none");

            cluster.close();
            cluster.startAll();
            cluster.awaitApplied(30);
            for (int i = 0; i < cluster.nodes.length; i++)
            {
                final ReplicationNode node = cluster.nodes[i];
                LocalCluster.await(node.peerId() + " replayed to sequence 30", () -> node.stream().appliedSeq() == 30);
                assertThat(fingerprints(node)).as(node.peerId() + " after replay").isEqualTo(before);
                assertThat(node.stream().state()).as(node.peerId() + " state after replay").isEqualTo(state);
            }
            cluster.assertIdentical();
            assertThat(append(cluster.nodes[0].stream(), "d.31")).isEqualTo(31);
        }
    }

    private static List<String> fingerprints(final ReplicationNode node)
    {
        final List<String> prints = new ArrayList<>();
        for (long seq = 1; seq <= node.stream().lastSeq(); seq++)
        {
            prints.add(LocalCluster.fingerprint(node.stream().load(seq)));
        }
        return prints;
    }

    private static long append(final ReplicatedStream stream, final String text) throws Exception
    {
        return get(stream.append(text.substring(0, 1), null, text.getBytes(StandardCharsets.UTF_8)));
    }

    private static <T> T get(final CompletableFuture<T> future) throws Exception
    {
        return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
