package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.testing.FileForceHook;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamListener;
import io.ferrite.store.StreamView;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A message removed before a truncation, at or below its cut, is never shown again: not by a view that looks while the
 * truncation runs, nor by the writer reopened from the blocks alone. The truncation deletes the blocks above the cut
 * and zeroes the cut block's tail, where the removal's tombstone may lie; it writes the tombstones of what stays again,
 * and a view must never index the blocks without them. A view looks at the two moments a truncation exposes: at the
 * force of the cut (blocks above deleted, the tail zeroed, nothing written again yet: the truncation is under way) and
 * in an {@code onTruncated} listener (the truncation is published, and the view indexes the blocks again).
 */
class TruncationRemovalsViewTest
{
    private static final int BLOCK_SIZE = 4096;

    @TempDir
    Path dir;

    @Test
    void aMessageRemovedBeforeATruncationIsNeverShownByAViewAgain() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir,
            StreamConfig.builder("t").blockSize(64 * 1024).maxMsgSize(512).syncMode(SyncMode.INTERVAL).build()))
        {
            for (int i = 1; i <= 100; i++)
            {
                store.append("s", null, ("m-" + i).getBytes(StandardCharsets.UTF_8));
            }
            assertThat(store.remove(10)).isTrue();
            try (StreamView view = FileStreamStore.openReadOnly(dir))
            {
                assertThat(view.load(10)).isNull();
                final AtomicReference<StoredMessage> inWindow = new AtomicReference<>();
                try (AutoCloseable registration = store.addListener(new StreamListener()
                {
                    @Override
                    public void onTruncated(final long seq)
                    {
                        inWindow.set(view.load(10));
                    }
                }))
                {
                    store.truncate(50);
                }
                assertThat(inWindow.get()).as("removed message 10 shown by the view").isNull();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTombstoneInTheTailTheCutZeroesIsWrittenAgainBeforeAViewSeesTheTruncation(final StreamMode mode)
        throws Exception
    {
        final FileForceHook watch = new FileForceHook();
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, 64 * 1024), watch))
        {
            append(store, 1, 100);
            assertThat(store.remove(10)).isTrue();
            assertThat(store.remove(40)).isTrue();
            assertThat(store.index().blockCount()).as("one block: the tombstones lie after 100, in what the cut zeroes")
                .isEqualTo(1);
            truncateWatched(store, watch, mode, 50, 10, 40);
        }
        assertReopenedFromTheBlocksAlone(mode, 50, 10, 40);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTombstoneInABlockTheCutDeletesIsWrittenAgainBeforeAViewSeesTheTruncation(final StreamMode mode)
        throws Exception
    {
        final FileForceHook watch = new FileForceHook();
        final long cut;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, BLOCK_SIZE), watch))
        {
            append(store, 1, 400);
            cut = store.index().blocks()[1].baseSeq() + 3;
            final long inCutBlock = cut - 1;
            assertThat(store.remove(10)).isTrue();
            assertThat(store.remove(inCutBlock)).isTrue();
            final MessageBlock[] before = store.index().blocks();
            assertThat(before).as("blocks above the cut block, the last holding the tombstones").hasSizeGreaterThan(3);
            truncateWatched(store, watch, mode, cut, 10, inCutBlock);
            assertThat(Files.exists(before[before.length - 1].file())).as("the block that held the tombstones")
                .isFalse();
        }
        assertReopenedFromTheBlocksAlone(mode, cut, 10, cut - 1);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTombstoneInABlockBeforeTheCutBlockKeepsItsMessageRemoved(final StreamMode mode) throws Exception
    {
        final FileForceHook watch = new FileForceHook();
        final long cut;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, BLOCK_SIZE), watch))
        {
            append(store, 1, 20);
            assertThat(store.remove(10)).isTrue();
            append(store, 21, 400);
            final MessageBlock[] blocks = store.index().blocks();
            assertThat(blocks.length).isGreaterThan(3);
            assertThat(blocks[1].baseSeq()).as("21, written after the tombstone of 10, lies in block 0")
                .isGreaterThan(21);
            cut = blocks[2].baseSeq() + 3;
            truncateWatched(store, watch, mode, cut, 10);
        }
        assertReopenedFromTheBlocksAlone(mode, cut, 10);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aViewOpenedDuringTheCutDoesNotShowAMessageWhoseTombstoneTheCutTook(final StreamMode mode) throws Exception
    {
        final FileForceHook watch = new FileForceHook();
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, BLOCK_SIZE), watch))
        {
            append(store, 1, 400);
            final long cut = store.index().blocks()[1].baseSeq() + 3;
            assertThat(store.remove(10)).isTrue();
            final List<String> fresh = new ArrayList<>();
            watch.atCut(() ->
            {
                try (StreamView view = openView(mode))
                {
                    look(view, new long[] {10}, fresh);
                }
            });
            store.truncate(cut);
            // It indexes nothing while the running writer's truncation is under way (it holds nothing to keep), so
            // it shows nothing yet; above all not the removed message, whose tombstone the cut has taken by then.
            assertThat(fresh).as("what a view opened at the cut's force showed").containsExactly("1: none");
        }
    }

    /**
     * Truncate to {@code cut} while a view looks at the force of the cut and in the listener; at both moments it shows
     * none of {@code removed} and the first message, which stays.
     */
    private void truncateWatched(
        final FileStreamStore store, final FileForceHook watch, final StreamMode mode, final long cut,
        final long... removed) throws Exception
    {
        try (StreamView view = openView(mode))
        {
            for (final long seq : removed)
            {
                assertThat(view.load(seq)).as("view load(%d) before the truncation", seq).isNull();
            }
            final List<String> atCut = new ArrayList<>();
            final List<String> published = new ArrayList<>();
            watch.atCut(() -> look(view, removed, atCut));
            try (AutoCloseable registration = store.addListener(new StreamListener()
            {
                @Override
                public void onTruncated(final long seq)
                {
                    look(view, removed, published);
                }
            }))
            {
                store.truncate(cut);
            }
            assertThat(atCut).as("what the view showed at the cut's force").containsExactly("1: m-1");
            assertThat(published).as("what the view showed once the truncation was published")
                .containsExactly("1: m-1");
            for (final long seq : removed)
            {
                assertThat(view.load(seq)).as("view load(%d) after the truncation", seq).isNull();
            }
            assertThat(view.load(cut).payload()).isEqualTo(payload(cut));
            assertThat(view.load(cut + 1)).isNull();
        }
    }

    /**
     * Record what {@code view} shows of the first message and of {@code removed}.
     */
    private static void look(final StreamView view, final long[] removed, final List<String> into)
    {
        final StoredMessage first = view.load(1);
        into.add(null == first ? "1: none" : "1: " + new String(first.payload(), StandardCharsets.UTF_8));
        for (final long seq : removed)
        {
            final StoredMessage message = view.load(seq);
            if (null != message)
            {
                into.add(seq + ": " + new String(message.payload(), StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * The writer reopened without {@code state.db}, from the blocks alone, and a view opened then: {@code removed}
     * stay removed, every other message up to {@code cut} is there, nothing above it.
     */
    private void assertReopenedFromTheBlocksAlone(final StreamMode mode, final long cut, final long... removed)
        throws IOException
    {
        Files.delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, BLOCK_SIZE));
            StreamView view = openView(mode))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.lost()).as("%s", report).isEmpty();
            assertThat(store.lastSeq()).isEqualTo(cut);
            for (long seq = 1; seq <= cut + 1; seq++)
            {
                final boolean gone = seq > cut || contains(removed, seq);
                if (gone)
                {
                    assertThat(store.load(seq)).as("writer load(%d)", seq).isNull();
                    assertThat(view.load(seq)).as("view load(%d)", seq).isNull();
                }
                else
                {
                    assertThat(store.load(seq).payload()).as("writer load(%d)", seq).isEqualTo(payload(seq));
                    assertThat(view.load(seq).payload()).as("view load(%d)", seq).isEqualTo(payload(seq));
                }
            }
            assertThat(store.state().msgs()).isEqualTo(cut - removed.length);
        }
    }

    private static boolean contains(final long[] seqs, final long seq)
    {
        for (final long s : seqs)
        {
            if (s == seq)
            {
                return true;
            }
        }
        return false;
    }

    private static void append(final FileStreamStore store, final long from, final long to)
    {
        for (long seq = from; seq <= to; seq++)
        {
            assertThat(store.append("s." + seq % 3, null, payload(seq))).isEqualTo(seq);
        }
    }

    private static byte[] payload(final long seq)
    {
        return ("m-" + seq).getBytes(StandardCharsets.UTF_8);
    }

    private StreamView openView(final StreamMode mode)
    {
        return mode.encrypted() ? FileStreamStore.openReadOnly(dir, StreamMode.KEY) : FileStreamStore.openReadOnly(dir);
    }

    private static StreamConfig config(final StreamMode mode, final int blockSize)
    {
        return mode.config(StreamConfig.builder("t").blockSize(blockSize).maxMsgSize(512).syncMode(SyncMode.INTERVAL));
    }
}
