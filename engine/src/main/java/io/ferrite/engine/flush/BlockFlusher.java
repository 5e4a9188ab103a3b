package io.ferrite.engine.flush;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.RetiredMappings;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.metrics.OperationTimer;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.Lock;

/**
 * One force cycle, in two halves. {@link #capture(Batch, boolean, boolean)} runs under the append lock and only reads
 * fields: the last sequence, and for every block that may hold unforced bytes its write offset. {@link #force(Batch,
 * OperationTimer.Run)} runs after the lock is released and does the I/O through {@link StorageIO}: each captured range,
 * then the blocks directory when a block file was created or deleted since the last cycle. Sealed blocks are released
 * (their channel closed) once forced, so file descriptors do not accumulate however long a store runs without {@code
 * flush()}.
 * <p>
 * Threading: {@link #onBlockCreated()} and {@link #onBlockDeleted()} are called by the appender under the append lock;
 * {@link #capture} and {@link #force} by one thread at a time (the store's flusher thread, or {@code close()} after
 * that thread stopped).
 */
public final class BlockFlusher
{
    private final StreamIndex index;
    private final Lock appendLock;
    private final Path blocksDir;
    private final StorageIO io;
    private final UnforcedWindow window;
    private volatile Runnable onDirectoryChange = () -> {};
    private volatile Runnable beforeCapture = () -> {};
    private volatile RetiredMappings retiredWriters;
    private CaptureListener captureListener = CaptureListener.NONE;
    /**
     * Set by every capture under the append lock, cleared once that cycle's forces and directory sync returned (or
     * failed): while it is set, a block that reads as forced may still wait for its directory entry.
     */
    private volatile boolean inFlight;

    /** Guarded by the append lock: position of the oldest block that may hold unforced bytes or an open channel. */
    private int oldestUnsettledPosition;
    /** Guarded by the append lock: a block file was created or deleted since the last directory sync. */
    private boolean directoryDirty;
    /** Bumped by every truncation (under the append lock): a force captured before one proves nothing after it. */
    private volatile long epoch;

    /**
     * @param window the bytes written and not yet forced: each whole-stream capture records how many were written.
     */
    public BlockFlusher(
        final StreamIndex index, final Lock appendLock, final Path blocksDir, final StorageIO io,
        final UnforcedWindow window)
    {
        this.window = window;
        this.index = index;
        this.appendLock = appendLock;
        this.blocksDir = blocksDir;
        this.io = io;
    }

    /**
     * @param retired the writable mappings of blocks the appender rolled past: unmapped before each force, so forcing a
     *                rolled block write-protects no writable mapping.
     */
    public void retiredWriters(final RetiredMappings retired)
    {
        this.retiredWriters = retired;
    }

    /**
     * @param hook run at the start of every {@link #capture}, with no lock held, on the thread that flushes: the store
     *             unmaps there the blocks that left the index (it may take the append lock).
     */
    public void beforeCapture(final Runnable hook)
    {
        this.beforeCapture = hook;
    }

    /**
     * @param hook run (under the append lock, so it must not block) when a block file is created or deleted; the
     *             flusher uses it to wake up and release the sealed block's channel.
     */
    public void onDirectoryChange(final Runnable hook)
    {
        this.onDirectoryChange = hook;
    }

    /**
     * @param listener told, under the append lock, of every capture of the whole stream (see {@link CaptureListener});
     *                 set before the flusher starts.
     */
    public void captureListener(final CaptureListener listener)
    {
        this.captureListener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * @return the unforced-bytes window whose written count each whole-stream capture records.
     */
    public UnforcedWindow window()
    {
        return window;
    }

    /**
     * @return the listener told of whole-stream captures.
     */
    public CaptureListener captureListener()
    {
        return captureListener;
    }

    /**
     * Called under the append lock: is everything written so far already durable? True when no cycle is in flight,
     * no block file was created or deleted since the last directory sync, no block waits for its recovery force, and
     * no block holds bytes, a footer or a new file not yet forced. A state captured now describes only durable data.
     */
    public boolean isSettled()
    {
        if (inFlight || directoryDirty || recoveredFrom != Integer.MAX_VALUE)
        {
            return false;
        }
        final MessageBlock[] blocks = index.blocks();
        for (int i = Math.min(oldestUnsettledPosition, blocks.length); i < blocks.length; i++)
        {
            if (blocks[i].durability().isDirty())
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Called by the cycle's thread once the cycle captured last ended, forced or failed.
     */
    public void cycleDone()
    {
        inFlight = false;
    }

    /**
     * Called by the appender, under the append lock, after it created a block file.
     */
    public void onBlockCreated()
    {
        directoryDirty = true;
        onDirectoryChange.run();
    }

    /**
     * Called under the append lock when the stream was truncated: batches captured before are of another timeline.
     */
    public void onTruncated()
    {
        epoch++;
    }

    /**
     * @return how many truncations happened; a batch records the value at its capture.
     */
    public long epoch()
    {
        return epoch;
    }

    /**
     * Called under the append lock after a block file was deleted: the deletion must reach the disk too.
     */
    public void onBlockDeleted()
    {
        directoryDirty = true;
        oldestUnsettledPosition = 0;
        onDirectoryChange.run();
    }

    /**
     * Under the append lock, record what the next force must cover.
     *
     * @param sealedOnly leave the tail block alone: force and release only sealed blocks and sync the directory (a
     *                   roll woke the flusher; nobody asked for durability). The batch then makes no sequence durable.
     * @param flushAsked the cycle serves an explicit {@code flush()}, passed on to the {@link CaptureListener}.
     * @return {@code batch}, filled.
     */
    public Batch capture(final Batch batch, final boolean sealedOnly, final boolean flushAsked)
    {
        beforeCapture.run();
        batch.clear();
        appendLock.lock();
        try
        {
            batch.seq = sealedOnly ? -1 : index.lastSeq();
            batch.written = sealedOnly ? -1 : window.written();
            batch.epoch = epoch;
            final MessageBlock[] blocks = index.blocks();
            final int last = blocks.length - 1;
            final int end = sealedOnly ? Math.max(0, last) : blocks.length;
            for (int i = Math.min(oldestUnsettledPosition, end); i < end; i++)
            {
                final MessageBlock block = blocks[i];
                final boolean sealed = i < last;
                final boolean recoveredUnforced = i >= recoveredFrom;
                if (block.durability().isDirty() || recoveredUnforced)
                {
                    batch.add(block, block.writeOffset(), block.durability().isFooterDirty(), sealed,
                        recoveredUnforced);
                }
                else if (sealed && block.durability().hasChannel())
                {
                    batch.add(block, -1, false, true, false);
                }
            }
            oldestUnsettledPosition = Math.max(0, last);
            if (!sealedOnly)
            {
                recoveredFrom = Integer.MAX_VALUE;
            }
            batch.syncDirectory = directoryDirty;
            directoryDirty = false;
            inFlight = true;
            if (!sealedOnly)
            {
                captureListener.onCapture(flushAsked);
            }
        }
        finally
        {
            appendLock.unlock();
        }
        return batch;
    }

    /**
     * Guarded by the append lock: blocks from this position on were scanned by recovery after a crash and are forced
     * whole once, since what they hold may have reached only the page cache of the process that crashed.
     */
    private int recoveredFrom = Integer.MAX_VALUE;

    /**
     * Force the blocks from {@code position} on whole in the next cycle, and the blocks directory with them.
     */
    public void forceRecoveredOnce(final int position)
    {
        appendLock.lock();
        try
        {
            recoveredFrom = Math.max(0, position);
            oldestUnsettledPosition = Math.min(oldestUnsettledPosition, recoveredFrom);
            directoryDirty = true;
        }
        finally
        {
            appendLock.unlock();
        }
    }

    /**
     * Outside any lock appenders or readers take: force what {@link #capture} recorded, release sealed blocks, sync
     * the blocks directory. On failure what was captured is marked unforced again and the error names the file.
     *
     * @throws StoreIOException when a force failed.
     */
    public void force(final Batch batch, final OperationTimer.Run run)
    {
        final RetiredMappings retired = retiredWriters;
        if (null != retired)
        {
            // Handed over by rolls before this batch's capture (both under the append lock).
            retired.unmapRetired();
        }
        int i = 0;
        final long start = System.nanoTime();
        try
        {
            for (; i < batch.count; i++)
            {
                final MessageBlock block = batch.blocks[i];
                if (block.isRetired())
                {
                    // Reclaimed since the capture (deleted, rewritten or cut): nothing in it needs forcing any more.
                    block.durability().releaseChannel();
                    continue;
                }
                if (batch.whole[i])
                {
                    forceWhole(block);
                }
                if (batch.upTo[i] >= 0)
                {
                    try
                    {
                        batch.bytesForced += block.durability().force(batch.upTo[i], batch.footer[i], io);
                    }
                    catch (final StoreIOException ex)
                    {
                        if (!block.isRetired())
                        {
                            throw ex;
                        }
                        // Reclaimed between the check above and the force: its file is gone, nothing to make durable.
                    }
                }
                if (batch.release[i])
                {
                    block.durability().releaseChannel();
                }
            }
            batch.forceNanos = System.nanoTime() - start;
            run.endPhase(StoreMetrics.FLUSH_FORCE);
            if (batch.syncDirectory)
            {
                try
                {
                    io.syncDirectory(blocksDir);
                }
                catch (final IOException ex)
                {
                    throw new StoreIOException("fsync directory", blocksDir, ex);
                }
            }
            run.endPhase(StoreMetrics.FLUSH_DIRECTORY);
        }
        catch (final RuntimeException ex)
        {
            appendLock.lock();
            try
            {
                oldestUnsettledPosition = 0;
                directoryDirty |= batch.syncDirectory;
            }
            finally
            {
                appendLock.unlock();
            }
            throw ex;
        }
    }

    private void forceWhole(final MessageBlock block)
    {
        // Through a descriptor of its own: recovery released the channels of the blocks it scanned but the last, and
        // fsync works through a read-only descriptor.
        try (FileChannel channel =
            FileChannel.open(block.file(), StandardOpenOption.READ))
        {
            io.forceFile(block.file(), channel);
        }
        catch (final NoSuchFileException ex)
        {
            if (!block.isRetired())
            {
                throw new StoreIOException("force recovered block file", block.file(), ex);
            }
            // Reclaimed since the capture: every message it held was removed, nothing in it needs forcing.
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("force recovered block file", block.file(), ex);
        }
    }

    /**
     * What one cycle forces. Reused by its one owner thread; grows as blocks are added, never shrinks.
     */
    public static final class Batch
    {
        long seq;
        long epoch;
        long written;
        long bytesForced;
        long forceNanos;
        boolean syncDirectory;
        int count;
        int forced;
        MessageBlock[] blocks = new MessageBlock[4];
        int[] upTo = new int[4];
        boolean[] footer = new boolean[4];
        boolean[] release = new boolean[4];
        boolean[] whole = new boolean[4];

        /**
         * @return the last sequence at capture: durable once the batch is forced; -1 for a sealed-blocks-only batch.
         */
        public long seq()
        {
            return seq;
        }

        /**
         * @return {@link UnforcedWindow#written()} at capture: forced once the batch is; -1 for a sealed-blocks-only
         * batch, which leaves the tail block unforced.
         */
        public long written()
        {
            return written;
        }

        /**
         * @return bytes of block data the forces of this batch made durable (the written ranges they covered).
         */
        public long bytesForced()
        {
            return bytesForced;
        }

        /**
         * @return how long the batch's block forces took, directory sync excluded.
         */
        public long forceNanos()
        {
            return forceNanos;
        }

        /**
         * @return the truncation epoch at capture.
         */
        public long epoch()
        {
            return epoch;
        }

        /**
         * @return whether forcing this batch does no I/O.
         */
        public boolean isEmpty()
        {
            return forced == 0 && !syncDirectory && !hasRelease();
        }

        /**
         * @return the number of blocks whose bytes this batch forces.
         */
        public int blocksForced()
        {
            return forced;
        }

        private boolean hasRelease()
        {
            for (int i = 0; i < count; i++)
            {
                if (release[i])
                {
                    return true;
                }
            }
            return false;
        }

        void clear()
        {
            Arrays.fill(blocks, 0, count, null);
            count = 0;
            forced = 0;
            syncDirectory = false;
            seq = 0;
            written = -1;
            bytesForced = 0;
            forceNanos = 0;
        }

        void add(final MessageBlock block, final int upToOffset, final boolean footerDirty, final boolean sealed,
            final boolean wholeFile)
        {
            if (count == blocks.length)
            {
                final int length = count * 2;
                blocks = Arrays.copyOf(blocks, length);
                upTo = Arrays.copyOf(upTo, length);
                footer = Arrays.copyOf(footer, length);
                release = Arrays.copyOf(release, length);
                whole = Arrays.copyOf(whole, length);
            }
            blocks[count] = block;
            upTo[count] = upToOffset;
            footer[count] = footerDirty;
            release[count] = sealed;
            whole[count] = wholeFile;
            forced += upToOffset >= 0 || wholeFile ? 1 : 0;
            count++;
        }
    }
}
