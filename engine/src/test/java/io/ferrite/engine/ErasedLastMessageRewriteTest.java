package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.ferrite.engine.PurgeCompactTruncateTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A block whose last message was erased keeps proving that sequence through a rebuild from the blocks and a later
 * rewrite of the block: otherwise the next block's header (which records the last sequence before it) would make
 * every later rebuild report the erased sequence as lost.
 */
class ErasedLastMessageRewriteTest
{
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void anErasedLastMessageIsNeverReportedLost(final StreamMode mode) throws IOException
    {
        final StreamConfig config = mode.config(StreamConfig.builder("e").blockSize(8192).maxMsgSize(256));
        final long last;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < 200; i++)
            {
                store.append("a", null, new byte[100]);
            }
            final List<BlockFiles.Frame> frames = BlockFiles.frames(BlockFiles.blocks(dir).get(0));
            last = frames.get(frames.size() - 1).seq();
            assertThat(store.erase(last)).isTrue();
        }
        Files.delete(dir.resolve("state.db"));
        final Path first;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).as("rebuilt after the erase").isEmpty();
            first = BlockFiles.blocks(dir).get(0);
            final long size = Files.size(first);
            for (long seq = 1; seq < last; seq++)
            {
                if (seq % 3 != 0)
                {
                    assertThat(store.remove(seq)).isTrue();
                }
            }
            await("the first block rewritten", () -> sizeOf(first) < size);
        }
        Files.delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).as("rebuilt after the rewrite").isEmpty();
            assertThat(store.load(last)).isNull();
            assertThat(store.load(3 * ((last - 1) / 3))).as("a message kept beside it").isNotNull();
        }
    }

    private static long sizeOf(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            return Long.MAX_VALUE;
        }
    }
}
