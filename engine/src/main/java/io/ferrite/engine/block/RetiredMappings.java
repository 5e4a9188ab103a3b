package io.ferrite.engine.block;

import org.agrona.IoUtil;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

import java.nio.MappedByteBuffer;

/**
 * Writable mappings of blocks the appender rolled past, unmapped off the append path rather than at the roll: an unmap
 * is a system call and, with the appender's pages mapped on both cores, a TLB shoot-down — half a millisecond per 8 MiB
 * block on the benchmark VM, which the roll would otherwise add to one append. The appender has already dropped its
 * references ({@link MessageBlock#detachWriter()}), so nothing touches a mapping once it is handed over here.
 * <p>
 * Two threads unmap: the block preparer's agent on its next duty cycle (woken by the roll), and the flusher before it
 * forces anything. The flusher's turn keeps the order the writable mapping exists for: the roll hands the mapping over
 * under the append lock and the flusher captures what to force under it too, so every block it forces past a roll
 * has no writable mapping left to write-protect page by page.
 * <p>
 * A queue of {@value #CAPACITY}: when it is full, or no agent runs, the appender unmaps at the roll as before.
 * Unmapping late is safe in every order: a mapping's pages stay the file's, dirty or not, and a force through the
 * read-only mapping writes them back whichever mapping dirtied them.
 * <p>
 * A mapping handed over after the agent's last duty cycle (it stopped, or an {@code Error} ended its thread) waits for
 * the flusher's next force or the preallocator's close: at most {@value #CAPACITY} of them, 8 MiB of address space
 * each, none of it memory the page cache would not hold anyway.
 * <p>
 * Threading: {@link #retire} under the append lock (rolls happen on whichever thread appends, one at a time: the single
 * producer the queue needs); {@link #unmapRetired()} from any thread, one at a time.
 */
public final class RetiredMappings
{
    /** Rolls are milliseconds apart and the agent drains on each duty cycle: a few slots cover a late agent. */
    static final int CAPACITY = 4;

    private final OneToOneConcurrentArrayQueue<MappedByteBuffer> queue = new OneToOneConcurrentArrayQueue<>(CAPACITY);

    /**
     * Hand a writable mapping over to be unmapped off the append path.
     *
     * @param writable     the mapping nobody uses any more, or null for nothing to do.
     * @param agentRunning whether an agent will drain the queue; when not, the mapping is unmapped now.
     */
    void retire(final MappedByteBuffer writable, final boolean agentRunning)
    {
        if (null != writable && (!agentRunning || !queue.offer(writable)))
        {
            IoUtil.unmap(writable);
        }
    }

    /**
     * Unmap every mapping handed over so far.
     *
     * @return how many were unmapped.
     */
    public synchronized int unmapRetired()
    {
        int unmapped = 0;
        MappedByteBuffer writable;
        while (null != (writable = queue.poll()))
        {
            IoUtil.unmap(writable);
            unmapped++;
        }
        return unmapped;
    }
}
