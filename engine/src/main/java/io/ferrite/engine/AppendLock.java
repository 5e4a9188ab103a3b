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
 * So: {@link #lock()} — what the flusher, state writes, queries and removals call — announces the waiter before it
 * queues; appenders call {@link #lockForAppend()}, which lets an announced waiter in first by spinning while it is
 * woken, and then spins (and yields) a bounded while for it to let go: those holders keep the lock for a memory copy,
 * and a queued acquire allocates the JDK's queue node, which the append path promises not to. Behind another
 * appender, or past the bound (a holder that keeps the lock, such as an open claim, with or without a waiter
 * announced), an appender queues as on any lock; a waiter announced and already queued stays ahead of it. The cost on
 * the append path is two volatile reads.
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
     */
    void lockForAppend()
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
        super.lock();
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
