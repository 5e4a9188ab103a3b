package io.ferrite.engine;

import io.ferrite.store.StoreClosedException;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts the callers inside a read of a store's block mappings, so that {@link FileStreamStore#close()} can unmap them
 * once it knows none is left: a read that touched an unmapped page would crash the JVM (a SIGSEGV is not turned into
 * an exception), and a mapping left for the garbage collector keeps a deleted block's disk space and page-cache memory
 * until some collection, which a process appending through the allocation-free API may not run for hours.
 * <p>
 * Each reader {@link #enter()}s before it touches a mapping and {@link #exit(int)}s after its last touch, in a
 * {@code finally}: one atomic add on each side, on one of {@link #CELLS} counters chosen by the thread, each on cache
 * lines of its own, so readers on different threads do not share a line. {@link #close(long)} is Dekker's handshake:
 * the reader adds to its counter and then reads the closing flag; the closer sets the flag and then reads every
 * counter — both are synchronization actions, so either the reader sees the flag (and leaves before touching
 * anything) or the closer sees the reader counted and waits for it.
 * <p>
 * A reader may stay inside as long as its handler runs, or call {@code close()} from inside a handler: the close waits
 * a bounded time, and when readers remain it says so and the mappings are left for the garbage collector, as before —
 * slower to release, never unsafe.
 * <p>
 * Threading: any thread.
 */
final class ReadGate
{
    /** Counters, a power of two: more than the readers of a store on a small machine usually are. */
    static final int CELLS = 8;
    /** Longs between two counters: 128 bytes, two cache lines, so the adjacent-line prefetcher shares none. */
    private static final int STRIDE = 16;
    private static final long WAIT_STEP_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    /** Padded at both ends too: other objects' fields sit out of the first and last counters' lines. */
    private final AtomicLongArray counts = new AtomicLongArray((CELLS + 1) * STRIDE);
    private final String streamName;
    private volatile boolean closing;

    /**
     * @param streamName named by the {@link StoreClosedException} a reader gets once the store closes.
     */
    ReadGate(final String streamName)
    {
        this.streamName = streamName;
    }

    /**
     * Count this thread in, unless the store closes.
     *
     * @return the counter to give back to {@link #exit(int)}.
     * @throws StoreClosedException when {@link #close(long)} began: the mappings may be gone.
     */
    int enter()
    {
        final int index = (1 + ((int)Thread.currentThread().getId() & (CELLS - 1))) * STRIDE;
        counts.getAndIncrement(index);
        if (closing)
        {
            counts.getAndDecrement(index);
            throw new StoreClosedException(streamName);
        }
        return index;
    }

    /**
     * Count this thread out.
     *
     * @param index what {@link #enter()} returned.
     */
    void exit(final int index)
    {
        counts.getAndDecrement(index);
    }

    /**
     * Let no reader in from now on, and wait up to {@code timeoutNanos} for those inside to leave.
     *
     * @return whether none is inside: the mappings may be unmapped. Once true, it stays true.
     */
    boolean close(final long timeoutNanos)
    {
        closing = true;
        final long deadline = System.nanoTime() + timeoutNanos;
        while (inside() > 0)
        {
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            LockSupport.parkNanos(this, WAIT_STEP_NANOS);
        }
        return true;
    }

    /**
     * @return the readers inside now.
     */
    long inside()
    {
        long inside = 0;
        for (int cell = 1; cell <= CELLS; cell++)
        {
            inside += counts.get(cell * STRIDE);
        }
        return inside;
    }
}
