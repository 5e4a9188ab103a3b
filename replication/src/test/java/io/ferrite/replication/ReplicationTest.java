package io.ferrite.replication;

import io.ferrite.store.Discard;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamLimits;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Three peers on loopback in this JVM: the streams end identical, a restarted follower catches up through the log or
 * a snapshot, and a leader killed during appends loses no acknowledged append.
 */
class ReplicationTest
{
    private static final long TIMEOUT_SECONDS = 60;

    @TempDir
    Path dir;

    @Test
    void everyPeerStoresTheSameSequenceTimeSubjectAndPayload() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final ReplicatedStream stream = cluster.nodes[cluster.follower()].stream();
            final Random random = new Random(17);
            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int i = 0; i < 300; i++)
            {
                final byte[] payload = new byte[random.nextInt(200)];
                random.nextBytes(payload);
                final byte[] headers = 0 == i % 3 ? null : ("h" + i).getBytes(StandardCharsets.UTF_8);
                acks.add(stream.append("orders." + (i % 7), headers, payload));
            }
            for (int i = 0; i < acks.size(); i++)
            {
                assertThat(acks.get(i).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isBetween(1L, 300L);
            }
            assertThat(acks.stream().map(CompletableFuture::join).distinct().count()).isEqualTo(300);
            cluster.awaitApplied(300);
            cluster.assertIdentical();
            assertThat(stream.lastSeqLinearizable().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(300);
        }
    }

    @Test
    void removalsPurgesAndLimitsReplicateAsCommands() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final ReplicatedStream stream = cluster.nodes[0].stream();
            for (int i = 0; i < 50; i++)
            {
                stream.append(0 == i % 2 ? "a.x" : "b.x", null, new byte[]{(byte)i}).get(TIMEOUT_SECONDS,
                    TimeUnit.SECONDS);
            }
            assertThat(stream.remove(3).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(stream.remove(3).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isFalse();
            assertThat(stream.remove(51).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("not assigned yet").isFalse();
            assertThat(stream.purge("b.>").get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(25);
            stream.updateLimits(new StreamLimits(10, StreamLimits.UNLIMITED, Duration.ZERO, StreamLimits.UNLIMITED,
                Discard.OLD)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            final long last = stream.append("a.x", null, new byte[]{1}).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(last).isEqualTo(51);
            cluster.awaitApplied(51);
            for (final ReplicationNode node : cluster.nodes)
            {
                assertThat(node.stream().state().msgs()).as(node.peerId()).isEqualTo(10);
                assertThat(node.stream().load(3)).isNull();
            }
            cluster.assertIdentical();

            assertThatThrownBy(() -> stream.append("bad subject", null, new byte[1]).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(ReplicationRejectedException.class);
            assertThat(stream.append("a.x", null, new byte[1]).get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .as("a refused append takes no sequence").isEqualTo(52);
            assertThatThrownBy(() -> stream.updateLimits(new StreamLimits(5, StreamLimits.UNLIMITED, Duration.ZERO,
                StreamLimits.UNLIMITED, Discard.NEW))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Discard.NEW");
        }
    }

    @Test
    void aFollowerKilledDuringAppendsCatchesUpThroughTheLog() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final int leader = cluster.awaitLeader();
            final int follower = cluster.follower();
            final ReplicatedStream stream = cluster.nodes[leader].stream();
            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int i = 0; i < 400; i++)
            {
                acks.add(stream.append("orders.new", null, ("m" + i).getBytes(StandardCharsets.UTF_8)));
                if (100 == i)
                {
                    cluster.stop(follower);
                }
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            cluster.start(follower);
            cluster.awaitApplied(400);
            cluster.assertIdentical();
        }
    }

    @Test
    void aFollowerBehindAPurgedLogIsSentASnapshot() throws Exception
    {
        try (LocalCluster cluster = new LocalCluster(dir, 3, Long.MAX_VALUE / 2, SizeInBytes.valueOf("16KB")))
        {
            cluster.startAll();
            final int leader = cluster.awaitLeader();
            final int follower = cluster.follower();
            final ReplicatedStream stream = cluster.nodes[leader].stream();
            final byte[] payload = new byte[512];
            for (int i = 0; i < 50; i++)
            {
                stream.append("orders.new", null, payload).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            cluster.awaitApplied(50);
            cluster.stop(follower);
            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int i = 0; i < 300; i++)
            {
                acks.add(stream.append("orders.new", null, payload));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(stream.remove(10).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            for (final ReplicationNode node : cluster.nodes)
            {
                if (null != node)
                {
                    node.takeSnapshot(TIMEOUT_SECONDS * 1000);
                }
            }

            final long started = System.nanoTime();
            final ReplicationNode restarted = cluster.start(follower);
            cluster.awaitApplied(350);
            final long installMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            System.out.printf("snapshot install and catch-up of a follower 300 appends (150 KiB) behind: %d ms%n",
                installMillis);
            assertThat(restarted.stateMachine().snapshotsInstalled()).as("installed from the leader").isEqualTo(1);
            assertThat(restarted.stream().load(10)).isNull();
            cluster.assertIdentical();
        }
    }

    @Test
    void aLeaderKilledDuringAppendsLosesNoAcknowledgedAppend() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final int leader = cluster.awaitLeader();
            final ReplicatedStream stream = cluster.nodes[cluster.follower()].stream();
            final Map<Long, String> acknowledged = new ConcurrentHashMap<>();
            final AtomicBoolean running = new AtomicBoolean(true);
            final List<Throwable> failures = new ArrayList<>();
            final Thread writer = new Thread(() ->
            {
                int i = 0;
                while (running.get())
                {
                    final String body = "m" + i++;
                    try
                    {
                        final long seq = stream.append("orders.new", null, body.getBytes(StandardCharsets.UTF_8))
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        acknowledged.put(seq, body);
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
            }, "replicated-writer");
            writer.start();
            LocalCluster.await("100 acknowledged appends", () -> acknowledged.size() >= 100);

            final long killed = System.nanoTime();
            final int ackedAtKill = acknowledged.size();
            cluster.stop(leader);
            final int newLeader = cluster.awaitLeader();
            final long electedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            LocalCluster.await("appends after the failover", () -> acknowledged.size() >= ackedAtKill + 100);
            final long resumedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            running.set(false);
            writer.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            System.out.printf("leader failover: new leader %s elected %d ms after the kill, appends resumed " +
                "within %d ms%n", cluster.nodes[newLeader].peerId(), electedMillis, resumedMillis);
            assertThat(failures).isEmpty();

            cluster.start(leader);
            final long last = stream.lastSeqLinearizable().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            cluster.awaitApplied(last);
            for (final ReplicationNode node : cluster.nodes)
            {
                for (final Map.Entry<Long, String> ack : acknowledged.entrySet())
                {
                    final StoredMessage message = node.stream().load(ack.getKey());
                    assertThat(message).as(node.peerId() + " seq " + ack.getKey()).isNotNull();
                    assertThat(new String(message.payload(), StandardCharsets.UTF_8)).isEqualTo(ack.getValue());
                }
            }
            cluster.assertIdentical();
        }
    }

    @Test
    void aRestartedPeerReplaysItsLogWithoutStoringAnythingTwice() throws Exception
    {
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            final ReplicatedStream stream = cluster.nodes[0].stream();
            for (int i = 0; i < 100; i++)
            {
                stream.append("orders.new", null, new byte[]{(byte)i}).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            stream.purge().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            for (int i = 0; i < 20; i++)
            {
                stream.append("orders.new", null, new byte[]{(byte)i}).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            cluster.awaitApplied(120);
            cluster.close();
            cluster.startAll();
            cluster.awaitApplied(120);
            for (final ReplicationNode node : cluster.nodes)
            {
                assertThat(node.stream().appliedSeq()).isEqualTo(120);
                assertThat(node.stream().state().msgs()).as(node.peerId() + ": the replayed purge keeps 101..120")
                    .isEqualTo(20);
            }
            cluster.assertIdentical();
            assertThat(cluster.nodes[1].stream().append("orders.new", null, new byte[1])
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(121);
        }
    }
}
