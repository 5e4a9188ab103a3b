package io.ferrite.store;

/**
 * {@link StoreCounters} for a store that keeps no cheap view of its own: every getter asks {@link StreamStore#stats()}
 * or {@link StreamStore#state()}, which copy. It keeps other implementations of the SPI compiling and correct; the
 * file and memory stores answer from their own fields instead.
 */
final class StatsCounters implements StoreCounters
{
    private final StreamStore store;

    StatsCounters(final StreamStore store)
    {
        this.store = store;
    }

    @Override
    public long lastSeq()
    {
        return store.lastSeq();
    }

    @Override
    public long firstSeq()
    {
        return store.firstSeq();
    }

    @Override
    public long durableSeq()
    {
        return store.durableSeq();
    }

    @Override
    public long msgs()
    {
        return store.state().msgs();
    }

    @Override
    public long bytes()
    {
        return store.state().bytes();
    }

    @Override
    public long blocksCreated()
    {
        return store.stats().blocksCreated();
    }

    @Override
    public long blockFileOpens()
    {
        return store.stats().blockFileOpens();
    }

    @Override
    public long blockBytesRead()
    {
        return store.stats().blockBytesRead();
    }

    @Override
    public long fullStateWrites()
    {
        return store.stats().fullStateWrites();
    }

    @Override
    public long forceCycles()
    {
        return store.stats().forceCycles();
    }

    @Override
    public long backPressureWaits()
    {
        return store.stats().backPressureWaits();
    }

    @Override
    public long forceBytesPerSecond()
    {
        return store.stats().forceBytesPerSecond();
    }

    @Override
    public long reclaimFailures()
    {
        return store.stats().reclaimFailures();
    }
}
