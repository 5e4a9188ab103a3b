package io.ferrite.conformance;

import io.ferrite.store.CursorPosition;
import io.ferrite.store.MessageView;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreProvider;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamTruncatedException;
import io.ferrite.store.TailerNames;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Named tailers — durable cursors — against each store found through {@link StoreProvider}: what a cursor remembers
 * while its store stays open (the file store's survival of a close, a crash and damage is {@code NamedTailerTest}'s
 * and {@code NamedTailerCrashTest}'s), the rules for names, acknowledgements and the one open tailer per name, and how
 * purges and truncations move a cursor.
 */
class NamedTailerConformanceTest
{
    @TempDir
    Path root;

    private final List<Long> delivered = new ArrayList<>();

    private StreamStore open(final String kind)
    {
        return StoreProvider.named(kind).open(root.resolve(kind),
            StreamConfig.builder("cursors").blockSize(4096).maxMsgSize(256).build());
    }

    private void record(final MessageView view)
    {
        delivered.add(view.seq());
    }

    private static void append(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("t", null, "m".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aNamedTailerResumesAfterItsLastAcknowledgement(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            final NamedTailer tailer = store.createTailer("billing");
            assertThat(tailer.name()).isEqualTo("billing");
            assertThat(tailer.nextSeq()).as("a new cursor starts at the first message").isEqualTo(1);
            assertThat(tailer.ackedSeq()).isZero();
            assertThat(tailer.poll(this::record, 6)).isEqualTo(6);
            tailer.ack(4);
            assertThat(tailer.ackedSeq()).isEqualTo(4);
            assertThat(store.tailers()).containsExactly(new CursorPosition("billing", 4, true));
            tailer.close();
            tailer.close();
            assertThat(store.tailers()).containsExactly(new CursorPosition("billing", 4, false));

            delivered.clear();
            try (NamedTailer again = store.createTailer("billing"))
            {
                assertThat(again.nextSeq()).as("5 and 6 were handed over, never acknowledged").isEqualTo(5);
                assertThat(again.poll(this::record, 100)).isEqualTo(6);
                assertThat(delivered).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
                again.ack(10);
            }
            try (NamedTailer other = store.createTailer("audit"))
            {
                assertThat(other.nextSeq()).as("cursors are independent").isEqualTo(1);
            }
            assertThat(store.tailers()).containsExactly(
                new CursorPosition("audit", 0, false), new CursorPosition("billing", 10, false));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void acknowledgementsAreCheckedAndOnlyMoveForward(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 5);
            final NamedTailer tailer = store.createTailer("c");
            assertThatThrownBy(() -> tailer.ack(1)).as("nothing handed over yet")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nextSeq - 1 = 0");
            tailer.poll(this::record, 3);
            assertThatThrownBy(() -> tailer.ack(4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq").hasMessageContaining("[1, nextSeq - 1 = 3]").hasMessageContaining(": 4");
            assertThatThrownBy(() -> tailer.ack(0)).isInstanceOf(IllegalArgumentException.class);
            tailer.ack(3);
            tailer.ack(2);
            assertThat(tailer.ackedSeq()).as("an older acknowledgement changes nothing").isEqualTo(3);
            tailer.seek(1);
            tailer.poll(this::record, 1);
            tailer.ack(1);
            assertThat(tailer.ackedSeq()).as("replaying after a seek back does not rewind").isEqualTo(3);
            tailer.seek(6);
            tailer.ack(5);
            assertThat(tailer.ackedSeq()).as("a sequence passed by seek may be acknowledged").isEqualTo(5);

            assertThatThrownBy(() -> store.createTailer("c")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'c'").hasMessageContaining("open already");
            assertThatThrownBy(() -> store.deleteTailer("c")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("close it");
            tailer.close();
            assertThatThrownBy(() -> tailer.ack(5)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");

            final StreamTailer anonymous = store.createTailer(1);
            anonymous.poll(this::record, 1);
            assertThatThrownBy(() -> anonymous.ack(1)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("createTailer(String name)");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void namesAreValidated(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            final String tooLong = "n".repeat(TailerNames.MAX_LENGTH + 1);
            for (final String bad : new String[] {"", tooLong, "a/b", "a\\b", "..", ".hidden", "tab\there", "x y",
                "nul\u0000", "\u00e9t\u00e9"})
            {
                assertThatThrownBy(() -> store.createTailer(bad)).as("createTailer(%s)", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tailer name");
                assertThatThrownBy(() -> store.deleteTailer(bad)).as("deleteTailer(%s)", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tailer name");
            }
            assertThatThrownBy(() -> store.createTailer((String)null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tailer name must not be null");
            assertThatThrownBy(() -> store.createTailer("a\u0001b")).hasMessageContaining("control character U+0001");
            store.createTailer("n".repeat(TailerNames.MAX_LENGTH)).close();
            store.createTailer("Orders.eu_1-x").close();
            assertThat(store.tailers()).extracting(CursorPosition::name)
                .containsExactly("Orders.eu_1-x", "n".repeat(TailerNames.MAX_LENGTH));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aDeletedCursorStartsOverWhenCreatedAgain(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 4);
            try (NamedTailer tailer = store.createTailer("gone"))
            {
                tailer.poll(this::record, 4);
                tailer.ack(4);
            }
            assertThat(store.deleteTailer("gone")).isTrue();
            assertThat(store.deleteTailer("gone")).isFalse();
            assertThat(store.deleteTailer("never")).isFalse();
            assertThat(store.tailers()).isEmpty();
            try (NamedTailer tailer = store.createTailer("gone"))
            {
                assertThat(tailer.nextSeq()).isEqualTo(1);
                assertThat(tailer.ackedSeq()).isZero();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aCursorBelowPurgedMessagesResumesAtTheFirstOneStored(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 6);
            try (NamedTailer tailer = store.createTailer("slow"))
            {
                tailer.poll(this::record, 2);
                tailer.ack(2);
            }
            store.compact(5);
            try (NamedTailer tailer = store.createTailer("slow"))
            {
                assertThat(tailer.nextSeq()).isEqualTo(5);
                assertThat(tailer.ackedSeq()).as("the cursor itself is not moved").isEqualTo(2);
            }
            store.purge();
            append(store, 1);
            try (NamedTailer tailer = store.createTailer("slow"))
            {
                assertThat(tailer.nextSeq()).isEqualTo(7);
                delivered.clear();
                assertThat(tailer.poll(this::record, 10)).isEqualTo(1);
                assertThat(delivered).containsExactly(7L);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aTruncationMovesCursorsBackToItsPoint(final String kind)
    {
        try (StreamStore store = open(kind))
        {
            append(store, 10);
            try (NamedTailer closedOne = store.createTailer("closed"))
            {
                closedOne.poll(this::record, 10);
                closedOne.ack(9);
            }
            final NamedTailer openOne = store.createTailer("open");
            openOne.poll(this::record, 10);
            final NamedTailer lagging = store.createTailer("lagging");
            lagging.poll(this::record, 10);
            lagging.ack(3);

            store.truncate(6);
            append(store, 4);
            assertThat(store.tailers()).containsExactly(new CursorPosition("closed", 6, false),
                new CursorPosition("lagging", 3, true), new CursorPosition("open", 0, true));
            // Handed over before the truncation and acknowledged before the tailer polled it: 7..10 are other
            // messages now, so the acknowledgement counts up to the cut only.
            openOne.ack(10);
            assertThat(openOne.ackedSeq()).isEqualTo(6);
            assertThatThrownBy(() -> openOne.poll(this::record, 10)).isInstanceOf(StreamTruncatedException.class);
            delivered.clear();
            assertThat(openOne.poll(this::record, 10)).isEqualTo(4);
            assertThat(delivered).containsExactly(7L, 8L, 9L, 10L);
            openOne.ack(10);
            assertThat(openOne.ackedSeq()).isEqualTo(10);
            openOne.close();
            lagging.close();

            try (NamedTailer resumed = store.createTailer("closed"))
            {
                assertThat(resumed.nextSeq()).as("the new 7..10 were never acknowledged").isEqualTo(7);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aClosedStoreRefusesCursors(final String kind)
    {
        final StreamStore store = open(kind);
        append(store, 2);
        final NamedTailer tailer = store.createTailer("late");
        tailer.poll(this::record, 2);
        store.close();
        assertThatThrownBy(() -> tailer.ack(2)).isInstanceOf(StoreClosedException.class);
        tailer.close();
        assertThatThrownBy(() -> store.createTailer("late")).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(store::tailers).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.deleteTailer("late")).isInstanceOf(StoreClosedException.class);
    }
}
