package io.ferrite.engine.block;

import io.ferrite.crypto.BlockKey;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Creating and mapping block files, with the two rules that keep the JVM alive: every page of a new file is allocated
 * (written through the channel; not forced) before it is mapped, so a full disk is an exception at creation and never
 * a SIGBUS on a later append; and an existing file is mapped only after its size has been checked against its header,
 * never past its end.
 */
public final class BlockFile
{
    /** A block file being created; not a block file name, so listing and recovery never see it. */
    public static final String TEMP_SUFFIX = ".creating";

    private BlockFile()
    {
    }

    /**
     * Create a block file of {@code length} bytes on the calling thread: {@link #prepare} then {@link #activate}.
     *
     * @return the open channel and mapping.
     */
    public static Mapping create(
        final Path file, final long blockId, final long baseSeq, final int length, final long createdNanos,
        final long prevLastSeq, final BlockKey key)
    {
        return activate(prepare(file.resolveSibling(file.getFileName() + TEMP_SUFFIX), length), file, blockId,
            baseSeq, createdNanos, prevLastSeq, key);
    }

    /**
     * Allocate a file of {@code length} bytes under a temporary name, in one go on the calling thread
     * ({@link BlockPreparation}): make it its full length and map it, then write every page (so a full disk is an
     * exception here, never a SIGBUS on a later append) and touch every page through the mapping, each after its zeros
     * were written, so the appender does not fault on them. A leftover file of that name, from a crash, is overwritten.
     * The file's size is not forced: its first force must include it ({@link Prepared#sizeForced()} false).
     */
    public static Prepared prepare(final Path temp, final int length)
    {
        return prepare(temp, length, null);
    }

    /**
     * As {@link #prepare(Path, int)}, and when {@code io} is given, make the file's size durable first: extend it with
     * {@code ftruncate} (the file is then {@code length} bytes long, all a hole) and force it through {@code io}, then
     * write the zeros and touch the pages without forcing them. A force of the zeros would send every page to the disk
     * twice, zeros now and records later (16 MiB of disk writes per 8 MiB block); unforced, a page the appender fills
     * before writeback reaches the disk once, with its records. The block's forces are then range forces
     * ({@link BlockDurability#rangeForcesSuffice()}): an {@code msync} of a range has {@code fdatasync} semantics,
     * which make durable the allocation of the blocks under it, and the size it needs is durable already. Forced before
     * the touch because a whole-file force cleans every page and write-protects it again: forced after, or by the
     * flusher once the block is in use, the appender would take a write fault on every page it reaches (~35 µs per
     * 4 KiB page measured here, docs/ENGINE.md "Block rolls"). The zeros are still written, not left as holes, so a
     * full disk fails here as an {@code IOException} ({@code ENOSPC}) and not as a fault on a mapped page.
     */
    public static Prepared prepare(final Path temp, final int length, final StorageIO io)
    {
        final BlockPreparation preparation = BlockPreparation.begin(temp, length, io);
        while (!preparation.isComplete())
        {
            // Small folios: whoever prepares in one go knows nothing of the stream's forces (FolioPolicy).
            preparation.advance(FolioPolicy.SMALL_RANGE, FolioPolicy.SMALL_RANGE, true);
        }
        return preparation.complete();
    }

    /**
     * Turn a prepared file into block {@code blockId}: write its header, then rename it into place. A block file
     * therefore never exists without a header written to it; if power fails before the header page reaches the disk,
     * recovery finds a last block whose header is all zeros — a roll that never became durable, holding nothing that
     * was acknowledged (the flusher forces a block from offset 0 before it acknowledges anything in it) — and sets
     * it aside.
     */
    public static Mapping activate(
        final Prepared prepared, final Path file, final long blockId, final long baseSeq, final long createdNanos,
        final long prevLastSeq, final BlockKey key)
    {
        if (Files.exists(file))
        {
            throw new StoreIOException("create block file", file, new FileAlreadyExistsException(file.toString()));
        }
        final Mapping mapping = new Mapping(file, prepared.channel(), prepared.mapped(), prepared.readMapped(), -1);
        BlockHeader.write(mapping, blockId, baseSeq, prepared.mapped().capacity(), createdNanos, prevLastSeq, key);
        try
        {
            Files.move(prepared.temp(), file, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            closeQuietlyAfterFailure(prepared.channel(), ex);
            throw new StoreIOException("rename prepared block file", file, ex);
        }
        return mapping;
    }

    /**
     * Open an existing block file, check its header, and map it — never past the file's end. A file shorter than its
     * header claims (truncated behind our back, or by a crash on a filesystem that lost its tail) is mapped as far as
     * it goes; when it is to be appended to, it is first extended back to its full, allocated length.
     *
     * @param writable  keep the channel open (the block will be appended to and forced).
     * @param encrypted whether the stream is encrypted: a block that says otherwise is refused.
     */
    public static Mapping open(
        final Path file, final long expectedBlockId, final boolean writable, final boolean encrypted)
    {
        FileChannel channel = null;
        try
        {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            final long size = channel.size();
            if (size < BlockDescriptor.HEADER_LENGTH)
            {
                throw new CorruptFileException("block file is shorter (" + size + " bytes) than a block header (" +
                    BlockDescriptor.HEADER_LENGTH + " bytes)", file, size);
            }
            final ByteBuffer header = ByteBuffer.allocate(BlockDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining())
            {
                if (channel.read(header, header.position()) < 0)
                {
                    throw new CorruptFileException("block file ended inside its header", file, header.position());
                }
            }
            final int declared = BlockHeader.validate(file, header, expectedBlockId, encrypted);
            if (size < declared && writable)
            {
                BlockPreparation.writeZeros(channel, BlockPreparation.zeros(), size, declared);
            }
            final long mappable = writable ? declared : Math.min(size, declared);
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, mappable);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            // A block to append to gets a read-only mapping for readers and forces besides the one it is written
            // through (see MessageBlock#detachWriter); one opened to be read is read through the one mapping.
            final MappedByteBuffer readMapped = writable ? channel.map(FileChannel.MapMode.READ_ONLY, 0, mappable) :
                mapped;
            readMapped.order(ByteOrder.LITTLE_ENDIAN);
            final Mapping mapping = new Mapping(file, writable ? channel : null, mapped, readMapped,
                size < declared ? size : -1);
            if (!writable)
            {
                channel.close();
            }
            return mapping;
        }
        catch (final IOException ex)
        {
            closeQuietlyAfterFailure(channel, ex);
            throw new StoreIOException("open block file", file, ex);
        }
        catch (final RuntimeException ex)
        {
            closeQuietlyAfterFailure(channel, ex);
            throw ex;
        }
    }

    public static boolean isOutOfSpace(final IOException ex)
    {
        final String message = ex.getMessage();
        return null != message && (message.contains("No space left") || message.contains("Disk quota exceeded"));
    }

    private static void deleteQuietlyAfterFailure(final Path file, final Throwable failure)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException deleteFailure)
        {
            failure.addSuppressed(deleteFailure);
        }
    }

    private static void closeQuietlyAfterFailure(final FileChannel channel, final Throwable failure)
    {
        CloseHelper.close(failure::addSuppressed, channel);
    }

    /**
     * An allocated, mapped file waiting under a temporary name to become a block.
     *
     * @param mapped     the writable mapping the appender writes through, every page touched.
     * @param readMapped a read-only mapping of the same file, every page touched, for readers and forces.
     * @param sizeForced its size was forced when it was prepared (its zeros were not): forces of the block's written
     *                   ranges make them durable without forcing the whole file.
     */
    public record Prepared(
        Path temp, FileChannel channel, MappedByteBuffer mapped, MappedByteBuffer readMapped, boolean sizeForced)
    {
        /**
         * Close and delete a prepared file nobody will use.
         */
        public void discard()
        {
            IOException failure = null;
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                failure = ex;
            }
            // Nobody else holds this mapping (readers map block files, never a prepared one): unmapped now, its pages
            // go back with the file, not at some later collection; on a full disk that is the space it frees.
            IoUtil.unmap(mapped);
            IoUtil.unmap(readMapped);
            try
            {
                Files.deleteIfExists(temp);
            }
            catch (final IOException ex)
            {
                if (null == failure)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
            if (null != failure)
            {
                throw new StoreIOException("discard prepared block file", temp, failure);
            }
        }
    }

    /**
     * A mapped block file and, while it is writable, its channel (used for fsync).
     *
     * @param mapped        the mapping the block is written through.
     * @param readMapped    the mapping readers and forces use: a read-only one when the block is to be appended to,
     *                      else {@code mapped}.
     * @param truncatedSize the file's size when it was found shorter than its header claims, else -1.
     */
    public record Mapping(
        Path file, FileChannel channel, MappedByteBuffer mapped, MappedByteBuffer readMapped, long truncatedSize)
    {
    }
}
