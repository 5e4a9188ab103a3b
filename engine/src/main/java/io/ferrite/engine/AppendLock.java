package io.ferrite.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The store's append lock: non-fair, so appenders hand it to each other without a context switch, but with precedence
 * for everyone else. A non-fair lock lets a thread that releases it take it straight back, and an appender running
 * flat out does exactly that: the flusher's capture and a state write, which hold the lock for a memory copy a few
 * times a second, were measured waiting 20–175 ms for it under a single flat-out appender. A fair lock would end that
 * but turn every hand-over between appenders into a park and an unpark.
 * <p>
 * So: {@link #lock()} — what the flusher, state writes, queries and removals call (the last two through
 * {@link #lock(String)}) — announces the waiter before it queues; appenders call {@link #lockForAppend(String)}, which
 * lets an announced waiter in first by spinning while it is woken, and then spins (and yields) a bounded while for it
 * to let go: those holders keep the lock for a memory copy, and a queued acquire allocates the JDK's queue node, which
 * the append path promises not to. Behind another appender, or past the bound (a holder that keeps the lock, such as
 * an open claim, with or without a waiter announced), an appender queues as on any lock; a waiter announced and
 * already queued stays ahead of it. The cost on the append path is two volatile reads.
 * <p>
 * A caller inside one of the store's read or tailer handlers is never queued: it tries the lock, and is refused once
 * a truncation holding the lock waits for that handler ({@link InsideHandlerLock}). Whether the caller is inside a
 * handler is asked only once the lock was found not free ({@link #lockForAppend} after its spin,
 * {@link #lock(String)} after one try), so an append that finds it free pays nothing for it.
 * <p>
 * Threading: any thread; re-entrant like {@link ReentrantLock}.
 */
final class AppendLock extends ReentrantLock
{
    private static final long serialVersionUID = 1L;
    /** About the wake-up of a parked thread on Linux (tens of microseconds) in spin-wait hints. */
    private static final int SPINS_BEFORE_YIELD = 1_000;
    /** Spins and then yields (a few hundred microseconds) before an appender queues behind a holder. */
    private static final int SPINS_BEFORE_QUEUEING = SPINS_BEFORE_YIELD + 100;

    /** Threads in {@link #lock()} that do not hold the lock yet. */
    private final AtomicInteger announced = new AtomicInteger();
    /** A thread that took the lock through {@link #lock()} holds it (not an appender): worth a short spin. */
    private volatile boolean heldByLock;
    /** Tells a caller inside one of the store's handlers; null until the store's reader exists (none runs before). */
    private transient volatile InsideHandlerLock handlers;

    /**
     * Set once the store's read side exists, before the store is handed out.
     */
    void handlers(final InsideHandlerLock handlers)
    {
        this.handlers = handlers;
    }

    /**
     * Take the lock ahead of appenders: they wait while this thread is queued for it.
     */
    @Override
    public void lock()
    {
        if (isHeldByCurrentThread())
        {
            super.lock();
            return;
        }
        announced.incrementAndGet();
        try
        {
            super.lock();
            heldByLock = true;
        }
        finally
        {
            announced.decrementAndGet();
        }
    }

    /**
     * As {@link #lock()}, for {@code operation}, a call of the application that may come from inside one of the
     * store's read or tailer handlers (a removal, a query): from there the lock is tried, never queued for.
     *
     * @throws IllegalStateException from inside a handler, once a truncation holding the lock waits for it; the lock
     *                               is not held then.
     */
    void lock(final String operation)
    {
        if (isHeldByCurrentThread())
        {
            super.lock();
            return;
        }
        if (tryLock() || lockedInsideHandler(operation))
        {
            heldByLock = true;
            return;
        }
        lock();
    }

    @Override
    public void unlock()
    {
        if (heldByLock && getHoldCount() == 1 && isHeldByCurrentThread())
        {
            heldByLock = false;
        }
        super.unlock();
    }

    /**
     * Take the lock for an append, after any thread announced in {@link #lock()} got it; while such a thread waits for
     * it or holds it, spin and then yield a bounded while before queueing (see the class comment).
     *
     * @param operation the application's call appending, named should it be refused.
     * @throws IllegalStateException from inside one of the store's handlers, once a truncation holding the lock waits
     *                               for it; the lock is not held then.
     */
    void lockForAppend(final String operation)
    {
        if (isHeldByCurrentThread())
        {
            super.lock();
            return;
        }
        // Bounded whoever holds the lock: behind a claim, held for as long as its caller encodes, an announced waiter
        // cannot get in either, and appenders that spun until it did burnt a core each for the whole claim. Queued,
        // they wait behind the announced waiter, which keeps its precedence.
        for (int spins = 0; spins < SPINS_BEFORE_QUEUEING; spins++)
        {
            if (announced.get() == 0)
            {
                if (tryLock())
                {
                    return;
                }
                if (!heldByLock)
                {
                    break;
                }
            }
            // An announced waiter is being woken, or holds the lock for a copy: spin through that. Should it keep
            // the lock long, stop burning the core it and the holder need.
            if (spins < SPINS_BEFORE_YIELD)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
        }
        if (!lockedInsideHandler(operation))
        {
            super.lock();
        }
    }

    /**
     * The lock is not free: when this thread is inside one of the store's handlers, take it as one must from there
     * (see {@link InsideHandlerLock}).
     *
     * @return whether this thread is inside a handler and now holds the lock; false, not holding it, when outside.
     */
    private boolean lockedInsideHandler(final String operation)
    {
        final InsideHandlerLock inside = handlers;
        if (null == inside || !inside.insideHandler())
        {
            return false;
        }
        inside.lockInsideHandler(this, operation);
        return true;
    }

    /**
     * @return the thread holding the lock, or null: for telling a holder that ended (a claim it never finished) from
     * one that will let go.
     */
    Thread owner()
    {
        return getOwner();
    }
}
