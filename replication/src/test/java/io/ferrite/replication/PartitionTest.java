package io.ferrite.replication;

import io.ferrite.store.StoredMessage;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A peer cut off the network. Ratis 3.2.0's simulated RPC ({@code MiniRaftClusterWithSimulatedRpc}) lives in Ratis's
 * test sources, which are not published as a Maven artifact this build can use; instead the peer's gRPC server and
 * its clients to the other peers are closed ({@code RaftServer.getServerRpc().close()}): nothing reaches it and it
 * reaches nothing, while its Raft server, log and stream stay up. Healing is a restart of the peer (a closed gRPC
 * server cannot be started again).
 */
class PartitionTest
{
    private static final long TIMEOUT_SECONDS = 60;
    static final int BEFORE = 30;
    static final int DURING = 30;

    @TempDir
    Path dir;

    @Test
    void aLeaderCutOffCommitsNothingAndTheMajorityLosesNoAcknowledgedAppend() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final int leader = cluster.awaitLeader();
            final int client = (leader + 1) % 3;
            final ReplicatedStream stream = cluster.nodes[client].stream();
            final List<Long> acknowledged = new ArrayList<>();
            for (int i = 0; i < BEFORE; i++)
            {
                acknowledged.add(get(stream.append("before", null, bytes("before-" + i))));
            }
            cluster.awaitApplied(BEFORE);

            final ReplicationNode isolated = cluster.nodes[leader];
            final long failoverStart = System.nanoTime();
            isolated.raftServer().getServerRpc().close();
            // Sent to the cut-off leader in-process (nothing can reach it over the network): it cannot reach a
            // majority, so this must never commit.
            final CompletableFuture<RaftClientReply> minority = isolated.raftServer().submitClientRequestAsync(
                RaftClientRequest.newBuilder()
                    .setClientId(ClientId.randomId())
                    .setServerId(RaftPeerId.valueOf(isolated.peerId()))
                    .setGroupId(RaftGroupId.valueOf(cluster.groupId))
                    .setCallId(1)
                    .setMessage(Message.valueOf(ByteString.copyFrom(
                        ReplicationCommandDescriptor.encodeAppend("minority", null, bytes("minority")))))
                    .setType(RaftClientRequest.writeRequestType())
                    .build());

            acknowledged.add(get(stream.append("during", null, bytes("during-0"))));
            System.out.printf("leader %s cut off: the majority acknowledged again %d ms after the cut%n",
                isolated.peerId(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failoverStart));
            for (int i = 1; i < DURING; i++)
            {
                acknowledged.add(get(stream.append("during", null, bytes("during-" + i))));
            }
            assertThat(acknowledged).doesNotHaveDuplicates().hasSize(BEFORE + DURING);
            assertThat(isolated.stream().appliedSeq()).as("the cut-off peer applied nothing new").isEqualTo(BEFORE);
            if (minority.isDone())
            {
                assertThat(minority.join().isSuccess()).as("the minority's append").isFalse();
            }

            cluster.stop(leader);
            cluster.start(leader);
            final long last = get(cluster.nodes[leader].stream().lastSeqLinearizable());
            assertThat(last).isEqualTo(BEFORE + DURING);
            cluster.awaitApplied(last);
            cluster.assertIdentical();
            for (final ReplicationNode node : cluster.nodes)
            {
                for (int i = 0; i < acknowledged.size(); i++)
                {
                    final StoredMessage message = node.stream().load(acknowledged.get(i));
                    assertThat(message).as(node.peerId() + " acknowledged seq " + acknowledged.get(i)).isNotNull();
                    assertThat(new String(message.payload(), StandardCharsets.UTF_8))
                        .isEqualTo(i < BEFORE ? "before-" + i : "during-" + (i - BEFORE));
                }
                assertThat(node.stream().state().msgs()).as(node.peerId() + ": no minority append")
                    .isEqualTo(BEFORE + DURING);
            }
        }
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
