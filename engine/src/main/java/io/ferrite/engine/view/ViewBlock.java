package io.ferrite.engine.view;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.BlockKey;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.BlockHeader;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreIOException;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * One block file as a read-only view sees it: a read-only mapping (never past the file's end), and the offsets of the
 * records it verified so far, by sequence. The writer only ever appends to a block, zeroes a cut tail (truncation or
 * recovery, which the view learns from the positions and answers by dropping its index) or replaces the file by a new
 * one (a rewrite, a new inode), so a mapping stays valid as long as the view holds it, even once the file is deleted.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class ViewBlock
{
    final long id;
    final Path file;
    final Object fileKey;
    final long baseSeq;
    /** The stream's last sequence when the writer began this block (its header's): the previous block's last. */
    final long prevLastSeq;
    final MappedByteBuffer mapped;
    final UnsafeBuffer buffer;
    final BlockKey key;
    /** Where records may lie: the mapped length, less the footer of an encrypted block. */
    final int limit;
    /** The next offset to index. */
    int scanEnd = BlockDescriptor.DATA_OFFSET;
    /** Set once a newer block exists and this one was indexed to its end: nothing more is appended to it. */
    boolean done;
    /**
     * Set when the last look at this block, while the writer moved (restarted or truncated since the refresh), stopped
     * at a published message that did not verify and no known removal explains, or stopped before {@link #highestMet}
     * reached the next block's {@link #prevLastSeq}: what lies past the stop was not looked at, so the block is not
     * done and nothing past it may be passed over until a look after the next refresh.
     */
    boolean cutShort;
    /** The highest sequence of a message or skip record met in this block so far; 0 for none. */
    long highestMet;
    /** Set when indexing first looked at this block (counted by {@link ViewIndex#blocksIndexed()}). */
    boolean entered;
    /**
     * Where the look at this sealed block met a record header that does not verify below the last sequence the writer
     * put here, and went on past it: the sequences it may have held are known once the next message or skip is met, or
     * the block ends. -1 for none.
     */
    int pendingDamage = -1;
    /**
     * Record offsets by {@code seq - baseSeq}, 0 for none (not listed, removed, or a skip); the negated offset of the
     * damaged bytes for a sequence they held ({@link #listDamaged}).
     */
    private int[] offsets = new int[64];
    /** One past the highest sequence indexed here, as an index into {@link #offsets}. */
    private int span;

    private ViewBlock(
        final long id, final Path file, final Object fileKey, final long baseSeq, final long prevLastSeq,
        final MappedByteBuffer mapped, final BlockKey key, final int limit)
    {
        this.id = id;
        this.file = file;
        this.fileKey = fileKey;
        this.baseSeq = baseSeq;
        this.prevLastSeq = prevLastSeq;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.key = key;
        this.limit = limit;
    }

    /**
     * Map block file {@code id} read-only and check its header.
     *
     * @return the block, or null when the file is gone (reclaimed or cut since the listing).
     * @throws CorruptFileException when its header does not verify.
     */
    static ViewBlock map(final Path file, final long id, final Object fileKey, final BlockCrypto crypto)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
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
            final int declared = BlockHeader.validate(file, header, id, null != crypto);
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, declared));
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            final UnsafeBuffer headerView = new UnsafeBuffer(mapped, 0, BlockDescriptor.HEADER_LENGTH);
            final BlockKey key = null == crypto ? null : crypto.keyFor(headerView, file);
            final int limit = null == crypto ? mapped.capacity() :
                Math.min(mapped.capacity(), declared - BlockFooterCodec.FOOTER_LENGTH);
            final long baseSeq = header.getLong(BlockDescriptor.BASE_SEQ_OFFSET);
            final long prevLastSeq = header.getLong(BlockDescriptor.PREV_LAST_SEQ_OFFSET);
            return new ViewBlock(id, file, fileKey, baseSeq, prevLastSeq, mapped, key, limit);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("map block file read-only", file, ex);
        }
    }

    /**
     * Unmap the file: its page-cache memory, and its disk space once the writer deleted it, go back now rather than at
     * some garbage collection. Only once nothing of the view holds or reads this block, and nothing will
     * ({@link ViewBlockList}); a read of it after this would crash the JVM.
     */
    void unmap()
    {
        IoUtil.unmap(mapped);
    }

    /**
     * @return the identity of {@code file} (its inode where the file system has one, else its creation time), or null
     * when it is gone: a replaced block file has another.
     */
    static Object fileKey(final Path file)
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            final Object key = attributes.fileKey();
            return null == key ? attributes.creationTime() : key;
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read block file attributes", file, ex);
        }
    }

    void list(final long seq, final int offset)
    {
        final int at = (int)(seq - baseSeq);
        if (at >= offsets.length)
        {
            offsets = Arrays.copyOf(offsets, Math.max(at + 1, offsets.length * 2));
        }
        offsets[at] = offset;
        span = Math.max(span, at + 1);
    }

    /**
     * List {@code seq} as held by the damaged bytes at {@code damageOffset}: a read of it fails naming that offset
     * instead of finding nothing, and a tailer stops at it instead of passing over it.
     */
    void listDamaged(final long seq, final int damageOffset)
    {
        list(seq, -damageOffset);
    }

    /**
     * @return the offset of the verified record listed for {@code seq}, 0 for none.
     */
    int offsetOf(final long seq)
    {
        return Math.max(0, entry(seq));
    }

    /**
     * @return the offset of the damaged bytes listed as holding {@code seq}, 0 for none.
     */
    int damageOffsetOf(final long seq)
    {
        return Math.max(0, -entry(seq));
    }

    /**
     * @return whether {@code seq} is listed: a verified record, or damage that held it.
     */
    boolean isListed(final long seq)
    {
        return entry(seq) != 0;
    }

    private int entry(final long seq)
    {
        final long at = seq - baseSeq;
        return at < 0 || at >= span ? 0 : offsets[(int)at];
    }

    void unlist(final long seq)
    {
        final long at = seq - baseSeq;
        if (at >= 0 && at < span)
        {
            offsets[(int)at] = 0;
        }
    }

    /**
     * @return one past the highest sequence indexed in this block.
     */
    long endSeq()
    {
        return baseSeq + span;
    }
}
