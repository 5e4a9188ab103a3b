package io.ferrite.replication;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Peer lists with duplicates, a client of another group, and a peer directory that belongs to another group or peer:
 * clear errors, nothing overwritten.
 */
class ReplicationBadInputTest
{
    @TempDir
    Path dir;

    @Test
    void aPeerListWithADuplicateIdIsRefused()
    {
        final List<ReplicationPeer> peers = List.of(
            new ReplicationPeer("n1", "127.0.0.1:7001"), new ReplicationPeer("n1", "127.0.0.1:7002"));
        assertThatThrownBy(() -> start(dir.resolve("n1"), "n1", UUID.randomUUID(), peers))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("duplicate peer id 'n1'");
        assertThat(dir.resolve("n1")).doesNotExist();
    }

    @Test
    void aPeerListWithADuplicateAddressIsRefused()
    {
        final List<ReplicationPeer> peers = List.of(
            new ReplicationPeer("n1", "127.0.0.1:7001"), new ReplicationPeer("n2", "127.0.0.1:7001"));
        assertThatThrownBy(() -> start(dir.resolve("n1"), "n1", UUID.randomUUID(), peers))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("duplicate peer address '127.0.0.1:7001' (peer n2)");
        assertThat(dir.resolve("n1")).doesNotExist();
    }

    @Test
    void aPeerMissingFromItsOwnListOrWithABadAddressIsRefused()
    {
        final List<ReplicationPeer> peers = List.of(new ReplicationPeer("n1", "127.0.0.1:7001"));
        assertThatThrownBy(() -> start(dir.resolve("n9"), "n9", UUID.randomUUID(), peers))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("peer 'n9' is not in the group's peer list");
        assertThatThrownBy(() -> new ReplicationPeer("n1", "localhost"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> new ReplicationPeer("n 1", "localhost:1"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("peer id");
        assertThatThrownBy(() -> new ReplicationPeer("n1", "localhost:70000"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port out of range");
    }

    @Test
    void aDirectoryOfAnotherGroupIsRefusedAndLeftAsItWas() throws Exception
    {
        final Path node = dir.resolve("n0");
        final UUID first = UUID.randomUUID();
        final List<ReplicationPeer> peers = List.of(new ReplicationPeer("n0", "127.0.0.1:" + LocalCluster.freePort()));
        try (ReplicationNode single = start(node, "n0", first, peers))
        {
            LocalCluster.await("a leader", single::isLeader);
            assertThat(single.stream().append("a.b", null, new byte[]{1}).get(30, TimeUnit.SECONDS)).isEqualTo(1);
        }
        final List<String> before = listing(node);
        final byte[] marker = Files.readAllBytes(node.resolve(NodeDirectory.MARKER_FILE_NAME));

        final UUID second = UUID.randomUUID();
        assertThatThrownBy(() -> start(node, "n0", second, peers))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining(node.toString())
            .hasMessageContaining("belongs to group " + first)
            .hasMessageContaining("not to group " + second)
            .hasMessageContaining("nothing changed");
        assertThatThrownBy(() -> start(node, "n1", first, List.of(new ReplicationPeer("n1", peers.get(0).address()))))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("belongs to peer n0");
        assertThat(listing(node)).isEqualTo(before);
        assertThat(Files.readAllBytes(node.resolve(NodeDirectory.MARKER_FILE_NAME))).isEqualTo(marker);

        try (ReplicationNode again = start(node, "n0", first, peers))
        {
            LocalCluster.await("a leader", again::isLeader);
            assertThat(again.stream().load(1)).isNotNull();
        }
    }

    @Test
    void aDirectoryWithFilesButNoMarkerIsRefused() throws Exception
    {
        final Path node = dir.resolve("n0");
        Files.createDirectories(node);
        Files.writeString(node.resolve("something.dat"), "not ours");
        assertThatThrownBy(() -> start(node, "n0", UUID.randomUUID(),
            List.of(new ReplicationPeer("n0", "127.0.0.1:" + LocalCluster.freePort()))))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("holds files but no " + NodeDirectory.MARKER_FILE_NAME);
        assertThat(listing(node)).containsExactly("something.dat:8");
    }

    @Test
    void aClientOfAnotherGroupIsRefusedByThePeer() throws Exception
    {
        final UUID groupId = UUID.randomUUID();
        final List<ReplicationPeer> peers = List.of(new ReplicationPeer("n0", "127.0.0.1:" + LocalCluster.freePort()));
        try (ReplicationNode single = start(dir.resolve("n0"), "n0", groupId, peers))
        {
            LocalCluster.await("a leader", single::isLeader);
            final RaftGroup wrong = ReplicationNode.group(UUID.randomUUID(), peers);
            try (RaftClient client = ReplicationNode.newClient(wrong, 0))
            {
                final Message append = Message.valueOf(UnsafeByteOperations.unsafeWrap(
                    ReplicationCommandDescriptor.encodeAppend("a.b", null, new byte[1])));
                assertThatThrownBy(() -> client.io().send(append))
                    .hasStackTraceContaining(GroupMismatchException.class.getSimpleName());
            }
            assertThat(single.stream().lastSeq()).isZero();
        }
    }

    private static ReplicationNode start(
        final Path directory, final String peerId, final UUID groupId, final List<ReplicationPeer> peers)
    {
        return ReplicationNode.builder()
            .directory(directory)
            .peerId(peerId)
            .groupId(groupId)
            .peers(peers)
            .streamConfig(LocalCluster.streamConfig())
            .start();
    }

    private static List<String> listing(final Path root) throws Exception
    {
        try (Stream<Path> walk = Files.walk(root))
        {
            return walk.filter(Files::isRegularFile)
                .filter(path -> !path.getFileName().toString().endsWith(".lock"))
                .map(path -> root.relativize(path) + ":" + size(path))
                .sorted()
                .toList();
        }
    }

    private static long size(final Path path)
    {
        try
        {
            return Files.size(path);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }
}
