package io.ferrite.engine;

import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.engine.testing.SmallTmpfs;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StoreFullException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A truncation on a disk with no page left. It needs no new space of its own (it deletes blocks, zeroes and writes
 * tombstones again in room the tail keeps for them), so with no removal at or below its point it goes through, and
 * may be what frees space. With one, it first records the removals in {@code truncation.removals}, which needs a page:
 * refused then with a {@link StoreFullException} naming the file, nothing cut, and no temporary file left behind.
 * Needs a 2 MiB tmpfs, so root: it says so and skips elsewhere.
 */
class TruncateOnFullDiskTest
{
    private static final int BLOCK_SIZE = 64 << 10;

    @TempDir
    Path base;
    private Path disk;
    private boolean mounted;

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
        if (mounted)
        {
            assertThat(SmallTmpfs.unmount(disk)).as("umount %s", disk).isNull();
        }
    }

    @Test
    void aTruncationWithNoRemovalBelowItsPointGoesThroughOnAFullDisk() throws Exception
    {
        final Path dir = disk.resolve("full");
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            final long last = fill(store);
            try
            {
                try
                {
                    store.truncate(100);
                }
                catch (final StoreFullException stateNotWritten)
                {
                    // The truncation is whole; only the state written after it found no room (the next open rebuilds).
                    assertThat(stateNotWritten).hasMessageContaining("state.db");
                }
                assertThat(store.lastSeq()).as("of %d messages", last).isEqualTo(100);
                assertThat(store.load(100)).isNotNull();
                assertThat(dir.resolve(TruncationRemovalsFile.FILE_NAME)).doesNotExist();
            }
            finally
            {
                // Space back before close() writes its state.
                Files.delete(disk.resolve("filler"));
            }
        }
    }

    @Test
    void aTruncationThatMustRecordRemovalsIsRefusedWholeOnAFullDiskAndLeavesNoTemporaryFile() throws Exception
    {
        final Path dir = disk.resolve("full");
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            store.append("full.a", null, new byte[900]);
            assertThat(store.remove(1)).isTrue();
            final long last = fill(store);
            try
            {
                assertThatThrownBy(() -> store.truncate(100)).isInstanceOf(StoreFullException.class)
                    .hasMessageContaining(TruncationRemovalsFile.FILE_NAME);
                assertThat(store.lastSeq()).as("nothing cut").isEqualTo(last);
                assertThat(store.load(1)).as("the removal stands").isNull();
                assertThat(store.load(last)).isNotNull();
                try (Stream<Path> files = Files.list(dir))
                {
                    assertThat(files.map((path) -> path.getFileName().toString()))
                        .noneMatch((name) -> name.startsWith(TruncationRemovalsFile.FILE_NAME));
                }
            }
            finally
            {
                Files.delete(disk.resolve("filler"));
            }
            store.truncate(100);
            assertThat(store.lastSeq()).as("once space is back").isEqualTo(100);
            assertThat(store.load(1)).isNull();
        }
        try (FileStreamStore reopened = FileStreamStore.open(dir, config()))
        {
            assertThat(reopened.lastSeq()).isEqualTo(100);
            assertThat(reopened.load(1)).isNull();
            assertThat(reopened.load(100)).isNotNull();
        }
    }

    private static StreamConfig config()
    {
        return StreamMode.PLAINTEXT.config(StreamConfig.builder("full").blockSize(BLOCK_SIZE).maxMsgSize(4096)
            .syncMode(SyncMode.ALWAYS));
    }

    /**
     * Append until the stream fills the disk at a block boundary, then take every page left.
     *
     * @return the last sequence appended.
     */
    private long fill(final FileStreamStore store)
    {
        long last = store.lastSeq();
        try
        {
            while (true)
            {
                last = store.append("full.a", null, new byte[900]);
            }
        }
        catch (final StoreFullException expected)
        {
            // The stream filled the disk.
        }
        store.awaitBlockPreparation();
        fillTheRest(disk.resolve("filler"));
        assertThat(last).isGreaterThan(200);
        return last;
    }

    /** Takes every page left on the file system. */
    private static void fillTheRest(final Path filler)
    {
        try (OutputStream out = Files.newOutputStream(filler))
        {
            final byte[] page = new byte[4096];
            while (true)
            {
                out.write(page);
                out.flush();
            }
        }
        catch (final IOException full)
        {
            // No space left.
        }
    }
}
