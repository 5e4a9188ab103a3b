package io.ferrite.tools;

import com.sun.nio.file.ExtendedOpenOption;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * Measures the storage under a directory the way Ferrite uses it, into HdrHistograms of nanoseconds:
 * <ul>
 *   <li>4 KiB write + {@code FileChannel.force(false)} (fdatasync) to a preallocated temp file — what a block flush
 *   costs per page;</li>
 *   <li>4 KiB reads of that file, with {@code O_DIRECT} where the filesystem allows it so they reach the device rather
 *   than the page cache (which the writes just filled); where it does not, the result says so.</li>
 * </ul>
 * Each phase gets half the budget, and stops after the operation that crosses it: on storage where one fsync takes
 * longer than the budget there is still one sample. The temp file is deleted on every path.
 */
final class StorageProbe
{
    /** One page: the unit a block flush forces and a cold read faults in. */
    static final int IO_SIZE = 4096;
    /** 1 MiB test file: large enough to spread writes over 256 pages, small enough to create instantly. */
    static final int FILE_PAGES = 256;
    /** Coprime with {@link #FILE_PAGES}: visits every page in a scattered, deterministic order. */
    private static final int READ_STRIDE = 97;
    private static final byte PATTERN = 0x5A;

    private StorageProbe()
    {
    }

    /**
     * @param directRead true when reads bypassed the page cache.
     */
    record Result(Histogram writeSync, Histogram read, boolean directRead, long elapsedNanos)
    {
    }

    static Result run(final Path dir, final Duration budget) throws IOException
    {
        final long phaseNanos = Math.max(1, budget.toNanos() / 2);
        final long startNanos = System.nanoTime();
        final Path file = Files.createTempFile(dir, ".ferrite-doctor-", ".tmp");
        try
        {
            final Histogram writeSync = new Histogram(3);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final ByteBuffer page = ByteBuffer.allocateDirect(IO_SIZE);
                for (int i = 0; i < FILE_PAGES; i++)
                {
                    writeFully(channel, fill(page), (long)i * IO_SIZE);
                }
                channel.force(true);
                measureWrites(channel, page, phaseNanos, writeSync);
            }
            final Histogram read = new Histogram(3);
            final boolean direct = measureReads(file, phaseNanos, read);
            return new Result(writeSync, read, direct, System.nanoTime() - startNanos);
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }

    private static void measureWrites(
        final FileChannel channel, final ByteBuffer page, final long phaseNanos, final Histogram histogram)
        throws IOException
    {
        final long endNanos = System.nanoTime() + phaseNanos;
        long now;
        int i = 0;
        do
        {
            fill(page);
            final long position = (long)(i++ % FILE_PAGES) * IO_SIZE;
            final long t0 = System.nanoTime();
            writeFully(channel, page, position);
            channel.force(false);
            now = System.nanoTime();
            histogram.recordValue(now - t0);
        }
        while (now < endNanos);
    }

    /**
     * @return whether the reads were direct.
     */
    private static boolean measureReads(final Path file, final long phaseNanos, final Histogram histogram)
        throws IOException
    {
        final int alignment = (int)Math.max(1, Math.min(IO_SIZE, Files.getFileStore(file).getBlockSize()));
        FileChannel channel;
        boolean direct;
        try
        {
            channel = FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
            direct = true;
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            direct = false;
        }
        try (FileChannel reads = channel)
        {
            final ByteBuffer page = ByteBuffer.allocateDirect(IO_SIZE + alignment).alignedSlice(alignment);
            page.limit(IO_SIZE);
            try
            {
                readPages(reads, page, phaseNanos, histogram);
            }
            catch (final IOException ex)
            {
                if (!direct)
                {
                    throw ex;
                }
                // O_DIRECT opened but the filesystem refused these reads (alignment it did not advertise): retry
                // buffered, and say so.
                histogram.reset();
                try (FileChannel buffered = FileChannel.open(file, StandardOpenOption.READ))
                {
                    readPages(buffered, page, phaseNanos, histogram);
                }
                direct = false;
            }
        }
        return direct;
    }

    private static void readPages(
        final FileChannel channel, final ByteBuffer page, final long phaseNanos, final Histogram histogram)
        throws IOException
    {
        final long endNanos = System.nanoTime() + phaseNanos;
        long now;
        int i = 0;
        do
        {
            final long position = (long)((i++ * READ_STRIDE) % FILE_PAGES) * IO_SIZE;
            page.clear().limit(IO_SIZE);
            final long t0 = System.nanoTime();
            while (page.hasRemaining())
            {
                if (channel.read(page, position + page.position()) < 0)
                {
                    throw new IOException("test file ended early at " + (position + page.position()));
                }
            }
            now = System.nanoTime();
            histogram.recordValue(now - t0);
        }
        while (now < endNanos);
    }

    private static ByteBuffer fill(final ByteBuffer page)
    {
        page.clear();
        while (page.hasRemaining())
        {
            page.put(PATTERN);
        }
        return page.flip();
    }

    private static void writeFully(final FileChannel channel, final ByteBuffer page, final long position)
        throws IOException
    {
        page.rewind();
        while (page.hasRemaining())
        {
            channel.write(page, position + page.position());
        }
    }
}
