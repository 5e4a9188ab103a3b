package io.ferrite.engine;

import io.ferrite.engine.consumer.ConsumerStateFile;
import io.ferrite.engine.testing.FileForceHook;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.format.CursorDescriptor;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.CursorPosition;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A truncation must never leave a consumer's or a named tailer's file above the stream's new last sequence where a
 * crash (or a failed write) could keep it: the appends after would reuse the cut sequences, which such a file takes
 * for delivered or acknowledged. The files are lowered before the cut; a store opening on files a crash left above its
 * last sequence lowers them before any append; a write that fails during the truncation does not stop the others and
 * its floor is kept in memory.
 */
class TruncationConsumerSafetyTest
{
    private static final ConsumerConfig EXPLICIT = ConsumerConfig.builder().build();
    private static final int MESSAGES = 10;
    private static final long CUT = 5;

    @TempDir
    Path dir;

    private static StreamConfig config()
    {
        return StreamConfig.builder("cut").blockSize(16 * 1024).maxMsgSize(256).syncMode(SyncMode.ALWAYS).build();
    }

    /**
     * Ten messages, consumers {@code names} each delivered all ten, and tailer {@code t} acknowledged all ten; closed.
     */
    private void prepare(final StorageIO io, final String... names)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(), io))
        {
            append(store, MESSAGES);
            for (final String name : names)
            {
                final ConsumerStore consumer = store.consumer(name, EXPLICIT);
                for (long seq = 1; seq <= MESSAGES; seq++)
                {
                    consumer.updateDelivered(seq, seq, 1, seq);
                }
            }
            try (NamedTailer tailer = store.createTailer("t"))
            {
                tailer.seek(MESSAGES + 1);
                tailer.ack(MESSAGES);
            }
        }
    }

    private static void append(final FileStreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("s", null, "payload".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private long deliveredOnDisk(final String name)
    {
        return ConsumerStateFile.read(dir.resolve(ConsumerStateDescriptor.DIRECTORY)
            .resolve(ConsumerStateDescriptor.fileName(name)), name, null).delivered().stream();
    }

    private long ackedOnDisk(final String name)
    {
        try
        {
            final byte[] bytes = Files.readAllBytes(dir.resolve(CursorDescriptor.DIRECTORY)
                .resolve(CursorDescriptor.fileName(name)));
            return CursorDescriptor.ackedSeq(bytes, CursorDescriptor.newestSlot(bytes));
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    /**
     * The cut's force of the block it zeroes is where a crash would leave the stream truncated: at that moment every
     * consumer and cursor file must be at or below the cut already.
     */
    @Test
    void everyConsumerAndCursorFileIsLoweredBeforeTheCut()
    {
        final FileForceHook watch = new FileForceHook();
        final List<Long> seen = new ArrayList<>();
        prepare(watch, "idle");
        try (FileStreamStore store = FileStreamStore.open(dir, config(), watch))
        {
            watch.atCut(() ->
            {
                seen.add(deliveredOnDisk("idle"));
                seen.add(ackedOnDisk("t"));
            });
            store.truncate(CUT);
            assertThat(seen).as("consumer 'idle' and cursor 't' on disk when the cut was forced")
                .containsExactly(CUT, CUT);
        }
    }

    /**
     * Files as a crash between the cut and the consumer writes leaves them: the stream at 5, consumer and cursor at
     * 10. The open lowers them before the appends that reuse 6 to 10.
     */
    @Test
    void filesACrashLeftAboveTheLastSequenceAreLoweredAtOpen() throws IOException
    {
        prepare(StorageIO.standard(), "idle");
        final Path saved = dir.resolveSibling(dir.getFileName() + "-saved");
        copy(dir.resolve(ConsumerStateDescriptor.DIRECTORY), saved.resolve(ConsumerStateDescriptor.DIRECTORY));
        copy(dir.resolve(CursorDescriptor.DIRECTORY), saved.resolve(CursorDescriptor.DIRECTORY));
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            store.truncate(CUT);
        }
        copy(saved.resolve(ConsumerStateDescriptor.DIRECTORY), dir.resolve(ConsumerStateDescriptor.DIRECTORY));
        copy(saved.resolve(CursorDescriptor.DIRECTORY), dir.resolve(CursorDescriptor.DIRECTORY));
        assertThat(deliveredOnDisk("idle")).isEqualTo(MESSAGES);
        assertThat(ackedOnDisk("t")).isEqualTo(MESSAGES);
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            assertThat(store.lastSeq()).isEqualTo(CUT);
            assertThat(deliveredOnDisk("idle")).as("lowered on disk by the open").isEqualTo(CUT);
            assertThat(ackedOnDisk("t")).isEqualTo(CUT);
            append(store, MESSAGES);
            assertThat(store.consumer("idle", EXPLICIT).state().delivered().stream())
                .as("the new messages 6 to 10 are not taken for delivered").isEqualTo(CUT);
            assertThat(store.tailers()).extracting(CursorPosition::ackedSeq).containsExactly(CUT);
        }
    }

    /**
     * Consumer 'b''s write fails during the truncation: 'a' and 'c' are lowered all the same, the truncation reports
     * the failure, and 'b' opened later (after appends reused the cut sequences) forgets what was cut.
     */
    @Test
    void aFailedConsumerWriteLowersTheOthersAndKeepsItsFloorInMemory()
    {
        final FailingConsumerWrites io = new FailingConsumerWrites("b");
        prepare(io, "a", "b", "c");
        try (FileStreamStore store = FileStreamStore.open(dir, config(), io))
        {
            io.failing = true;
            assertThatThrownBy(() -> store.truncate(CUT)).isInstanceOf(StoreIOException.class)
                .hasMessageContaining("b.state");
            io.failing = false;
            assertThat(store.lastSeq()).as("the truncation itself is whole").isEqualTo(CUT);
            assertThat(deliveredOnDisk("a")).isEqualTo(CUT);
            assertThat(deliveredOnDisk("c")).as("tried after the failure").isEqualTo(CUT);
            assertThat(deliveredOnDisk("b")).as("its write failed").isEqualTo(MESSAGES);
            append(store, MESSAGES);
            assertThat(store.consumer("b", EXPLICIT).state().delivered().stream())
                .as("the floor kept in memory, though the stream's last sequence is back at 10").isEqualTo(CUT);
            assertThat(deliveredOnDisk("b")).isEqualTo(CUT);
        }
    }

    /**
     * A floor left by a failed write is applied by the next retry (the close here) when the consumer is never opened.
     */
    @Test
    void aFloorLeftByAFailedWriteReachesTheFileByTheClose()
    {
        final FailingConsumerWrites io = new FailingConsumerWrites("b");
        prepare(io, "b");
        try (FileStreamStore store = FileStreamStore.open(dir, config(), io))
        {
            io.failing = true;
            assertThatThrownBy(() -> store.truncate(CUT)).isInstanceOf(StoreIOException.class);
            io.failing = false;
            append(store, MESSAGES);
        }
        assertThat(deliveredOnDisk("b")).isEqualTo(CUT);
    }

    private static void copy(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * Fails every force of consumer {@code name}'s state file (its temp file) while {@link #failing}.
     */
    private static final class FailingConsumerWrites implements StorageIO
    {
        private final StorageIO real = StorageIO.standard();
        private final String prefix;
        private volatile boolean failing;

        FailingConsumerWrites(final String name)
        {
            this.prefix = ConsumerStateDescriptor.fileName(name);
        }

        @Override
        public void forceBlock(
            final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
            final boolean metadata) throws IOException
        {
            real.forceBlock(file, channel, mapped, from, to, metadata);
        }

        @Override
        public void forceFile(final Path file, final FileChannel channel) throws IOException
        {
            if (failing && file.getFileName().toString().startsWith(prefix))
            {
                throw new IOException("injected: no space left for " + file.getFileName());
            }
            real.forceFile(file, channel);
        }

        @Override
        public void syncDirectory(final Path dir) throws IOException
        {
            real.syncDirectory(dir);
        }
    }
}
