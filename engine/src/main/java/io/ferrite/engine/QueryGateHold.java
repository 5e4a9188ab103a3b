package io.ferrite.engine;

/**
 * A query's count in the read gate, given back while it waits for the append lock and taken again once it holds it.
 * A truncation holds the lock while it waits for the readers inside to leave (before it zeroes what it cut), so a
 * query counted in while queued for the lock would hold that wait up until its bound ran out, and every append with
 * it. Giving the count back there is safe: at each of a query's lock acquisitions it holds nothing read from the blocks
 * that it reads again after (each attempt of {@link StreamQueries} starts afresh from what it copies under the lock),
 * and counted in again while holding the lock, it finds only blocks and messages still in the index. A query from
 * inside one of the store's handlers stays counted in by that handler's read whatever it gives back: it takes the lock
 * as any call from there does ({@link InsideHandlerLock}).
 * <p>
 * Threading: one per query call, on the querying thread.
 */
final class QueryGateHold implements AutoCloseable
{
    private final ReadGate readGate;
    private final AppendLock appendLock;
    /** The query's name, for its refusal from inside a handler. */
    private final String query;
    /** The counter {@link ReadGate#enter()} gave, or 0 while not counted in. */
    private int counted;

    /**
     * Count the calling thread in.
     *
     * @throws io.ferrite.store.StoreClosedException when the store closes.
     */
    QueryGateHold(final ReadGate readGate, final AppendLock appendLock, final String query)
    {
        this.readGate = readGate;
        this.appendLock = appendLock;
        this.query = query;
        counted = readGate.enter();
    }

    /**
     * Take the append lock, counted out of the gate while waiting for it and in again once it is held.
     *
     * @throws IllegalStateException from inside one of the store's handlers, while a truncation holding the lock waits
     *                               for that handler ({@link AppendLock#lock(String)}).
     */
    void lockAppend()
    {
        readGate.exit(counted);
        counted = 0;
        appendLock.lock(query);
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
