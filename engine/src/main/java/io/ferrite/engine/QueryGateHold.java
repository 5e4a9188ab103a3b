package io.ferrite.engine;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A query's count in the read gate, given back while it waits for the append lock and taken again once it holds it.
 * A truncation holds the lock while it waits for the readers inside to leave (before it zeroes what it cut), so a
 * query counted in while queued for the lock would hold that wait up until its bound ran out, and every append with
 * it. Giving the count back there is safe: at each of a query's lock acquisitions it holds nothing read from the blocks
 * that it reads again after (each attempt of {@link StreamQueries} starts afresh from what it copies under the lock),
 * and counted in again while holding the lock, it finds only blocks and messages still in the index.
 * <p>
 * Threading: one per query call, on the querying thread.
 */
final class QueryGateHold implements AutoCloseable
{
    /** How often a query inside a handler tries the append lock again: the flusher's capture holds it for less. */
    private static final long HANDLER_LOCK_POLL_NANOS = 20_000;

    private final ReadGate readGate;
    private final ReentrantLock appendLock;
    private final StreamReader reader;
    /** The counter {@link ReadGate#enter()} gave, or 0 while not counted in. */
    private int counted;

    /**
     * Count the calling thread in.
     *
     * @throws io.ferrite.store.StoreClosedException when the store closes.
     */
    QueryGateHold(final ReadGate readGate, final ReentrantLock appendLock, final StreamReader reader)
    {
        this.readGate = readGate;
        this.appendLock = appendLock;
        this.reader = reader;
        counted = readGate.enter();
    }

    /**
     * Take the append lock, counted out of the gate while waiting for it and in again once it is held.
     */
    void lockAppend()
    {
        readGate.exit(counted);
        counted = 0;
        if (reader.threadContext().insideHandlers > 0)
        {
            lockInsideHandler();
        }
        else
        {
            appendLock.lock();
        }
        try
        {
            counted = readGate.enter();
        }
        catch (final RuntimeException | Error ex)
        {
            appendLock.unlock();
            throw ex;
        }
    }

    /**
     * Inside a read's or a tailer's handler the thread stays counted in the gate by that read, whatever this query
     * gives back: a truncation holding the lock while it waits for readers would wait for it until its bound ran out,
     * and then zero the records the handler holds. So the lock is not queued for here but tried, and the query refused
     * once such a wait is seen.
     */
    private void lockInsideHandler()
    {
        while (!appendLock.tryLock())
        {
            if (readGate.awaitedHoldingAppendLock())
            {
                throw new IllegalStateException("a query from inside a read or tailer handler needs the append " +
                    "lock, which a truncation holds while it waits for this handler to return: ask it outside " +
                    "the handler");
            }
            LockSupport.parkNanos(this, HANDLER_LOCK_POLL_NANOS);
        }
    }

    @Override
    public void close()
    {
        if (counted > 0)
        {
            readGate.exit(counted);
            counted = 0;
        }
    }
}
