package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.state.FullStateReader;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.SequenceExhaustedException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;

import static io.ferrite.format.RecordDescriptor.MAX_SEQUENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sequences stop at {@link RecordDescriptor#MAX_SEQUENCE} (2^62 - 1) on every path that assigns one — {@code append},
 * {@code skip}, {@code appendAt}, {@code compact} past the end — before and after a reopen, with and without
 * {@code state.db}, plaintext and encrypted; removals and purges still work at the ceiling (an encrypted tombstone's
 * nonce counter lives just above it). A record, or a {@code state.db}, above the ceiling found on disk is damage, never
 * a sequence.
 */
class SequenceCeilingTest
{
    private static final byte[] PAYLOAD = "at the top".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder("ceiling").blockSize(64 * 1024).maxMsgSize(1024));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void noPathAssignsASequenceAboveTheCeiling(final StreamMode mode) throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            store.append("low", null, PAYLOAD);
            // No earlier than the first append's time, which the store's clock took at nanosecond resolution.
            store.appendAt(MAX_SEQUENCE - 2, store.state().lastTime(), "top", null, PAYLOAD);
            assertThat(store.append("top", null, PAYLOAD)).isEqualTo(MAX_SEQUENCE - 1);
            assertThat(store.skip()).isEqualTo(MAX_SEQUENCE);
            assertRefusesEverySequence(store);
            // Removing takes no sequence: it works at the ceiling, and its tombstone counter is above it.
            assertThat(store.remove(MAX_SEQUENCE - 1)).isTrue();
            assertThat(store.load(MAX_SEQUENCE - 1)).isNull();
            assertRefusesEverySequence(store);
        }
        for (final boolean withState : List.of(true, false))
        {
            if (!withState)
            {
                Files.delete(dir.resolve("state.db"));
            }
            try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
            {
                assertThat(store.recoveryReport().lost()).as("state.db kept: %s", withState).isEmpty();
                assertThat(store.state().lastSeq()).isEqualTo(MAX_SEQUENCE);
                assertThat(store.state().msgs()).isEqualTo(2);
                assertThat(store.load(MAX_SEQUENCE - 2).payload()).isEqualTo(PAYLOAD);
                assertThat(store.load(MAX_SEQUENCE - 1)).as("removed at the ceiling, still removed").isNull();
                assertRefusesEverySequence(store);
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            assertThat(store.purge()).isEqualTo(2);
            assertRefusesEverySequence(store);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            assertThat(store.state().msgs()).isZero();
            assertThat(store.state().lastSeq()).isEqualTo(MAX_SEQUENCE);
            assertRefusesEverySequence(store);
            store.truncate(MAX_SEQUENCE - 5);
            assertThat(store.append("again", null, PAYLOAD)).as("truncate lowers the ceiling's reach")
                .isEqualTo(MAX_SEQUENCE - 4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void compactPastTheEndStopsAtTheCeiling(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            store.append("low", null, PAYLOAD);
            assertThatThrownBy(() -> store.compact(MAX_SEQUENCE + 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq must be in [1, " + (MAX_SEQUENCE + 1) + "]");
            assertThatThrownBy(() -> store.compact(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
            assertThat(store.state().lastSeq()).isEqualTo(1);
            assertThat(store.compact(MAX_SEQUENCE + 1)).isEqualTo(1);
            assertThat(store.state().lastSeq()).isEqualTo(MAX_SEQUENCE);
            assertRefusesEverySequence(store);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            assertThat(store.state().lastSeq()).isEqualTo(MAX_SEQUENCE);
            assertThat(store.state().msgs()).isZero();
            assertRefusesEverySequence(store);
        }
    }

    /**
     * A record whose checksums verify but whose sequence is above the ceiling can only be damage (or a build that
     * assigned one before the ceiling was enforced): recovery reports it lost and never takes its sequence.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aRecordAboveTheCeilingOnDiskIsDamage(final StreamMode mode)
    {
        final long timestamp = System.currentTimeMillis() * 1_000_000L;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            store.appendAt(MAX_SEQUENCE - 1, timestamp, "top", null, PAYLOAD);
            store.appendAt(MAX_SEQUENCE, timestamp, "top", null, PAYLOAD);
        }
        final Path block = BlockFiles.blocks(dir).get(BlockFiles.blocks(dir).size() - 1);
        final BlockFiles.Frame last = BlockFiles.frames(block).stream()
            .filter((frame) -> frame.seq() == MAX_SEQUENCE).findFirst().orElseThrow();
        rewriteSequence(block, last, MAX_SEQUENCE + 1);
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.lost()).as("%s", report).isNotEmpty();
            assertThat(report.lost()).allSatisfy((lost) -> assertThat(lost.file()).isEqualTo(block));
            // Never the forged sequence; state.db proves the ceiling itself was assigned, so the stream stays there.
            assertThat(store.state().lastSeq()).isEqualTo(MAX_SEQUENCE);
            assertThat(store.load(MAX_SEQUENCE)).isNull();
            assertThat(store.load(MAX_SEQUENCE - 1).payload()).isEqualTo(PAYLOAD);
        }
    }

    /**
     * A {@code state.db} whose checksums verify but whose last sequence is above the ceiling is unusable: recovery
     * falls back to the blocks, which hold the truth.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aStateAboveTheCeilingIsUnusable(final StreamMode mode) throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            store.appendAt(MAX_SEQUENCE, System.currentTimeMillis() * 1_000_000L, "top", null, PAYLOAD);
        }
        final Path state = dir.resolve("state.db");
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(state)).order(ByteOrder.LITTLE_ENDIAN);
        final int lastSeqOffset = StateDescriptor.HEADER_LENGTH + StateDescriptor.LAST_SEQ_OFFSET;
        bytes.putLong(lastSeqOffset, MAX_SEQUENCE + 1);
        bytes.putInt(StateDescriptor.BODY_CHECKSUM_OFFSET,
            crc(bytes, StateDescriptor.HEADER_LENGTH, bytes.capacity()));
        bytes.putInt(StateDescriptor.HEADER_CHECKSUM_OFFSET, crc(bytes, 0, StateDescriptor.HEADER_CHECKSUM_OFFSET));
        Files.write(state, bytes.array());
        assertThatThrownBy(() -> FullStateReader.read(state))
            .isInstanceOf(CorruptFileException.class)
            .hasMessageContaining("state last sequence " + (MAX_SEQUENCE + 1))
            .satisfies((ex) -> assertThat(((CorruptFileException)ex).offset()).isEqualTo(lastSeqOffset));
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            assertThat(store.recoveryReport().reason()).contains("state last sequence");
            assertThat(store.state().lastSeq()).isEqualTo(MAX_SEQUENCE);
            assertThat(store.load(MAX_SEQUENCE).payload()).isEqualTo(PAYLOAD);
            assertRefusesEverySequence(store);
        }
    }

    private static void assertRefusesEverySequence(final FileStreamStore store)
    {
        final StreamState before = store.state();
        assertThatThrownBy(() -> store.append("over", null, PAYLOAD))
            .isInstanceOf(SequenceExhaustedException.class)
            .hasMessageContaining("sequence " + (MAX_SEQUENCE + 1))
            .hasMessageContaining(Long.toString(MAX_SEQUENCE))
            .satisfies((ex) ->
            {
                assertThat(((SequenceExhaustedException)ex).seq()).isEqualTo(MAX_SEQUENCE + 1);
                assertThat(((SequenceExhaustedException)ex).limit()).isEqualTo(MAX_SEQUENCE);
            });
        assertThatThrownBy(store::skip).isInstanceOf(SequenceExhaustedException.class);
        assertThatThrownBy(() -> store.appendAt(MAX_SEQUENCE + 1, Long.MAX_VALUE, "over", null, PAYLOAD))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("seq must be <= " + MAX_SEQUENCE);
        assertThatThrownBy(() -> store.appendAt(Long.MAX_VALUE, Long.MAX_VALUE, "over", null, PAYLOAD))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.state()).as("a refused sequence changes nothing").isEqualTo(before);
    }

    /**
     * Give the plaintext-framed record {@code frame} another sequence, with both its checksums recomputed, so only the
     * sequence's value can tell it apart from a record the engine wrote.
     */
    private static void rewriteSequence(final Path block, final BlockFiles.Frame frame, final long seq)
    {
        final ByteBuffer record = ByteBuffer.wrap(BlockFiles.readAll(block), frame.offset(), frame.length()).slice()
            .order(ByteOrder.LITTLE_ENDIAN);
        record.putLong(RecordDescriptor.SEQUENCE_OFFSET, seq);
        record.putInt(RecordDescriptor.HEADER_CHECKSUM_OFFSET, crc(record, 0, RecordDescriptor.HEADER_CHECKSUM_OFFSET));
        final int checksumOffset = frame.length() - RecordDescriptor.CHECKSUM_LENGTH;
        record.putInt(checksumOffset, crc(record, 0, checksumOffset));
        final byte[] bytes = new byte[frame.length()];
        record.get(0, bytes);
        BlockFiles.write(block, frame.offset(), bytes);
        assertThat(frame.offset()).isGreaterThanOrEqualTo(BlockDescriptor.DATA_OFFSET);
    }

    private static int crc(final ByteBuffer record, final int from, final int to)
    {
        final CRC32C crc = new CRC32C();
        crc.update(record.duplicate().position(from).limit(to));
        return (int)crc.getValue();
    }
}
