package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.SequenceTable;
import org.agrona.IoUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Gives a stream's block mappings back to the system as soon as no reader can hold them, instead of at some garbage
 * collection: the page-cache memory they pin, and the disk space of files deleted meanwhile, go back now; and the
 * blocks' sequence tables, whose direct memory no collection may come for. Blocks that
 * left the index (deleted by reclaim or retention, rewritten, cut or deleted by a truncation) are unmapped at the
 * flusher's cycles once a grace period of the read gate begun after they left is over ({@link #unmapLeft()}); every
 * block at the store's close ({@link #unmapAll()}).
 * <p>
 * Threading: {@link #unmapLeft()} runs on the thread that flushes (one at a time), {@link #unmapAll()} on the closing
 * thread once that one stopped.
 */
final class BlockUnmapper
{
    /** How long close waits for readers to leave the block mappings before it leaves them to the garbage collector. */
    static final long UNMAP_WAIT_NANOS = 250_000_000L;

    private static final Logger LOG = LoggerFactory.getLogger(BlockUnmapper.class);

    private final String streamName;
    private final StreamIndex index;
    private final ReadGate readGate;
    private final ReentrantLock appendLock;
    private final ReentrantLock maintenanceLock;
    /**
     * Blocks that left the index and are still mapped, taken from {@link StreamIndex#pollLeft()} while the blocks of
     * an earlier grace period wait in {@link #graced}: they wait for the next one.
     */
    private List<MessageBlock> leftMapped = new ArrayList<>();
    /** Blocks taken before the grace period of {@link #ticket} began, unmapped once it is over; empty if none runs. */
    private List<MessageBlock> graced = new ArrayList<>();
    private long ticket;
    /** The mappings the blocks being unmapped let go of, unmapped outside any lock. */
    private final List<MappedByteBuffer> toUnmap = new ArrayList<>();
    /** Their sequence tables, freed outside any lock. */
    private final List<SequenceTable> toFree = new ArrayList<>();
    private volatile long waitNanos = UNMAP_WAIT_NANOS;

    /**
     * @param appendLock      held while blocks let go of their mappings: a block a truncation cut may still hold the
     *                        appender's writable mapping.
     * @param maintenanceLock held by every maintenance pass (reclaim, truncation, erasure) that may read a block that
     *                        left the index.
     */
    BlockUnmapper(
        final String streamName, final StreamIndex index, final ReadGate readGate, final ReentrantLock appendLock,
        final ReentrantLock maintenanceLock)
    {
        this.streamName = streamName;
        this.index = index;
        this.readGate = readGate;
        this.appendLock = appendLock;
        this.maintenanceLock = maintenanceLock;
    }

    /**
     * The last step of a close whose other steps all succeeded (every agent of the store is known stopped, so nothing
     * of the store's own touches a mapping): close the read gate and unmap every block once no reader is inside. When a
     * reader stays inside past the wait (a handler that blocks, or a close called from a handler), the mappings are
     * left for the garbage collector to release: later, never unsafely.
     */
    void unmapAll()
    {
        final long wait = waitNanos;
        if (!readGate.close(wait))
        {
            LOG.warn("stream {}: {} readers still inside its blocks {} ms after close; their mappings are left for " +
                "the garbage collector to release", streamName, readGate.inside(), wait / 1_000_000);
            return;
        }
        takeLeftBlocks();
        leftMapped.addAll(graced);
        graced.clear();
        leftMapped.addAll(Arrays.asList(index.blocks()));
        unmapTaken(leftMapped);
    }

    /**
     * Unmap the blocks that left the index once no reader can hold them. Run by the flusher before each capture, and
     * never waits: every block taken here left the index (the removal published the new block array, then offered the
     * block) before the grace period's ticket is taken, so a reader counted in after the flip that follows reads an
     * array without it, and only the readers inside before that flip may hold one: the blocks go once those left,
     * however many readers came in since (waiting for none at all to be inside kept them for as long as readers
     * overlapped). No maintenance pass may be reading one either, which the maintenance lock shows. When the readers
     * from before the flip are still inside, or a pass runs, the blocks wait for a later cycle, or for close; blocks
     * leaving meanwhile wait for the next grace period.
     */
    void unmapLeft()
    {
        takeLeftBlocks();
        if (graced.isEmpty())
        {
            if (leftMapped.isEmpty())
            {
                return;
            }
            final List<MessageBlock> taken = leftMapped;
            leftMapped = graced;
            graced = taken;
            ticket = readGate.startGrace();
        }
        if (!readGate.pollGrace(ticket))
        {
            return;
        }
        if (maintenanceLock.isHeldByCurrentThread() || !maintenanceLock.tryLock())
        {
            return;
        }
        try
        {
            unmapTaken(graced);
        }
        finally
        {
            maintenanceLock.unlock();
        }
    }

    /**
     * Test seam: how long {@link #unmapAll()} waits for readers to leave.
     */
    void waitNanos(final long nanos)
    {
        waitNanos = nanos;
    }

    /**
     * @return how long a close waits for readers to leave: the unmapping's wait, and the erasures' it finishes.
     */
    long waitNanos()
    {
        return waitNanos;
    }

    private void takeLeftBlocks()
    {
        MessageBlock left;
        while (null != (left = index.pollLeft()))
        {
            leftMapped.add(left);
        }
    }

    /**
     * Let go of the mappings of every block of {@code blocks} under the append lock, then unmap them outside it: an
     * unmap is a system call and a TLB shoot-down, which appenders need not wait for.
     */
    private void unmapTaken(final List<MessageBlock> blocks)
    {
        appendLock.lock();
        try
        {
            for (final MessageBlock block : blocks)
            {
                block.detachMappings(toUnmap, toFree);
            }
        }
        finally
        {
            appendLock.unlock();
        }
        blocks.clear();
        try
        {
            for (final MappedByteBuffer mapping : toUnmap)
            {
                IoUtil.unmap(mapping);
            }
        }
        finally
        {
            toUnmap.clear();
            freeTables();
        }
    }

    private void freeTables()
    {
        try
        {
            for (final SequenceTable table : toFree)
            {
                table.free();
            }
        }
        finally
        {
            toFree.clear();
        }
    }
}
