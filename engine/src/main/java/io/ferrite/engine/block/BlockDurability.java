package io.ferrite.engine.block;

import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;

/**
 * What of one block is forced: up to which offset, whether the file itself (its size) and its footer still need
 * forcing, and the channel it is forced through until the flusher releases it.
 * <p>
 * A block prepared with its size forced ({@link BlockFile.Prepared#sizeForced()}) is made durable by range forces
 * alone: a range force ({@code msync}, {@code fdatasync} semantics) makes the range's bytes and the allocation of the
 * disk blocks under them durable, and the size that says the file reaches that far is durable already. Its zeros were
 * never forced, so a page never forced may come back as a hole or as zeros after a power cut, both of which read as
 * zeros: the end of the data, as recovery expects. A block whose size was not forced (made without a
 * {@link io.ferrite.store.StorageIO}) needs one force of the whole file through its channel, which must therefore stay
 * open until then ({@link #needsChannelToForce()}).
 * <p>
 * Threading: the flusher forces (one force at a time, see {@code AsyncFlusher}) with offsets it captured under the
 * append lock; the appender reads {@link #isDirty()} under that lock. Fields are volatile for that hand-over.
 */
public final class BlockDurability
{
    private final MessageBlock block;
    /** Volatile: the flusher thread releases it once a sealed block is forced. */
    private volatile FileChannel channel;
    private volatile int forcedOffset;
    private volatile boolean newFile;
    /** Set with {@link #newFile}: the file's size was forced before it became a block. */
    private volatile boolean sizeForced;
    private volatile boolean footerDirty;

    BlockDurability(final MessageBlock block)
    {
        this.block = block;
    }

    /**
     * @param sizeForced the file's size is durable already (forced when it was prepared): its first force covers its
     *                   range from the header on, not the whole file.
     */
    void created(final boolean sizeForced)
    {
        forcedOffset = 0;
        newFile = true;
        this.sizeForced = sizeForced;
    }

    void forcedUpTo(final int offset)
    {
        forcedOffset = offset;
    }

    void channel(final FileChannel channel)
    {
        this.channel = channel;
    }

    void footerWritten()
    {
        footerDirty = true;
    }

    void cutTo(final int offset)
    {
        forcedOffset = Math.min(forcedOffset, offset);
    }

    /**
     * @return whether there are bytes not yet forced, or the file itself is new.
     */
    public boolean isDirty()
    {
        return newFile || footerDirty || forcedOffset < block.writeOffset();
    }

    /**
     * @return whether the file was created and not yet forced: a power cut may leave it without its header, or
     * without its directory entry.
     */
    public boolean isNewFile()
    {
        return newFile;
    }

    /**
     * @return whether the footer was written and not yet forced. Read under the append lock when capturing a force.
     */
    public boolean isFooterDirty()
    {
        return footerDirty;
    }

    /**
     * @return whether forcing the written ranges (through the mapping) makes them durable: the file is not new, or its
     * size was forced when it was prepared. Else its next force must also force the whole file, through its channel.
     */
    public boolean rangeForcesSuffice()
    {
        return !newFile || sizeForced;
    }

    /**
     * @return whether the channel must stay open for the block's next force: its size is not durable yet, and only a
     * force through the channel ({@code fsync}) makes it so. A flusher that releases a sealed block without forcing it
     * must force it first when this is true.
     */
    public boolean needsChannelToForce()
    {
        return !rangeForcesSuffice();
    }

    /**
     * @return whether the block still holds an open channel (the tail block, or a sealed one not yet released).
     */
    public boolean hasChannel()
    {
        return null != channel;
    }

    /**
     * Make the bytes written to the block up to {@code upTo} durable through {@code io}: the range not yet forced,
     * from the header on for a new file (whose size is forced once too, with the whole file, unless its preparation
     * forced it),
     * and the footer when it was written. Called by the flusher outside the append lock with values it captured under
     * it.
     *
     * @param upTo   the write offset captured under the append lock; bytes beyond it are left to the next force.
     * @param footer the footer was dirty at capture time: force it and mark it clean.
     * @return bytes written since the last force that this one covered (for the force rate; the footer and the clean
     * pages between the data and the footer are left out).
     */
    public int force(final int upTo, final boolean footer, final StorageIO io)
    {
        // A whole-file force of a new block would clean the pages touched ahead of the appender, which would then fault
        // on each; one prepared with its size forced needs only its range, header included.
        final boolean metadata = !rangeForcesSuffice();
        final int from = newFile ? 0 : Math.min(forcedOffset, upTo);
        final int to = footer ? block.mappedOrNull().capacity() : upTo;
        try
        {
            io.forceBlock(block.file(), channel, block.mappedOrNull(), from, to, metadata);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("force block file", block.file(), ex);
        }
        catch (final UncheckedIOException ex)
        {
            throw new StoreIOException("force block file", block.file(), ex.getCause());
        }
        newFile = false;
        if (footer)
        {
            footerDirty = false;
        }
        forcedOffset = Math.max(forcedOffset, upTo);
        return Math.max(0, upTo - from);
    }

    /**
     * Close the channel once the block is sealed and forced; the mapping stays for readers.
     */
    public void releaseChannel()
    {
        final FileChannel open = channel;
        if (null != open)
        {
            try
            {
                open.close();
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("close block file", block.file(), ex);
            }
            channel = null;
        }
    }
}
