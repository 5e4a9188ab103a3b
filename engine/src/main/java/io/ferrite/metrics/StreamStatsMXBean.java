package io.ferrite.metrics;

import java.util.List;

/**
 * A stream's statistics over JMX, registered by {@link StreamMBeans#register} under
 * {@code io.ferrite:type=Stream,name=<stream>}. Every attribute but {@link #getLatencies()} is one read of the store's
 * {@code counters()}: no copy, no lock an appender or the flusher takes, so a console may poll them at any rate.
 */
public interface StreamStatsMXBean
{
    /**
     * @return the stream name the bean was registered under.
     */
    String getStreamName();

    /**
     * @return the last sequence assigned and visible to readers.
     */
    long getLastSeq();

    /**
     * @return the first sequence holding a message, or last + 1 when none does.
     */
    long getFirstSeq();

    /**
     * @return the highest sequence a completed force made durable.
     */
    long getDurableSeq();

    /**
     * @return messages stored.
     */
    long getMessages();

    /**
     * @return bytes stored.
     */
    long getBytes();

    /**
     * @return block files created since open.
     */
    long getBlocksCreated();

    /**
     * @return block files opened since open.
     */
    long getBlockFileOpens();

    /**
     * @return bytes read from block files other than through a mapped, indexed block.
     */
    long getBlockBytesRead();

    /**
     * @return {@code state.db} files written since open.
     */
    long getFullStateWrites();

    /**
     * @return force cycles of the flusher that did I/O.
     */
    long getForceCycles();

    /**
     * @return appends that waited for the flusher under {@code maxUnforcedBytes}.
     */
    long getBackPressureWaits();

    /**
     * @return bytes per second the disk took over recent force cycles, -1 before any.
     */
    long getForceBytesPerSecond();

    /**
     * @return reclaim passes that failed since open.
     */
    long getReclaimFailures();

    /**
     * One summary per latency histogram, over the interval since the previous read of this attribute (through this
     * bean's own stats reader, so it resets neither {@code stats()} nor any other reader). Copies every histogram:
     * poll it at a monitoring period. Two consoles polling one bean share its intervals.
     *
     * @return the summaries, in the store's histogram order.
     */
    List<LatencySummary> getLatencies();
}
