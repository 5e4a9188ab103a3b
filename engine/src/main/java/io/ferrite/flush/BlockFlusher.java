package io.ferrite.flush;

import io.ferrite.block.MessageBlock;
import io.ferrite.index.StreamIndex;
import io.ferrite.metrics.OperationTimer;
import io.ferrite.metrics.StoreMetrics;
import io.ferrite.state.StreamDirectory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;

/**
 * Makes appended records durable. What to force is decided under the append lock (a few field reads); the forcing
 * itself happens after that lock is released, under this flusher's own lock, so appenders and readers never wait on
 * the disk. Only blocks with unforced bytes are forced, and the blocks directory is fsynced after a new block file was
 * created, so the file itself survives power loss.
 * <p>
 * Threading: any thread may call {@link #flush()}; concurrent calls are serialized.
 */
public final class BlockFlusher
{
    private final StreamIndex index;
    private final Lock appendLock;
    private final StreamDirectory directory;
    private final OperationTimer timer;
    private final List<MessageBlock> pending = new ArrayList<>();
    private final List<Integer> pendingUpTo = new ArrayList<>();

    /** Guarded by the append lock: position of the oldest block that may hold unforced bytes. */
    private int oldestDirtyPosition;
    /** Guarded by the append lock: a block file was created since the last directory fsync. */
    private boolean directoryDirty;

    public BlockFlusher(
        final StreamIndex index, final Lock appendLock, final StreamDirectory directory, final StoreMetrics metrics)
    {
        this.index = index;
        this.appendLock = appendLock;
        this.directory = directory;
        this.timer = metrics.flush();
    }

    /**
     * Called by the appender, under the append lock, after it created a block file.
     */
    public void onBlockCreated()
    {
        directoryDirty = true;
    }

    /**
     * @return a future completed with the highest sequence now durable, or failed with the force's error.
     */
    public synchronized CompletableFuture<Long> flush()
    {
        final OperationTimer.Run run = timer.start();
        final long durableSeq;
        final boolean syncDirectory;
        pending.clear();
        pendingUpTo.clear();
        appendLock.lock();
        try
        {
            durableSeq = index.lastSeq();
            final MessageBlock[] blocks = index.blocks();
            for (int i = Math.min(oldestDirtyPosition, blocks.length); i < blocks.length; i++)
            {
                if (blocks[i].isDirty())
                {
                    pending.add(blocks[i]);
                    pendingUpTo.add(blocks[i].writeOffset());
                }
            }
            oldestDirtyPosition = Math.max(0, blocks.length - 1);
            syncDirectory = directoryDirty;
            directoryDirty = false;
        }
        finally
        {
            appendLock.unlock();
        }
        try
        {
            final MessageBlock last = index.lastBlock();
            for (int i = 0; i < pending.size(); i++)
            {
                final MessageBlock block = pending.get(i);
                block.force(pendingUpTo.get(i));
                if (block != last)
                {
                    block.releaseChannel();
                }
            }
            run.endPhase(StoreMetrics.FLUSH_FORCE);
            if (syncDirectory)
            {
                StreamDirectory.syncDirectory(directory.blocksDir());
            }
            run.endPhase(StoreMetrics.FLUSH_DIRECTORY);
        }
        catch (final RuntimeException ex)
        {
            appendLock.lock();
            try
            {
                oldestDirtyPosition = 0;
                directoryDirty |= syncDirectory;
            }
            finally
            {
                appendLock.unlock();
            }
            run.finish("failed: " + ex.getMessage());
            return CompletableFuture.failedFuture(ex);
        }
        run.finish(pending.size() + " blocks");
        return CompletableFuture.completedFuture(durableSeq);
    }
}
