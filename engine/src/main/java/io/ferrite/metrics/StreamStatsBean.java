package io.ferrite.metrics;

import io.ferrite.store.StoreCounters;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoreStatsReader;
import io.ferrite.store.StreamStore;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@link StreamStatsMXBean} of one stream: counters read through the store's {@link StreamStore#counters()} on
 * each attribute read, latencies through a {@link StoreStatsReader} of its own.
 */
final class StreamStatsBean implements StreamStatsMXBean
{
    private final StreamStore store;
    private final String streamName;
    private final StoreStatsReader reader;

    StreamStatsBean(final StreamStore store, final String streamName)
    {
        this.store = store;
        this.streamName = streamName;
        this.reader = store.newStatsReader();
    }

    private StoreCounters counters()
    {
        return store.counters();
    }

    @Override
    public String getStreamName()
    {
        return streamName;
    }

    @Override
    public long getLastSeq()
    {
        return counters().lastSeq();
    }

    @Override
    public long getFirstSeq()
    {
        return counters().firstSeq();
    }

    @Override
    public long getDurableSeq()
    {
        return counters().durableSeq();
    }

    @Override
    public long getMessages()
    {
        return counters().msgs();
    }

    @Override
    public long getBytes()
    {
        return counters().bytes();
    }

    @Override
    public long getBlocksCreated()
    {
        return counters().blocksCreated();
    }

    @Override
    public long getBlockFileOpens()
    {
        return counters().blockFileOpens();
    }

    @Override
    public long getBlockBytesRead()
    {
        return counters().blockBytesRead();
    }

    @Override
    public long getFullStateWrites()
    {
        return counters().fullStateWrites();
    }

    @Override
    public long getForceCycles()
    {
        return counters().forceCycles();
    }

    @Override
    public long getBackPressureWaits()
    {
        return counters().backPressureWaits();
    }

    @Override
    public long getForceBytesPerSecond()
    {
        return counters().forceBytesPerSecond();
    }

    @Override
    public long getReclaimFailures()
    {
        return counters().reclaimFailures();
    }

    @Override
    public List<LatencySummary> getLatencies()
    {
        final StoreStats stats = reader.read();
        final List<LatencySummary> summaries = new ArrayList<>();
        for (final String name : stats.histogramNames())
        {
            summaries.add(LatencySummary.of(name, stats.intervalHistogram(name), stats.histogram(name)));
        }
        return summaries;
    }
}
