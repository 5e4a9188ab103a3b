package io.ferrite.engine;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Damage in a sealed block that recovery did not scan (state.db was valid) is found when a read first builds the
 * block's sequence table. It must surface as CorruptRecordException for exactly the sequences it hit — never as
 * messages silently absent, and never as the loss of the rest of the block.
 */
class LazyTableDamageTest
{
    private static final StreamConfig CONFIG = StreamConfig.builder("lazy").blockSize(8192).maxMsgSize(512).build();
    private static final int MESSAGES = 200;

    @TempDir
    Path dir;

    @Test
    void aFlippedBodyByteFailsOnlyThatRecord() throws IOException
    {
        writeStore();
        final long victim = 10;
        final long offset = recordOffset(1, victim);
        flip(block(1), offset + RecordDescriptor.HEADER_LENGTH + 3, (byte)0x5A);

        try (StreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThatThrownBy(() -> store.load(victim)).isInstanceOf(CorruptRecordException.class)
                .satisfies((ex) -> assertThat(((StoreException)ex).seq()).isEqualTo(victim))
                .hasMessageContaining(block(1).getFileName().toString());
            assertEveryOtherMessageLoads(store, victim, victim);
        }
    }

    @Test
    void aZeroedRecordStartDoesNotHideTheRestOfTheBlock() throws IOException
    {
        writeStore();
        final long victim = 12;
        final long offset = recordOffset(1, victim);
        try (FileChannel channel = FileChannel.open(block(1), StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.allocate(RecordDescriptor.HEADER_LENGTH), offset);
        }

        try (StreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            assertThatThrownBy(() -> store.load(victim)).isInstanceOf(CorruptRecordException.class);
            assertThatThrownBy(() -> store.read(victim, (view) -> { })).isInstanceOf(CorruptRecordException.class);
            assertEveryOtherMessageLoads(store, victim, victim);
        }
    }

    private void writeStore()
    {
        try (StreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            for (int i = 1; i <= MESSAGES; i++)
            {
                store.append("lazy." + (i % 3), null, payload(i));
            }
            assertThat(store.stats().blocksCreated()).isGreaterThan(2);
        }
    }

    private static void assertEveryOtherMessageLoads(final StreamStore store, final long fromLost, final long toLost)
    {
        for (long seq = 1; seq <= MESSAGES; seq++)
        {
            if (seq < fromLost || seq > toLost)
            {
                assertThat(store.load(seq).payload()).as("seq %d", seq).isEqualTo(payload((int)seq));
            }
        }
    }

    private static byte[] payload(final int seq)
    {
        final byte[] payload = new byte[40 + seq % 17];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(seq * 31 + i);
        }
        return payload;
    }

    private Path block(final long id)
    {
        return dir.resolve("blocks").resolve(BlockDescriptor.fileName(id));
    }

    private long recordOffset(final long blockId, final long seq) throws IOException
    {
        try (FileChannel channel = FileChannel.open(block(blockId), StandardOpenOption.READ))
        {
            final ByteBuffer header =
                ByteBuffer.allocate(RecordDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            long offset = BlockDescriptor.DATA_OFFSET;
            while (true)
            {
                header.clear();
                channel.read(header, offset);
                if (header.getLong(RecordDescriptor.SEQUENCE_OFFSET) == seq)
                {
                    return offset;
                }
                offset += header.getInt(RecordDescriptor.FRAME_LENGTH_OFFSET);
            }
        }
    }

    private static void flip(final Path file, final long offset, final byte mask) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte)(one.get(0) ^ mask)).rewind();
            channel.write(one, offset);
        }
    }
}
