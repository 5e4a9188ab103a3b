package io.ferrite.flush;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The real {@link StorageIO}. A block range is made durable with {@link FileChannel#force(boolean)} on Linux, whose
 * page cache is unified: {@code fdatasync} writes back the pages dirtied through a shared mapping too, and measured
 * about 5x faster than {@code msync} here ({@code docs/BENCHMARKS.md}, {@code ForceLatencyBenchmark}). POSIX does not
 * promise that, so elsewhere (or when no channel is open) the mapped range is forced with
 * {@link MappedByteBuffer#force(int, int)}, plus an {@code fsync} of the file when it is new.
 * <p>
 * Stateless and thread-safe.
 */
final class FileStorageIO implements StorageIO
{
    static final FileStorageIO INSTANCE = new FileStorageIO();

    /** Whether {@code fdatasync} of the file also covers pages written through its mapping. */
    static final boolean CHANNEL_COVERS_MAPPING =
        System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

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
            if (null != channel && CHANNEL_COVERS_MAPPING)
            {
                channel.force(metadata);
                return;
            }
            if (to > from)
            {
                mapped.force(from, to - from);
            }
            if (metadata && null != channel)
            {
                channel.force(true);
            }
        }
        catch (final java.io.UncheckedIOException ex)
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
