package io.ferrite.memory;

import io.ferrite.store.StoreCounters;

/**
 * The positions and totals a {@link MemoryStreamStore} publishes after each write, for its lock-free
 * {@code lastSeq()}, {@code firstSeq()}, {@code durableSeq()} and {@code counters()}. The store writes them under its
 * write lock, just before releasing it; readers load them without the lock. The block, force and state-file counters
 * of the file store have nothing to count here and answer 0 (the force rate -1, "unknown", as before any force).
 * <p>
 * Threading: one writer at a time (the holder of the store's write lock); any number of readers. Each field is its own
 * volatile: a reader may see the last sequence of one write and the message count of the next.
 */
final class MemoryCounters implements StoreCounters
{
    private volatile long lastSeq;
    private volatile long firstSeq = 1;
    private volatile long msgs;
    private volatile long bytes;

    /**
     * Publish the state a write left; under the store's write lock.
     */
    void publish(final long firstSeq, final long lastSeq, final long msgs, final long bytes)
    {
        this.firstSeq = firstSeq;
        this.msgs = msgs;
        this.bytes = bytes;
        this.lastSeq = lastSeq;
    }

    @Override
    public long lastSeq()
    {
        return lastSeq;
    }

    @Override
    public long firstSeq()
    {
        return firstSeq;
    }

    /**
     * @return the last sequence: nothing is more durable than the heap here.
     */
    @Override
    public long durableSeq()
    {
        return lastSeq;
    }

    @Override
    public long msgs()
    {
        return msgs;
    }

    @Override
    public long bytes()
    {
        return bytes;
    }

    @Override
    public long blocksCreated()
    {
        return 0;
    }

    @Override
    public long blockFileOpens()
    {
        return 0;
    }

    @Override
    public long blockBytesRead()
    {
        return 0;
    }

    @Override
    public long fullStateWrites()
    {
        return 0;
    }

    @Override
    public long forceCycles()
    {
        return 0;
    }

    @Override
    public long backPressureWaits()
    {
        return 0;
    }

    @Override
    public long forceBytesPerSecond()
    {
        return -1;
    }

    @Override
    public long reclaimFailures()
    {
        return 0;
    }

    @Override
    public String toString()
    {
        return "StoreCounters{lastSeq=" + lastSeq + ", firstSeq=" + firstSeq + ", msgs=" + msgs + ", bytes=" + bytes +
            '}';
    }
}
