package io.ferrite.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The real {@link StorageIO}. A block range is made durable with {@link MappedByteBuffer#force(int, int)} (msync of
 * exactly that range; on Linux {@code vfs_fsync_range} with {@code datasync}, which also commits the allocation of
 * the range's disk blocks), plus an {@code fsync} of the file once, when it is new and its preparation did not force
 * its size already (the block preparer forces each file's size before it writes the zeros and touches its pages). A
 * whole-file {@code fdatasync} costs the same per call here ({@code ForceLatencyBenchmark} in docs/BENCHMARKS.md) but
 * would also clean, on every force, the pages the preallocator touched ahead of the appender, which then faults on
 * each of them.
 * <p>
 * Stateless and thread-safe.
 */
final class FileStorageIO implements StorageIO
{
    static final FileStorageIO INSTANCE = new FileStorageIO();

    private FileStorageIO()
    {
    }

    @Override
    public void forceBlock(
        final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
        final boolean metadata) throws IOException
    {
        try
        {
            // The range force (msync) writes back only [from, to): pages beyond the write position, touched ahead of
            // the appender, stay dirty and writable. A whole-file fdatasync would clean them too, and the appender
            // would then take a write-protect fault (ext4 page_mkwrite, ~5 µs here) on every page it reaches.
            if (to > from)
            {
                mapped.force(from, to - from);
            }
            if (metadata && null != channel)
            {
                channel.force(true);
            }
        }
        catch (final UncheckedIOException ex)
        {
            throw ex.getCause();
        }
    }

    @Override
    public void forceFile(final Path file, final FileChannel channel) throws IOException
    {
        channel.force(true);
    }

    @Override
    public void syncDirectory(final Path dir) throws IOException
    {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }
}
