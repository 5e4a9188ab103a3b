package io.ferrite.engine;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A read verifies the record's header checksum and then its frame checksum in one pass over the bytes (the frame's
 * CRC goes on from the header's). Damage to any part of a record in the open writer's block — a header field, the
 * stored header checksum, the body, the stored frame checksum — must fail exactly that record with the check that
 * names the part, through {@code load}, {@code read} and a tailer, and leave every other record readable.
 */
class RecordDamageDiagnosisTest
{
    private static final StreamConfig CONFIG = StreamConfig.builder("damage").blockSize(16384).maxMsgSize(512).build();
    private static final int MESSAGES = 40;
    private static final long VICTIM = 17;
    private static final String HEADER = "record header does not verify";
    private static final String FRAME = "record checksum does not verify";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "timestamp, " + RecordDescriptor.TIMESTAMP_OFFSET + ", " + HEADER,
        "payload length, " + RecordDescriptor.PAYLOAD_LENGTH_OFFSET + ", " + HEADER,
        "stored header checksum, " + RecordDescriptor.HEADER_CHECKSUM_OFFSET + ", " + HEADER,
        "first subject byte, " + RecordDescriptor.HEADER_LENGTH + ", " + FRAME,
        "last byte before the frame checksum, -5, " + FRAME,
        "stored frame checksum, -1, " + FRAME,
    })
    void damageFailsOnlyThatRecordWithTheCheckThatNamesIt(final String part, final int at, final String problem)
        throws IOException
    {
        try (StreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            for (int i = 1; i <= MESSAGES; i++)
            {
                store.append("damage." + (i % 3), null, payload(i));
            }
            final long[] frame = frameOf(block(1), VICTIM);
            final long offset = frame[0] + (at >= 0 ? at : frame[1] + at);
            flip(block(1), offset);

            assertThatThrownBy(() -> store.load(VICTIM)).as(part).isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining(problem)
                .satisfies((ex) -> assertThat(((StoreException)ex).seq()).isEqualTo(VICTIM));
            assertThatThrownBy(() -> store.read(VICTIM, (view) -> { })).isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining(problem);
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                if (seq != VICTIM)
                {
                    assertThat(store.load(seq).payload()).as("seq %d", seq).isEqualTo(payload((int)seq));
                }
            }

            final List<Long> handed = new ArrayList<>();
            try (StreamTailer tailer = store.createTailer(1))
            {
                assertThat(tailer.poll((view) -> handed.add(view.seq()), (int)VICTIM - 1)).isEqualTo((int)VICTIM - 1);
                assertThatThrownBy(() -> tailer.poll((view) -> handed.add(view.seq()), MESSAGES))
                    .isInstanceOf(CorruptRecordException.class).hasMessageContaining(problem);
                assertThat(tailer.nextSeq()).as("the tailer stays on the damaged record").isEqualTo(VICTIM);
            }
            assertThat(handed).hasSize((int)VICTIM - 1).last().isEqualTo(VICTIM - 1);

            flip(block(1), offset);
            assertThat(store.load(VICTIM).payload()).as("undamaged again").isEqualTo(payload((int)VICTIM));
        }
    }

    private static byte[] payload(final int seq)
    {
        final byte[] payload = new byte[40 + seq % 23];
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

    /**
     * @return the offset and frame length of the record holding {@code seq}, found by walking the frames.
     */
    private static long[] frameOf(final Path file, final long seq) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer header =
                ByteBuffer.allocate(RecordDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            long offset = BlockDescriptor.DATA_OFFSET;
            while (true)
            {
                header.clear();
                channel.read(header, offset);
                final int frameLength = header.getInt(RecordDescriptor.FRAME_LENGTH_OFFSET);
                assertThat(frameLength).as("frame at %d", offset)
                    .isGreaterThanOrEqualTo(RecordDescriptor.MIN_FRAME_LENGTH);
                if (header.getLong(RecordDescriptor.SEQUENCE_OFFSET) == seq)
                {
                    return new long[] {offset, frameLength};
                }
                offset += frameLength;
            }
        }
    }

    private static void flip(final Path file, final long offset) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte)(one.get(0) ^ 0x5A)).rewind();
            channel.write(one, offset);
        }
    }
}
