package io.ferrite.store;

/**
 * Told what happens to a stream as it happens ({@link StreamStore#addListener}); every method has an empty default,
 * so a listener overrides only what it needs.
 * <p>
 * Threading — each callback runs on the thread that caused it, in the order the store applied the changes:
 * <ul>
 *   <li>{@link #onAppended}, {@link #onRemoved}, {@link #onRemovedRange} and {@link #onTruncated}: on the thread
 *   calling the store ({@code append}, {@code remove}, ...), or the store's reclaim thread for {@code maxAge}
 *   retention, <em>while it holds the append lock</em>, once the change is made (in {@link SyncMode#ALWAYS} mode an
 *   appended message is not yet durable then, so readers do not see it yet);</li>
 *   <li>{@link #onDurable} and {@link #onFailure}: on the store's flusher thread, after a force, with no lock of the
 *   store held. A truncation on another thread may be told ({@link #onTruncated}) while an {@link #onDurable} of the
 *   force before it is on its way: that {@code onDurable} speaks of the timeline before the cut. The memory store
 *   calls {@link #onDurable} on the appending thread, under its write lock, right after {@link #onAppended}.</li>
 * </ul>
 * So a callback must be short and must not call the store's writing methods, {@code flush()} or {@code close()}
 * (a deadlock or a stall of every appender): hand the event to a queue. Reads ({@code load}, {@code read},
 * tailers) are fine. A callback that throws is logged at error level, naming the listener and the event, and stays
 * registered; the store's operation is not affected (the append, removal or force has happened).
 */
public interface StreamListener
{
    /**
     * A message was appended.
     *
     * @param seq   its sequence.
     * @param bytes its subject, headers and payload lengths added up.
     */
    default void onAppended(final long seq, final int bytes)
    {
    }

    /**
     * The message at {@code seq} was removed ({@code remove}, {@code erase}, a filtered purge, retention).
     */
    default void onRemoved(final long seq)
    {
    }

    /**
     * Every message in {@code [fromSeq, toSeq]} was removed at once ({@code purge()}, {@code compact}, {@code maxAge}
     * retention); sequences in the range that held no message are included.
     */
    default void onRemovedRange(final long fromSeq, final long toSeq)
    {
    }

    /**
     * The stream was truncated: every sequence above {@code seq} is gone and will be assigned again.
     */
    default void onTruncated(final long seq)
    {
    }

    /**
     * A completed force made every sequence up to {@code seq} durable; called when the durable sequence moves up.
     */
    default void onDurable(final long seq)
    {
    }

    /**
     * A force failed: no further append can be made durable until the store is reopened.
     */
    default void onFailure(final StoreException failure)
    {
    }
}
