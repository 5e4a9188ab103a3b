package io.ferrite.engine.flush;

import io.ferrite.store.StoreException;

import java.util.concurrent.locks.LockSupport;

/**
 * An {@code ALWAYS}-mode appender waiting for its sequence to become durable. One per appending thread, reused for
 * every append (no allocation per commit): the thread arms it, hands it to the flusher through the request queue and
 * parks until the flusher resolves it.
 * <p>
 * Threading: {@link #arm} and reading the outcome by the owning thread; {@link #complete} / {@link #fail} by the
 * flusher thread. {@code state} is the only field written by both: the flusher writes {@code failure} before the
 * volatile store of {@code state}, and the owner reads it after the volatile load, so the failure is visible.
 */
final class CommitWaiter
{
    static final int WAITING = 0;
    static final int DURABLE = 1;
    static final int FAILED = 2;

    final Thread owner = Thread.currentThread();
    long seq;
    long appendedNanos;
    StoreException failure;
    volatile int state = DURABLE;

    void arm(final long seq, final long appendedNanos)
    {
        this.seq = seq;
        this.appendedNanos = appendedNanos;
        this.failure = null;
        this.state = WAITING;
    }

    void complete()
    {
        state = DURABLE;
        LockSupport.unpark(owner);
    }

    void fail(final StoreException cause)
    {
        failure = cause;
        state = FAILED;
        LockSupport.unpark(owner);
    }
}
