package io.ferrite.engine;

import io.ferrite.engine.state.PendingErasuresFile;
import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An erase begun and not finished (its {@code erasures.pending} write failed) above a truncation's point must still be
 * finished when the truncation is refused whole (here: {@code truncation.removals} cannot be written): it was dropped
 * from the unfinished erasures before the truncation knew it would cut anything, and the erased message's bytes stayed
 * on disk for good. Now dropped only once the cut is made. The control runs the same steps without the truncation.
 */
class RefusedTruncationKeepsErasureTest
{
    private static final long ERASED = 8;

    @TempDir
    Path root;

    @Test
    void aRefusedTruncationLeavesAnUnfinishedEraseAboveItsPointToBeFinished() throws Exception
    {
        run(true);
    }

    /** Control: without the refused truncation, the retried erase finishes the overwrite (this passes). */
    @Test
    void withoutTheTruncationTheRetriedEraseFinishesTheOverwrite() throws Exception
    {
        run(false);
    }

    private void run(final boolean truncate) throws Exception
    {
        final FailingIO io = new FailingIO();
        final StreamConfig config = StreamConfig.builder("erasing").blockSize(64 << 10).maxMsgSize(4096)
            .syncMode(SyncMode.ALWAYS).build();
        final Path dir = root.resolve("erasing");
        final FileStreamStore store = FileStreamStore.open(dir, config, io);
        boolean retried = false;
        try
        {
            for (int i = 1; i <= 10; i++)
            {
                store.append("erase.me", null, secret(i));
            }
            // A removal at or below the point: the truncation must write truncation.removals first.
            assertThat(store.remove(2)).isTrue();

            io.failing = PendingErasuresFile.FILE_NAME;
            assertThatThrownBy(() -> store.erase(ERASED)).isInstanceOf(StoreException.class);
            assertThat(store.load(ERASED)).as("the erase is begun").isNull();

            if (truncate)
            {
                io.failing = TruncationRemovalsFile.FILE_NAME;
                assertThatThrownBy(() -> store.truncate(5)).isInstanceOf(StoreException.class)
                    .hasMessageContaining(TruncationRemovalsFile.FILE_NAME);
                assertThat(store.lastSeq()).as("refused whole: nothing cut").isEqualTo(10);
            }
            io.failing = null;

            // Retried, as the failed erase's exception invites: it must finish the overwrite.
            retried = store.erase(ERASED);
        }
        finally
        {
            io.failing = null;
            store.close();
        }
        assertThat(contains(onlyBlock(dir), secret((int)ERASED)))
            .as("the erased message's bytes are still in its block file after a retried erase (returned %s) and close",
                retried)
            .isFalse();
        assertThat(contains(onlyBlock(dir), secret(9))).as("a message kept is there").isTrue();
    }

    private static byte[] secret(final int i)
    {
        return ("SECRET-" + i + "-" + "x".repeat(40)).getBytes(StandardCharsets.US_ASCII);
    }

    private static Path onlyBlock(final Path dir) throws IOException
    {
        try (Stream<Path> blocks = Files.list(dir.resolve("blocks")))
        {
            final List<Path> files = blocks.filter((p) -> p.toString().endsWith(BlockDescriptor.FILE_SUFFIX)).toList();
            assertThat(files).hasSize(1);
            return files.get(0);
        }
    }

    private static boolean contains(final Path file, final byte[] needle) throws IOException
    {
        final byte[] hay = Files.readAllBytes(file);
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (hay[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The disk, failing the force of the one state file named in {@link #failing}. */
    private static final class FailingIO implements StorageIO
    {
        private final StorageIO disk = StorageIO.standard();
        volatile String failing;

        @Override
        public void forceBlock(final Path file, final FileChannel channel, final MappedByteBuffer mapped,
            final int from, final int to, final boolean metadata) throws IOException
        {
            disk.forceBlock(file, channel, mapped, from, to, metadata);
        }

        @Override
        public void forceFile(final Path file, final FileChannel channel) throws IOException
        {
            final String name = failing;
            if (null != name && file.getFileName().toString().startsWith(name))
            {
                throw new IOException("injected: force of " + file.getFileName() + " fails");
            }
            disk.forceFile(file, channel);
        }

        @Override
        public void syncDirectory(final Path dir) throws IOException
        {
            disk.syncDirectory(dir);
        }
    }
}
