package io.ferrite.engine;

import io.ferrite.format.RecordDescriptor;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.ferrite.engine.PurgeCompactTruncateTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Whole records cut out of the middle of a block (the file shorter, the records after the cut moved up and still
 * verifying) leave no damage, only a gap in the sequences, like an {@code appendAt} jump, a skip or a removal a rewrite
 * dropped. The block entry's message count in {@code state.db} tells them apart: the cut sequences must fail their
 * reads naming the block and the offset of the cut (a sealed block read lazily), or be reported lost (a block recovery
 * scans), never read as silently absent — and gaps the count explains must stay plain absences.
 * <p>
 * The first block holds messages 1–10, an {@code appendAt} gap (11–14), message 15, a skip (16) and messages from 17
 * on; message 20 is removed.
 */
class CutRecordsTest
{
    private static final long GAP_FIRST = 11;
    private static final long GAP_LAST = 14;
    private static final long SKIPPED = 16;
    private static final long REMOVED = 20;
    private static final int MESSAGES = 200;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void gapsTheCountExplainsReadAsAbsent(final StreamMode mode)
    {
        final StreamConfig config = write(mode);
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                if (seq >= GAP_FIRST && seq <= GAP_LAST || seq == SKIPPED || seq == REMOVED)
                {
                    assertThat(store.load(seq)).as("seq %d", seq).isNull();
                }
                else
                {
                    assertThat(store.load(seq).payload()).as("seq %d", seq).isEqualTo(payload(seq));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void recordsCutFromASealedBlockFailTheirReadsNamingTheCut(final StreamMode mode) throws IOException
    {
        final StreamConfig config = write(mode);
        final Path first = BlockFiles.blocks(dir).get(0);
        final int cutAt = cut(first, 5, 6);

        for (int open = 1; open <= 2; open++)
        {
            try (StreamStore store = FileStreamStore.open(dir, config))
            {
                assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
                for (long seq = 5; seq <= 6; seq++)
                {
                    final long cutSeq = seq;
                    final CorruptRecordException failure = catchThrowableOfType(CorruptRecordException.class,
                        () -> store.load(cutSeq));
                    assertThat(failure).as("open %d, seq %d", open, seq).isNotNull();
                    assertThat(failure.seq()).isEqualTo(seq);
                    assertThat(failure.file()).isEqualTo(first);
                    assertThat(failure.offset()).isEqualTo(cutAt);
                    assertThat(failure).hasMessageContaining(first.toString());
                }
                // Which gap the cut left cannot be told from the jump: the jump's sequences fail too, never vanish.
                assertThatThrownBy(() -> store.load(GAP_FIRST)).isInstanceOf(CorruptRecordException.class);
                // A removal explains itself; so does a skip, where it still verifies (an encrypted record moved by
                // the cut no longer authenticates, and a skip that does not may be a message forged into one).
                assertThat(store.load(REMOVED)).isNull();
                if (!mode.encrypted())
                {
                    assertThat(store.load(SKIPPED)).isNull();
                }
                for (long seq = 1; seq < 5; seq++)
                {
                    assertThat(store.load(seq).payload()).as("seq %d", seq).isEqualTo(payload(seq));
                }
                if (!mode.encrypted())
                {
                    // Plaintext records verify wherever they sit; an encrypted one is bound to its offset.
                    assertThat(store.load(7).payload()).isEqualTo(payload(7));
                    assertThat(store.load(17).payload()).isEqualTo(payload(17));
                }
                assertThat(store.load(MESSAGES).payload()).isEqualTo(payload(MESSAGES));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void recordsCutFromAScannedBlockAreReportedLost(final StreamMode mode) throws IOException
    {
        final StreamConfig config = write(mode);
        final List<Path> blocks = BlockFiles.blocks(dir);
        final Path tail = blocks.get(blocks.size() - 1);
        final List<BlockFiles.Frame> frames = BlockFiles.frames(tail);
        // The tail's first two records: the plaintext tail holds only a few, and a cut at its end is a torn tail.
        final long victim = frames.get(0).seq();
        // The tail's last checksum no longer matches state.db, so recovery rebuilds from the blocks, scanning this one.
        final int cutAt = cut(tail, victim, victim + 1);

        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.outcome()).isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            assertThat(report.lost()).anySatisfy((range) ->
            {
                assertThat(range.kind()).isEqualTo(RecoveryReport.Kind.DAMAGED_REGION);
                assertThat(range.file()).isEqualTo(tail);
                assertThat(range.fromOffset()).isEqualTo(cutAt);
                assertThat(range.firstSeq()).isEqualTo(victim);
                assertThat(range.lastSeq()).isEqualTo(victim + 1);
            });
            assertThat(store.load(victim)).isNull();
            assertThat(store.load(victim + 1)).isNull();
            assertThat(store.load(victim - 1).payload()).isEqualTo(payload(victim - 1));
            assertThat(store.load(GAP_LAST)).isNull();
            assertThat(store.load(GAP_LAST + 1).payload()).isEqualTo(payload(GAP_LAST + 1));
        }
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).as("reported once").isEmpty();
            assertThat(store.load(victim)).isNull();
            assertThat(store.load(victim - 1).payload()).isEqualTo(payload(victim - 1));
        }
    }

    /**
     * A rewrite drops the removed messages and the skips of a block, leaving gaps only the count explains: they read
     * as absent, not as damage.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aRewrittenBlockKeepsItsGapsQuiet(final StreamMode mode)
    {
        final StreamConfig config = write(mode);
        final Path first = BlockFiles.blocks(dir).get(0);
        final long lastOfFirst = lastMessage(first);
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            final long size = sizeOf(first);
            for (long seq = 1; seq < lastOfFirst; seq++)
            {
                if (seq % 4 != 0 && store.load(seq) != null)
                {
                    assertThat(store.remove(seq)).isTrue();
                }
            }
            await("the first block rewritten", () -> sizeOf(first) < size);
        }
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                final boolean kept = seq % 4 == 0 && seq != REMOVED && seq != SKIPPED &&
                    (seq < GAP_FIRST || seq > GAP_LAST) || seq >= lastOfFirst;
                if (kept)
                {
                    assertThat(store.load(seq).payload()).as("seq %d", seq).isEqualTo(payload(seq));
                }
                else
                {
                    assertThat(store.load(seq)).as("seq %d", seq).isNull();
                }
            }
        }
    }

    private StreamConfig write(final StreamMode mode)
    {
        final StreamConfig config = mode.config(StreamConfig.builder("cut").blockSize(8192).maxMsgSize(256));
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                if (seq == GAP_LAST + 1)
                {
                    store.appendAt(seq, store.state().lastTime() + 1, subject(seq), null, payload(seq));
                }
                else if (seq >= GAP_FIRST && seq <= GAP_LAST)
                {
                    continue;
                }
                else if (seq == SKIPPED)
                {
                    assertThat(store.skip()).isEqualTo(seq);
                }
                else
                {
                    assertThat(store.append(subject(seq), null, payload(seq))).isEqualTo(seq);
                }
            }
            assertThat(store.remove(REMOVED)).isTrue();
        }
        assertThat(BlockFiles.blocks(dir).size()).isGreaterThan(2);
        assertThat(lastMessage(BlockFiles.blocks(dir).get(0))).isGreaterThan(REMOVED);
        return config;
    }

    /**
     * Cut the records of {@code fromSeq} to {@code toSeq} out of {@code block}, moving the rest up.
     *
     * @return where the cut was: the offset of {@code fromSeq}'s record.
     */
    private static int cut(final Path block, final long fromSeq, final long toSeq) throws IOException
    {
        final List<BlockFiles.Frame> frames = BlockFiles.frames(block);
        final int from = frames.stream().filter((f) -> f.seq() == fromSeq).findFirst().orElseThrow().offset();
        final int to = frames.stream().filter((f) -> f.seq() == toSeq).findFirst().orElseThrow().end();
        final byte[] bytes = BlockFiles.readAll(block);
        final byte[] cut = new byte[bytes.length - (to - from)];
        System.arraycopy(bytes, 0, cut, 0, from);
        System.arraycopy(bytes, to, cut, from, bytes.length - to);
        Files.write(block, cut);
        return from;
    }

    private static long lastMessage(final Path block)
    {
        final List<BlockFiles.Frame> frames = BlockFiles.frames(block);
        return frames.stream().filter((f) -> f.type() == RecordDescriptor.TYPE_MESSAGE)
            .mapToLong(BlockFiles.Frame::seq).max().orElseThrow();
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

    private static String subject(final long seq)
    {
        return "cut." + seq % 3;
    }

    private static byte[] payload(final long seq)
    {
        final byte[] payload = new byte[60 + (int)(seq % 23)];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(seq * 31 + i);
        }
        return payload;
    }
}
