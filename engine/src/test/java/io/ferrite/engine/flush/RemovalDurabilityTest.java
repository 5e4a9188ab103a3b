package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.ReclaimSeam;
import io.ferrite.engine.ReclaimStep;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What removals promise under power loss and after damage, each found by {@code PowerLossRemovalTest} and pinned
 * here: a truncate rewinds what counts as durable; a state write makes even tombstone-only blocks durable first; and
 * sequences a recovery reported lost never come back as damage that fails reads, purges and compactions.
 */
class RemovalDurabilityTest
{
    @TempDir
    Path tmp;

    @Test
    void appendsAfterATruncateAreDurableOnlyOnceForcedAgain() throws IOException
    {
        final Path dir = tmp.resolve("s");
        final StreamConfig config = StreamConfig.builder("t").syncMode(SyncMode.ALWAYS).blockSize(4096)
            .maxMsgSize(1500).build();
        FileStreamStore.open(dir, config).close();
        final PowerLossIO io = new PowerLossIO(dir);
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            for (int i = 1; i <= 10; i++)
            {
                store.append("a", null, payload("old-" + i));
            }
            store.truncate(5);
            for (int i = 6; i <= 8; i++)
            {
                // ALWAYS: each returns only once durable; before the fix the durable sequence still said 10.
                store.append("a", null, payload("new-" + i));
            }
            io.cut(PowerLossIO.worstCase(), tmp.resolve("image"));
        }
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("image"), config))
        {
            assertThat(store.state().lastSeq()).isEqualTo(8);
            for (int i = 6; i <= 8; i++)
            {
                final StoredMessage message = store.load(i);
                assertThat(message).as("acknowledged append %d after the truncate", i).isNotNull();
                assertThat(message.payload()).isEqualTo(payload("new-" + i));
            }
        }
    }

    /**
     * Near a block's end a tombstone rolls a new block that holds only tombstones. A state write must never describe
     * that block before the disk holds it (the store would not open): it describes the removal once a force made it
     * durable, and before that the state as of the last force, in which the message is still there.
     */
    @Test
    void aStateWriteNeverDescribesATombstoneOnlyBlockTheDiskDoesNotHold() throws IOException
    {
        final StreamConfig config = StreamConfig.builder("t").syncMode(SyncMode.NONE).blockSize(4096)
            .maxMsgSize(1000).build();
        for (int appends = 24; appends <= 28; appends++)
        {
            for (final boolean flushedFirst : new boolean[] { true, false })
            {
                final Path dir = tmp.resolve("s" + appends + flushedFirst);
                FileStreamStore.open(dir, config).close();
                final PowerLossIO io = new PowerLossIO(dir);
                try (FileStreamStore store = FileStreamStore.open(dir, config, io))
                {
                    for (int i = 1; i <= appends; i++)
                    {
                        store.append("a", null, new byte[100]);
                    }
                    store.flush().join();
                    assertThat(store.remove(1)).isTrue();
                    if (flushedFirst)
                    {
                        store.flush().join();
                    }
                    store.writeFullState();
                    io.cut(PowerLossIO.worstCase(), tmp.resolve("image" + appends + flushedFirst));
                }
                try (FileStreamStore store = FileStreamStore.open(tmp.resolve("image" + appends + flushedFirst),
                    config))
                {
                    final String context = appends + " appends, flushed " + flushedFirst + ": " +
                        store.recoveryReport();
                    if (flushedFirst)
                    {
                        assertThat(store.load(1)).as("the removal the state describes, %s", context).isNull();
                    }
                    // Unflushed, the state write's background force may or may not have made the removal durable.
                    final long expected = null == store.load(1) ? appends - 1 : appends;
                    assertThat(store.state().msgs()).as(context).isEqualTo(expected);
                    assertThat(store.state().lastSeq()).as(context).isEqualTo(appends);
                    assertThat(store.recoveryReport().lost()).as(context).isEmpty();
                }
            }
        }
    }

    @Test
    void sequencesReportedLostStayGoneWithoutFailingLaterOpens() throws IOException
    {
        final Path dir = tmp.resolve("s");
        final StreamConfig config = StreamConfig.builder("t").blockSize(4096).maxMsgSize(1000).build();
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 1; i <= 30; i++)
            {
                store.append("a.b", null, new byte[300]);
            }
        }
        final Path block = dir.resolve("blocks/00000000000000000001.blk");
        try (FileChannel channel = FileChannel.open(block, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(length, 128);
            channel.write(ByteBuffer.allocate(64), 128 + 2L * length.getInt(0));   // the third record's header
        }
        Files.delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).hasSize(1);
            assertThat(store.load(3)).isNull();
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).as("reported once").isEmpty();
            assertThat(store.load(3)).isNull();
            assertThat(store.loadNext(">", 3).seq()).isEqualTo(4);
            assertThat(store.compact(10)).isEqualTo(8);
            assertThat(store.purge("a.*", 0, 0)).isEqualTo(21);
        }
    }

    /**
     * A truncation writes again the tombstones it cuts, from the removed sets of the blocks that stay. It skipped
     * blocks emptied and awaiting deletion, though they stay until the reclaim deletes them, {@code state.db} first:
     * a crash in that pass, after the state went and before the block did, rebuilt the stream from the blocks and
     * brought the emptied block's messages back. Found by {@code PowerLossRemovalTest} cutting inside reclaim passes.
     */
    @Test
    void aTruncationKeepsTheRemovalsOfABlockAwaitingDeletion() throws Exception
    {
        final Path dir = tmp.resolve("s");
        final StreamConfig config = StreamConfig.builder("t").syncMode(SyncMode.NONE).blockSize(4096)
            .maxMsgSize(1000).build();
        FileStreamStore.open(dir, config).close();
        final PowerLossIO io = new PowerLossIO(dir);
        final Path image = tmp.resolve("image");
        final CountDownLatch imaged = new CountDownLatch(1);
        final long compactedTo;
        final long last;
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            long seq = 0;
            for (int i = 1; i <= 30; i++)
            {
                seq = store.append("a", null, payload("m-" + i, 300));
            }
            last = seq;
            store.flush().join();
            ReclaimSeam.steps(store, (step) ->
            {
                if (step == ReclaimStep.DELETE_STATE_DELETED && imaged.getCount() > 0)
                {
                    io.cut(PowerLossIO.worstCase(), image);
                    imaged.countDown();
                }
            });
            compactedTo = 15;
            // Held off the reclaim, so the emptied first block still awaits deletion when the truncation cuts the
            // compaction's tombstone away.
            store.whileQuiescent(() ->
            {
                assertThat(store.compact(compactedTo)).isEqualTo(compactedTo - 1);
                store.truncate(last - 1);
            });
            assertThat(imaged.await(60, TimeUnit.SECONDS)).as("the emptied block's pass").isTrue();
        }
        try (FileStreamStore store = FileStreamStore.open(image, config))
        {
            final String context = store.recoveryReport().toString();
            for (long seq = 1; seq < compactedTo; seq++)
            {
                assertThat(store.load(seq)).as("seq %d, compacted away: %s", seq, context).isNull();
            }
            assertThat(store.state().firstSeq()).as(context).isEqualTo(compactedTo);
            assertThat(store.state().lastSeq()).as(context).isEqualTo(last - 1);
        }
    }

    /**
     * A purge of an empty stream writes no tombstone, but rolls a new block and empties the old tail. Deleting that
     * tail before the new block's file was forced left a power cut nothing that proved the last sequence (the state
     * set aside, the new block back without its header): the stream reopened empty, numbering from 1 again. Block
     * forces are held from the purge on and the disk is cut after every step of the reclaim.
     */
    @Test
    void aPurgeThatRemovesNothingNeverLetsTheLastSequenceGoBack() throws Exception
    {
        final Path dir = tmp.resolve("s");
        final StreamConfig config = StreamConfig.builder("t").syncMode(SyncMode.NONE).blockSize(4096)
            .maxMsgSize(1000).build();
        FileStreamStore.open(dir, config).close();
        final PowerLossIO disk = new PowerLossIO(dir);
        final ControllableStorageIO forces = new ControllableStorageIO(disk);
        final List<Path> images = new CopyOnWriteArrayList<>();
        final CountDownLatch firstPurgeReclaimed = new CountDownLatch(1);
        final CountDownLatch secondPurgeReclaimed = new CountDownLatch(1);
        try (FileStreamStore store = FileStreamStore.open(dir, config, forces))
        {
            for (int i = 1; i <= 20; i++)
            {
                store.append("a", null, payload("m-" + i, 300));
            }
            ReclaimSeam.steps(store, (step) ->
            {
                // The first pass may leave the old tail for a retry (its descriptor still open): wait for both.
                if (step == ReclaimStep.DELETE_STATE_WRITTEN && blockFiles(dir) == 1)
                {
                    firstPurgeReclaimed.countDown();
                }
            });
            assertThat(store.purge()).isEqualTo(20);
            assertThat(firstPurgeReclaimed.await(60, TimeUnit.SECONDS)).isTrue();
            store.flush().join();
            ReclaimSeam.steps(store, (step) ->
            {
                final Path image = tmp.resolve("image-" + images.size() + "-" + step.label().replace(':', '-'));
                disk.cut(PowerLossIO.worstCase(), image);
                images.add(image);
                // Held until the pass either waits for a force or has deleted files without one.
                if (step == ReclaimStep.DELETE_AWAITING_REMOVALS || step == ReclaimStep.DELETE_FILES_DELETED)
                {
                    forces.releaseStall();
                }
                if (step == ReclaimStep.DELETE_STATE_WRITTEN)
                {
                    secondPurgeReclaimed.countDown();
                }
            });
            forces.stallBlockForces();
            try
            {
                assertThat(store.purge()).isZero();
                assertThat(secondPurgeReclaimed.await(60, TimeUnit.SECONDS)).isTrue();
            }
            finally
            {
                ReclaimSeam.steps(store, (step) -> {});
                forces.releaseStall();
            }
        }
        assertThat(images).isNotEmpty();
        for (final Path image : images)
        {
            try (FileStreamStore store = FileStreamStore.open(image, config))
            {
                final String context = image.getFileName() + ": " + store.recoveryReport();
                assertThat(store.state().lastSeq()).as(context).isEqualTo(20);
                assertThat(store.state().msgs()).as(context).isZero();
                assertThat(store.append("a", null, payload("next", 10))).as(context).isEqualTo(21);
            }
        }
    }

    private static long blockFiles(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((p) -> p.toString().endsWith(".blk")).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static byte[] payload(final String text, final int length)
    {
        return Arrays.copyOf(text.getBytes(StandardCharsets.US_ASCII), length);
    }

    private static byte[] payload(final String text)
    {
        return Arrays.copyOf(text.getBytes(StandardCharsets.US_ASCII), 40);
    }
}
