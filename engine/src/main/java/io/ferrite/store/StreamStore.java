package io.ferrite.store;

import java.util.concurrent.CompletableFuture;

/**
 * An append-only stream of sequenced messages.
 * <p>
 * Threading: appends ({@link #append}, {@link #appendAt}, {@link #skip}) are serialized by the store and may be called
 * from any thread. Any number of threads may read ({@link #load}, {@link #read}, {@link #loadNext}, {@link #loadLast},
 * {@link #state}) concurrently with appends; a reader only ever sees fully written records. {@link #close()} must not
 * race with calls still in flight on other threads: it waits for none of them.
 */
public interface StreamStore extends AutoCloseable
{
    /**
     * Append a message with the next sequence and the current time.
     *
     * @param subject a subject of dot-separated tokens without wildcards or white space, e.g. {@code orders.eu.new}.
     * @param headers opaque header bytes, may be empty or null for none.
     * @param payload opaque payload bytes, may be empty.
     * @return the sequence assigned, starting at 1.
     */
    long append(String subject, byte[] headers, byte[] payload);

    /**
     * Append a message at an explicit sequence and time, as a replica does. Sequences between the last one and
     * {@code seq} become gaps.
     *
     * @param seq            must be greater than {@link StreamState#lastSeq()}.
     * @param timestampNanos epoch nanos; not earlier than the last message's time.
     */
    void appendAt(long seq, long timestampNanos, String subject, byte[] headers, byte[] payload);

    /**
     * Reserve the next sequence without storing a message. The gap survives close and crash.
     *
     * @return the sequence reserved.
     */
    long skip();

    /**
     * @return the message at {@code seq}, or null when no message is stored there (never assigned, skipped, or lost
     * to damage detected at recovery and listed in {@link #recoveryReport()}).
     * @throws CorruptRecordException when the record is present but its checksum no longer verifies.
     */
    StoredMessage load(long seq);

    /**
     * @param filter  a subject filter: {@code *} matches one token, a final {@code >} one or more tokens.
     * @param fromSeq the first sequence to consider.
     * @return the first message at or after {@code fromSeq} whose subject matches, or null.
     */
    StoredMessage loadNext(String filter, long fromSeq);

    /**
     * @param subject a subject, or a filter with wildcards.
     * @return the last message whose subject matches, or null.
     */
    StoredMessage loadLast(String subject);

    /**
     * Zero-copy read: hands the handler a flyweight over the mapped record after its checksum verified.
     *
     * @return true when a message was found and handed over, false when no message is stored at {@code seq}.
     * @throws CorruptRecordException when the record is present but its checksum no longer verifies.
     */
    boolean read(long seq, MessageHandler handler);

    /**
     * @return a consistent snapshot of the stream's totals.
     */
    StreamState state();

    /**
     * Write {@code state.db} from memory: a copy of the off-heap block index and per-subject state into one small file
     * (temp, fsync, rename, directory fsync). Never opens or reads a block file, and holds the append lock only while
     * copying memory.
     */
    void writeFullState();

    /**
     * Make everything appended so far durable.
     *
     * @return a future completed with the highest sequence known durable, or failed when forcing failed.
     */
    CompletableFuture<Long> flush();

    /**
     * @return counters and latency histograms, including what touched block files.
     */
    StoreStats stats();

    /**
     * @return what recovery found when this store was opened: how the state was obtained and what was lost.
     */
    RecoveryReport recoveryReport();

    /**
     * Force outstanding data, write the full state and release the files. Idempotent.
     */
    @Override
    void close();
}
