package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.BlockFiles.Frame;
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
import java.nio.file.Path;
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
            final Frame frame = BlockFiles.frames(block(1)).stream().filter((f) -> f.seq() == VICTIM).findFirst()
                .orElseThrow();
            final long offset = frame.offset() + (at >= 0 ? at : frame.length() + at);
            BlockFiles.xorByte(block(1), offset, 0x5A);

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

            BlockFiles.xorByte(block(1), offset, 0x5A);
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
}
