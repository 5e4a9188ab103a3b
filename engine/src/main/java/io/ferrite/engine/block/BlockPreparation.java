package io.ferrite.engine.block;

import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreFullException;
import io.ferrite.store.StoreIOException;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One block file being prepared a range at a time ({@link BlockFile#prepare} does it in one go): {@link #begin} makes
 * the file its full length (by {@code ftruncate}, and forced through the {@link StorageIO} when one is given) and maps
 * it, read-write for the appender and read-only for readers; each {@link #advance} writes the zeros of the next range
 * through the channel, unforced, and then touches its pages through the writable mapping, and through the read-only
 * one when asked to (a reader follows: {@link FollowerCount}); {@link #complete} hands the {@link BlockFile.Prepared}
 * file over.
 * <p>
 * Why in ranges: the block preparer shares two cores with the appender and the readers that spin on it. One 8 MiB
 * preparation is tens of milliseconds of CPU; taken in one piece it holds a core that long, and a busy-spinning reader
 * it displaced sees every message of those milliseconds late. In ranges, with a pause between them, the preparer
 * displaces a reader for one range at a time.
 * <p>
 * The rules of {@link BlockFile#prepare} hold range by range: a page is touched through the mapping only after its
 * zeros were written, so a full disk fails as an {@code IOException} from the write ({@link StoreFullException}),
 * never as a fault on a mapped page; the size is forced before any page is touched, so no later force of the whole
 * file cleans and write-protects the touched pages. A failure leaves nothing behind: the channel closed, the mapping
 * unmapped (no reader ever saw it), the file deleted.
 * <p>
 * Threading: one thread at a time (the preparer's agent, or the appending thread); {@link #preparedBytes()} from any.
 */
final class BlockPreparation
{
    /**
     * Zeros are written from one shared direct buffer, each preparation through its own view of it; as long as a large
     * folio, so that a range of {@link FolioPolicy#LARGE_RANGE} is one write and makes one folio.
     */
    private static final int ZEROS_LENGTH = FolioPolicy.LARGE_RANGE;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZEROS_LENGTH);
    /** Touching one byte per page faults the whole page in. */
    private static final int PAGE_SIZE = 4096;

    private final Path temp;
    private final int length;
    private final boolean sizeForced;
    private final ByteBuffer zeros = zeros();
    private FileChannel channel;
    private MappedByteBuffer mapped;
    private MappedByteBuffer readMapped;
    /** Written by the preparing thread only; read by an appender judging how far the agent got. */
    private volatile int prepared;

    private BlockPreparation(final Path temp, final int length, final boolean sizeForced)
    {
        this.temp = temp;
        this.length = length;
        this.sizeForced = sizeForced;
    }

    /**
     * Create {@code temp} (a leftover of that name, from a crash, is overwritten), make it {@code length} bytes long,
     * force its size through {@code io} when given, and map it.
     *
     * @throws StoreFullException       when the disk is full; {@link StoreIOException} for any other I/O failure.
     *                                  Either names the file, which is gone.
     * @throws IllegalArgumentException when {@code length} is not a positive whole number of pages.
     */
    static BlockPreparation begin(final Path temp, final int length, final StorageIO io)
    {
        if (length <= 0 || length % PAGE_SIZE != 0)
        {
            throw new IllegalArgumentException("block file " + temp + ": length must be a positive number of " +
                PAGE_SIZE + "-byte pages: " + length);
        }
        final BlockPreparation preparation = new BlockPreparation(temp, length, null != io);
        try
        {
            preparation.channel = extendedFile(temp, length);
            if (null != io)
            {
                io.forceFile(temp, preparation.channel);
            }
            preparation.mapped = preparation.channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
            preparation.mapped.order(ByteOrder.LITTLE_ENDIAN);
            preparation.readMapped = preparation.channel.map(FileChannel.MapMode.READ_ONLY, 0, length);
            preparation.readMapped.order(ByteOrder.LITTLE_ENDIAN);
        }
        catch (final IOException ex)
        {
            throw preparation.failed(ex);
        }
        catch (final RuntimeException | Error ex)
        {
            preparation.abandon(ex);
            throw ex;
        }
        return preparation;
    }

    /**
     * @return a channel to {@code temp}, created or emptied, then made {@code length} bytes long by {@code ftruncate}:
     * all of it a hole, no byte written. Writing its last byte instead would put a small folio at the end of the page
     * cache's view of the file, and the last range could then not become one large folio ({@link FolioPolicy}).
     */
    private static FileChannel extendedFile(final Path temp, final int length) throws IOException
    {
        final RandomAccessFile file = new RandomAccessFile(temp.toFile(), "rw");
        try
        {
            file.setLength(0);
            file.setLength(length);
            return file.getChannel();
        }
        catch (final IOException | RuntimeException ex)
        {
            CloseHelper.close(ex::addSuppressed, file);
            throw ex;
        }
    }

    /**
     * Write the zeros of the next {@code bytes} (rounded up to whole pages, at most to the end) and touch their pages
     * through the writable mapping. The length is a whole number of pages, as block sizes are.
     *
     * @param writeBytes       the zeros go in writes of this many bytes (a whole number of pages), which sets the size
     *                         of the page cache's folios ({@link FolioPolicy}).
     * @param touchReadMapping whether to touch them through the read-only mapping too, so a reader following the
     *                         appender takes no fault on them.
     * @throws StoreFullException when the disk is full; {@link StoreIOException} for any other I/O failure. Either
     *                            names the file, which is gone.
     */
    void advance(final int bytes, final int writeBytes, final boolean touchReadMapping)
    {
        if (writeBytes < PAGE_SIZE || writeBytes % PAGE_SIZE != 0)
        {
            throw new IllegalArgumentException("writeBytes must be a positive whole number of " + PAGE_SIZE +
                "-byte pages: " + writeBytes + " (preparing " + temp + ")");
        }
        final int from = prepared;
        final long wanted = (long)from + Math.max(PAGE_SIZE, bytes);
        final int to = (int)Math.min(length, (wanted + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE);
        try
        {
            writeZeros(channel, zeros, from, to, writeBytes);
            for (int page = from; page < to; page += PAGE_SIZE)
            {
                mapped.put(page, (byte)0);
            }
            if (touchReadMapping)
            {
                touchReadMapping(from, to);
            }
        }
        catch (final IOException ex)
        {
            throw failed(ex);
        }
        catch (final RuntimeException | Error ex)
        {
            // A fault while touching a mapped page (an InternalError), or worse: nothing half-made is kept.
            abandon(ex);
            throw ex;
        }
        prepared = to;
    }

    private void touchReadMapping(final int from, final int to)
    {
        byte touched = 0;
        for (int page = from; page < to; page += PAGE_SIZE)
        {
            touched |= readMapped.get(page);
        }
        if (touched != 0)
        {
            throw new IllegalStateException("block file " + temp + " reads back a non-zero byte below offset " + to +
                " just after its zeros were written");
        }
    }

    /**
     * @return the bytes written and touched so far, from the start of the file: safe to read from any thread.
     */
    int preparedBytes()
    {
        return prepared;
    }

    /**
     * @return whether every page is written and touched.
     */
    boolean isComplete()
    {
        return prepared >= length;
    }

    /**
     * @return the prepared file; this preparation is then done with it.
     * @throws IllegalStateException when pages are left to prepare.
     */
    BlockFile.Prepared complete()
    {
        if (!isComplete())
        {
            throw new IllegalStateException("block file " + temp + " is prepared up to " + prepared + " of " + length +
                " bytes");
        }
        return new BlockFile.Prepared(temp, channel, mapped, readMapped, sizeForced);
    }

    /**
     * Close, unmap and delete the file, adding what fails to {@code cause}. Nobody else holds the mapping, so it is
     * unmapped now and its pages go back with the file. A second call deletes the file again and nothing more.
     */
    void abandon(final Throwable cause)
    {
        CloseHelper.close(cause::addSuppressed, channel);
        channel = null;
        if (null != mapped)
        {
            IoUtil.unmap(mapped);
            mapped = null;
        }
        if (null != readMapped)
        {
            IoUtil.unmap(readMapped);
            readMapped = null;
        }
        try
        {
            Files.deleteIfExists(temp);
        }
        catch (final IOException ex)
        {
            cause.addSuppressed(ex);
        }
    }

    /**
     * @return the file being prepared.
     */
    Path temp()
    {
        return temp;
    }

    private RuntimeException failed(final IOException ex)
    {
        abandon(ex);
        return BlockFile.isOutOfSpace(ex) ? new StoreFullException("allocate block file", temp, ex) :
            new StoreIOException("allocate block file", temp, ex);
    }

    /**
     * @return a view of the shared zeros for {@link #writeZeros}, one per thread that writes.
     */
    static ByteBuffer zeros()
    {
        return ZEROS.duplicate();
    }

    /**
     * Write zeros through {@code channel} over {@code [from, to)}, unforced.
     *
     * @param zeros a view from {@link #zeros()}, used by one thread.
     */
    static void writeZeros(final FileChannel channel, final ByteBuffer zeros, final long from, final long to)
        throws IOException
    {
        writeZeros(channel, zeros, from, to, ZEROS_LENGTH);
    }

    private static void writeZeros(
        final FileChannel channel, final ByteBuffer zeros, final long from, final long to, final int writeBytes)
        throws IOException
    {
        final int chunk = Math.max(PAGE_SIZE, Math.min(ZEROS_LENGTH, writeBytes));
        long position = from;
        while (position < to)
        {
            zeros.clear().limit((int)Math.min(chunk, to - position));
            while (zeros.hasRemaining())
            {
                position += channel.write(zeros, position);
            }
        }
    }
}
