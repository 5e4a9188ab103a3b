package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last record of the stream torn by a power cut after its header reached the disk but before its body did (the
 * header verifies, the body does not), in the part of the last block that {@code state.db} does not cover yet. The
 * header proves that the sequence was handed out, so recovery reports it lost and never hands it out again: the
 * stream's last sequence, the block's entry and (encrypted) the footer written when that block is sealed all agree on
 * it, the next append gets the sequence after it, and a later open — from the state, or rebuilding from the blocks —
 * finds the same stream.
 * <p>
 * Before the fix, recovery left the block entry at the torn sequence but rewound the stream's last sequence below it:
 * the next append reused the sequence, an encrypted stream sealed the old block with a footer claiming a sequence the
 * block did not hold and put the new record into the next block, and the following recovery took that acknowledged
 * record for damage ({@code PowerLossTest} seed 16735982).
 */
class TornLastRecordTest
{
    private static final TestMessages MESSAGES = new TestMessages(200);
    private static final int BEFORE_STATE = 30;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, state.db kept")
    @EnumSource(StreamMode.class)
    void aTornLastRecordKeepsItsSequenceAfterAStateBeforeIt(final StreamMode mode) throws IOException
    {
        tornLastRecordKeepsItsSequence(mode, true);
    }

    @ParameterizedTest(name = "{0}, state.db deleted")
    @EnumSource(StreamMode.class)
    void aTornLastRecordKeepsItsSequenceWhenRebuilding(final StreamMode mode) throws IOException
    {
        tornLastRecordKeepsItsSequence(mode, false);
    }

    /**
     * The damaged last record is not followed by zeros only: a later page of the block survived the cut while the one
     * between them was lost, so the scan sees a valid record beyond the gap. The scan still ends at the damaged record,
     * and its sequence stays taken all the same.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aDamagedLastRecordBeforeALostPageKeepsItsSequence(final StreamMode mode) throws IOException
    {
        final StreamConfig config = config(mode);
        final Path oldState = writeThenRestoreOlderState(config, 3);
        final List<BlockFiles.Frame> frames = lastFrames(3);
        final BlockFiles.Frame damaged = frames.get(0);
        final BlockFiles.Frame lostPage = frames.get(1);
        BlockFiles.flip(damaged.file(), damaged.offset() + RecordDescriptor.HEADER_LENGTH + 1);
        BlockFiles.write(lostPage.file(), lostPage.offset(), new byte[lostPage.length()]);
        Files.copy(oldState, dir.resolve("state.db"), StandardCopyOption.REPLACE_EXISTING);

        final long torn = damaged.seq();
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = mode + ", damaged " + torn + "\nreport " + report;
            assertThat(report.lost()).as(context).anyMatch((range) -> range.covers(torn));
            assertThat(store.state().lastSeq()).as(context).isGreaterThanOrEqualTo(torn);
            assertThat(store.load(torn)).as(context).isNull();
            assertEveryMessageLoads(store, torn - 1, context);
            final long next = MESSAGES.appendNext(store);
            assertThat(next).as("the damaged record's sequence is never handed out again: %s", context)
                .isGreaterThan(torn);
        }
        assertReopensAlike(config, torn);
    }

    private void tornLastRecordKeepsItsSequence(final StreamMode mode, final boolean keepState) throws IOException
    {
        final StreamConfig config = config(mode);
        final Path oldState = writeThenRestoreOlderState(config, 1);
        final BlockFiles.Frame tornFrame = lastFrames(1).get(0);
        final long torn = tornFrame.seq();
        assertThat(torn).isEqualTo(BEFORE_STATE + 1);
        // The body's first page never reached the disk; the header (and the zeros after the frame) did.
        BlockFiles.flip(tornFrame.file(), tornFrame.offset() + RecordDescriptor.HEADER_LENGTH + 1);
        if (keepState)
        {
            Files.copy(oldState, dir.resolve("state.db"), StandardCopyOption.REPLACE_EXISTING);
        }
        else
        {
            Files.delete(dir.resolve("state.db"));
        }

        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = mode + ", torn " + torn + ", state.db " + (keepState ? "kept" : "deleted") +
                "\nreport " + report;
            assertThat(report.outcome() == RecoveryReport.Outcome.REBUILT_FROM_BLOCKS).as(context)
                .isEqualTo(!keepState);
            assertThat(report.lost()).as(context).hasSize(1);
            final LostRange range = report.lost().get(0);
            assertThat(range.kind()).as(context).isEqualTo(Kind.TORN_TAIL);
            assertThat(range.file()).as(context).isEqualTo(tornFrame.file());
            assertThat(range.firstSeq()).as(context).isEqualTo(torn);
            assertThat(range.lastSeq()).as("the verified header bounds the loss: %s", context).isEqualTo(torn);
            assertThat(store.state().lastSeq()).as("the torn sequence stays taken: %s", context).isEqualTo(torn);
            assertThat(store.state().msgs()).as(context).isEqualTo(BEFORE_STATE);
            assertThat(store.load(torn)).as(context).isNull();
            assertEveryMessageLoads(store, torn - 1, context);
            assertThat(MESSAGES.appendNext(store)).as("never reassigned: %s", context).isEqualTo(torn + 1);
        }
        assertReopensAlike(config, torn);
    }

    /**
     * Reopen twice — from the state the previous close wrote, then rebuilding from the blocks — and find the same
     * stream: the torn sequence absent and never reported as anything but lost, the message after it present, and in
     * an encrypted stream a footer that agrees with its block (no {@code TAMPERED_FOOTER}).
     */
    private void assertReopensAlike(final StreamConfig config, final long torn)
    {
        final long last = torn + 1;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = "reopened from state.db\nreport " + report;
            assertThat(report.lost()).as("the loss was reported once: %s", context).isEmpty();
            assertThat(store.state().lastSeq()).as(context).isGreaterThanOrEqualTo(last);
            assertThat(store.load(torn)).as(context).isNull();
            assertThat(MESSAGES.mismatch(store.load(last), last)).as(context).isNull();
            assertEveryMessageLoads(store, torn - 1, context);
        }
        try
        {
            Files.delete(dir.resolve("state.db"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = "rebuilt from the blocks\nreport " + report;
            assertThat(report.lost()).as(context).allMatch((range) -> range.covers(torn) && !range.covers(last) &&
                range.kind() != Kind.TAMPERED_FOOTER);
            assertThat(store.state().lastSeq()).as(context).isGreaterThanOrEqualTo(last);
            assertThat(store.load(torn)).as(context).isNull();
            assertThat(MESSAGES.mismatch(store.load(last), last)).as(context).isNull();
            assertEveryMessageLoads(store, torn - 1, context);
        }
    }

    /**
     * {@value #BEFORE_STATE} messages and a state describing them; {@code after} more appended; the store closed.
     *
     * @return a copy of the state written before the last appends, to put back after damaging them.
     */
    private Path writeThenRestoreOlderState(final StreamConfig config, final int after) throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < BEFORE_STATE; i++)
            {
                MESSAGES.appendNext(store);
            }
        }
        final Path oldState = dir.resolveSibling(dir.getFileName() + "-state.db");
        Files.copy(dir.resolve("state.db"), oldState, StandardCopyOption.REPLACE_EXISTING);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < after; i++)
            {
                MESSAGES.appendNext(store);
            }
        }
        return oldState;
    }

    /**
     * @return the last {@code count} frames of the last block file.
     */
    private List<BlockFiles.Frame> lastFrames(final int count)
    {
        final List<Path> blocks = BlockFiles.blocks(dir);
        final List<BlockFiles.Frame> frames = BlockFiles.frames(blocks.get(blocks.size() - 1));
        assertThat(frames).hasSizeGreaterThanOrEqualTo(count);
        return frames.subList(frames.size() - count, frames.size());
    }

    private static void assertEveryMessageLoads(final FileStreamStore store, final long upTo, final String context)
    {
        for (long seq = 1; seq <= upTo; seq++)
        {
            assertThat(MESSAGES.mismatch(store.load(seq), seq)).as("seq %d: %s", seq, context).isNull();
        }
    }

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder("torn").blockSize(64 * 1024).maxMsgSize(512));
    }
}
