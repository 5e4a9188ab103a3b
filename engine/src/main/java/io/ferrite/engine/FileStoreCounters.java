package io.ferrite.engine;

import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StoreCounters;

/**
 * {@link StoreCounters} of a {@link FileStreamStore}, read straight from where the engine keeps them: positions are
 * acquire loads of {@link StreamPositions} (what {@code lastSeq()} and tailers read), message and byte totals opaque
 * loads of the {@link StreamIndex} fields the appender writes, and the rest LongAdder sums and volatile fields of
 * {@link StoreMetrics}. No getter copies a histogram or takes the append lock, the flusher's monitors or the metrics
 * monitor; none allocates.
 * <p>
 * Threading: any thread. Nothing here checks whether the store is open: after close the positions and counters keep
 * the values they had, which is what a registry polling a closed stream should see.
 */
final class FileStoreCounters implements StoreCounters
{
    private final StreamIndex index;
    private final StreamPositions positions;
    private final StoreMetrics metrics;

    FileStoreCounters(final StreamIndex index, final StoreMetrics metrics)
    {
        this.index = index;
        this.positions = index.positions();
        this.metrics = metrics;
    }

    @Override
    public long lastSeq()
    {
        return positions.lastSeq();
    }

    @Override
    public long firstSeq()
    {
        return positions.firstSeq();
    }

    @Override
    public long durableSeq()
    {
        return positions.durableSeq();
    }

    @Override
    public long msgs()
    {
        return index.msgsOpaque();
    }

    @Override
    public long bytes()
    {
        return index.bytesOpaque();
    }

    @Override
    public long blocksCreated()
    {
        return metrics.blocksCreated();
    }

    @Override
    public long blockFileOpens()
    {
        return metrics.blockFileOpens();
    }

    @Override
    public long blockBytesRead()
    {
        return metrics.blockBytesRead();
    }

    @Override
    public long fullStateWrites()
    {
        return metrics.fullStateWrites();
    }

    @Override
    public long forceCycles()
    {
        return metrics.forceCycles();
    }

    @Override
    public long backPressureWaits()
    {
        return metrics.backPressureWaits();
    }

    @Override
    public long forceBytesPerSecond()
    {
        return metrics.forceBytesPerSecond();
    }

    @Override
    public long reclaimFailures()
    {
        return metrics.reclaimFailures();
    }

    @Override
    public String toString()
    {
        return "StoreCounters{lastSeq=" + lastSeq() + ", durableSeq=" + durableSeq() + ", msgs=" + msgs() +
            ", bytes=" + bytes() + ", blocksCreated=" + blocksCreated() + ", forceCycles=" + forceCycles() + '}';
    }
}
