package io.ferrite.replication;

import io.ferrite.store.StoredMessage;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded campaign of every replicated command, sent one at a time through random peers, while peers are stopped and
 * restarted, cut off the network (their gRPC closed) and healed by a restart, and snapshotted. Each command's reply is
 * checked against a model of the stream, and after every round the three streams are compared with the model message
 * by message: no acknowledged write is lost or applied twice, and the peers never diverge.
 * <p>
 * {@code verify} runs the base seed for {@value #ROUNDS} rounds; {@code -Psoak} runs {@code ferrite.soak.seeds} seeds
 * (default 10) for {@value #SOAK_ROUNDS} rounds each; {@code -Dferrite.replication.campaign.seed=N} replays one seed.
 */
class ReplicationCampaignTest
{
    static final String SEED_PROPERTY = "ferrite.replication.campaign.seed";
    static final long BASE_SEED = 0x5EED_2026L;
    static final int ROUNDS = 2;
    static final int SOAK_ROUNDS = 12;
    static final int COMMANDS_PER_ROUND = 40;
    private static final long TIMEOUT_SECONDS = 90;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    @TempDir
    Path dir;

    /** The stream as the commands acknowledged so far define it. */
    private final TreeMap<Long, String> model = new TreeMap<>();
    private final Map<String, Long> ids = new HashMap<>();
    private long last;
    private int marker;

    static LongStream seeds()
    {
        final Long given = Long.getLong(SEED_PROPERTY);
        if (null != given)
        {
            return LongStream.of(given);
        }
        if (!Boolean.getBoolean("ferrite.soak"))
        {
            return LongStream.of(BASE_SEED);
        }
        return LongStream.range(0, Integer.getInteger("ferrite.soak.seeds", 10))
            .map(i -> BASE_SEED + i * GOLDEN_GAMMA);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyCommandMatchesTheModelOnEveryPeerThroughRestartsCutsAndSnapshots(final long seed) throws Exception
    {
        final Random random = new Random(seed);
        final int rounds = Boolean.getBoolean("ferrite.soak") ? SOAK_ROUNDS : ROUNDS;
        try (LocalCluster cluster = LocalCluster.started(dir))
        {
            for (int round = 0; round < rounds; round++)
            {
                final int victim = random.nextInt(3);
                final int fault = random.nextInt(3);
                for (int i = 0; i < COMMANDS_PER_ROUND; i++)
                {
                    if (i == COMMANDS_PER_ROUND / 4)
                    {
                        if (0 == fault)
                        {
                            cluster.stop(victim);
                        }
                        else if (1 == fault)
                        {
                            cluster.nodes[victim].raftServer().getServerRpc().close();
                        }
                        else
                        {
                            cluster.nodes[victim].takeSnapshot(TIMEOUT_SECONDS * 1000);
                        }
                    }
                    if (i == COMMANDS_PER_ROUND * 3 / 4 && fault < 2)
                    {
                        if (1 == fault)
                        {
                            cluster.stop(victim);
                        }
                        cluster.start(victim);
                    }
                    command(cluster, random, victim, fault < 2 && i >= COMMANDS_PER_ROUND / 4 &&
                        i < COMMANDS_PER_ROUND * 3 / 4);
                }
                assertMatchesModel(cluster, seed, round);
            }
        }
    }

    /** One random command through a random running peer (not the one cut off), checked against the model. */
    private void command(final LocalCluster cluster, final Random random, final int victim, final boolean victimDown)
        throws Exception
    {
        int through = random.nextInt(3);
        if (victimDown && through == victim)
        {
            through = (victim + 1) % 3;
        }
        final ReplicatedStream stream = cluster.nodes[through].stream();
        final int kind = random.nextInt(100);
        final String text = "m" + random.nextInt(1_000_000);
        if (kind < 40)
        {
            assertThat(get(stream.append("s." + (kind % 3), null, bytes(text)))).isEqualTo(appendToModel(text));
        }
        else if (kind < 60)
        {
            final String id = "id-" + random.nextInt(30);
            final Long first = ids.get(id);
            final long expected = null != first ? first : appendToModel(text);
            if (null == first)
            {
                ids.put(id, expected);
            }
            assertThat(get(stream.appendOnce(id, "once", null, bytes(text)))).as(id).isEqualTo(expected);
        }
        else if (kind < 70)
        {
            final long seq = 1 + (long)random.nextInt((int)Math.max(1, last + 2));
            final boolean present = null != model.remove(seq);
            final boolean erase = random.nextBoolean();
            assertThat(get(erase ? stream.erase(seq) : stream.remove(seq))).as("remove " + seq).isEqualTo(present);
        }
        else if (kind < 76)
        {
            final long seq = Math.max(1, last - random.nextInt(10));
            final long expected = model.headMap(seq).size();
            model.headMap(seq).clear();
            last = Math.max(last, seq - 1);
            assertThat(get(stream.compact(seq))).as("compact " + seq).isEqualTo(expected);
        }
        else if (kind < 84)
        {
            final long seq = Math.max(0, last - random.nextInt(6));
            model.tailMap(seq, false).clear();
            ids.values().removeIf(s -> s > seq);
            last = seq;
            get(stream.truncate(seq));
        }
        else if (kind < 92)
        {
            final int count = 1 + random.nextInt(3);
            last += count;
            assertThat(get(stream.skip(count))).isEqualTo(last);
        }
        else if (kind < 94)
        {
            final long expected = model.size();
            model.clear();
            assertThat(get(stream.purge())).isEqualTo(expected);
        }
        else if (kind < 97)
        {
            final long upTo = random.nextInt((int)last + 3);
            final long bound = 0 == upTo ? last + 1 : Math.min(upTo, last + 1);
            final long expected = model.headMap(bound).size();
            model.headMap(bound).clear();
            assertThat(get(stream.purge(">", upTo))).as("purge below " + upTo).isEqualTo(expected);
        }
        else
        {
            assertThat(get(stream.lastSeqLinearizable())).isEqualTo(last);
        }
    }

    private long appendToModel(final String text)
    {
        last++;
        model.put(last, text);
        return last;
    }

    private void assertMatchesModel(final LocalCluster cluster, final long seed, final int round) throws Exception
    {
        final String text = "marker-" + marker++;
        final long seq = get(cluster.nodes[cluster.awaitLeader()].stream().append("marker", null, bytes(text)));
        assertThat(seq).isEqualTo(appendToModel(text));
        for (final ReplicationNode node : cluster.nodes)
        {
            LocalCluster.await(node.peerId() + " at the round's marker", () ->
            {
                final StoredMessage message = node.stream().appliedSeq() == seq ? node.stream().load(seq) : null;
                return null != message && text.equals(new String(message.payload(), StandardCharsets.UTF_8));
            });
            final TreeMap<Long, String> actual = new TreeMap<>();
            for (long s = 1; s <= node.stream().lastSeq(); s++)
            {
                final StoredMessage message = node.stream().load(s);
                if (null != message)
                {
                    actual.put(s, new String(message.payload(), StandardCharsets.UTF_8));
                }
            }
            assertThat(actual).as("seed " + seed + " round " + round + " " + node.peerId()).isEqualTo(model);
            assertThat(node.stream().lastSeq()).isEqualTo(last);
        }
        cluster.assertIdentical();
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
