package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.MessageView;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SyncMode;
import io.ferrite.store.CorruptRecordException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A view indexes lazily, from the tail backward ({@link ViewIndex}): opening maps the blocks and reads their headers
 * only, a tailer near the end indexes the last blocks only, and a read of an early sequence indexes back to it — with
 * removals whose tombstones lie in later blocks still hiding earlier messages, erased records still told apart from
 * damage, and totals equal to the writer's.
 */
class LazyViewIndexTest
{
    private static final int MESSAGES = 3000;

    @TempDir
    Path dir;

    private final List<Long> seen = new ArrayList<>();

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTailerNearTheEndIndexesOnlyTheBlocksItNeedsAndAnEarlyReadIndexesBackward(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            append(store, 1, MESSAGES);
            try (ReadOnlyStream view = openView(mode))
            {
                final int mapped = view.blocksMapped();
                assertThat(mapped).as("blocks of the stream").isGreaterThan(30);
                assertThat(view.blocksIndexed()).as("indexed on open").isZero();
                assertThat(view.loadLast("lazy.1").seq()).isEqualTo(store.loadLast("lazy.1").seq());

                try (StreamTailer tailer = view.createTailer(MESSAGES - 4))
                {
                    drain(tailer);
                    assertThat(seen).containsExactly(2996L, 2997L, 2998L, 2999L, 3000L);
                    assertThat(view.blocksIndexed()).as("indexed for a tailer near the end").isBetween(1L, 2L);

                    append(store, MESSAGES + 1, MESSAGES + 200);
                    drain(tailer);
                    assertThat(seen).hasSize(205).endsWith((long)MESSAGES + 200);
                    final long afterTail = view.blocksIndexed();
                    assertThat(afterTail).as("indexed once the tailer followed new blocks")
                        .isLessThan(view.blocksMapped() / 2);

                    assertThat(view.load(MESSAGES / 2).payload()).isEqualTo(payload(MESSAGES / 2));
                    assertThat(view.blocksIndexed()).as("indexed back to the middle")
                        .isGreaterThan(afterTail).isLessThan(view.blocksMapped());
                    assertThat(view.load(3).payload()).isEqualTo(payload(3));
                    assertThat(view.blocksIndexed()).as("indexed back to the start").isEqualTo(view.blocksMapped());
                }
                assertSameTotals(store, view);
                assertThat(view.loadNext("lazy.1", 1).seq()).isEqualTo(store.loadNext("lazy.1", 1).seq());
            }
            // A seek by time on a fresh view walks (and indexes) from the start, and lands where the writer's does.
            final Instant middle = Instant.ofEpochSecond(0, store.load(MESSAGES / 2).timestamp());
            try (ReadOnlyStream fresh = openView(mode);
                StreamTailer viewTailer = fresh.createTailer(1);
                StreamTailer writerTailer = store.createTailer(1))
            {
                viewTailer.seek(middle);
                writerTailer.seek(middle);
                assertThat(viewTailer.nextSeq()).isEqualTo(writerTailer.nextSeq()).isLessThanOrEqualTo(MESSAGES / 2);
                assertThat(fresh.blocksIndexed()).isEqualTo(fresh.blocksMapped());
                // Past the year 2262 an instant's nanoseconds overflow a long: clamped, it is after every message.
                viewTailer.seek(Instant.MAX);
                writerTailer.seek(Instant.MAX);
                assertThat(viewTailer.nextSeq()).as("seek(Instant.MAX)").isEqualTo(writerTailer.nextSeq())
                    .isGreaterThan(store.lastSeq());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void removalsInLaterBlocksHideEarlierMessagesWhateverIsIndexedFirst(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            append(store, 1, MESSAGES);
            // Each tombstone lands at the tail, blocks after the message it names.
            assertThat(store.remove(5)).isTrue();
            assertThat(store.remove(1500)).isTrue();
            assertThat(store.erase(40)).isTrue();
            assertThat(store.erase(2000)).isTrue();
            append(store, MESSAGES + 1, MESSAGES + 100);
            try (ReadOnlyStream view = openView(mode))
            {
                try (StreamTailer tailer = view.createTailer(MESSAGES + 1))
                {
                    drain(tailer);
                    assertThat(seen).hasSize(100);
                }
                final long tailOnly = view.blocksIndexed();
                assertThat(tailOnly).isLessThan(view.blocksMapped() / 2);

                // Reading backward: each removed message stays hidden, its neighbours are shown; an erased record
                // (header verifies, bytes do not) is no damage because its tombstone is in an indexed later block.
                assertThat(view.load(2001).payload()).isEqualTo(payload(2001));
                assertThat(view.load(2000)).isNull();
                assertThat(view.load(1500)).isNull();
                assertThat(view.load(1499).payload()).isEqualTo(payload(1499));
                assertThat(view.load(40)).isNull();
                assertThat(view.load(5)).isNull();
                assertThat(view.load(6).payload()).isEqualTo(payload(6));
                assertThat(view.blocksIndexed()).isEqualTo(view.blocksMapped());

                seen.clear();
                try (StreamTailer tailer = view.createTailer(1))
                {
                    drain(tailer);
                }
                assertThat(seen).hasSize(MESSAGES + 100 - 4).doesNotContain(5L, 40L, 1500L, 2000L);
                assertSameTotals(store, view);
            }
            // A view whose first call needs totals indexes everything at once and agrees too.
            try (ReadOnlyStream fresh = openView(mode))
            {
                assertSameTotals(store, fresh);
                assertThat(fresh.blocksIndexed()).isEqualTo(fresh.blocksMapped());
                assertThat(fresh.subjects(">")).isEqualTo(store.subjects(">"));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void afterTheWriterRestartsATailerAtTheEndIndexesTheTailAgainOnly(final StreamMode mode)
    {
        ReadOnlyStream view = null;
        try
        {
            try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
            {
                append(store, 1, MESSAGES);
                view = openView(mode);
            }
            final StreamTailer tailer = view.createTailer(MESSAGES - 1);
            drain(tailer);
            assertThat(seen).containsExactly(2999L, 3000L);
            final long before = view.blocksIndexed();
            try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
            {
                store.remove(2999);
                append(store, MESSAGES + 1, MESSAGES + 10);
                drain(tailer);
                assertThat(seen).hasSize(12).endsWith((long)MESSAGES + 10);
                assertThat(view.blocksIndexed() - before).as("indexed again after the restart").isBetween(1L, 3L);
                assertThat(view.load(2999)).isNull();
                assertThat(view.load(2998).payload()).isEqualTo(payload(2998));
                assertSameTotals(store, view);
            }
            tailer.close();
        }
        finally
        {
            if (null != view)
            {
                view.close();
            }
        }
    }

    /**
     * Damage is still found, when the block holding it is first indexed: a tailer at the end does not need that block,
     * a read of an early sequence does, and fails naming the file.
     */
    @Test
    void damageInAnEarlyBlockFailsTheReadThatIndexesIt() throws IOException
    {
        final byte[] marked = "damage-me-please".getBytes(StandardCharsets.UTF_8);
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT)))
        {
            append(store, 1, 99);
            assertThat(store.append("lazy.0", null, marked)).isEqualTo(100);
            append(store, 101, MESSAGES);
        }
        final Path damaged = flipFirst(marked);
        try (ReadOnlyStream view = openView(StreamMode.PLAINTEXT))
        {
            try (StreamTailer tailer = view.createTailer(MESSAGES - 1))
            {
                drain(tailer);
            }
            assertThat(seen).containsExactly(2999L, 3000L);
            assertThatThrownBy(() -> view.load(100))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining(damaged.getFileName().toString());
        }
    }

    /**
     * Flip the first byte of {@code bytes} in the block file that holds them.
     *
     * @return that file.
     */
    private Path flipFirst(final byte[] bytes) throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            for (final Path file : (Iterable<Path>)files.sorted()::iterator)
            {
                final byte[] content = Files.readAllBytes(file);
                for (int at = 0; at + bytes.length <= content.length; at++)
                {
                    if (Arrays.equals(content, at, at + bytes.length, bytes, 0, bytes.length))
                    {
                        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
                        {
                            channel.write(ByteBuffer.wrap(new byte[]{(byte)(bytes[0] ^ 0x20)}), at);
                        }
                        return file;
                    }
                }
            }
        }
        throw new AssertionError("no block file holds the marked payload");
    }

    private static void assertSameTotals(final FileStreamStore store, final ReadOnlyStream view)
    {
        final StreamState expected = store.state();
        final StreamState actual = view.state();
        assertThat(actual.msgs()).as("msgs").isEqualTo(expected.msgs());
        assertThat(actual.bytes()).as("bytes").isEqualTo(expected.bytes());
        assertThat(actual.firstSeq()).as("firstSeq").isEqualTo(expected.firstSeq());
        assertThat(actual.lastSeq()).as("lastSeq").isEqualTo(expected.lastSeq());
        assertThat(actual.firstTime()).as("firstTime").isEqualTo(expected.firstTime());
        assertThat(actual.lastTime()).as("lastTime").isEqualTo(expected.lastTime());
        assertThat(actual.numSubjects()).as("numSubjects").isEqualTo(expected.numSubjects());
    }

    private static void append(final FileStreamStore store, final int from, final int to)
    {
        for (int i = from; i <= to; i++)
        {
            assertThat(store.append("lazy." + (i % 3), null, payload(i))).isEqualTo(i);
        }
    }

    private ReadOnlyStream openView(final StreamMode mode)
    {
        return ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
    }

    private void drain(final StreamTailer tailer)
    {
        while (tailer.poll(this::record, 64) > 0)
        {
            // until nothing is new
        }
    }

    private void record(final MessageView message)
    {
        seen.add(message.seq());
    }

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder("lazy").blockSize(4096).maxMsgSize(512).syncMode(SyncMode.INTERVAL));
    }

    private static byte[] payload(final int i)
    {
        return ("payload-" + i).getBytes(StandardCharsets.UTF_8);
    }
}
