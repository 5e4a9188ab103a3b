package io.ferrite.engine;

import io.ferrite.engine.RemoveEraseTest.Restart;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StoreVariant;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static io.ferrite.engine.testing.ReferenceSubjects.matches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The subject queries — {@code subjects(filter)}, {@code numPending}, {@code loadNext}, {@code loadLast} — and
 * {@code sequenceAt(time)}, checked exactly against a model through removals of a subject's first and last messages,
 * and identical after a reopen, a crash and a rebuild from the blocks. Every store ({@link StoreVariant}) runs them
 * but the restarts, which are the file store's.
 */
class SubjectQueryTest
{
    private static final String[] SUBJECTS =
        {"orders.eu.new", "orders.eu.fill", "orders.us.new", "orders.us", "trades.eu", "a", "a.b.c.d"};
    private static final List<String> FILTERS = List.of("orders.eu.new", "orders.*.new", "orders.>", "orders.*",
        "*.eu", "*.eu.*", ">", "*", "a", "a.>", "*.*.*.*", "a.*.c.>", "nope", "orders.eu.new.>", "trades.eu");
    private static final long T0 = 1_700_000_000_000_000_000L;

    @TempDir
    Path root;

    /** What the store must hold, by sequence. */
    private final TreeMap<Long, StoredMessage> model = new TreeMap<>();

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder("subjects").blockSize(4096).maxMsgSize(512));
    }

    private static StreamConfig config(final StoreVariant variant)
    {
        return variant.apply(StreamConfig.builder("subjects").blockSize(4096).maxMsgSize(512)).build();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void subjectsCountFirstAndLastExactlyThroughRemovals(final StoreVariant variant)
    {
        try (StreamStore store = variant.open(root.resolve("s"), config(variant)))
        {
            appendWorkload(store, 150);
            verifyQueries(store, "after appends");

            final SubjectState newOrders = store.subjects("orders.eu.new").get("orders.eu.new");
            remove(store, newOrders.firstSeq());
            verifyQueries(store, "after removing the first orders.eu.new");
            remove(store, newOrders.lastSeq());
            verifyQueries(store, "after removing the last orders.eu.new");
            assertThat(store.subjects("orders.eu.new").get("orders.eu.new").msgs()).isEqualTo(newOrders.msgs() - 2);

            for (final long seq : List.copyOf(model.keySet()))
            {
                if (model.get(seq).subject().equals("a"))
                {
                    remove(store, seq);
                }
            }
            verifyQueries(store, "after removing every 'a'");
            assertThat(store.subjects(">")).doesNotContainKey("a");
            assertThat(store.subjects("a")).isEmpty();
            assertThat(store.loadLast("a")).isNull();

            remove(store, model.firstKey());
            remove(store, model.lastKey());
            final List<Long> us = model.values().stream().filter((m) -> m.subject().equals("orders.us"))
                .map(StoredMessage::seq).toList();
            assertThat(us).hasSizeGreaterThan(3);
            assertThat(store.purge("orders.us", 0, 2)).isEqualTo(us.size() - 2);
            us.subList(0, us.size() - 2).forEach(model::remove);
            verifyQueries(store, "after removing the stream's first and last and a purge keeping 2");
            assertThat(store.subjects("orders.us")).isEqualTo(Map.of("orders.us",
                new SubjectState(2, us.get(us.size() - 2), us.get(us.size() - 1))));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void invalidSubjectsAndFiltersAreRejected(final StoreVariant variant)
    {
        try (StreamStore store = variant.open(root.resolve("s"), config(variant)))
        {
            store.append("a.b", null, new byte[1]);
            final StreamState before = store.state();
            for (final String bad : List.of("", ".a", "a.", "a..b", "a.>.b", ">.a", "a b", "a\tb", "a.b\n"))
            {
                assertThatThrownBy(() -> store.subjects(bad)).as("subjects('%s')", bad)
                    .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> store.numPending(1, bad)).as("numPending('%s')", bad)
                    .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> store.loadNext(bad, 1)).as("loadNext('%s')", bad)
                    .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> store.loadLast(bad)).as("loadLast('%s')", bad)
                    .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> store.purge(bad, 0, 0)).as("purge('%s')", bad)
                    .isInstanceOf(IllegalArgumentException.class);
            }
            for (final String bad : List.of("", ".a", "a.", "a..b", "a b", "a.*", "*", ">", "a.>", "a.*.b"))
            {
                assertThatThrownBy(() -> store.append(bad, null, new byte[1])).as("append('%s')", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subject");
            }
            assertThat(store.state()).as("nothing changed").isEqualTo(before);
            assertThat(store.load(1).subject()).isEqualTo("a.b");
        }
    }

    /**
     * Times chosen by the test: 1 at T0+100, 2 and 3 both at T0+200, a gap 4..9, 10 at T0+1000, then one every 10 ns
     * over many blocks.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void sequenceAtFindsTheFirstMessageAtOrAfterATime(final StoreVariant variant)
    {
        try (StreamStore store = variant.open(root.resolve("s"), config(variant)))
        {
            appendAt(store, 1, T0 + 100);
            appendAt(store, 2, T0 + 200);
            appendAt(store, 3, T0 + 200);
            appendAt(store, 10, T0 + 1000);
            for (long seq = 11; seq <= 300; seq++)
            {
                appendAt(store, seq, T0 + 1000 + (seq - 10) * 10);
            }
            final long lastTime = T0 + 1000 + 290 * 10;
            if (store instanceof FileStreamStore files)
            {
                assertThat(BlockFiles.blocks(files.directory())).as("times span blocks").hasSizeGreaterThan(3);
            }

            assertThat(store.sequenceAt(at(T0))).as("before the first").isEqualTo(1);
            assertThat(store.sequenceAt(at(T0 + 100))).as("exactly the first").isEqualTo(1);
            assertThat(store.sequenceAt(at(T0 + 150))).as("between 1 and 2").isEqualTo(2);
            assertThat(store.sequenceAt(at(T0 + 200))).as("the first of two at one time").isEqualTo(2);
            assertThat(store.sequenceAt(at(T0 + 201))).as("across the gap").isEqualTo(10);
            assertThat(store.sequenceAt(at(T0 + 1000 + 1450))).as("exactly 155").isEqualTo(155);
            assertThat(store.sequenceAt(at(T0 + 1000 + 1451))).as("between 155 and 156").isEqualTo(156);
            assertThat(store.sequenceAt(at(lastTime))).as("exactly the last").isEqualTo(300);
            assertThat(store.sequenceAt(at(lastTime + 1))).as("after the last").isEqualTo(301);
            assertThat(store.sequenceAt(Instant.MAX)).isEqualTo(301);
            assertThat(store.sequenceAt(Instant.EPOCH)).isEqualTo(1);
            verifySequenceAt(store, 0x71AE5L);

            remove(store, 1);
            remove(store, 2);
            assertThat(store.sequenceAt(at(T0))).as("after removing 1 and 2").isEqualTo(3);
            assertThat(store.sequenceAt(at(T0 + 100))).isEqualTo(3);
            remove(store, 3);
            assertThat(store.sequenceAt(at(T0 + 150))).as("after removing 1..3").isEqualTo(10);
            assertThat(store.compact(100)).isEqualTo(90);
            model.headMap(100L).clear();
            assertThat(store.sequenceAt(at(T0))).as("after compact(100)").isEqualTo(100);
            assertThat(store.sequenceAt(at(T0 + 1000 + 500))).as("the time of compacted 60").isEqualTo(100);
            remove(store, 300);
            assertThat(store.sequenceAt(at(lastTime))).as("the last message removed").isEqualTo(301);
            verifySequenceAt(store, 0x71AE6L);

            assertThat(store.purge()).isEqualTo(model.size());
            assertThat(store.sequenceAt(at(T0))).as("an empty stream").isEqualTo(301);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.ferrite.engine.RemoveEraseTest$Restart#withModes")
    void perSubjectStateIsIdenticalAfterARestart(final StreamMode mode, final Restart restart)
    {
        final StreamConfig config = config(mode);
        FileStreamStore store = FileStreamStore.open(root.resolve("s"), config);
        try
        {
            appendWorkload(store, 200);
            store.writeFullState();
            final SplittableRandom random = new SplittableRandom(0x2E57A27L);
            for (int i = 0; i < 40; i++)
            {
                final long seq = 1 + random.nextInt(200);
                assertThat(store.remove(seq)).isEqualTo(null != model.remove(seq));
            }
            final SubjectState trades = store.subjects("trades.eu").get("trades.eu");
            remove(store, trades.firstSeq());
            remove(store, trades.lastSeq());
            verifyQueries(store, "before " + restart);
            final Map<String, Map<String, SubjectState>> subjects = new LinkedHashMap<>();
            final Map<String, Long> pending = new LinkedHashMap<>();
            for (final String filter : FILTERS)
            {
                subjects.put(filter, store.subjects(filter));
                pending.put(filter, store.numPending(57, filter));
            }
            final StreamState state = store.state();

            store = restart.restart(store, config, root.resolve("image"));
            for (final String filter : FILTERS)
            {
                assertThat(store.subjects(filter)).as("subjects(%s) after %s", filter, restart)
                    .isEqualTo(subjects.get(filter));
                assertThat(store.numPending(57, filter)).as("numPending(57, %s) after %s", filter, restart)
                    .isEqualTo(pending.get(filter));
            }
            assertThat(RemoveEraseTest.withoutLastTime(store.state()))
                .isEqualTo(RemoveEraseTest.withoutLastTime(state));
            verifyQueries(store, "after " + restart);
        }
        finally
        {
            store.close();
        }
    }

    private void appendWorkload(final StreamStore store, final int count)
    {
        final SplittableRandom random = new SplittableRandom(0x5B_1EC7L);
        for (int i = 0; i < count; i++)
        {
            final long seq = store.append(SUBJECTS[random.nextInt(SUBJECTS.length)], null,
                new byte[random.nextInt(64)]);
            model.put(seq, store.load(seq));
        }
    }

    private void appendAt(final StreamStore store, final long seq, final long timestamp)
    {
        store.appendAt(seq, timestamp, SUBJECTS[(int)(seq % SUBJECTS.length)], null, new byte[40]);
        model.put(seq, store.load(seq));
    }

    private void remove(final StreamStore store, final long seq)
    {
        assertThat(store.remove(seq)).as("remove(%d)", seq).isTrue();
        model.remove(seq);
    }

    /** Every query, for every filter, against the model. */
    private void verifyQueries(final StreamStore store, final String when)
    {
        final long lastSeq = store.state().lastSeq();
        for (final String filter : FILTERS)
        {
            final Map<String, SubjectState> expected = model.values().stream()
                .filter((m) -> matches(filter, m.subject()))
                .collect(Collectors.toMap(StoredMessage::subject, (m) -> new SubjectState(1, m.seq(), m.seq()),
                    (a, b) -> new SubjectState(a.msgs() + b.msgs(), a.firstSeq(), b.lastSeq())));
            assertThat(store.subjects(filter)).as("subjects(%s) %s", filter, when).isEqualTo(expected);
            final StoredMessage last = model.descendingMap().values().stream()
                .filter((m) -> matches(filter, m.subject())).findFirst().orElse(null);
            assertThat(store.loadLast(filter)).as("loadLast(%s) %s", filter, when).isEqualTo(last);
            for (long from = 1; from <= lastSeq + 2; from++)
            {
                final StoredMessage next = model.tailMap(from).values().stream()
                    .filter((m) -> matches(filter, m.subject())).findFirst().orElse(null);
                assertThat(store.loadNext(filter, from)).as("loadNext(%s, %d) %s", filter, from, when).isEqualTo(next);
                if (from % 7 == 1 || from >= lastSeq)
                {
                    final long count = model.tailMap(from).values().stream()
                        .filter((m) -> matches(filter, m.subject())).count();
                    assertThat(store.numPending(from, filter)).as("numPending(%d, %s) %s", from, filter, when)
                        .isEqualTo(count);
                }
            }
        }
        assertThat(store.state().numSubjects()).as("numSubjects %s", when)
            .isEqualTo(model.values().stream().map(StoredMessage::subject).distinct().count());
    }

    /** sequenceAt for seeded random times against the model: the first stored message at or after the time. */
    private void verifySequenceAt(final StreamStore store, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long lastSeq = store.state().lastSeq();
        for (int i = 0; i < 200; i++)
        {
            final long time = T0 + random.nextLong(4100);
            final long expected = model.values().stream().filter((m) -> m.timestamp() >= time).mapToLong(
                StoredMessage::seq).findFirst().orElse(lastSeq + 1);
            assertThat(store.sequenceAt(at(time))).as("sequenceAt(T0 + %d)", time - T0).isEqualTo(expected);
        }
    }

    private static Instant at(final long epochNanos)
    {
        return Instant.ofEpochSecond(epochNanos / 1_000_000_000L, epochNanos % 1_000_000_000L);
    }
}
