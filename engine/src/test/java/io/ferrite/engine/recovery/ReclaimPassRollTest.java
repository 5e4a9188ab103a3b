package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.ReclaimSeam;
import io.ferrite.engine.ReclaimStep;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * From the moment a reclaim pass sets {@code state.db} aside until it writes the next one, recovery rebuilds from the
 * blocks. Appends keep rolling blocks meanwhile, and a power cut can lose the header page of one rolled during the
 * pass while keeping a later one's. Without a state, an unwritten header with written blocks after it looks like
 * damage to an old block, and the stream failed to open (RELIABILITY.md listed it as known open). The pass now keeps
 * the old state beside ({@code state.db.replaced}); recovery reads from it which blocks are older than the pass, so a
 * lost roll after them is set aside and reported while damage to a block it lists still fails the open.
 * <p>
 * The image is taken at the pass's {@code state-deleted} step, after appends rolled blocks, and the header a power
 * cut could have lost is zeroed in the copy (what the power-loss model can leave, chosen rather than drawn).
 */
class ReclaimPassRollTest
{
    private static final int MESSAGES_BEFORE = 40;
    private static final int MESSAGES_DURING = 60;
    private static final int PAYLOAD = 300;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aBlockRolledDuringAPassWhoseHeaderWasLostIsSetAsideAndReported(final StreamMode mode) throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder("pass-roll").blockSize(8192).maxMsgSize(512));
        final Path dir = tmp.resolve("stream");
        final Path image = tmp.resolve("image");
        final long[] atStep = new long[1];
        final long lastBeforePass = takeImageDuringPass(dir, image, config, atStep);

        final StreamDirectory files = StreamDirectory.readOnly(image);
        assertThat(files.stateFile()).as("state.db is set aside during the pass").doesNotExist();
        assertThat(files.replacedStateFile()).as("kept beside as state.db.replaced").exists();
        final long[] ids = files.listBlockIds();
        final long[] rolled = Arrays.stream(ids).filter((id) -> id > atStep[0]).toArray();
        assertThat(rolled).as("blocks rolled during the pass, with one after the first").hasSizeGreaterThan(1);

        // A lost roll: the first block rolled during the pass lost its header page, a later one kept its own.
        final Path lostRoll = copy(image, "lost-roll");
        // The sequences the later rolls hold were assigned (and may have been read): never to be assigned again.
        long laterRollsLast = 0;
        long beforeLostRoll = 0;
        for (final long id : ids)
        {
            for (final BlockFiles.Frame frame : BlockFiles.frames(StreamDirectory.readOnly(lostRoll).blockFile(id)))
            {
                if (id > rolled[0])
                {
                    laterRollsLast = Math.max(laterRollsLast, frame.seq());
                }
                else if (id < rolled[0] && frame.type() == RecordDescriptor.TYPE_MESSAGE)
                {
                    beforeLostRoll = Math.max(beforeLostRoll, frame.seq());
                }
            }
        }
        assertThat(laterRollsLast).as("the later rolls hold records").isGreaterThan(beforeLostRoll);
        zeroHeader(lostRoll, rolled[0]);
        final long survivingLast;
        try (FileStreamStore store = FileStreamStore.open(lostRoll, config))
        {
            final RecoveryReport report = store.recoveryReport();
            survivingLast = beforeLostRoll;
            assertThat(store.state().lastSeq()).as("raised to what the later rolls prove: %s", report)
                .isEqualTo(laterRollsLast);
            assertThat(survivingLast).as(report.toString()).isGreaterThanOrEqualTo(lastBeforePass);
            final List<RecoveryReport.LostRange> unwritten = report.lost().stream()
                .filter((range) -> range.kind() == RecoveryReport.Kind.UNWRITTEN_BLOCK).toList();
            assertThat(unwritten).as(report.toString()).hasSize(rolled.length);
            final long provenLast = laterRollsLast;
            assertThat(unwritten).allSatisfy((range) ->
            {
                assertThat(range.firstSeq()).as("reported from the first sequence after what survived")
                    .isEqualTo(survivingLast + 1);
                assertThat(range.lastSeq()).as("up to what the later rolls prove").isEqualTo(provenLast);
            });
            for (long seq = store.state().firstSeq(); seq <= survivingLast; seq++)
            {
                final StoredMessage message = store.load(seq);
                assertThat(message).as("seq %d: %s", seq, report).isNotNull();
                assertThat(message.payload()).isEqualTo(payload(seq));
            }
            for (long seq = survivingLast + 1; seq <= laterRollsLast; seq++)
            {
                assertThat(store.load(seq)).as("seq %d is only in a set-aside file", seq).isNull();
            }
            assertThat(store.append("a", null, payload(laterRollsLast + 1))).isEqualTo(laterRollsLast + 1);
        }
        for (final long id : rolled)
        {
            final Path block = StreamDirectory.readOnly(lostRoll).blockFile(id);
            assertThat(block).doesNotExist();
            assertThat(block.resolveSibling(block.getFileName() + ".unwritten")).as("kept for inspection").exists();
        }
        assertThat(StreamDirectory.readOnly(lostRoll).replacedStateFile())
            .as("deleted once the open wrote a state").doesNotExist();

        // Without the state set aside nothing tells the lost roll from damage: the open fails, naming the block.
        final Path noReplacedState = copy(image, "no-replaced-state");
        zeroHeader(noReplacedState, rolled[0]);
        Files.delete(StreamDirectory.readOnly(noReplacedState).replacedStateFile());
        final CorruptFileException unexplained = catchThrowableOfType(CorruptFileException.class,
            () -> FileStreamStore.open(noReplacedState, config).close());
        assertThat(unexplained).isNotNull();
        assertThat(unexplained.file()).isEqualTo(StreamDirectory.readOnly(noReplacedState).blockFile(rolled[0]));

        // A block the old state lists was durable before the pass: a zeroed header there is damage, never a roll.
        final long listed = ids[0];
        final Path damaged = copy(image, "damaged-listed");
        zeroHeader(damaged, listed);
        final CorruptFileException damage = catchThrowableOfType(CorruptFileException.class,
            () -> FileStreamStore.open(damaged, config).close());
        assertThat(damage).isNotNull();
        assertThat(damage.file()).isEqualTo(StreamDirectory.readOnly(damaged).blockFile(listed));
    }

    /**
     * Appends, compacts the first block away, and holds its deletion pass at {@code state-deleted} while more appends
     * roll blocks; the copy is taken there. Once the pass has finished, state.db is back and the old one gone.
     *
     * @param lastBlockAtStep receives the last block id when the pass reached the step: every block after it was
     *                        rolled during the pass, and every block the old state lists is at or before it.
     * @return the last sequence appended before the pass.
     */
    private static long takeImageDuringPass(final Path dir, final Path image, final StreamConfig config,
        final long[] lastBlockAtStep) throws Exception
    {
        final CountDownLatch atStep = new CountDownLatch(1);
        final CountDownLatch rolled = new CountDownLatch(1);
        final CountDownLatch imaged = new CountDownLatch(1);
        final CountDownLatch passDone = new CountDownLatch(1);
        final long lastBeforePass;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            long seq = 0;
            for (int i = 0; i < MESSAGES_BEFORE; i++)
            {
                seq = store.append("a", null, payload(seq + 1));
            }
            lastBeforePass = seq;
            store.flush().join();
            // A state listing the blocks so far, as a periodic state write leaves one: the pass sets it aside.
            store.writeFullState();
            ReclaimSeam.steps(store, (step) ->
            {
                if (step == ReclaimStep.DELETE_STATE_DELETED && imaged.getCount() > 0)
                {
                    final long[] ids = StreamDirectory.readOnly(dir).listBlockIds();
                    lastBlockAtStep[0] = ids[ids.length - 1];
                    atStep.countDown();
                    await(rolled);
                    BlockFiles.copyTree(dir, image);
                    imaged.countDown();
                }
                if (step == ReclaimStep.DELETE_STATE_WRITTEN)
                {
                    passDone.countDown();
                }
            });
            store.compact(MESSAGES_BEFORE - 5);
            await(atStep);
            for (int i = 0; i < MESSAGES_DURING; i++)
            {
                seq = store.append("a", null, payload(seq + 1));
            }
            store.flush().join();
            rolled.countDown();
            await(imaged);
            await(passDone);
            ReclaimSeam.steps(store, (step) -> {});
            final StreamDirectory files = StreamDirectory.readOnly(dir);
            assertThat(files.stateFile()).as("written again at the pass's end").exists();
            assertThat(files.replacedStateFile()).as("deleted with it").doesNotExist();
        }
        return lastBeforePass;
    }

    private static void zeroHeader(final Path stream, final long blockId)
    {
        BlockFiles.write(StreamDirectory.readOnly(stream).blockFile(blockId), 0,
            new byte[BlockDescriptor.HEADER_LENGTH]);
    }

    private Path copy(final Path image, final String name)
    {
        final Path copy = tmp.resolve(name);
        BlockFiles.copyTree(image, copy);
        return copy;
    }

    private static byte[] payload(final long seq)
    {
        return Arrays.copyOf(("m-" + seq).getBytes(StandardCharsets.US_ASCII), PAYLOAD);
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            assertThat(latch.await(60, TimeUnit.SECONDS)).as("timed out").isTrue();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }
}
