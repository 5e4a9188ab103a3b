package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blocks of format version 1, from before the tombstone epoch slots, open and read in this build: from
 * {@code state.db} and rebuilt from the blocks alone, plaintext and encrypted, with removals in them; the stream goes
 * on, and the engine never rewrites a version-1 header (a build that reads only version 1 would still read them). The
 * fixture is made from a stream of this build by {@link BlockFiles#downgradeToVersion1}: the two versions differ only
 * in the header's version and bytes 104..119.
 */
class BlockFormatVersionTest
{
    private static final TestMessages MESSAGES = new TestMessages(300);
    private static final Set<Long> REMOVED = Set.of(5L, 77L, 150L);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void version1BlocksOpenAndReadAndTheStreamGoesOn(final StreamMode mode) throws IOException
    {
        final StreamConfig config = mode.config(StreamConfig.builder("v1").blockSize(8192).maxMsgSize(512));
        final Path stream = dir.resolve("v1");
        long last = 0;
        try (FileStreamStore store = FileStreamStore.open(stream, config))
        {
            for (int i = 0; i < 200; i++)
            {
                last = MESSAGES.appendNext(store);
            }
            REMOVED.forEach((seq) -> assertThat(store.remove(seq)).isTrue());
        }
        final List<Path> version1 = BlockFiles.blocks(stream);
        assertThat(version1).hasSizeGreaterThan(3);
        final Map<Path, byte[]> headers = new HashMap<>();
        for (final Path block : version1)
        {
            assertThat(version(block)).isEqualTo(BlockDescriptor.VERSION);
            BlockFiles.downgradeToVersion1(block);
            headers.put(block, header(block));
        }

        try (FileStreamStore store = FileStreamStore.open(stream, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.LOADED_STATE);
            assertReads(store, last);
            for (int i = 0; i < 100; i++)
            {
                last = MESSAGES.appendNext(store);
            }
            assertThat(store.remove(last - 1)).isTrue();
            assertReads(store, last, last - 1);
        }
        for (final Path block : version1)
        {
            assertThat(header(block)).as("%s's header is read, never rewritten", block).isEqualTo(headers.get(block));
        }
        final List<Path> now = BlockFiles.blocks(stream);
        assertThat(now).as("new blocks after the version-1 ones").hasSizeGreaterThan(version1.size());
        now.stream().filter((block) -> !version1.contains(block))
            .forEach((block) -> assertThat(version(block)).as("%s", block).isEqualTo(BlockDescriptor.VERSION));

        // Rebuilt from the blocks alone: every version-1 block is scanned, its tombstones replayed.
        Files.delete(stream.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(stream, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.REBUILT_FROM_BLOCKS);
            assertThat(store.recoveryReport().lost()).isEmpty();
            assertReads(store, last, last - 1);
        }
    }

    private static void assertReads(final FileStreamStore store, final long last, final long... alsoRemoved)
    {
        assertThat(store.state().lastSeq()).isEqualTo(last);
        for (long seq = 1; seq <= last; seq++)
        {
            final long s = seq;
            if (REMOVED.contains(seq) || Arrays.stream(alsoRemoved).anyMatch((r) -> r == s))
            {
                assertThat(store.load(seq)).as("seq %d was removed", seq).isNull();
            }
            else
            {
                assertThat(MESSAGES.mismatch(store.load(seq), seq)).isNull();
            }
        }
    }

    private static byte[] header(final Path block)
    {
        return Arrays.copyOf(BlockFiles.readAll(block), BlockDescriptor.HEADER_LENGTH);
    }

    private static int version(final Path block)
    {
        return ByteBuffer.wrap(header(block)).order(ByteOrder.LITTLE_ENDIAN).getInt(BlockDescriptor.VERSION_OFFSET);
    }
}
