package io.ferrite.store;

/**
 * A live view of a store's counters and positions, cheap enough to read at any rate: from a fill loop after every
 * append, from a gauge, from a health check. {@link StreamStore#counters()} returns it.
 * <p>
 * Each getter is one independent read of a value the store already keeps (a published position, a totals field, a
 * striped counter's sum): no histogram is copied, nothing is allocated, and no lock the appender, the flusher or a
 * state write takes is taken, so a reader never delays them and they never delay a reader. Two getters called one
 * after the other may see different moments (a {@link #msgs()} from before an append and a {@link #bytes()} from
 * after it); take {@link StreamStore#state()} when the totals must agree with each other, and
 * {@link StreamStore#stats()} or a {@link StoreStatsReader} when the latency histograms are wanted.
 * <p>
 * Threading: any number of threads. After the store is closed the view keeps answering the values it last saw; it
 * never throws {@link StoreClosedException}, so a metrics registry polling a closed stream does not log errors.
 * <p>
 * The default implementation ({@link StreamStore#counters()} for a store that does not override it) reads through
 * {@link StreamStore#stats()} and {@link StreamStore#state()} on every call, so it copies; the file and memory stores
 * override it.
 */
public interface StoreCounters
{
    /**
     * @return the last sequence assigned and visible to readers, as {@link StreamStore#lastSeq()}.
     */
    long lastSeq();

    /**
     * @return the first sequence holding a message, or {@code lastSeq() + 1} when none does, as
     * {@link StreamStore#firstSeq()}.
     */
    long firstSeq();

    /**
     * @return the highest sequence a completed force made durable, as {@link StreamStore#durableSeq()}.
     */
    long durableSeq();

    /**
     * @return messages stored, as {@link StreamState#msgs()}.
     */
    long msgs();

    /**
     * @return bytes stored, as {@link StreamState#bytes()}.
     */
    long bytes();

    /**
     * @return block files created since open, as {@link StoreStats#blocksCreated()}.
     */
    long blocksCreated();

    /**
     * @return block files opened since open, as {@link StoreStats#blockFileOpens()}.
     */
    long blockFileOpens();

    /**
     * @return bytes read from block files other than through a mapped, indexed block, as
     * {@link StoreStats#blockBytesRead()}.
     */
    long blockBytesRead();

    /**
     * @return {@code state.db} files written since open, as {@link StoreStats#fullStateWrites()}.
     */
    long fullStateWrites();

    /**
     * @return force cycles of the flusher that did I/O, as {@link StoreStats#forceCycles()}.
     */
    long forceCycles();

    /**
     * @return appends that waited for the flusher under {@code maxUnforcedBytes}, as
     * {@link StoreStats#backPressureWaits()}.
     */
    long backPressureWaits();

    /**
     * @return bytes per second the disk took over recent force cycles, or -1 before any, as
     * {@link StoreStats#forceBytesPerSecond()}.
     */
    long forceBytesPerSecond();

    /**
     * @return reclaim passes that failed since open, as {@link StoreStats#reclaimFailures()}.
     */
    long reclaimFailures();
}
