package io.ferrite.store;

/**
 * A {@link StreamTailer} with a durable cursor: {@link StreamStore#createTailer(String)} resumes it after a close, a
 * crash or a power loss right after the last sequence {@link #ack acknowledged}. Delivery is at-least-once: a message
 * not acknowledged is never passed over on resumption; one acknowledged but not yet durable may be handed over again.
 * <pre>
 * try (NamedTailer orders = store.createTailer("billing"))
 * {
 *     final IdleStrategy idle = new BackoffIdleStrategy();
 *     while (running)
 *     {
 *         final int n = orders.poll(handler, 64);
 *         if (n &gt; 0)
 *         {
 *             orders.ack(orders.nextSeq() - 1); // everything handed over so far is processed
 *         }
 *         idle.idle(n);
 *     }
 * }
 * </pre>
 * When an acknowledgement is durable follows the store's {@link SyncMode}: {@code ALWAYS} before {@link #ack}
 * returns; {@code INTERVAL} by the flusher within about one sync interval; {@code NONE} when the tailer or the store
 * is closed. A cursor is never made durable past the stream's durable sequence, so a crash that takes back messages
 * cannot leave a cursor pointing beyond them.
 * <p>
 * A new cursor starts at the stream's first message; to start at the end, {@code seek(lastSeq + 1)} and acknowledge
 * {@code lastSeq}. Acknowledgements only move a cursor forward ({@link #seek} back to replay does not move it); to
 * rewind a cursor, {@link StreamStore#deleteTailer delete} it and create it again. When the acknowledged messages
 * were purged, compacted or reclaimed, the tailer resumes at the first message still stored; a
 * {@link StreamStore#truncate truncation} below a cursor moves the cursor back to the truncation point.
 * <p>
 * Only one tailer per name is open at a time, in this store; {@link #close()} releases the name. Threading: as
 * {@link StreamTailer}: one thread at a time, the one that polls.
 */
public interface NamedTailer extends StreamTailer
{
    /**
     * @return the cursor's name, as given to {@link StreamStore#createTailer(String)}.
     */
    String name();

    /**
     * @return the last sequence acknowledged (in memory: it may not be durable yet), 0 when none was.
     */
    long ackedSeq();

    /**
     * Acknowledge every message up to and including {@code seq}: after a close or a crash the tailer resumes at
     * {@code seq + 1} (or later, when those messages are gone). Acknowledging a sequence at or below
     * {@link #ackedSeq()} does nothing: a cursor moves only forward. An acknowledgement above a truncation this
     * tailer has not polled yet counts only up to the truncation point: the messages it named are gone.
     *
     * @param seq in {@code [1, nextSeq() - 1]}: a message handed over, or a sequence passed (by poll or seek).
     * @throws IllegalArgumentException when {@code seq} is below 1 or was not handed over or passed yet.
     * @throws IllegalStateException    when this tailer is closed.
     * @throws StoreClosedException     when the store is closed.
     * @throws StoreIOException         in {@code ALWAYS} mode, when writing or forcing the cursor file failed: the
     *                                  acknowledgement holds in memory, and may not be durable.
     */
    @Override
    void ack(long seq);

    /**
     * Stop following and release the name; the cursor is written to its file (and forced), as far as the stream is
     * durable. Idempotent.
     *
     * @throws StoreIOException when writing the cursor failed; the tailer is closed all the same.
     */
    @Override
    void close();
}
