package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.CursorDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The file store's named tailers across reopens: when an acknowledgement reaches the cursor file in each sync mode, a
 * damaged or torn cursor file, and a cursor left beyond the stream. The rules every store shares are in
 * {@code NamedTailerConformanceTest}; a SIGKILL is {@code NamedTailerCrashTest}'s.
 */
class NamedTailerTest
{
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;

    private static StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("cursors").blockSize(4096).maxMsgSize(256).syncMode(mode)
            .syncInterval(Duration.ofMillis(10)).build();
    }

    private static void append(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("t", null, "m".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private Path cursorFile(final String name)
    {
        return dir.resolve(CursorDescriptor.DIRECTORY).resolve(CursorDescriptor.fileName(name));
    }

    /**
     * @return the acknowledged sequence the newest valid slot of the cursor file holds.
     */
    private long onDisk(final String name) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(cursorFile(name));
        final int slot = CursorDescriptor.newestSlot(bytes);
        assertThat(slot).as("a valid slot in %s", cursorFile(name)).isNotNegative();
        return CursorDescriptor.ackedSeq(bytes, slot);
    }

    private static void consume(final NamedTailer tailer, final int count)
    {
        assertThat(tailer.poll((view) ->
        {
        }, count)).isEqualTo(count);
    }

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void aCursorSurvivesClosingTheStoreWithItsTailerStillOpen(final SyncMode mode) throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            append(store, 20);
            final NamedTailer tailer = store.createTailer("billing");
            consume(tailer, 15);
            tailer.ack(12);
        }
        assertThat(onDisk("billing")).isEqualTo(12);
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode));
            NamedTailer tailer = store.createTailer("billing"))
        {
            assertThat(tailer.nextSeq()).isEqualTo(13);
            assertThat(store.tailers()).singleElement().satisfies((position) ->
                assertThat(position.ackedSeq()).isEqualTo(12));
        }
    }

    @Test
    void alwaysWritesTheAcknowledgementBeforeAckReturns() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS));
            NamedTailer tailer = store.createTailer("c"))
        {
            assertThat(onDisk("c")).as("the file is made with the cursor").isZero();
            append(store, 5);
            consume(tailer, 5);
            tailer.ack(3);
            assertThat(onDisk("c")).isEqualTo(3);
            tailer.ack(5);
            assertThat(onDisk("c")).isEqualTo(5);
        }
    }

    @Test
    void intervalWritesTheAcknowledgementOnTheFlushersTick() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
            NamedTailer tailer = store.createTailer("c"))
        {
            append(store, 5);
            consume(tailer, 5);
            tailer.ack(4);
            final long deadline = System.nanoTime() + WAIT_NANOS;
            while (onDisk("c") != 4)
            {
                assertThat(System.nanoTime() - deadline).as("the flusher wrote the cursor within 30 s").isNegative();
                Thread.sleep(1);
            }
            assertThat(store.durableSeq()).isGreaterThanOrEqualTo(4);
        }
    }

    @Test
    void noneWritesOnCloseAndNeverBeyondWhatIsDurable() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE)))
        {
            append(store, 5);
            final NamedTailer tailer = store.createTailer("c");
            consume(tailer, 5);
            tailer.ack(5);
            assertThat(onDisk("c")).as("NONE writes nothing before a close").isZero();
            tailer.close();
            assertThat(onDisk("c")).as("the tailer's close writes what is durable").isLessThanOrEqualTo(
                store.durableSeq());
            store.flush().join();
            try (NamedTailer again = store.createTailer("c"))
            {
                assertThat(again.nextSeq()).isEqualTo(6);
            }
            assertThat(onDisk("c")).isEqualTo(5);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTornSlotFallsBackToTheOtherAndADamagedFileIsRefusedByName(final StreamMode streamMode) throws IOException
    {
        final StreamConfig config = streamMode.config(StreamConfig.builder("cursors").blockSize(4096)
            .maxMsgSize(256).syncMode(SyncMode.ALWAYS));
        try (FileStreamStore store = FileStreamStore.open(dir, config);
            NamedTailer tailer = store.createTailer("c"))
        {
            append(store, 10);
            consume(tailer, 10);
            tailer.ack(5);  // generation 2, slot 0
            tailer.ack(8);  // generation 3, slot 1
        }
        final Path file = cursorFile("c");
        final byte[] bytes = Files.readAllBytes(file);
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).as("the cursor holds no message bytes")
            .doesNotContain("m");
        bytes[CursorDescriptor.SLOT_LENGTH + CursorDescriptor.ACKED_SEQ_OFFSET] ^= 0x40;
        Files.write(file, bytes);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            try (NamedTailer tailer = store.createTailer("c"))
            {
                assertThat(tailer.nextSeq()).as("the torn newest slot falls back to the older, never forward")
                    .isEqualTo(6);
            }
            bytes[CursorDescriptor.ACKED_SEQ_OFFSET] ^= 0x01;
            Files.write(file, bytes);
            // Loaded already: the store keeps its position in memory and rewrites a good slot on the next ack.
            try (NamedTailer tailer = store.createTailer("c"))
            {
                assertThat(tailer.nextSeq()).isEqualTo(6);
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThatThrownBy(() -> store.createTailer("c")).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("checksum mismatch")
                .hasMessageContaining("deleteTailer");
            assertThatThrownBy(store::tailers).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining(file.toString());
            Files.write(file, new byte[10]);
            assertThatThrownBy(() -> store.createTailer("c")).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("10 bytes long");
            assertThat(store.deleteTailer("c")).isTrue();
            try (NamedTailer tailer = store.createTailer("c"))
            {
                assertThat(tailer.nextSeq()).isEqualTo(1);
            }
        }
    }

    @Test
    void aCursorBeyondTheStreamIsMovedBackWhenOpened() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            append(store, 10);
            store.createTailer("ahead").close();
        }
        // What a crash between a truncation and its cursor write could leave: a cursor past the last sequence.
        Files.write(cursorFile("ahead"), CursorDescriptor.newFile(50));
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            try (NamedTailer tailer = store.createTailer("ahead"))
            {
                assertThat(tailer.nextSeq()).isEqualTo(11);
                assertThat(tailer.ackedSeq()).isEqualTo(10);
            }
            assertThat(onDisk("ahead")).as("moved back on disk before any append reuses 11..50").isEqualTo(10);
        }
    }

    @Test
    void aTruncationMovesClosedCursorsBackOnDisk() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            append(store, 10);
            try (NamedTailer tailer = store.createTailer("c"))
            {
                consume(tailer, 10);
                tailer.ack(9);
            }
            store.flush().join();
            store.truncate(4);
            assertThat(onDisk("c")).as("written before truncate returned").isEqualTo(4);
            append(store, 3);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
            NamedTailer tailer = store.createTailer("c"))
        {
            assertThat(tailer.nextSeq()).isEqualTo(5);
        }
    }
}
