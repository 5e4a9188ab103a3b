package io.ferrite.conformance;

import io.ferrite.store.AckPolicy;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.Pending;
import io.ferrite.store.SequencePair;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreProvider;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.TailerNames;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Consumer state with JetStream's semantics against each store found through {@link StoreProvider}: deliveries, the
 * ack floor, pending and redelivered messages under each ack policy, the updates refused, names, deletion, and the
 * encoding; and a seeded random run that both stores must end identically. What survives a close, a crash or damage
 * in a file store is {@code ConsumerStoreTest}'s and {@code ConsumerCrashTest}'s.
 */
class ConsumerStateConformanceTest
{
    private static final ConsumerConfig EXPLICIT = ConsumerConfig.builder().build();
    private static final ConsumerConfig ALL = ConsumerConfig.builder().ackPolicy(AckPolicy.ALL).build();
    private static final ConsumerConfig NONE = ConsumerConfig.builder().ackPolicy(AckPolicy.NONE).build();

    @TempDir
    Path root;

    private StreamStore open(final String kind)
    {
        return StoreProvider.named(kind).open(root.resolve(kind),
            StreamConfig.builder("consumers").blockSize(4096).maxMsgSize(256).build());
    }

    private static void append(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("t", null, new byte[]{1});
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void explicitAcksRaiseTheFloorToJustBelowTheLowestPending(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            final ConsumerStore k = store.consumer("billing", EXPLICIT);
            assertThat(k.state()).isEqualTo(ConsumerState.EMPTY);
            k.updateDelivered(1, 2, 1, 100);
            k.updateDelivered(2, 4, 1, 200);
            k.updateDelivered(3, 5, 1, 300);
            assertThat(k.state().delivered()).isEqualTo(new SequencePair(3, 5));
            assertThat(k.state().pending()).containsExactly(Map.entry(2L, new Pending(1, 100)),
                Map.entry(4L, new Pending(2, 200)), Map.entry(5L, new Pending(3, 300)));

            assertThat(k.updateAcks(2, 4)).isTrue();
            assertThat(k.state().ackFloor()).as("2 still pending: just below it, sseq 1 was never delivered")
                .isEqualTo(new SequencePair(0, 1));
            assertThat(k.updateAcks(1, 2)).isTrue();
            assertThat(k.state().ackFloor()).as("just below sseq 5, dseq 3").isEqualTo(new SequencePair(2, 4));
            assertThat(k.state().pending()).containsOnlyKeys(5L);
            assertThat(k.updateAcks(3, 5)).isTrue();
            assertThat(k.state().ackFloor()).as("nothing pending: the floor is what was delivered")
                .isEqualTo(new SequencePair(3, 5));
            assertThat(k.state().pending()).isEmpty();
            assertThat(k.updateAcks(3, 5)).as("a replayed ack at the floor changes nothing").isFalse();
            assertThat(store.consumer("billing", EXPLICIT)).as("one instance per name").isSameAs(k);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aTruncationForgetsTheDeliveriesItCutSoTheReusedSequencesCanBeDelivered(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            final ConsumerStore k = store.consumer("c", EXPLICIT);
            for (int seq = 1; seq <= 8; seq++)
            {
                k.updateDelivered(seq, seq, 1, seq * 10L);
            }
            k.updateDelivered(9, 7, 2, 90);
            assertThat(k.updateAcks(2, 2)).isTrue();
            assertThat(k.updateAcks(1, 1)).isTrue();
            store.truncate(5);
            final ConsumerState state = k.state();
            assertThat(state.delivered()).as("consumer sequences stay; stream ones above the cut go")
                .isEqualTo(new SequencePair(9, 5));
            assertThat(state.ackFloor()).isEqualTo(new SequencePair(2, 2));
            assertThat(state.pending()).containsOnlyKeys(3L, 4L, 5L);
            assertThat(state.redelivered()).as("message 7 is gone, and its redelivery count with it").isEmpty();
            append(store, 2);
            k.updateDelivered(10, 6, 1, 100);
            assertThat(k.state().pending()).containsKey(6L);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void redeliveriesCountAndKeepTheFirstDeliverysConsumerSequence(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            final ConsumerStore k = store.consumer("c", EXPLICIT);
            k.updateDelivered(1, 1, 1, 10);
            k.updateDelivered(2, 2, 1, 20);
            k.updateDelivered(3, 1, 2, 30);
            k.updateDelivered(4, 1, 3, 40);
            final ConsumerState state = k.state();
            assertThat(state.delivered()).isEqualTo(new SequencePair(4, 2));
            assertThat(state.pending()).containsEntry(1L, new Pending(1, 40));
            assertThat(state.redelivered()).containsExactly(Map.entry(1L, 2L));
            assertThatThrownBy(() -> k.updateAcks(5, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dseq 5");
            assertThat(k.updateAcks(4, 1)).as("acked through its redelivery's consumer sequence").isTrue();
            assertThat(k.state().redelivered()).isEmpty();
            assertThat(k.state().ackFloor()).isEqualTo(new SequencePair(1, 1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void ackAllMovesTheFloorToTheAckedMessageAndDropsEverythingBelow(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            final ConsumerStore k = store.consumer("all", ALL);
            for (int i = 1; i <= 6; i++)
            {
                k.updateDelivered(i, i + 2, 1, i);
            }
            k.updateDelivered(7, 4, 2, 70);
            assertThat(k.updateAcks(7, 4)).isTrue();
            final ConsumerState state = k.state();
            assertThat(state.ackFloor()).as("the first delivery's consumer sequence").isEqualTo(new SequencePair(2, 4));
            assertThat(state.pending()).containsOnlyKeys(5L, 6L, 7L, 8L);
            assertThat(state.redelivered()).isEmpty();
            assertThat(k.updateAcks(1, 3)).as("below the floor: made already").isFalse();
            assertThat(k.updateAcks(6, 8)).isTrue();
            assertThat(k.state().ackFloor()).isEqualTo(new SequencePair(7, 8));
            assertThat(k.state().pending()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void ackNoneMovesTheFloorWithEachDeliveryAndRefusesAcks(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 5);
            final ConsumerStore k = store.consumer("none", NONE);
            k.updateDelivered(1, 2, 1, 5);
            k.updateDelivered(2, 5, 1, 6);
            assertThat(k.state()).isEqualTo(new ConsumerState(new SequencePair(2, 5), new SequencePair(2, 5),
                new TreeMap<>(), new TreeMap<>()));
            assertThatThrownBy(() -> k.updateAcks(2, 5)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ack policy NONE");
            assertThatThrownBy(() -> k.updateDelivered(3, 5, 2, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deliveryCount 2");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void badUpdatesAreRefusedNamingTheirValuesAndChangeNothing(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            final ConsumerStore k = store.consumer("c", EXPLICIT);
            k.updateDelivered(5, 5, 1, 1);
            k.updateDelivered(6, 7, 1, 2);
            final ConsumerState before = k.state();
            assertThatThrownBy(() -> k.updateDelivered(7, 11, 1, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sseq 11").hasMessageContaining("last sequence 10");
            assertThatThrownBy(() -> k.updateDelivered(6, 8, 1, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dseq 6");
            assertThatThrownBy(() -> k.updateDelivered(7, 6, 1, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sseq 6").hasMessageContaining("7");
            assertThatThrownBy(() -> k.updateDelivered(7, 6, 2, 3)).as("a redelivery of what was never delivered")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sseq 6")
                .hasMessageContaining("not pending");
            assertThatThrownBy(() -> k.updateDelivered(0, 8, 1, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dseq (0)");
            assertThatThrownBy(() -> k.updateAcks(8, 9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sseq 9").hasMessageContaining("never delivered");
            assertThatThrownBy(() -> k.updateAcks(6, 6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sseq 6").hasMessageContaining("not pending");
            assertThatThrownBy(() -> k.updateAcks(4, 5)).as("a dseq before the delivery")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dseq 4");
            assertThat(k.state()).as("nothing changed").isEqualTo(before);
            k.updateAcks(6, 7);
            assertThatThrownBy(() -> k.updateAcks(6, 7)).as("acked twice while 5 holds the floor")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not pending");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void namesAreCheckedAndConsumersListedAndDeleted(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 3);
            for (final String bad : new String[]{"", "a/b", "a\\b", "..", ".hidden", "tab\there",
                "x".repeat(TailerNames.MAX_LENGTH + 1)})
            {
                assertThatThrownBy(() -> store.consumer(bad, EXPLICIT)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("consumer name");
                assertThatThrownBy(() -> store.deleteConsumer(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("consumer name");
            }
            assertThatThrownBy(() -> store.consumer(null, EXPLICIT)).hasMessage("consumer name must not be null");
            final ConsumerStore b = store.consumer("b", EXPLICIT);
            store.consumer("a", ALL);
            assertThatThrownBy(() -> store.consumer("a", EXPLICIT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ALL");
            assertThat(store.consumerNames()).containsExactly("a", "b");
            b.updateDelivered(1, 1, 1, 1);
            assertThat(b.delete()).isTrue();
            assertThat(store.deleteConsumer("b")).isFalse();
            assertThat(store.consumerNames()).containsExactly("a");
            assertThatThrownBy(() -> b.updateAcks(1, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("deleted");
            assertThat(store.consumer("b", EXPLICIT).state()).as("created again, empty").isEqualTo(ConsumerState.EMPTY);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aClosedStoreRefusesConsumerUpdates(final String kind)
    {
        final StreamStore store = open(kind);
        append(store, 1);
        final ConsumerStore k = store.consumer("c", EXPLICIT);
        store.close();
        assertThatThrownBy(() -> k.updateDelivered(1, 1, 1, 1)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.consumer("c", EXPLICIT)).isInstanceOf(StoreClosedException.class);
    }

    /**
     * A seeded run of deliveries, redeliveries and acks, valid and not, under each ack policy: both stores must take
     * and refuse the same updates and end in the same state, whose encoding decodes to it.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"EXPLICIT", "ALL"})
    void bothStoresAgreeOnASeededRun(final AckPolicy policy)
    {
        final ConsumerConfig config = ConsumerConfig.builder().ackPolicy(policy).build();
        try (StreamStore file = open("file"); StreamStore memory = open("memory"))
        {
            append(file, 400);
            append(memory, 400);
            final ConsumerStore a = file.consumer("run", config);
            final ConsumerStore b = memory.consumer("run", config);
            final Random random = new Random(0x5EED_C0DEL + policy.ordinal());
            final List<String> outcomes = new ArrayList<>();
            long dseq = 0;
            long sseq = 0;
            for (int step = 0; step < 600; step++)
            {
                final int what = random.nextInt(10);
                final String outcomeA;
                final String outcomeB;
                if (what < 4 && sseq < 400)
                {
                    dseq++;
                    sseq += 1 + random.nextInt(2);
                    final long d = dseq;
                    final long s = Math.min(sseq, 400);
                    outcomeA = attempt(() -> a.updateDelivered(d, s, 1, step(d)));
                    outcomeB = attempt(() -> b.updateDelivered(d, s, 1, step(d)));
                }
                else if (what < 6)
                {
                    dseq++;
                    final long d = dseq;
                    final long s = 1 + random.nextInt((int)Math.max(1, Math.min(sseq, 400)));
                    final long count = 2 + random.nextInt(3);
                    outcomeA = attempt(() -> a.updateDelivered(d, s, count, step(d)));
                    outcomeB = attempt(() -> b.updateDelivered(d, s, count, step(d)));
                }
                else
                {
                    final long s = 1 + random.nextInt((int)Math.max(1, Math.min(sseq + 2, 400)));
                    final Pending pending = a.state().pending().get(s);
                    final long d = null == pending ? 1 + random.nextInt((int)Math.max(1, dseq)) :
                        pending.consumerSeq() + random.nextInt(2);
                    outcomeA = attempt(() -> a.updateAcks(d, s));
                    outcomeB = attempt(() -> b.updateAcks(d, s));
                }
                assertThat(outcomeB).as("step %d", step).isEqualTo(outcomeA);
                outcomes.add(outcomeA);
            }
            assertThat(b.state()).isEqualTo(a.state());
            assertThat(b.encodedState()).isEqualTo(a.encodedState());
            assertThat(ConsumerState.decode(a.encodedState())).isEqualTo(a.state());
            assertThat(outcomes).as("the run exercised both outcomes").contains("ok", "IllegalArgumentException");
            assertThat(a.state().ackFloor().stream()).as("the run moved the floor").isPositive();
        }
    }

    private static long step(final long dseq)
    {
        return 1_700_000_000_000_000_000L + dseq * 1_000_003L;
    }

    private static String attempt(final Runnable update)
    {
        try
        {
            update.run();
            return "ok";
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            return ex.getClass().getSimpleName();
        }
    }
}
