package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.state.PendingErasuresFile;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An erase cut off after the state that counts its message removed was written, and before the overwrite of the
 * message's bytes reached the disk: the next open does not replay the erase tombstone (the state is newer), so only
 * {@code erasures.pending} tells it the bytes are still there — and it must finish the erase (issue 12, item 4).
 */
class InterruptedEraseTest
{
    private static final String NAME = "erasing";
    private static final long ERASED = 4;

    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void theNextOpenFinishesAnEraseCutAfterItsStateWrite(final StreamMode mode) throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder(NAME).blockSize(64 << 10).maxMsgSize(4096)
            .syncMode(SyncMode.ALWAYS));
        final Path dir = root.resolve("live");
        final FileStreamStore store = FileStreamStore.open(dir, config, new OverwriteNeverForced());
        for (int i = 1; i <= 10; i++)
        {
            store.append("erase.me", null, ("payload-" + i + "-".repeat(40)).getBytes());
        }
        final Path block = onlyBlock(dir);
        final byte[] before = Files.readAllBytes(block);
        final int[] frame = messageFrame(before, ERASED);

        assertThatThrownBy(() -> store.erase(ERASED)).isInstanceOf(StoreIOException.class)
            .hasMessageContaining("erase message bytes of seq " + ERASED);
        assertThat(store.load(ERASED)).as("the erase is begun").isNull();

        // What a power cut right then leaves: every file as forced, and the overwrite not on disk.
        final Path cut = root.resolve("cut");
        store.whileQuiescent(() -> RemoveEraseTest.Restart.copyWhileOpen(dir, cut));
        assertThatThrownBy(store::close).as("close tries to finish the erase, and its force fails again")
            .isInstanceOf(StoreIOException.class).hasMessageContaining("erase message bytes of seq " + ERASED);
        final Path cutBlock = cut.resolve("blocks").resolve(block.getFileName());
        restoreBody(cutBlock, before, frame);
        assertThat(isZero(body(Files.readAllBytes(cutBlock), frame))).as("the bytes are back, as the cut left them")
            .isFalse();
        assertThat(cut.resolve(PendingErasuresFile.FILE_NAME)).exists();

        // Without the list the bytes would stay: the open reads the state, which already counts the message removed.
        final Path withoutList = root.resolve("without-list");
        RemoveEraseTest.Restart.copyWhileOpen(cut, withoutList);
        Files.delete(withoutList.resolve(PendingErasuresFile.FILE_NAME));
        try (FileStreamStore reopened = FileStreamStore.open(withoutList, config))
        {
            assertThat(reopened.load(ERASED)).isNull();
        }
        assertThat(isZero(body(Files.readAllBytes(withoutList.resolve("blocks").resolve(block.getFileName())),
            frame))).as("without erasures.pending nothing tells the open").isFalse();

        try (FileStreamStore reopened = FileStreamStore.open(cut, config))
        {
            assertThat(reopened.recoveryReport().lost()).isEmpty();
            assertThat(reopened.load(ERASED)).isNull();
            for (long seq = 1; seq <= 10; seq++)
            {
                if (seq != ERASED)
                {
                    assertThat(reopened.load(seq)).as("load(%d)", seq).isNotNull();
                }
            }
            assertThat(isZero(body(Files.readAllBytes(cutBlock), frame))).as("the open finished the erase").isTrue();
            assertThat(cut.resolve(PendingErasuresFile.FILE_NAME)).as("and dropped the list").doesNotExist();
            assertThat(reopened.append("erase.me", null, new byte[8])).isEqualTo(11);
        }
    }

    /** The block force of an erase's overwrite never returns: the power went first. Everything else is real. */
    private static final class OverwriteNeverForced implements StorageIO
    {
        private final StorageIO real = StorageIO.standard();

        @Override
        public void forceBlock(final Path file, final FileChannel channel, final MappedByteBuffer mapped,
            final int from, final int to, final boolean metadata) throws IOException
        {
            real.forceBlock(file, channel, mapped, from, to, metadata);
        }

        @Override
        public void forceFile(final Path file, final FileChannel channel) throws IOException
        {
            if (file.toString().endsWith(BlockDescriptor.FILE_SUFFIX))
            {
                throw new IOException("power cut before the overwrite reached the disk");
            }
            real.forceFile(file, channel);
        }

        @Override
        public void syncDirectory(final Path dir) throws IOException
        {
            real.syncDirectory(dir);
        }
    }

    private static Path onlyBlock(final Path dir) throws IOException
    {
        try (Stream<Path> blocks = Files.list(dir.resolve("blocks")))
        {
            final var files = blocks.filter((p) -> p.toString().endsWith(BlockDescriptor.FILE_SUFFIX)).toList();
            assertThat(files).hasSize(1);
            return files.get(0);
        }
    }

    /**
     * @return offset and frame length of the message record of {@code seq}, found by walking the block's frames.
     */
    private static int[] messageFrame(final byte[] block, final long seq)
    {
        final ByteBuffer data = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        int offset = BlockDescriptor.DATA_OFFSET;
        while (offset + RecordDescriptor.HEADER_LENGTH <= data.capacity())
        {
            final int frameLength = data.getInt(offset + RecordDescriptor.FRAME_LENGTH_OFFSET);
            if (frameLength <= 0 || offset + frameLength > data.capacity())
            {
                break;
            }
            if (data.get(offset + RecordDescriptor.TYPE_OFFSET) == RecordDescriptor.TYPE_MESSAGE &&
                data.getLong(offset + RecordDescriptor.SEQUENCE_OFFSET) == seq)
            {
                return new int[]{ offset, frameLength };
            }
            offset += frameLength;
        }
        throw new AssertionError("no record of seq " + seq);
    }

    private static byte[] body(final byte[] block, final int[] frame)
    {
        return Arrays.copyOfRange(block, frame[0] + RecordDescriptor.HEADER_LENGTH,
            frame[0] + frame[1] - RecordDescriptor.CHECKSUM_LENGTH);
    }

    private static void restoreBody(final Path file, final byte[] original, final int[] frame) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final int from = frame[0] + RecordDescriptor.HEADER_LENGTH;
        System.arraycopy(original, from, bytes, from, frame[1] - RecordDescriptor.HEADER_LENGTH -
            RecordDescriptor.CHECKSUM_LENGTH);
        Files.write(file, bytes);
    }

    private static boolean isZero(final byte[] bytes)
    {
        for (final byte b : bytes)
        {
            if (b != 0)
            {
                return false;
            }
        }
        return true;
    }
}
