package io.ferrite.bench;

import org.agrona.IoUtil;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A timed main (what it measures is a kernel effect JMH cannot report: bytes sent to write-back) that shows both sides
 * of the block preparer's choice of page-cache folio size ({@code FolioPolicy}, docs/ENGINE.md "Block rolls"). For each
 * size of zero write — 4 KiB (page folios, for {@code ALWAYS}), 128 KiB (small folios) and 2 MiB (large ones) — on
 * files of 8 MiB, as the preparer makes them:
 * <ul>
 *   <li><b>zeros</b>: the milliseconds to write a new file's zeros (the page cache's memory is taken here);</li>
 *   <li><b>touch</b>: the milliseconds to write one byte per page of a new file through a writable mapping after its
 *   zeros were written — what the preparer pays so the appender takes no fault (median over {@code files});</li>
 *   <li><b>force</b>: the bytes this process dirtied ({@code write_bytes} of {@code /proc/self/io}, which the kernel
 *   counts a folio at a time) per force of one small record — what an {@code msync} after each few records costs,
 *   since write-back is per folio.</li>
 * </ul>
 * Arguments: {@code files} (default 16), {@code recordLength} (default 512), {@code directory} (default a new
 * temporary one under {@code java.io.tmpdir}, which must be the file system under test). Linux only (reads
 * {@code /proc/self/io}).
 */
public final class FolioCost
{
    private static final int FILE_LENGTH = 8 << 20;
    private static final int PAGE_SIZE = 4096;
    private static final int FORCES = 1000;
    private static final int[] ZERO_WRITES = { 4 << 10, 128 << 10, 2 << 20 };

    private FolioCost()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final int files = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        final int recordLength = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        final Path dir = Files.createTempDirectory(args.length > 2 ? Path.of(args[2]) :
            Path.of(System.getProperty("java.io.tmpdir")), "ferrite-folio-cost");
        try
        {
            for (final int zeroWrite : ZERO_WRITES)
            {
                final double[] zeroMillis = new double[files];
                final double[] touchMillis = new double[files];
                for (int i = 0; i < files; i++)
                {
                    final Path file = dir.resolve("touch-" + zeroWrite + "-" + i);
                    final long start = System.nanoTime();
                    try (FileChannel channel = zeroed(file, zeroWrite))
                    {
                        zeroMillis[i] = (System.nanoTime() - start) / 1e6;
                        touchMillis[i] = touchMillis(channel);
                    }
                    finally
                    {
                        Files.deleteIfExists(file);
                    }
                }
                Arrays.sort(zeroMillis);
                Arrays.sort(touchMillis);
                final double bytesPerForce = dirtiedPerForce(dir.resolve("force-" + zeroWrite), zeroWrite,
                    recordLength);
                System.out.printf("zero writes of %4d KiB, per 8 MiB file (median of %d): zeros %6.2f ms, " +
                    "touch %6.2f ms; %7.1f KiB dirtied per force of a %d B record%n", zeroWrite >> 10, files,
                    zeroMillis[files / 2], touchMillis[files / 2], bytesPerForce / 1024, recordLength);
            }
        }
        finally
        {
            IoUtil.delete(dir.toFile(), true);
        }
    }

    private static double touchMillis(final FileChannel channel) throws IOException
    {
        final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_LENGTH);
        final long start = System.nanoTime();
        for (int page = 0; page < FILE_LENGTH; page += PAGE_SIZE)
        {
            mapped.put(page, (byte)0);
        }
        final long took = System.nanoTime() - start;
        IoUtil.unmap(mapped);
        return took / 1e6;
    }

    private static double dirtiedPerForce(final Path file, final int zeroWrite, final int recordLength)
        throws IOException
    {
        try (FileChannel channel = zeroed(file, zeroWrite))
        {
            channel.force(true);
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_LENGTH);
            final long before = writeBytes();
            for (int i = 0; i < FORCES; i++)
            {
                final int offset = i * recordLength;
                mapped.putLong(offset, i + 1);
                mapped.force(offset, recordLength);
            }
            final long dirtied = writeBytes() - before;
            IoUtil.unmap(mapped);
            return (double)dirtied / FORCES;
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }

    /**
     * @return a new file of {@value #FILE_LENGTH} bytes extended by {@code ftruncate}, then zeroed in writes of
     * {@code zeroWrite} bytes, unforced: the preparer's steps.
     */
    private static FileChannel zeroed(final Path file, final int zeroWrite) throws IOException
    {
        final RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw");
        raf.setLength(FILE_LENGTH);
        final FileChannel channel = raf.getChannel();
        final ByteBuffer zeros = ByteBuffer.allocateDirect(zeroWrite);
        for (long position = 0; position < FILE_LENGTH; position += zeroWrite)
        {
            zeros.clear();
            while (zeros.hasRemaining())
            {
                channel.write(zeros, position + zeros.position());
            }
        }
        return channel;
    }

    private static long writeBytes() throws IOException
    {
        final List<String> lines = Files.readAllLines(Path.of("/proc/self/io"));
        for (final String line : lines)
        {
            if (line.startsWith("write_bytes:"))
            {
                return Long.parseLong(line.substring("write_bytes:".length()).trim());
            }
        }
        throw new IOException("no write_bytes in /proc/self/io");
    }
}
