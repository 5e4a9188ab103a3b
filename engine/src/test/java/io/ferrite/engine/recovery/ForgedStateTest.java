package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.FullStateReader;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockEntryDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.SequenceExhaustedException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A plaintext {@code state.db} is protected by CRC32C only, which anyone can recompute, and a block record likewise:
 * numbers forged into them must never size memory. The state's block entries are held to what the writer produces
 * (refused as a {@link CorruptFileException} naming {@code state.db} and the field's offset, so the store rebuilds
 * from the blocks), removed-sequence sets hold only what a block can hold, and a record claiming a sequence its block
 * cannot hold is damage.
 */
class ForgedStateTest
{
    private static final TestMessages MESSAGES = new TestMessages(200);
    private static final StreamConfig CONFIG = StreamConfig.builder("forged").blockSize(8192).maxMsgSize(512).build();
    private static final int COUNT = 200;
    private static final long REMOVED = 30;
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /**
     * One forged field of a block entry.
     */
    enum EntryForgery
    {
        BASE_BELOW_ONE(0, BlockEntryDescriptor.BASE_SEQ_OFFSET, "base sequence"),
        BASE_2_POW_31_LOWER(1, BlockEntryDescriptor.BASE_SEQ_OFFSET, "base sequence"),
        BASE_NOT_AFTER_PREVIOUS_LAST(1, BlockEntryDescriptor.BASE_SEQ_OFFSET, "base sequence"),
        LAST_BEYOND_THE_BLOCK_SPAN(0, BlockEntryDescriptor.LAST_SEQ_OFFSET, "last sequence"),
        LAST_BLOCK_BEYOND_THE_STREAM(-1, BlockEntryDescriptor.LAST_SEQ_OFFSET, "last sequence"),
        FIRST_BEYOND_THE_BLOCK_SPAN(0, BlockEntryDescriptor.FIRST_SEQ_OFFSET, "first sequence"),
        MORE_MESSAGES_THAN_SEQUENCES(0, BlockEntryDescriptor.MSGS_OFFSET, "message count"),
        WRITE_OFFSET_IN_THE_HEADER(0, BlockEntryDescriptor.WRITE_OFFSET_OFFSET, "write offset");

        final int entry;
        final int field;
        final String named;

        EntryForgery(final int entry, final int field, final String named)
        {
            this.entry = entry;
            this.field = field;
            this.named = named;
        }

        void apply(final ByteBuffer state, final int at, final long stateLastSeq)
        {
            final long base = state.getLong(at + BlockEntryDescriptor.BASE_SEQ_OFFSET);
            final long last = state.getLong(at + BlockEntryDescriptor.LAST_SEQ_OFFSET);
            switch (this)
            {
                case BASE_BELOW_ONE -> state.putLong(at + field, 0);
                case BASE_2_POW_31_LOWER -> state.putLong(at + field, base - (1L << 31));
                case BASE_NOT_AFTER_PREVIOUS_LAST ->
                    state.putLong(at + field,
                        state.getLong(at - BlockEntryDescriptor.ENTRY_LENGTH + BlockEntryDescriptor.LAST_SEQ_OFFSET));
                case LAST_BEYOND_THE_BLOCK_SPAN -> state.putLong(at + field, base + BlockDescriptor.MAX_SEQUENCE_SPAN);
                case LAST_BLOCK_BEYOND_THE_STREAM -> state.putLong(at + field, stateLastSeq + 1);
                case FIRST_BEYOND_THE_BLOCK_SPAN -> state.putLong(at + field, base + BlockDescriptor.MAX_SEQUENCE_SPAN);
                case MORE_MESSAGES_THAN_SEQUENCES -> state.putInt(at + field, (int)(last - base + 2));
                case WRITE_OFFSET_IN_THE_HEADER -> state.putInt(at + field, BlockDescriptor.DATA_OFFSET - 8);
                default -> throw new IllegalStateException(name());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EntryForgery.class)
    void aForgedBlockEntryIsRefusedNamingItsFieldAndTheStoreRebuilds(final EntryForgery forgery) throws IOException
    {
        write();
        final Path stateFile = dir.resolve("state.db");
        final ByteBuffer state = read(stateFile);
        final int blocks = state.getInt(StateDescriptor.HEADER_LENGTH + StateDescriptor.BLOCK_COUNT_OFFSET);
        final int entry = forgery.entry < 0 ? blocks - 1 : forgery.entry;
        final int at = entryOffset(entry);
        forgery.apply(state, at, state.getLong(StateDescriptor.HEADER_LENGTH + StateDescriptor.LAST_SEQ_OFFSET));
        writeWithChecksums(stateFile, state);

        assertThatThrownBy(() -> FullStateReader.read(stateFile)).isInstanceOf(CorruptFileException.class)
            .hasMessageContaining("block entry " + entry).hasMessageContaining(forgery.named)
            .satisfies((ex) ->
            {
                assertThat(((CorruptFileException)ex).file()).isEqualTo(stateFile);
                assertThat(((CorruptFileException)ex).offset()).isEqualTo(at + forgery.field);
            });
        try (FileStreamStore store = assertTimeoutPreemptively(LIMIT, () -> FileStreamStore.open(dir, CONFIG)))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            assertThat(store.recoveryReport().reason()).contains("state.db is unusable").contains(forgery.named);
            assertEveryMessage(store);
        }
    }

    /**
     * The state's last sequence and its last removed run raised to the top of the sequence range: the runs are within
     * the stream as far as the state says, but a removed set holds only what its block can.
     */
    @Test
    void aRemovedRunUpToTheCeilingSizesNoMemory() throws IOException
    {
        write();
        final Path stateFile = dir.resolve("state.db");
        final ByteBuffer state = read(stateFile);
        final int body = StateDescriptor.HEADER_LENGTH;
        final int blocks = state.getInt(body + StateDescriptor.BLOCK_COUNT_OFFSET);
        final int runs = entryOffset(blocks);
        final long runCount = state.getLong(runs);
        assertThat(runCount).isPositive();
        state.putLong(body + StateDescriptor.LAST_SEQ_OFFSET, RecordDescriptor.MAX_SEQUENCE);
        state.putLong(runs + 8 + (int)(runCount - 1) * 16 + 8, RecordDescriptor.MAX_SEQUENCE - 1);
        writeWithChecksums(stateFile, state);

        try (FileStreamStore store = assertTimeoutPreemptively(LIMIT, () -> FileStreamStore.open(dir, CONFIG)))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThat(store.state().lastSeq()).isEqualTo(RecordDescriptor.MAX_SEQUENCE);
            // The forged run now starts at the one real removal: what the state claims removed reads as removed (a
            // CRC is no MAC), and what it does not still loads.
            for (long seq = 1; seq <= COUNT; seq++)
            {
                final StoredMessage message = store.load(seq);
                if (seq < REMOVED)
                {
                    assertThat(MESSAGES.mismatch(message, seq)).as("seq %d", seq).isNull();
                }
                else
                {
                    assertThat(message).as("seq %d", seq).isNull();
                }
            }
            assertThatThrownBy(() -> MESSAGES.appendNext(store)).isInstanceOf(SequenceExhaustedException.class);
        }
    }

    /**
     * A record whose checksums were recomputed over a sequence 2^30 above its block's base: taking it would size the
     * block's sequence table by that number. It is damage instead, in a rebuild and in a lazy table build alike.
     */
    @Test
    void aRecordClaimingASequenceItsBlockCannotHoldIsDamage() throws IOException
    {
        write();
        final Path first = BlockFiles.blocks(dir).get(0);
        final long victim = 10;
        final BlockFiles.Frame frame = BlockFiles.frames(first).stream().filter((f) -> f.seq() == victim).findFirst()
            .orElseThrow();
        final ByteBuffer record = ByteBuffer.wrap(BlockFiles.readAll(first), frame.offset(), frame.length()).slice()
            .order(ByteOrder.LITTLE_ENDIAN);
        record.putLong(RecordDescriptor.SEQUENCE_OFFSET, 1 + (1L << 30));
        record.putInt(RecordDescriptor.HEADER_CHECKSUM_OFFSET, crc(record, 0, RecordDescriptor.HEADER_CHECKSUM_OFFSET));
        record.putInt(frame.length() - RecordDescriptor.CHECKSUM_LENGTH,
            crc(record, 0, frame.length() - RecordDescriptor.CHECKSUM_LENGTH));
        final byte[] forged = new byte[frame.length()];
        record.get(0, forged);
        BlockFiles.write(first, frame.offset(), forged);

        try (FileStreamStore store = assertTimeoutPreemptively(LIMIT, () -> FileStreamStore.open(dir, CONFIG)))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThatThrownBy(() -> store.load(victim)).isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining(first.toString());
            assertThat(store.load(1L << 30)).isNull();
            assertEveryMessageBut(store, victim);
        }
        Files.delete(dir.resolve("state.db"));
        try (FileStreamStore store = assertTimeoutPreemptively(LIMIT, () -> FileStreamStore.open(dir, CONFIG)))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            assertThat(store.recoveryReport().lost()).anySatisfy((range) ->
            {
                assertThat(range.file()).isEqualTo(first);
                assertThat(range.firstSeq()).isEqualTo(victim);
                assertThat(range.lastSeq()).isEqualTo(victim);
            });
            assertThat(store.state().lastSeq()).isEqualTo(COUNT);
            assertThat(store.load(victim)).isNull();
            assertEveryMessageBut(store, victim);
        }
    }

    private void write()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            for (int i = 0; i < COUNT; i++)
            {
                MESSAGES.appendNext(store);
            }
            assertThat(store.remove(REMOVED)).isTrue();
        }
        assertThat(BlockFiles.blocks(dir)).hasSizeGreaterThan(2);
    }

    private static void assertEveryMessage(final FileStreamStore store)
    {
        assertEveryMessageBut(store, REMOVED);
    }

    private static void assertEveryMessageBut(final FileStreamStore store, final long absent)
    {
        for (long seq = 1; seq <= COUNT; seq++)
        {
            if (seq == absent || seq == REMOVED)
            {
                continue;
            }
            final StoredMessage message = store.load(seq);
            assertThat(MESSAGES.mismatch(message, seq)).as("seq %d", seq).isNull();
        }
        assertThat(store.load(REMOVED)).isNull();
    }

    private static int entryOffset(final int entry)
    {
        return StateDescriptor.HEADER_LENGTH + StateDescriptor.BLOCKS_OFFSET +
            entry * BlockEntryDescriptor.ENTRY_LENGTH;
    }

    private static ByteBuffer read(final Path file)
    {
        return ByteBuffer.wrap(BlockFiles.readAll(file)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Write {@code state} back with both checksums recomputed, as a forger would.
     */
    private static void writeWithChecksums(final Path file, final ByteBuffer state) throws IOException
    {
        final int body = StateDescriptor.HEADER_LENGTH;
        state.putInt(StateDescriptor.BODY_CHECKSUM_OFFSET, crc(state, body, state.capacity() - body));
        state.putInt(StateDescriptor.HEADER_CHECKSUM_OFFSET, crc(state, 0, StateDescriptor.HEADER_CHECKSUM_OFFSET));
        Files.write(file, state.array());
    }

    private static int crc(final ByteBuffer buffer, final int offset, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().limit(offset + length).position(offset));
        return (int)crc.getValue();
    }
}
