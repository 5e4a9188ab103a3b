package io.ferrite.engine;

import io.ferrite.engine.testing.SmallTmpfs;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreFullException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Blocks prepared ahead (the default two) on a real filesystem that fills up (a 2 MiB tmpfs): in every sync mode and
 * for plaintext and encrypted streams, appends end in a {@link StoreFullException} at a block boundary, never a JVM
 * crash; every acknowledged message reads back after the error and after a reopen; no prepared file is left for
 * recovery to misread; and appends resume once space is freed. Skipped, saying why, where the machine does not let the
 * test mount a tmpfs (it needs root).
 */
class PreparedBlocksFullDiskTest
{
    private static final int BLOCK_SIZE = 64 << 10;

    @TempDir
    Path base;
    private Path disk;
    private boolean mounted;
    private final List<FileStreamStore> open = new ArrayList<>();

    @BeforeEach
    void mount() throws Exception
    {
        disk = Files.createDirectories(base.resolve("disk"));
        SmallTmpfs.mountOrSkip(disk, "2m");
        mounted = true;
    }

    @AfterEach
    void unmount() throws Exception
    {
        for (final FileStreamStore store : open)
        {
            try
            {
                store.close();
            }
            catch (final StoreException ignoredAlreadyReported)
            {
                // The test asserted what it expected of close(); the files must still be released before unmounting.
            }
        }
        if (mounted)
        {
            assertThat(SmallTmpfs.unmount(disk)).as("umount %s", disk).isNull();
        }
    }

    static Stream<Arguments> modes()
    {
        return Stream.of(SyncMode.values()).flatMap((sync) -> Stream.of(StreamMode.values())
            .map((mode) -> Arguments.of(sync, mode)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("modes")
    void aFullDiskEndsAppendsAtABlockBoundaryWithEveryAcknowledgedMessageIntact(
        final SyncMode sync, final StreamMode mode) throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder("prepared").blockSize(BLOCK_SIZE)
            .maxMsgSize(4096).syncMode(sync));
        final Path dir = disk.resolve("prepared");
        final SplittableRandom random = new SplittableRandom(11);
        final List<byte[]> acknowledged = new ArrayList<>();
        // Part of the disk taken by something else, so the stream fills it within a few dozen blocks.
        final Path filler = fill("filler", 512 << 10);

        final FileStreamStore store = open(dir, config);
        StoreFullException full = null;
        while (null == full)
        {
            final byte[] payload = payload(random, 700 + random.nextInt(300));
            try
            {
                final long seq = store.append("orders.eu", null, payload);
                assertThat(seq).isEqualTo(acknowledged.size() + 1L);
                acknowledged.add(payload);
            }
            catch (final StoreFullException ex)
            {
                full = ex;
            }
        }
        assertThat(full).hasMessageContaining("allocate block file");
        assertThat(acknowledged).as("appended before the disk filled").hasSizeGreaterThan(100);
        assertReadable(store, acknowledged);
        // Still full: the next append fails the same way, and takes no sequence.
        assertThatThrownBy(() -> store.append("orders.eu", null, payload(random, 800)))
            .isInstanceOf(StoreFullException.class).hasMessageContaining("allocate block file");
        assertThat(store.state().lastSeq()).isEqualTo(acknowledged.size());

        // With space back, appends resume, and close leaves no prepared file behind.
        Files.delete(filler);
        for (int i = 0; i < 20; i++)
        {
            final byte[] payload = payload(random, 900);
            assertThat(store.append("orders.eu", null, payload)).isEqualTo(acknowledged.size() + 1L);
            acknowledged.add(payload);
        }
        close(store);
        assertThat(preparedFiles(dir)).as("prepared files deleted at close").isEmpty();

        final FileStreamStore reopened = open(dir, config);
        assertThat(reopened.recoveryReport().lost()).isEmpty();
        assertReadable(reopened, acknowledged);
        for (int i = 0; i < 200; i++)
        {
            final byte[] payload = payload(random, 900);
            assertThat(reopened.append("orders.eu", null, payload)).isEqualTo(acknowledged.size() + 1L);
            acknowledged.add(payload);
        }
        close(reopened);
        final FileStreamStore again = open(dir, config);
        assertThat(again.recoveryReport().lost()).isEmpty();
        assertReadable(again, acknowledged);
        close(again);
    }

    private static void assertReadable(final FileStreamStore store, final List<byte[]> acknowledged)
    {
        assertThat(store.state().msgs()).isEqualTo(acknowledged.size());
        for (int i = 0; i < acknowledged.size(); i++)
        {
            final StoredMessage message = store.load(i + 1);
            assertThat(message).as("message %d", i + 1).isNotNull();
            assertThat(message.payload()).as("payload of %d", i + 1).isEqualTo(acknowledged.get(i));
        }
    }

    private static List<Path> preparedFiles(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((file) -> file.getFileName().toString().endsWith(".creating")).toList();
        }
    }

    private FileStreamStore open(final Path dir, final StreamConfig config)
    {
        final FileStreamStore store = FileStreamStore.open(dir, config);
        open.add(store);
        return store;
    }

    private void close(final FileStreamStore store)
    {
        open.remove(store);
        store.close();
    }

    private Path fill(final String name, final int length) throws IOException
    {
        final Path file = disk.resolve(name);
        try (OutputStream out = Files.newOutputStream(file))
        {
            out.write(new byte[length]);
        }
        return file;
    }

    private static byte[] payload(final SplittableRandom random, final int length)
    {
        final byte[] payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)(1 + random.nextInt(255));
        }
        return payload;
    }
}
