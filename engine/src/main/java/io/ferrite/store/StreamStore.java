package io.ferrite.store;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An append-only stream of sequenced messages.
 * <p>
 * Threading: appends ({@link #append}, {@link #appendAt}, {@link #skip}) are serialized by the store and may be called
 * from any thread. Any number of threads may read ({@link #load}, {@link #read}, {@link #loadNext}, {@link #loadLast},
 * {@link #state}) concurrently with appends; a reader only ever sees fully written records, and in
 * {@link SyncMode#ALWAYS} mode only durable ones ({@link #state}, {@link #subjects}, {@link #numPending} and
 * {@link #sequenceAt} count every record written, including a commit still waiting for its force). Removals
 * ({@link #remove}, {@link #erase}, the purges, {@link #compact}, {@link #truncate}) and retention are serialized with
 * appends. {@link #close()} must not
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
     * <p>
     * In {@link SyncMode#ALWAYS} mode it returns once the message is durable (a force covering it returned), and no
     * reader of this store sees it before then: {@link #load}, {@link #read}, {@link #loadNext} and {@link #loadLast}
     * see nothing beyond the durable sequence, so a reader never acts on a message whose writer is then told it
     * failed. If the force fails, the append throws {@link CommitOutcomeUnknownException}: the record was written, and
     * whether it survives a reopen is unknown (the page cache may or may not have reached the disk, and a failed
     * force cannot say which). Its {@link CommitOutcomeUnknownException#seq() seq()} is the sequence it took; after
     * reopening, {@code load(seq)} answers — compare it with what was appended before retrying, or a retry may store
     * the message twice. From then on the store refuses every append ({@link StoreIOException} "append refused",
     * nothing written) until it is reopened. In the other modes it returns as soon as the record is written, and
     * readers see it at once.
     *
     * @return the sequence assigned, starting at 1.
     * @throws SequenceExhaustedException when the last sequence is already the highest a stream may assign, 2^62 - 1.
     * @throws CommitOutcomeUnknownException in {@code ALWAYS} mode, when the record was written but its force failed.
     * @throws StoreIOException              when an earlier force failed: nothing was written.
     */
    long append(String subject, byte[] headers, byte[] payload);

    /**
     * Append a message at an explicit sequence and time, as a replica does. Sequences between the last one and
     * {@code seq} become gaps.
     *
     * @param seq            must be greater than {@link StreamState#lastSeq()} and at most 2^62 - 1
     *                       ({@code RecordDescriptor.MAX_SEQUENCE}).
     * @param timestampNanos epoch nanos; not earlier than the last message's time.
     * @throws CommitOutcomeUnknownException in {@code ALWAYS} mode, when the record was written but its force failed
     *                                       (see {@link #append}).
     */
    void appendAt(long seq, long timestampNanos, String subject, byte[] headers, byte[] payload);

    /**
     * Reserve the next sequence without storing a message. The gap survives close and crash.
     *
     * @return the sequence reserved.
     * @throws SequenceExhaustedException when the last sequence is already the highest a stream may assign, 2^62 - 1.
     */
    long skip();

    /**
     * @return the message at {@code seq}, or null when no message is stored there (never assigned, skipped, or lost
     * to damage detected at recovery and listed in {@link #recoveryReport()}) or, in {@link SyncMode#ALWAYS} mode,
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
     * Remove the message at {@code seq}. The removal is recorded in the blocks (a tombstone record), so it survives
     * close, crash and the loss of {@code state.db}; it is durable when an append made at the same moment would be
     * (at once in {@code ALWAYS} mode).
     *
     * @return true when a message was stored at {@code seq} and is now removed; false when none was.
     * @throws CommitOutcomeUnknownException in {@code ALWAYS} mode, when the tombstone was written (readers no longer
     *                                       see the message) but its force failed: the removal may or may not
     *                                       survive a reopen.
     */
    boolean remove(long seq);

    /**
     * As {@link #remove(long)}, and overwrite the message's bytes in its block file (and force them) before returning,
     * so its content cannot be recovered from the disk.
     */
    boolean erase(long seq);

    /**
     * Remove every message. The sequence continues: the next append gets {@code lastSeq + 1}.
     *
     * @return messages removed.
     */
    long purge();

    /**
     * Remove the messages whose subject matches {@code filter}, below {@code upToSeq}, except the newest {@code keep}
     * matching messages of the stream.
     *
     * @param filter  a subject filter; {@code >} for every subject.
     * @param upToSeq remove only messages with a sequence below this one (exclusive, as JetStream's purge); 0 for no
     *                bound.
     * @param keep    how many of the newest matching messages to keep, 0 for none.
     * @return messages removed.
     */
    long purge(String filter, long upToSeq, long keep);

    /**
     * Remove every message below {@code seq}. A {@code seq} past the last sequence empties the stream and makes
     * {@code seq} the next sequence assigned.
     *
     * @param seq at least 1 and at most 2^62 ({@code RecordDescriptor.MAX_SEQUENCE + 1}).
     * @return messages removed.
     */
    long compact(long seq);

    /**
     * Remove every message above {@code seq}; the stream's last sequence becomes {@code seq}, so the next append gets
     * {@code seq + 1} again (a replica rolling back to its leader).
     *
     * @param seq in [0, lastSeq].
     */
    void truncate(long seq);

    /**
     * @param filter a subject filter.
     * @return for each subject matching {@code filter} that holds messages, its count and first and last sequence.
     */
    Map<String, SubjectState> subjects(String filter);

    /**
     * @return how many messages at or after {@code fromSeq} have a subject matching {@code filter}.
     */
    long numPending(long fromSeq, String filter);

    /**
     * @return the first sequence holding a message whose timestamp is at or after {@code time}, found from the blocks'
     * time ranges; {@code lastSeq + 1} when there is none.
     */
    long sequenceAt(Instant time);

    /**
     * @return a consistent snapshot of the stream's totals.
     */
    StreamState state();

    /**
     * Write {@code state.db} from memory: a copy of the off-heap block index and per-subject state into one small file
     * (temp, fsync, rename, directory fsync). Never opens, reads or forces a block file, never waits for a block force,
     * and holds the append lock only while copying memory, so it costs about one small-file write at any load.
     * <p>
     * The state written is a recovery point: it describes only data the disk already holds. When everything appended
     * is already durable (an idle store, or after {@link #flush()} with no append since) that is the stream as it is
     * now. Otherwise it is the state as of the newest completed force — in {@link SyncMode#INTERVAL} at most about one
     * interval plus one force behind, in {@link SyncMode#ALWAYS} the last group commit — or, when no force completed
     * since the last state write, nothing is written and the call asks for a state at the next force. In
     * {@link SyncMode#NONE} nothing is forced unless asked: the call asks the flusher thread to force in the background
     * (never on the caller's thread) and writes the newest state that was made durable, so a power cut costs whatever
     * was never forced, exactly as without a state write. Recovery replays what came after the state.
     * <p>
     * Blocks neither appends (beyond the memory copy), readers, {@link #flush()} nor {@link #close()}; concurrent state
     * writes are serialized by the file write. While space reclaim or {@link #truncate} replaces block files there is
     * deliberately no {@code state.db} and the call writes nothing; the replacement writes one when it ends.
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
     *
     * @throws StoreException when forcing or writing failed (after a failed force, always); the files are released
     *                        anyway.
     */
    @Override
    void close();
}
