package io.ferrite.store;

import java.time.Instant;

/**
 * Follows a stream from a sequence on, in sequence order, as the writer appends: each {@link #poll} hands over the
 * messages published since the last one, zero-copy, as {@link StreamStore#read} does. Waiting is the caller's choice,
 * in Agrona's idiom:
 * <pre>
 * try (StreamTailer tailer = store.createTailer(1))
 * {
 *     final IdleStrategy idle = new BackoffIdleStrategy();
 *     while (running)
 *     {
 *         idle.idle(tailer.poll(handler, 64));
 *     }
 * }
 * </pre>
 * No thread of Ferrite's is involved and a poll never takes the append lock: it reads the position the writer
 * publishes (one acquire load when nothing is new), finds each record through the block's sequence table and verifies
 * its checksums (and, encrypted, its tag) before the handler sees a byte. A poll allocates nothing for a plaintext
 * stream.
 * <p>
 * Passed over without a word: sequences never assigned ({@code appendAt} gaps), skipped, removed (before the tailer
 * reached them; a removal racing with a poll may or may not be seen by it), and lost to damage that recovery found —
 * those are listed once, in {@link StreamStore#recoveryReport()}, and the store removed them. A tailer survives block
 * rolls, removals, purges, compaction and space reclaim (a block deleted or rewritten under it). A
 * {@link StreamStore#truncate truncation} that cut sequences it had delivered or passed is reported by the next poll
 * as a {@link StreamTruncatedException}, once, with the tailer already moved to the first sequence after the cut.
 * <p>
 * A durable-only tailer ({@link StreamStore#createTailer(long, boolean)}) sees nothing beyond
 * {@link StreamStore#durableSeq()}; in {@link SyncMode#ALWAYS} mode every tailer is durable-only, as every read is.
 * <p>
 * Threading: one thread at a time per tailer (a tailer is a cursor, not shared); any number of tailers per store,
 * each on its own thread. {@link #close()} and the store's close must not race with a poll in flight.
 */
public interface StreamTailer extends AutoCloseable
{
    /**
     * Hand over up to {@code limit} messages from {@link #nextSeq()} on, in sequence order. The view passed to the
     * handler is valid only inside the callback. If the handler throws, the exception propagates and the tailer
     * stays on that message: the next poll hands it over again.
     *
     * @param limit at least 1.
     * @return how many messages were handed over; 0 when nothing new is published.
     * @throws StreamTruncatedException when the stream was truncated below what this tailer delivered or passed; the
     *                                  tailer is moved to the first sequence after the cut and hands nothing over in
     *                                  this call.
     * @throws CorruptRecordException   when a record no longer verifies; the tailer stays on it ({@link #seek} past
     *                                  it to go on).
     * @throws StoreClosedException     when the store is closed.
     * @throws IllegalStateException    when this tailer is closed.
     */
    int poll(MessageHandler handler, int limit);

    /**
     * @return the sequence the next poll starts at: one after the last message handed over or passed.
     */
    long nextSeq();

    /**
     * Move to {@code seq}: the next poll starts there. A truncation before this call is not reported afterwards.
     *
     * @param seq in {@code [1, lastSeq + 1]}.
     * @throws IllegalArgumentException when {@code seq} is outside that range.
     */
    void seek(long seq);

    /**
     * Move to the first message whose timestamp is at or after {@code time} ({@link StreamStore#sequenceAt}), or to
     * {@code lastSeq + 1} when there is none.
     */
    void seek(Instant time);

    /**
     * @return whether this tailer sees only durable messages.
     */
    boolean isDurableOnly();

    /**
     * Acknowledge every message up to and including {@code seq}: a {@link NamedTailer named tailer} resumes after it.
     * An anonymous tailer ({@link StreamStore#createTailer(long)}) has no cursor to move.
     *
     * @throws UnsupportedOperationException always, for an anonymous tailer; see {@link NamedTailer#ack(long)}.
     */
    default void ack(final long seq)
    {
        throw new UnsupportedOperationException("an anonymous tailer has no cursor to acknowledge sequence " + seq +
            " on: create a named one with StreamStore.createTailer(String name)");
    }

    /**
     * Stop following; later polls fail with {@link IllegalStateException}. Idempotent.
     */
    @Override
    void close();
}
