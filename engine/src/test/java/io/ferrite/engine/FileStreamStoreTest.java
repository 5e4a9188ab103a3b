package io.ferrite.engine;

import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileStreamStoreTest
{
    @TempDir
    Path dir;

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private StreamConfig config()
    {
        return StreamConfig.builder("orders").blockSize(64 * 1024).maxMsgSize(4096).build();
    }

    @Test
    void appendsAreSequencedFromOneAndLoadBack()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            assertThat(store.append("orders.eu", bytes("h"), bytes("one"))).isEqualTo(1);
            assertThat(store.append("orders.us", null, bytes("two"))).isEqualTo(2);

            final StoredMessage first = store.load(1);
            assertThat(first.seq()).isEqualTo(1);
            assertThat(first.subject()).isEqualTo("orders.eu");
            assertThat(first.headers()).isEqualTo(bytes("h"));
            assertThat(first.payload()).isEqualTo(bytes("one"));
            assertThat(store.load(2).headers()).isEmpty();
            assertThat(store.load(3)).isNull();
            assertThat(first.timestamp()).isPositive().isLessThanOrEqualTo(store.load(2).timestamp());
        }
    }

    @Test
    void readHandsAVerifiedFlyweight()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            store.append("a.b", bytes("hdr"), bytes("payload"));
            final List<String> seen = new ArrayList<>();
            assertThat(store.read(1, (view) ->
            {
                final byte[] payload = new byte[view.payloadLength()];
                view.buffer().getBytes(view.payloadOffset(), payload);
                seen.add(view.seq() + ":" + view.subject() + ":" + new String(payload, StandardCharsets.UTF_8) + ":" +
                    view.headersLength());
            })).isTrue();
            assertThat(seen).containsExactly("1:a.b:payload:3");
            assertThat(store.read(2, (view) -> seen.add("unexpected"))).isFalse();
        }
    }

    @Test
    void skipAndAppendAtLeaveGapsThatSurviveReopen()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            store.append("a", null, bytes("1"));
            assertThat(store.skip()).isEqualTo(2);
            store.appendAt(10, store.load(1).timestamp() + 1_000, "b", null, bytes("10"));
            assertThat(store.append("c", null, bytes("11"))).isEqualTo(11);
            assertThat(store.load(2)).isNull();
            assertThat(store.load(5)).isNull();
            assertThat(store.state()).isEqualTo(new StreamState(3, 8, 1, 11, store.load(1).timestamp(),
                store.load(11).timestamp(), 8, 3));
        }
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            assertThat(store.state().lastSeq()).isEqualTo(11);
            assertThat(store.state().msgs()).isEqualTo(3);
            assertThat(store.state().numDeleted()).isEqualTo(8);
            assertThat(store.load(10).payload()).isEqualTo(bytes("10"));
            assertThat(store.append("d", null, bytes("12"))).isEqualTo(12);
        }
    }

    @Test
    void appendAtRejectsSequencesAndTimesThatGoBackwards()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            store.appendAt(5, 1_000, "a", null, bytes("x"));
            assertThatThrownBy(() -> store.appendAt(5, 2_000, "a", null, bytes("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq").hasMessageContaining("5");
            assertThatThrownBy(() -> store.appendAt(6, 999, "a", null, bytes("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timestampNanos");
        }
    }

    @Test
    void loadNextAndLoadLastHonourWildcards()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            store.append("orders.eu.new", null, bytes("1"));
            store.append("trades.eu", null, bytes("2"));
            store.append("orders.us.new", null, bytes("3"));
            store.append("orders.eu.cancel", null, bytes("4"));
            store.append("orders.eu.new", null, bytes("5"));

            assertThat(store.loadNext("orders.*.new", 2).seq()).isEqualTo(3);
            assertThat(store.loadNext("orders.>", 4).seq()).isEqualTo(4);
            assertThat(store.loadNext("orders.eu.new", 2).seq()).isEqualTo(5);
            assertThat(store.loadNext("trades.*", 3)).isNull();
            assertThat(store.loadNext(">", 1).seq()).isEqualTo(1);
            assertThat(store.loadNext("orders", 1)).isNull();
            assertThat(store.loadLast("orders.eu.new").seq()).isEqualTo(5);
            assertThat(store.loadLast("orders.us.*").seq()).isEqualTo(3);
            assertThat(store.loadLast("nothing.here")).isNull();
        }
    }

    @Test
    void rollsBlocksAndReadsAcrossThem()
    {
        final StreamConfig small = StreamConfig.builder("roll").blockSize(4096).maxMsgSize(512).build();
        try (StreamStore store = FileStreamStore.open(dir, small))
        {
            for (int i = 1; i <= 500; i++)
            {
                store.append("s." + (i % 7), null, bytes("payload-" + i));
            }
            assertThat(store.stats().blocksCreated()).isGreaterThan(5);
            for (int i = 1; i <= 500; i++)
            {
                assertThat(store.load(i).payload()).isEqualTo(bytes("payload-" + i));
            }
        }
        try (StreamStore store = FileStreamStore.open(dir, small))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThat(store.recoveryReport().blocksScanned()).isEqualTo(1);
            for (int i = 1; i <= 500; i++)
            {
                assertThat(store.load(i).payload()).isEqualTo(bytes("payload-" + i));
            }
            assertThat(store.loadNext("s.3", 400).seq()).isEqualTo(402);
        }
    }

    @Test
    void badArgumentsFailFastNamingTheArgument()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            assertThatThrownBy(() -> store.append("orders.*", null, bytes("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subject");
            assertThatThrownBy(() -> store.append("orders..eu", null, bytes("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty token");
            assertThatThrownBy(() -> store.append("has space", null, bytes("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("white space");
            assertThatThrownBy(() -> store.append("a", null, new byte[4097]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize");
            assertThatThrownBy(() -> store.append("a", null, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("payload");
            assertThatThrownBy(() -> store.load(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq");
            assertThatThrownBy(() -> store.loadNext("a.>.b", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("last token");
            assertThat(store.state().msgs()).isZero();
        }
        assertThatThrownBy(() -> StreamConfig.builder("x").blockSize(5000))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blockSize");
        assertThatThrownBy(() -> StreamConfig.builder("bad name"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> StreamConfig.builder("x").blockSize(4096).maxMsgSize(8192).build())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize");
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            assertThatThrownBy(() -> FileStreamStore.open(dir, config()))
                .isInstanceOf(StoreException.class).hasMessageContaining("already open");
        }
    }

    @Test
    void aDirectoryHoldingAnotherStreamIsRefused()
    {
        FileStreamStore.open(dir, config()).close();
        assertThatThrownBy(() -> FileStreamStore.open(dir, StreamConfig.builder("trades").build()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("orders");
    }

    @Test
    void closedStoreRefusesWork()
    {
        final StreamStore store = FileStreamStore.open(dir, config());
        store.append("a", null, bytes("x"));
        store.close();
        store.close();
        assertThatThrownBy(() -> store.append("a", null, bytes("x"))).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.load(1)).isInstanceOf(StoreClosedException.class);
    }

    @Test
    void flushCompletesWithTheDurableSequence()
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            store.append("a", null, bytes("x"));
            store.append("a", null, bytes("y"));
            assertThat(store.flush().join()).isEqualTo(2);
            assertThat(store.flush().join()).isEqualTo(2);
        }
    }
}
