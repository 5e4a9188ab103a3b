package io.ferrite.conformance;

import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.Discard;
import io.ferrite.store.FilteredState;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.MessageView;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.SequenceExhaustedException;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreProvider;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The behaviour every {@link StreamStore} owes its caller, run against each store found through
 * {@link StoreProvider} ({@code "file"} and {@code "memory"}), so the two cannot drift: the NATS parity calls
 * ({@code loadPrev}, {@code skip(fromSeq, count)}, {@code filteredState}, {@code updateLimits}), limits and discard
 * policies, removals, and bad arguments refused with errors naming the argument. {@code StreamModelTest} holds both
 * stores to the reference model over random walks; this suite pins the edges by name.
 */
class StoreConformanceTest
{
    private static final long HOUR = 3_600_000_000_000L;

    @TempDir
    Path root;

    private static StreamConfig.Builder config()
    {
        return StreamConfig.builder("conformance").blockSize(4096).maxMsgSize(512);
    }

    private StreamStore open(final String kind, final StreamConfig config)
    {
        return StoreProvider.named(kind).open(root.resolve(kind), config);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static long now()
    {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Test
    void bothStoresAreFoundByNameAndAnUnknownNameListsTheKnownOnes()
    {
        assertThat(StoreProvider.names()).contains("file", "memory");
        assertThat(StoreProvider.named("file").needsDirectory()).isTrue();
        assertThat(StoreProvider.named("memory").needsDirectory()).isFalse();
        assertThatThrownBy(() -> StoreProvider.named("tape"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'tape'").hasMessageContaining("file").hasMessageContaining("memory");
        assertThatThrownBy(() -> StoreProvider.named(null)).isInstanceOf(NullPointerException.class)
            .hasMessageContaining("name");
    }

    @Test
    void theFileStoreNeedsADirectoryAndTheMemoryStoreNone()
    {
        final StreamConfig config = config().build();
        assertThatThrownBy(() -> StoreProvider.named("file").open(config))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a directory");
        assertThatThrownBy(() -> StoreProvider.named("file").open(null, config))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dir");
        try (StreamStore memory = StoreProvider.named("memory").open(config))
        {
            assertThat(memory.append("a", null, bytes("x"))).isEqualTo(1);
            assertThat(memory.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.NEW_STREAM);
            assertThat(memory.recoveryReport().lost()).isEmpty();
            assertThat(memory.flush().join()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void appendLoadReadAndState(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            final long seq = store.append("orders.eu", bytes("h"), bytes("payload"));
            store.append("orders.us", null, bytes("p2"));
            final StoredMessage loaded = store.load(seq);
            assertThat(loaded.subject()).isEqualTo("orders.eu");
            assertThat(loaded.headers()).isEqualTo(bytes("h"));
            assertThat(loaded.payload()).isEqualTo(bytes("payload"));
            final List<String> seen = new ArrayList<>();
            assertThat(store.read(seq, (view) -> seen.add(view.seq() + " " + view.subject() + " " +
                new String(view.payload(), StandardCharsets.US_ASCII)))).isTrue();
            assertThat(seen).containsExactly("1 orders.eu payload");
            assertThat(store.read(3, (view) -> seen.add("none"))).isFalse();
            final StreamState state = store.state();
            assertThat(state.msgs()).isEqualTo(2);
            assertThat(state.bytes()).isEqualTo("orders.eu".length() + 1 + 7 + "orders.us".length() + 2);
            assertThat(state.firstSeq()).isEqualTo(1);
            assertThat(state.lastSeq()).isEqualTo(2);
            assertThat(state.numSubjects()).isEqualTo(2);
            assertThat(store.subjects("orders.*")).isEqualTo(Map.of("orders.eu", new SubjectState(1, 1, 1),
                "orders.us", new SubjectState(1, 2, 2)));
            assertThat(store.stats()).isNotNull();
        }
    }

    /**
     * Each thread reads through one flyweight; a handler that reads the store again (load, read, the lookups) must
     * find the view it was handed still on its own message afterwards, at every depth.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aReadInsideAReadHandlerLeavesTheHandlersViewOnItsOwnMessage(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            for (int i = 1; i <= 10; i++)
            {
                store.append("s." + i, bytes("h-" + i), bytes("p-" + i));
            }
            final List<String> seen = new ArrayList<>();
            assertThat(store.read(3, (outer) ->
            {
                seen.add(describe(outer));
                assertThat(store.load(7).payload()).isEqualTo(bytes("p-7"));
                seen.add(describe(outer));
                assertThat(store.read(8, (inner) ->
                {
                    seen.add(describe(inner));
                    assertThat(store.read(9, (innermost) -> seen.add(describe(innermost)))).isTrue();
                    assertThat(store.loadNext("s.5", 1).seq()).isEqualTo(5);
                    seen.add(describe(inner));
                })).isTrue();
                assertThat(store.loadLast("s.6").seq()).isEqualTo(6);
                assertThat(store.loadPrev("s.4", 10).seq()).isEqualTo(4);
                seen.add(describe(outer));
            })).isTrue();
            assertThat(store.read(2, (view) -> seen.add(describe(view)))).isTrue();
            assertThat(seen).containsExactly("3 s.3 h-3 p-3", "3 s.3 h-3 p-3", "8 s.8 h-8 p-8", "9 s.9 h-9 p-9",
                "8 s.8 h-8 p-8", "3 s.3 h-3 p-3", "2 s.2 h-2 p-2");
        }
    }

    private static String describe(final MessageView view)
    {
        return view.seq() + " " + view.subject() + " " + new String(view.headers(), StandardCharsets.US_ASCII) + " " +
            new String(view.payload(), StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void loadPrevFindsTheNewestMatchAtOrBeforeTheSequence(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            store.append("a.x", null, bytes("1"));
            store.append("b.x", null, bytes("2"));
            store.append("a.y", null, bytes("3"));
            store.skip();
            store.append("b.y", null, bytes("5"));
            assertThat(store.loadPrev("a.*", 5).seq()).isEqualTo(3);
            assertThat(store.loadPrev("a.*", 2).seq()).isEqualTo(1);
            assertThat(store.loadPrev("b.x", 4).seq()).isEqualTo(2);
            assertThat(store.loadPrev(">", 4).seq()).isEqualTo(3);
            assertThat(store.loadPrev(">", 1_000).seq()).isEqualTo(5);
            assertThat(store.loadPrev("b.*", 1)).isNull();
            assertThat(store.loadPrev("nope", 5)).isNull();
            store.remove(3);
            assertThat(store.loadPrev("a.*", 5).seq()).isEqualTo(1);
            assertThatThrownBy(() -> store.loadPrev("a.*", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq must be >= 1");
            assertThatThrownBy(() -> store.loadPrev("a..b", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("filter");
            assertThatThrownBy(() -> store.loadPrev(null, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("filter");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void skipManyReservesARangeAsOneStep(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            assertThat(store.skip(1, 10)).isEqualTo(10);
            StreamState state = store.state();
            assertThat(state.lastSeq()).isEqualTo(10);
            assertThat(state.firstSeq()).isEqualTo(11);
            assertThat(state.msgs()).isZero();
            assertThat(store.append("a", null, bytes("x"))).isEqualTo(11);
            assertThat(store.skip(12, 1)).isEqualTo(12);
            assertThat(store.append("a", null, bytes("y"))).isEqualTo(13);
            state = store.state();
            assertThat(state.firstSeq()).isEqualTo(11);
            assertThat(state.numDeleted()).isEqualTo(1);
            assertThatThrownBy(() -> store.skip(13, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fromSeq must be the next sequence 14: 13");
            assertThatThrownBy(() -> store.skip(20, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fromSeq");
            assertThatThrownBy(() -> store.skip(14, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("count must be >= 1: 0");
            assertThat(store.state().lastSeq()).isEqualTo(13);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void skipManyStopsAtTheSequenceCeiling(final String kind)
    {
        final long max = RecordDescriptor.MAX_SEQUENCE;
        try (StreamStore store = open(kind, config().build()))
        {
            store.appendAt(max - 10, now(), "a", null, bytes("x"));
            assertThatThrownBy(() -> store.skip(max - 9, 11)).isInstanceOf(SequenceExhaustedException.class);
            assertThat(store.state().lastSeq()).isEqualTo(max - 10);
            assertThat(store.skip(max - 9, 10)).isEqualTo(max);
            assertThatThrownBy(store::skip).isInstanceOf(SequenceExhaustedException.class);
            assertThatThrownBy(() -> store.skip(max + 1, 1)).isInstanceOf(SequenceExhaustedException.class);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void filteredStateCountsFirstAndLastFromASequence(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            for (int i = 0; i < 10; i++)
            {
                store.append(i % 2 == 0 ? "even.n" : "odd.n", null, bytes("v" + i));
            }
            assertThat(store.filteredState(">", 1)).isEqualTo(new FilteredState(10, 1, 10));
            assertThat(store.filteredState("even.*", 1)).isEqualTo(new FilteredState(5, 1, 9));
            assertThat(store.filteredState("odd.n", 5)).isEqualTo(new FilteredState(3, 6, 10));
            assertThat(store.filteredState("even.n", 10)).isEqualTo(FilteredState.NONE);
            assertThat(store.filteredState("nope.>", 1)).isEqualTo(FilteredState.NONE);
            store.remove(9);
            store.remove(1);
            assertThat(store.filteredState("even.*", 1)).isEqualTo(new FilteredState(3, 3, 7));
            assertThat(store.filteredState("*.n", 2)).isEqualTo(new FilteredState(8, 2, 10));
            assertThat(store.filteredState("*.n", 3).msgs()).isEqualTo(store.numPending(3, "*.n"));
            assertThatThrownBy(() -> store.filteredState("even.*", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fromSeq must be >= 1");
            assertThatThrownBy(() -> store.filteredState("even.>.x", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("filter");
        }
        assertThatThrownBy(() -> new FilteredState(1, 0, 0)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("inconsistent");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void updateLimitsDiscardsAtOnceAndGovernsTheNextAppend(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            for (int i = 1; i <= 20; i++)
            {
                store.append(i <= 10 ? "a" : "b", null, bytes("0123456789"));
            }
            assertThat(store.limits()).isEqualTo(config().build().limits());
            // Tighter, under discard NEW: the oldest go now all the same.
            final StreamLimits eight = new StreamLimits(8, -1, Duration.ZERO, -1, Discard.NEW);
            store.updateLimits(eight);
            assertThat(store.limits()).isEqualTo(eight);
            StreamState state = store.state();
            assertThat(state.msgs()).isEqualTo(8);
            assertThat(state.firstSeq()).isEqualTo(13);
            assertThatThrownBy(() -> store.append("b", null, bytes("x")))
                .isInstanceOf(LimitExceededException.class).hasMessageContaining("maxMsgs");
            // Per subject, discarding old: the subject's oldest go at once, and each append keeps it within.
            store.updateLimits(new StreamLimits(-1, -1, Duration.ZERO, 3, Discard.OLD));
            assertThat(store.subjects(">")).isEqualTo(Map.of("b", new SubjectState(3, 18, 20)));
            store.append("b", null, bytes("x"));
            assertThat(store.subjects(">")).isEqualTo(Map.of("b", new SubjectState(3, 19, 21)));
            // Bytes: each message is 11 bytes ("b" + 10), the last 1 + 1.
            store.updateLimits(new StreamLimits(-1, 15, Duration.ZERO, -1, Discard.OLD));
            state = store.state();
            assertThat(state.msgs()).isEqualTo(2);
            assertThat(state.bytes()).isEqualTo(13);
            // Loosened: the stream grows again.
            store.updateLimits(new StreamLimits(-1, -1, Duration.ZERO, -1, Discard.OLD));
            for (int i = 0; i < 5; i++)
            {
                store.append("c", null, bytes("y"));
            }
            assertThat(store.state().msgs()).isEqualTo(7);
            assertThatThrownBy(() -> store.updateLimits(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("limits");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void updateLimitsWithAMaxAgeExpiresOldMessagesAtOnce(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            final long old = now() - 2 * HOUR;
            store.appendAt(1, old, "a", null, bytes("old"));
            store.appendAt(2, old + 1, "a", null, bytes("old"));
            store.append("a", null, bytes("new"));
            store.updateLimits(new StreamLimits(-1, -1, Duration.ofHours(1), -1, Discard.OLD));
            final StreamState state = store.state();
            assertThat(state.msgs()).isEqualTo(1);
            assertThat(state.firstSeq()).isEqualTo(3);
            assertThat(store.load(1)).isNull();
        }
    }

    /**
     * A {@code maxAge} set on a running stream keeps expiring without any append: the file store's reclaimer follows
     * the new age, the memory store expires at its next call.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aMaxAgeSetWhileRunningKeepsExpiringWithoutAppends(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            for (int i = 0; i < 5; i++)
            {
                store.append("tick", null, bytes("x"));
            }
            store.updateLimits(new StreamLimits(-1, -1, Duration.ofMillis(200), -1, Discard.OLD));
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (store.state().msgs() > 0)
            {
                assertThat(System.nanoTime() - deadline).as("expired within 30 s").isNegative();
                LockSupport.parkNanos(10_000_000L);
            }
            assertThat(store.state().firstSeq()).isEqualTo(6);
            assertThat(store.loadLast("tick")).isNull();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void discardPoliciesAndMaxMsgSize(final String kind)
    {
        final StreamConfig refuseNew = config().maxMsgs(2).discard(Discard.NEW).build();
        try (StreamStore store = open(kind, refuseNew))
        {
            store.append("a", null, bytes("1"));
            store.append("a", null, bytes("2"));
            assertThatThrownBy(() -> store.append("a", null, bytes("3")))
                .isInstanceOf(LimitExceededException.class).hasMessageContaining("maxMsgs");
            assertThat(store.state().lastSeq()).isEqualTo(2);
            assertThatThrownBy(() -> store.append("a", null, new byte[513]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize");
            assertThatThrownBy(() -> store.append("a.*", null, bytes("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subject");
            assertThatThrownBy(() -> store.append("a", null, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("payload");
        }
    }

    /**
     * A truncation from inside a read's handler is refused in both stores, before anything changed: the file store
     * would wait for that handler to zero what it cut, the memory store for its read lock.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aTruncationFromInsideAReadHandlerIsRefused(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            for (int i = 1; i <= 3; i++)
            {
                store.append("t", null, bytes("m" + i));
            }
            final AtomicReference<Throwable> refused = new AtomicReference<>();
            assertThat(store.read(3, (message) ->
            {
                try
                {
                    store.truncate(1);
                }
                catch (final RuntimeException ex)
                {
                    refused.set(ex);
                }
            })).isTrue();
            assertThat(refused.get()).isInstanceOf(IllegalStateException.class);
            assertThat(store.state().lastSeq()).isEqualTo(3);
            assertThat(store.load(3)).isNotNull();
            store.truncate(1);
            assertThat(store.state().lastSeq()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void removalsPurgesCompactAndTruncate(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            for (int i = 1; i <= 12; i++)
            {
                store.append(i % 3 == 0 ? "x.three" : "x.other", null, bytes("m" + i));
            }
            assertThat(store.remove(2)).isTrue();
            assertThat(store.remove(2)).isFalse();
            assertThat(store.erase(4)).isTrue();
            assertThat(store.load(4)).isNull();
            assertThat(store.purge("x.three", 0, 1)).isEqualTo(3);
            assertThat(store.subjects("x.three")).isEqualTo(Map.of("x.three", new SubjectState(1, 12, 12)));
            assertThat(store.purge("x.other", 8, 0)).isEqualTo(3);
            assertThat(store.compact(10)).isEqualTo(1);
            assertThat(store.state().firstSeq()).isEqualTo(10);
            store.truncate(11);
            assertThat(store.state().lastSeq()).isEqualTo(11);
            assertThat(store.append("y", null, bytes("z"))).isEqualTo(12);
            assertThat(store.compact(100)).isEqualTo(3);
            assertThat(store.state().firstSeq()).isEqualTo(100);
            assertThat(store.append("y", null, bytes("z"))).isEqualTo(100);
            assertThat(store.purge()).isEqualTo(1);
            assertThat(store.append("y", null, bytes("z"))).isEqualTo(101);

            assertThatThrownBy(() -> store.remove(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq must be >= 1");
            assertThatThrownBy(() -> store.truncate(102)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq must be in [0, lastSeq 101]");
            assertThatThrownBy(() -> store.compact(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq must be >= 1");
            assertThatThrownBy(() -> store.purge(">", -1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("upToSeq");
            assertThatThrownBy(() -> store.purge(">", 0, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keep");
            assertThatThrownBy(() -> store.appendAt(101, now(), "y", null, bytes("z")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("greater than the last sequence");
            assertThatThrownBy(() -> store.appendAt(200, 1, "y", null, bytes("z")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timestampNanos");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void closeIsIdempotentAndLaterCallsAreRefused(final String kind)
    {
        final StreamStore store = open(kind, config().build());
        store.append("a", null, bytes("x"));
        store.close();
        store.close();
        assertThatThrownBy(() -> store.load(1)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.append("a", null, bytes("x"))).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.loadPrev(">", 1)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.filteredState(">", 1)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.updateLimits(store.limits())).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(store::state).isInstanceOf(StoreClosedException.class);
    }
}
