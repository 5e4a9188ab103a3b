package io.ferrite.engine.flush;

import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import org.slf4j.Logger;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bound on bytes written into blocks that no completed force covers yet ({@code StreamConfig.maxUnforcedBytes}),
 * which makes the {@code INTERVAL} window a promise at any load: a power cut loses at most the bound plus one record
 * of appends, not whatever backlog the disk has let build up (issue 12: 8.6 s of appends in one force).
 * <p>
 * Three counts of bytes of frames written since open, each only ever growing:
 * <pre>
 *   written   appenders add every frame (record, skip, tombstone) under the append lock
 *   captured  a force cycle's capture reads written, under the append lock (BlockFlusher.Batch#written)
 *   forced    the captured count of the newest cycle whose forces all returned
 *
 *   limit   = forced + bound       an append finding written &gt; limit waits, outside the append lock
 *   cycleAt = forced + bound / 2   an append finding written &gt; cycleAt asks the flusher for a cycle now
 * </pre>
 * The check runs under the append lock before the frame is written, so whatever the number of appenders,
 * {@code written - forced <= bound + one frame} holds at every moment: that is the promise. Asking for a cycle at half
 * the bound lets the disk force one half while appenders fill the other, so appends wait only when they outrun the
 * disk, not every time the bound comes round.
 * <p>
 * Threading: {@link #hasRoom()}, {@link #onWritten(int)} and {@link #written()} under the append lock;
 * {@link #awaitRoom(long)} by an appender that released it; {@link #written()} also under the append lock by the
 * cycle's capture, {@link #onForced(long)} and {@link #onFailed(StoreException)} by the cycle's thread after it;
 * {@link #close()} from any thread. Nothing here is held across I/O: waiters wait on a lock of their own that the
 * flusher takes only to signal them.
 */
public final class UnforcedWindow
{
    /** What {@link #bound()} answers when there is none (not {@code INTERVAL}, or configured unbounded). */
    public static final long UNBOUNDED = -1;

    private final String streamName;
    private final long bound;
    private final StoreMetrics metrics;
    private final BackPressureWarning warning;

    /** Guarded by the append lock. */
    private long written;

    /** Written by the cycle's thread: {@code limit} before {@code cycleAt}, so a reader of the new cycleAt sees it. */
    private volatile long limit;
    private volatile long cycleAt;
    /** Set by appenders, taken by the flusher before its capture: a request made after that gets the next cycle. */
    private volatile boolean cycleAsked;
    private volatile StoreException failure;
    private volatile boolean closed;
    /** Wakes the flusher; set once before it starts. */
    private volatile Runnable flusherWakeUp = () -> {};

    private final ReentrantLock roomLock = new ReentrantLock();
    private final Condition roomChanged = roomLock.newCondition();

    /**
     * @param bound bytes that may wait for a force before appends wait, or {@link #UNBOUNDED}: then
     *              {@link #hasRoom()} is always true and nothing here ever waits.
     * @param log   where the rate-limited back-pressure warning goes.
     */
    public UnforcedWindow(final String streamName, final long bound, final StoreMetrics metrics, final Logger log)
    {
        if (bound != UNBOUNDED && bound < 1)
        {
            throw new IllegalArgumentException("bound must be >= 1, or -1 for none: " + bound);
        }
        this.streamName = streamName;
        this.bound = bound;
        this.metrics = metrics;
        this.warning = new BackPressureWarning(streamName, log);
        this.limit = bound == UNBOUNDED ? Long.MAX_VALUE : bound;
        this.cycleAt = bound == UNBOUNDED ? Long.MAX_VALUE : bound / 2;
    }

    /**
     * @return the bound in bytes, or {@link #UNBOUNDED}.
     */
    public long bound()
    {
        return bound;
    }

    /**
     * Under the append lock, before writing a frame: may it be written now? Under half the bound this is one
     * volatile read and a compare. Past half it asks the flusher for a cycle (once per cycle), and past the bound it
     * answers false: the caller releases the append lock and calls {@link #awaitRoom(long)}.
     */
    public boolean hasRoom()
    {
        final long bytes = written;
        if (bytes <= cycleAt)
        {
            return true;
        }
        askForCycle();
        return bytes <= limit;
    }

    /**
     * Under the append lock, after writing a frame of {@code frameLength} bytes into a block.
     */
    public void onWritten(final int frameLength)
    {
        written += frameLength;
    }

    /**
     * @return bytes of frames written since open; read under the append lock.
     */
    public long written()
    {
        return written;
    }

    /**
     * Outside the append lock: wait until a completed force has made room for what the caller saw written, then let
     * the caller take the lock and check again (others may have filled the room meanwhile).
     *
     * @param writtenSeen {@link #written()} as the caller read it under the lock when {@link #hasRoom()} said no.
     * @throws StoreException       when a force failed (a {@code StoreIOException} naming the file when it was I/O):
     *                              nothing appended now could be made durable. Nothing was written.
     * @throws StoreClosedException when the store closed, or its flusher stopped, while this waited.
     */
    public void awaitRoom(final long writtenSeen)
    {
        final long start = System.nanoTime();
        metrics.onBackPressureWait();
        warning.maybeWarn(start, bound, metrics.forceBytesPerSecond(), metrics.backPressureWaits());
        roomLock.lock();
        try
        {
            // Every change this loop waits for (a force completed, a force failed, the store closed) is made
            // before the signal, which is sent under roomLock: a change cannot slip between a check and the await.
            while (writtenSeen > limit)
            {
                final StoreException failed = failure;
                if (null != failed)
                {
                    throw AsyncFlusher.refused("append waiting for room under maxUnforcedBytes", failed);
                }
                if (closed)
                {
                    throw new StoreClosedException(streamName);
                }
                askForCycle();
                roomChanged.awaitUninterruptibly();
            }
        }
        finally
        {
            roomLock.unlock();
            metrics.onBackPressureEnd(System.nanoTime() - start);
        }
    }

    /**
     * The store is closing (or its flusher stopped): waiting appenders fail with {@link StoreClosedException} at once,
     * rather than after the force {@code close()} is about to wait for.
     */
    public void close()
    {
        closed = true;
        signal();
    }

    void flusherWakeUp(final Runnable wakeUp)
    {
        this.flusherWakeUp = wakeUp;
    }

    /**
     * Called by the flusher before deciding whether to run a cycle: takes the appenders' request for one, if any.
     */
    boolean takeCycleRequest()
    {
        if (cycleAsked)
        {
            cycleAsked = false;
            return true;
        }
        return false;
    }

    /**
     * @return whether a request for a cycle is pending; the flusher does not park while one is.
     */
    boolean isCycleAsked()
    {
        return cycleAsked;
    }

    /**
     * Called by the cycle's thread once every force of a whole-stream cycle returned: everything captured is durable.
     *
     * @param captured {@link #written()} as the cycle's capture read it.
     */
    void onForced(final long captured)
    {
        if (bound == UNBOUNDED)
        {
            return;
        }
        limit = saturatedAdd(captured, bound);
        cycleAt = saturatedAdd(captured, bound / 2);
        signal();
    }

    /**
     * Called by the cycle's thread when a force failed: waiting appenders fail with it.
     */
    void onFailed(final StoreException cause)
    {
        failure = cause;
        signal();
    }

    private void askForCycle()
    {
        if (!cycleAsked)
        {
            cycleAsked = true;
            flusherWakeUp.run();
        }
    }

    private void signal()
    {
        roomLock.lock();
        try
        {
            roomChanged.signalAll();
        }
        finally
        {
            roomLock.unlock();
        }
    }

    private static long saturatedAdd(final long a, final long b)
    {
        final long sum = a + b;
        return sum < a ? Long.MAX_VALUE : sum;
    }
}
