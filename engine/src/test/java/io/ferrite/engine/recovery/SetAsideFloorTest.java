package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A power cut lost the header of a block rolled after the last state write while a later block's header, and its
 * records, reached the disk. Recovery sets aside the unwritten block and every block after it (they cannot be placed
 * without it), and must not hand out again the sequences the later files prove were assigned: a reader or tailer may
 * have seen them under other messages. The image is built by hand, as such a cut can leave it: a state written while
 * the stream had one block, blocks appended after it, and the header page of the second block zeroed.
 */
class SetAsideFloorTest
{
    private static final int PAYLOAD = 300;
    private static final int MESSAGES_IN_STATE = 5;
    private static final int BLOCKS = 4;
    /** Far more than {@link #BLOCKS} blocks of 8 KiB hold: a bound on the loop, not a count it reaches. */
    private static final int MAX_MESSAGES = 1000;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void sequencesALaterSetAsideBlockProvesAreNeverAssignedAgain(final StreamMode mode) throws IOException
    {
        final StreamConfig config = config(mode);
        final Path dir = tmp.resolve("stream");
        final long last = imageWithLostRoll(dir, config);
        final StreamDirectory files = StreamDirectory.readOnly(dir);
        final long[] ids = files.listBlockIds();
        final long survivingLast = lastMessageSeq(files.blockFile(ids[0]));
        assertThat(lastMessageSeq(files.blockFile(ids[ids.length - 1]))).as("the last block's records are intact")
            .isEqualTo(last);
        zeroHeader(files.blockFile(ids[1]));

        final long next;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            final List<RecoveryReport.LostRange> unwritten = unwritten(report);
            assertThat(unwritten).as(report.toString()).hasSize(ids.length - 1);
            assertThat(unwritten).allSatisfy((range) ->
            {
                assertThat(range.firstSeq()).as(report.toString()).isEqualTo(survivingLast + 1);
                assertThat(range.lastSeq()).as("closed where the later files' proof ends: %s", report)
                    .isNotEqualTo(StoreException.UNKNOWN).isGreaterThanOrEqualTo(last);
            });
            assertThat(store.state().lastSeq()).as(report.toString()).isGreaterThanOrEqualTo(last);
            assertSurvivorsAndNothingSetAside(store, survivingLast, last);
            next = store.append("a", null, payload(0));
            assertThat(next).as("a fresh sequence above every one the set-aside files held").isGreaterThan(last);
        }
        assertSetAside(files, ids);

        // The raised floor outlives the open that found it: the files proving it are no longer read.
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.state().lastSeq()).isEqualTo(next);
            assertThat(store.load(next).payload()).isEqualTo(payload(0));
            assertSurvivorsAndNothingSetAside(store, survivingLast, last);
            assertThat(store.append("a", null, payload(0))).isEqualTo(next + 1);
        }
    }

    /**
     * The open that set the files aside lost power after its renames reached the disk and before the new block it
     * bases above the raised floor did: the next open reads the proof from the set-aside files again. Once a block
     * above them exists, they are not read or reported again.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aProofLeftOnlyInSetAsideFilesIsReadAgain(final StreamMode mode) throws IOException
    {
        final StreamConfig config = config(mode);
        final Path dir = tmp.resolve("stream");
        final long last = imageWithLostRoll(dir, config);
        final StreamDirectory files = StreamDirectory.readOnly(dir);
        final long[] ids = files.listBlockIds();
        final long survivingLast = lastMessageSeq(files.blockFile(ids[0]));
        zeroHeader(files.blockFile(ids[1]));
        for (int i = 1; i < ids.length; i++)
        {
            final Path block = files.blockFile(ids[i]);
            Files.move(block, block.resolveSibling(block.getFileName() + StreamRecovery.UNWRITTEN_SUFFIX));
        }

        final long next;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(unwritten(report)).as(report.toString()).isNotEmpty().allSatisfy((range) ->
            {
                assertThat(range.firstSeq()).isEqualTo(survivingLast + 1);
                assertThat(range.lastSeq()).isGreaterThanOrEqualTo(last);
            });
            assertSurvivorsAndNothingSetAside(store, survivingLast, last);
            next = store.append("a", null, payload(0));
            assertThat(next).isGreaterThan(last);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(unwritten(store.recoveryReport())).isEmpty();
            assertThat(store.append("a", null, payload(0))).isEqualTo(next + 1);
        }
    }

    /**
     * The later files' headers reached the disk, their records did not: the headers alone prove the sequences before
     * each block's base were assigned.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aLaterHeaderAloneProvesTheSequencesBeforeItsBase(final StreamMode mode) throws IOException
    {
        final StreamConfig config = config(mode);
        final Path dir = tmp.resolve("stream");
        imageWithLostRoll(dir, config);
        final StreamDirectory files = StreamDirectory.readOnly(dir);
        final long[] ids = files.listBlockIds();
        final long survivingLast = lastMessageSeq(files.blockFile(ids[0]));
        final Path lastBlock = files.blockFile(ids[ids.length - 1]);
        final long lastBase = header(lastBlock).getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        assertThat(lastBase).isGreaterThan(survivingLast + 1);
        zeroHeader(files.blockFile(ids[1]));
        for (int i = 2; i < ids.length; i++)
        {
            final Path block = files.blockFile(ids[i]);
            BlockFiles.write(block, BlockDescriptor.DATA_OFFSET,
                new byte[(int)Files.size(block) - BlockDescriptor.DATA_OFFSET]);
        }

        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(unwritten(report)).as(report.toString()).hasSize(ids.length - 1).allSatisfy((range) ->
            {
                assertThat(range.firstSeq()).isEqualTo(survivingLast + 1);
                assertThat(range.lastSeq()).isEqualTo(lastBase - 1);
            });
            assertSurvivorsAndNothingSetAside(store, survivingLast, lastBase - 1);
            assertThat(store.append("a", null, payload(0))).isEqualTo(lastBase);
        }
    }

    /**
     * No file after the unwritten one proves anything (their headers do not validate): the range stays open-ended and
     * appends continue after what survived, as before.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void laterFilesWhoseHeadersDoNotValidateProveNothing(final StreamMode mode) throws IOException
    {
        final StreamConfig config = config(mode);
        final Path dir = tmp.resolve("stream");
        imageWithLostRoll(dir, config);
        final StreamDirectory files = StreamDirectory.readOnly(dir);
        final long[] ids = files.listBlockIds();
        final long survivingLast = lastMessageSeq(files.blockFile(ids[0]));
        zeroHeader(files.blockFile(ids[1]));
        for (int i = 2; i < ids.length; i++)
        {
            BlockFiles.flip(files.blockFile(ids[i]), BlockDescriptor.BASE_SEQ_OFFSET);
        }

        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(unwritten(report)).as(report.toString()).hasSize(ids.length - 1).allSatisfy((range) ->
            {
                assertThat(range.firstSeq()).isEqualTo(survivingLast + 1);
                assertThat(range.lastSeq()).isEqualTo(StoreException.UNKNOWN);
            });
            assertThat(store.append("a", null, payload(0))).isEqualTo(survivingLast + 1);
        }
    }

    /**
     * A stream whose {@code state.db} was written while it had one block, with at least {@link #BLOCKS} blocks since.
     *
     * @return the last sequence appended.
     */
    private static long imageWithLostRoll(final Path dir, final StreamConfig config) throws IOException
    {
        final StreamDirectory files = StreamDirectory.readOnly(dir);
        final byte[] earlyState;
        long seq = 0;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < MESSAGES_IN_STATE; i++)
            {
                seq = store.append("a", null, payload(seq + 1));
            }
            store.flush().join();
            store.writeFullState();
            assertThat(files.listBlockIds()).hasSize(1);
            earlyState = Files.readAllBytes(files.stateFile());
            while (files.listBlockIds().length < BLOCKS && seq < MAX_MESSAGES)
            {
                seq = store.append("a", null, payload(seq + 1));
            }
            assertThat(files.listBlockIds()).hasSizeGreaterThanOrEqualTo(BLOCKS);
            // A few records in the last block too, so it proves more than its header does.
            for (int i = 0; i < 3; i++)
            {
                seq = store.append("a", null, payload(seq + 1));
            }
            store.flush().join();
        }
        // The cut: the state on disk is the one written while the stream had one block.
        Files.write(files.stateFile(), earlyState);
        Files.deleteIfExists(files.replacedStateFile());
        return seq;
    }

    private static void assertSurvivorsAndNothingSetAside(
        final FileStreamStore store, final long survivingLast, final long setAsideLast)
    {
        for (long seq = 1; seq <= survivingLast; seq++)
        {
            final StoredMessage message = store.load(seq);
            assertThat(message).as("seq %d survived", seq).isNotNull();
            assertThat(message.payload()).isEqualTo(payload(seq));
        }
        for (long seq = survivingLast + 1; seq <= setAsideLast; seq++)
        {
            assertThat(store.load(seq)).as("seq %d is only in a set-aside file", seq).isNull();
        }
    }

    private static void assertSetAside(final StreamDirectory files, final long[] ids)
    {
        for (int i = 1; i < ids.length; i++)
        {
            final Path block = files.blockFile(ids[i]);
            assertThat(block.resolveSibling(block.getFileName() + StreamRecovery.UNWRITTEN_SUFFIX)).exists();
        }
    }

    private static List<RecoveryReport.LostRange> unwritten(final RecoveryReport report)
    {
        return report.lost().stream().filter((range) -> range.kind() == RecoveryReport.Kind.UNWRITTEN_BLOCK).toList();
    }

    private static long lastMessageSeq(final Path block)
    {
        return BlockFiles.frames(block).stream().filter((frame) -> frame.type() == RecordDescriptor.TYPE_MESSAGE)
            .mapToLong(BlockFiles.Frame::seq).max().orElse(0);
    }

    private static ByteBuffer header(final Path block)
    {
        return ByteBuffer.wrap(Arrays.copyOf(BlockFiles.readAll(block), BlockDescriptor.HEADER_LENGTH))
            .order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void zeroHeader(final Path block)
    {
        BlockFiles.write(block, 0, new byte[BlockDescriptor.HEADER_LENGTH]);
    }

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder("set-aside-floor").blockSize(8192).maxMsgSize(512));
    }

    private static byte[] payload(final long seq)
    {
        return Arrays.copyOf(("m-" + seq).getBytes(StandardCharsets.US_ASCII), PAYLOAD);
    }
}
