package io.ferrite.store;

import java.util.Map;

/**
 * The read half of a stream: what a reader may do without being its writer. {@link StreamStore} extends it (the
 * writer's own reads); {@code FileStreamStore.openReadOnly} returns one that follows a stream another process holds
 * open for writing, through the positions the writer publishes in a mapped file (see docs/ENGINE.md, "Reading a
 * stream from another process").
 * <p>
 * Threading: any number of threads may read concurrently; a {@link StreamTailer} is used by one thread at a time.
 * {@link #close()} must not race with calls still in flight.
 */
public interface StreamView extends AutoCloseable
{
    /**
     * @return the message at {@code seq}, or null when no message is stored there (never assigned, skipped, or lost
     * to damage detected at recovery and listed in the store's recovery report) or, in {@link SyncMode#ALWAYS} mode,
     * when it is not durable yet.
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
     * @param filter a subject filter.
     * @return for each subject matching {@code filter} that holds messages, its count and first and last sequence.
     */
    Map<String, SubjectState> subjects(String filter);

    /**
     * @return a consistent snapshot of the stream's totals, taken without the append lock: an appender never waits
     * for it (a copy that overlapped a change is retried).
     */
    StreamState state();

    /**
     * @return the last sequence assigned and visible to readers (0 for an empty new stream). Lock-free: one acquire
     * load. In {@link SyncMode#ALWAYS} mode readers see only up to {@link #durableSeq()}.
     */
    long lastSeq();

    /**
     * @return the highest sequence a completed force made durable (with everything before it). Lock-free. A
     * {@link StreamStore#truncate} lowers it to the truncation point.
     */
    long durableSeq();

    /**
     * @return the first sequence holding a message, or {@code lastSeq() + 1} when none does. Lock-free; as of a
     * moment during the call.
     */
    long firstSeq();

    /**
     * Follow the stream from {@code fromSeq} on (see {@link StreamTailer}).
     *
     * @param fromSeq in {@code [1, lastSeq() + 1]}: the first sequence the tailer may hand over.
     * @throws IllegalArgumentException when {@code fromSeq} is outside that range.
     */
    StreamTailer createTailer(long fromSeq);

    /**
     * As {@link #createTailer(long)}; with {@code durableOnly} the tailer hands over nothing beyond
     * {@link #durableSeq()}: for replicas, and for consumers that must never act on a message a power cut can take
     * back.
     */
    StreamTailer createTailer(long fromSeq, boolean durableOnly);

    /**
     * Release what this view holds. Idempotent.
     */
    @Override
    void close();
}
