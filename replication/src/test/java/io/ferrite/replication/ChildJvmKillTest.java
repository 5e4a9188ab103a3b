package io.ferrite.replication;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamStore;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three peers, each in a JVM of its own; the leader is killed with SIGKILL (no close, no snapshot on stop, whatever
 * its stream had not forced is gone) during appends, a new leader carries on, the killed peer restarts and replays its
 * log. No acknowledged append is lost, and the three stream directories end identical.
 */
class ChildJvmKillTest
{
    private static final long TIMEOUT_SECONDS = 60;
    private static final Message LAST_SEQ = Message.valueOf(UnsafeByteOperations.unsafeWrap(
        ReplicationCommandDescriptor.encodeQuery(ReplicationCommandDescriptor.QUERY_LAST_SEQ)));

    @TempDir
    Path dir;

    private final List<ReplicationPeer> peers = new ArrayList<>();
    private final Process[] processes = new Process[3];
    private final UUID groupId = UUID.randomUUID();

    @AfterEach
    void killLeftovers()
    {
        for (final Process process : processes)
        {
            if (null != process)
            {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void aLeaderKilledWithSigkillLosesNoAcknowledgedAppend() throws Exception
    {
        for (int i = 0; i < 3; i++)
        {
            peers.add(new ReplicationPeer("p" + i, "127.0.0.1:" + LocalCluster.freePort()));
        }
        for (int i = 0; i < 3; i++)
        {
            start(i);
        }
        final RaftGroup group = ReplicationNode.group(groupId, peers);
        final Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        try (RaftClient client = ReplicationNode.newClient(group, ReplicationNode.CLIENT_RETRIES_DEFAULT))
        {
            final AtomicBoolean running = new AtomicBoolean(true);
            final List<Throwable> failures = new ArrayList<>();
            final Thread writer = new Thread(() ->
            {
                for (int i = 0; running.get(); i++)
                {
                    final String body = "m" + i;
                    try
                    {
                        final RaftClientReply reply = client.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(
                            ReplicationCommandDescriptor.encodeAppend("orders.new", null,
                                body.getBytes(StandardCharsets.UTF_8)))));
                        acknowledged.put(value(reply), body);
                    }
                    catch (final Exception ex)
                    {
                        synchronized (failures)
                        {
                            failures.add(ex);
                        }
                        return;
                    }
                }
            }, "child-jvm-writer");
            writer.start();
            LocalCluster.await("100 acknowledged appends", () -> acknowledged.size() >= 100);

            final int leader = indexOf(client.getLeaderId());
            final int ackedAtKill = acknowledged.size();
            final long killed = System.nanoTime();
            processes[leader].destroyForcibly().waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            processes[leader] = null;
            LocalCluster.await("appends after the kill", () -> acknowledged.size() >= ackedAtKill + 100);
            System.out.printf("SIGKILL of leader %s: appends resumed within %d ms%n", peers.get(leader).id(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));

            start(leader);
            LocalCluster.await("appends after the restart", () -> acknowledged.size() >= ackedAtKill + 200);
            running.set(false);
            writer.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            assertThat(failures).isEmpty();

            final long last = value(client.io().sendReadOnly(LAST_SEQ));
            for (final ReplicationPeer peer : peers)
            {
                LocalCluster.await(peer.id() + " at " + last, () -> staleLastSeq(client, peer) >= last);
            }
        }
        for (int i = 0; i < 3; i++)
        {
            stop(i);
        }

        final List<String> reference = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            try (StreamStore store = FileStreamStore.open(
                dir.resolve(peers.get(i).id()).resolve(NodeDirectory.STREAM_DIR_NAME), LocalCluster.streamConfig()))
            {
                for (final Map.Entry<Long, String> ack : acknowledged.entrySet())
                {
                    final StoredMessage message = store.load(ack.getKey());
                    assertThat(message).as(peers.get(i).id() + " seq " + ack.getKey()).isNotNull();
                    assertThat(new String(message.payload(), StandardCharsets.UTF_8)).isEqualTo(ack.getValue());
                }
                final List<String> fingerprints = new ArrayList<>();
                for (long seq = 1; seq <= store.lastSeq(); seq++)
                {
                    fingerprints.add(LocalCluster.fingerprint(store.load(seq)));
                }
                if (reference.isEmpty())
                {
                    reference.addAll(fingerprints);
                }
                else
                {
                    assertThat(fingerprints).as(peers.get(i).id()).isEqualTo(reference);
                }
            }
        }
    }

    private void start(final int i) throws Exception
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final String peerList = peers.stream().map(p -> p.id() + "=" + p.address()).collect(Collectors.joining(","));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx256m",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.log.org.apache.ratis=off",
            "-cp", classPath,
            PeerProcess.class.getName(),
            dir.resolve(peers.get(i).id()).toString(), peers.get(i).id(), groupId.toString(), peerList));
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
        processes[i] = process;
        final BufferedReader out = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while (null != (line = out.readLine()) && !line.startsWith(PeerProcess.READY))
        {
            System.out.println(peers.get(i).id() + "> " + line);
        }
        assertThat(line).as(peers.get(i).id() + " started (classpath " + classPath.split(File.pathSeparator).length +
            " entries)").isNotNull();
        final String id = peers.get(i).id();
        final Thread drain = new Thread(() -> out.lines().forEach(l -> System.out.println(id + "> " + l)),
            "drain-" + id);
        drain.setDaemon(true);
        drain.start();
    }

    private void stop(final int i) throws Exception
    {
        final OutputStream in = processes[i].getOutputStream();
        in.write((PeerProcess.STOP + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        assertThat(processes[i].waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as(peers.get(i).id() + " stopped")
            .isTrue();
        processes[i] = null;
    }

    private int indexOf(final RaftPeerId id)
    {
        for (int i = 0; i < peers.size(); i++)
        {
            if (peers.get(i).id().equals(id.toString()))
            {
                return i;
            }
        }
        throw new IllegalStateException("unknown leader " + id);
    }

    private static long staleLastSeq(final RaftClient client, final ReplicationPeer peer)
    {
        try
        {
            return value(client.io().sendStaleRead(LAST_SEQ, 0, RaftPeerId.valueOf(peer.id())));
        }
        catch (final Exception ex)
        {
            return -1;
        }
    }

    private static long value(final RaftClientReply reply)
    {
        assertThat(reply.isSuccess()).as(String.valueOf(reply.getException())).isTrue();
        final ByteBuffer buffer = ByteBuffer.wrap(reply.getMessage().getContent().toByteArray())
            .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(buffer.getInt(ReplicationCommandDescriptor.REPLY_STATUS_OFFSET))
            .isEqualTo(ReplicationCommandDescriptor.STATUS_OK);
        return buffer.getLong(ReplicationCommandDescriptor.REPLY_VALUE_OFFSET);
    }
}
