package io.ferrite.store;

/**
 * One consumer's view of a store's latency histograms: each {@link #read()} answers the counters and cumulative
 * histograms as {@link StreamStore#stats()} does, and interval histograms ({@link StoreStats#intervalHistogram}) that
 * hold what was recorded since <em>this</em> reader's previous {@code read()} (the first: since the reader was made).
 * Readers are independent of each other and of {@code stats()}: a metrics registry, a JMX console and the
 * application's own {@code stats()} calls each see whole intervals of their own, and none resets another's.
 * {@link StreamStore#newStatsReader()} makes one.
 * <p>
 * A read copies every histogram (a few tens of KiB each): read at a metrics period, not per operation; the counters
 * alone are in {@link StreamStore#counters()}.
 * <p>
 * Threading: {@code read()} may be called from any thread; calls on one reader are serialized. A reader holds no
 * resource of the store: dropping it is enough.
 */
public interface StoreStatsReader
{
    /**
     * @return counters, cumulative histograms, and the histograms of what was recorded since this reader's previous
     * read.
     */
    StoreStats read();
}
