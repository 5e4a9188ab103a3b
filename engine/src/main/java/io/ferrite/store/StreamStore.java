package io.ferrite.store;

import org.agrona.DirectBuffer;

import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.util.List;
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
public interface StreamStore extends StreamView
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
     * @throws IllegalStateException         when this thread holds an open {@link MessageClaim} of this store, or
     *                                       calls from inside one of its {@link MessageHandler}s while a truncation
     *                                       waits for that handler (see there): nothing was written.
     */
    long append(String subject, byte[] headers, byte[] payload);

    /**
     * Validate {@code subject} once, for the zero-allocation appends. Keep the handle: it is meant to be made at
     * start-up and used for every append under that subject.
     *
     * @param subject a subject of dot-separated tokens without wildcards or white space, as for {@link #append}.
     * @return a handle usable with this store instance only.
     * @throws IllegalArgumentException naming the subject and the rule it breaks.
     * @throws StoreClosedException     when the store is closed (after the subject is checked).
     */
    SubjectHandle subject(String subject);

    /**
     * Append a message whose headers and payload are copied from {@code headers} and {@code payload} (on-heap or
     * off-heap buffers), with the next sequence and the current time. Behaves as {@link #append(String, byte[],
     * byte[])} in every other respect (durability, errors), and allocates nothing in steady state.
     *
     * @param subject       a handle from {@link #subject(String)} of this store.
     * @param headers       the buffer holding the headers; may be null when {@code headersLength} is 0.
     * @param headersOffset where the headers start in {@code headers}.
     * @param headersLength header bytes, 0 for none.
     * @param payload       the buffer holding the payload.
     * @param payloadOffset where the payload starts in {@code payload}.
     * @param payloadLength payload bytes, may be 0.
     * @return the sequence assigned.
     * @throws IllegalArgumentException when the handle is null or from another store, a length is negative, a range
     *                                  lies outside its buffer, or headers + payload exceed {@code maxMsgSize}.
     * @throws IllegalStateException    when this thread holds an open {@link MessageClaim} of this store.
     */
    long append(
        SubjectHandle subject, DirectBuffer headers, int headersOffset, int headersLength,
        DirectBuffer payload, int payloadOffset, int payloadLength);

    /**
     * Claim space for a message of {@code headersLength + payloadLength} bytes under {@code subject}, for the caller
     * to encode straight into it (in the block itself for a plaintext stream; in a staging buffer sealed at commit for
     * an encrypted one), then {@link MessageClaim#commit()} or {@link MessageClaim#abort()}.
     * <p>
     * The store's append lock is held from this call until the claim is committed or aborted: other threads' appends,
     * removals, flush captures and state writes wait, and this thread may make no other append, claim or removal on
     * this store meanwhile, nor any call that waits for a force or for a removal in progress — {@link #flush()},
     * {@link #writeFullState()}, {@link #updateLimits}, {@link #snapshot}: each throws an
     * {@link IllegalStateException} at once and changes nothing ({@code flush()} too, rather than return a future
     * that cannot complete before the claim ends). An aborted claim leaves no message and consumes no sequence: the
     * next append takes the sequence the claim was given. A claim never committed — aborted, or cut short by a crash
     * or a power loss — leaves no record: the record header is written only at commit, and until then the block holds
     * zeros where it starts, which recovery reads as the end of the data.
     * <p>
     * Only the claiming thread can end a claim, so end it in a {@code finally} block: a thread that ends with its claim
     * open leaves the append lock held for good (no other thread can release it), every other writer of the store
     * waits for ever, and {@link #close()} from another thread throws a {@link StoreException} naming that thread
     * rather than wait too. Nothing of such a claim was published: after a restart the stream is as it was before it.
     * <p>
     * Waits, as appends do, while {@code maxUnforcedBytes} are unforced ({@link SyncMode#INTERVAL}); applies the
     * stream's limits as an append would (a {@link Discard#NEW} refusal is thrown here, before anything is claimed).
     *
     * @param claim a claim that is not open; reused for every claim.
     * @return the sequence the message takes when committed.
     * @throws IllegalArgumentException when the handle is null or from another store, a length is negative, or
     *                                  headers + payload exceed {@code maxMsgSize}.
     * @throws IllegalStateException    when {@code claim} is still open, or this thread already holds an open claim of
     *                                  this store.
     * @throws StoreClosedException     when the store is closed.
     */
    long tryClaim(SubjectHandle subject, int headersLength, int payloadLength, MessageClaim claim);

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
     * Reserve {@code count} sequences from {@code fromSeq} on without storing messages, as one step (NATS's
     * {@code SkipMsgs}): a replica catching up past sequences its leader no longer holds. The last sequence becomes
     * {@code fromSeq + count - 1}; an empty stream's first sequence follows it. The gap survives close and crash.
     *
     * @param fromSeq must be the next sequence, {@link StreamState#lastSeq()} + 1.
     * @param count   at least 1, and {@code fromSeq + count - 1} at most 2^62 - 1.
     * @return the last sequence reserved, {@code fromSeq + count - 1}.
     * @throws IllegalArgumentException   when {@code fromSeq} is not the next sequence or {@code count} is below 1.
     * @throws SequenceExhaustedException when the range would pass the highest sequence a stream may assign.
     */
    long skip(long fromSeq, long count);

    /**
     * The newest message at or before {@code seq} whose subject matches (NATS's {@code LoadPrevMsg} with a filter): a
     * consumer walking the stream backwards.
     *
     * @param filter a subject filter.
     * @param seq    the last sequence to consider, at least 1; a sequence past the last one means the whole stream.
     * @return the message, or null when none matches at or before {@code seq}.
     */
    StoredMessage loadPrev(String filter, long seq);

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
     * so its content cannot be recovered from the disk. The overwrite waits until every read and tailer poll that was
     * inside when the message was removed has returned: their handlers may be reading those very bytes.
     *
     * @throws IllegalStateException in the file store, when called from inside one of this store's read or tailer
     *                               handlers (the overwrite would wait for that handler), before anything changed:
     *                               erase once the handler returned.
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
     * {@code seq + 1} again (a replica rolling back to its leader). The file store zeroes the cut records' bytes in the
     * block it cuts only once every read and tailer poll that was inside when they were cut has returned: their
     * handlers may be reading those very bytes.
     *
     * @param seq in [0, lastSeq].
     * @throws IllegalStateException when called from inside one of this store's read or tailer handlers (the file
     *                               store would wait for that handler, the memory store for its read lock), before
     *                               anything changed: truncate once the handler returned.
     */
    void truncate(long seq);

    /**
     * Replace the stream's retention limits while it runs, and apply them at once: a tighter limit removes the oldest
     * messages (of the stream, or of a subject) before this returns, whatever the discard policy, and the next append
     * is checked against the new limits. The limits hold for this open store; a reopen takes the limits of the config
     * it is given, as it always does.
     *
     * @param limits the new limits.
     */
    void updateLimits(StreamLimits limits);

    /**
     * @return the retention limits in force: those of the config the store was opened with, or the last
     * {@link #updateLimits} since.
     */
    StreamLimits limits();

    /**
     * @return how many messages at or after {@code fromSeq} have a subject matching {@code filter}.
     */
    long numPending(long fromSeq, String filter);

    /**
     * The count, first and last sequence of the messages at or after {@code fromSeq} whose subject matches (NATS's
     * {@code FilteredState}). Counts what {@link #numPending} counts.
     *
     * @param filter  a subject filter.
     * @param fromSeq the first sequence to consider, at least 1.
     * @return the state, {@link FilteredState#NONE} when nothing matches.
     */
    FilteredState filteredState(String filter, long fromSeq);

    /**
     * @return the first sequence holding a message whose timestamp is at or after {@code time}, found from the blocks'
     * time ranges; {@code lastSeq + 1} when there is none.
     */
    long sequenceAt(Instant time);

    /**
     * Open the named tailer {@code name}, creating its cursor when there is none (it then starts at the stream's first
     * message): it resumes right after the last sequence its tailer {@link NamedTailer#ack acknowledged}, across
     * closes, crashes and power loss, as {@link NamedTailer} says. Acknowledged messages that were removed since are
     * passed over; a cursor above the stream's last sequence (a truncation cut what it acknowledged) is moved back to
     * {@code lastSeq() + 1}. In {@link SyncMode#ALWAYS} mode the tailer is durable-only, as every reader there is.
     *
     * @param name a name by {@link TailerNames}' rule.
     * @throws IllegalArgumentException naming the argument, when the name breaks the rule.
     * @throws IllegalStateException    when a tailer of this name is open already.
     * @throws CorruptFileException     naming the cursor file, when it is damaged beyond both of its slots; delete
     *                                  the cursor ({@link #deleteTailer}) to start it again.
     */
    NamedTailer createTailer(String name);

    /**
     * @return every named tailer's cursor, ordered by name.
     * @throws CorruptFileException naming the file, when a cursor file is damaged (see {@link #createTailer(String)}).
     */
    List<CursorPosition> tailers();

    /**
     * Remove the cursor {@code name} (its file, in a file store, durably).
     *
     * @return true when there was such a cursor, false when there was none.
     * @throws IllegalArgumentException when the name breaks {@link TailerNames}' rule.
     * @throws IllegalStateException    when a tailer of this name is open: close it first.
     */
    boolean deleteTailer(String name);

    /**
     * The state of consumer {@code name} (see {@link ConsumerStore}): the one open already, or the one stored, or a
     * new one, stored at once. The same name gives the same instance while this store is open.
     *
     * @param name   a name by {@link ConsumerNames}' rule.
     * @param config its ack policy; applied to a stored consumer as given.
     * @throws IllegalArgumentException naming the argument, when the name breaks the rule, or when the consumer is
     *                                  open already with another configuration.
     * @throws CorruptFileException     naming the file, when a stored consumer's state is damaged: its ack floor is
     *                                  unknown, so nothing is guessed; {@link #deleteConsumer} starts it again.
     * @throws StoreClosedException     when this store is closed.
     */
    ConsumerStore consumer(String name, ConsumerConfig config);

    /**
     * @return the names of every consumer, ascending (a damaged one too).
     */
    List<String> consumerNames();

    /**
     * Delete consumer {@code name} and its state (its file, in a file store, durably); an open {@link ConsumerStore}
     * of it refuses every later update.
     *
     * @return true when there was such a consumer.
     * @throws IllegalArgumentException when the name breaks {@link ConsumerNames}' rule.
     */
    boolean deleteConsumer(String name);

    /**
     * Register {@code listener} (see {@link StreamListener} for the thread each callback runs on). With none
     * registered the append path pays one load of an empty array.
     *
     * @return closing it unregisters the listener.
     */
    AutoCloseable addListener(StreamListener listener);

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
     *
     * @throws IllegalStateException when this thread holds an open {@link MessageClaim} of this store.
     */
    void writeFullState();

    /**
     * Make everything appended so far durable.
     *
     * @return a future completed with the highest sequence known durable, or failed when forcing failed.
     * @throws IllegalStateException when this thread holds an open {@link MessageClaim} of this store: thrown at once,
     *                               since no force can complete before the claim ends (see {@link #tryClaim}).
     */
    CompletableFuture<Long> flush();

    /**
     * A copy of every counter and histogram. The interval histograms hold what was recorded since the previous
     * {@code stats()} call on this store, whoever made it; a consumer that needs intervals of its own (a metrics
     * registry, a JMX console) takes a {@link #newStatsReader()} instead, and a caller that wants only counters or
     * positions reads {@link #counters()}, which copies nothing.
     *
     * @return counters and latency histograms, including what touched block files.
     */
    StoreStats stats();

    /**
     * The store's counters and positions as a live view whose getters copy nothing and take no lock an appender or
     * the flusher takes (see {@link StoreCounters}). The file and memory stores return one view for their lifetime.
     * <p>
     * The default answers through {@link #stats()} and {@link #state()} on every call: correct, not cheap, and in an
     * implementation whose {@code stats()} resets its intervals each call counts as one.
     *
     * @return the view; it keeps answering its last values after {@link #close()}.
     */
    default StoreCounters counters()
    {
        return new StatsCounters(this);
    }

    /**
     * A reader of the latency histograms with intervals of its own: what was recorded since its previous
     * {@link StoreStatsReader#read()}, untouched by {@link #stats()} and by any other reader.
     * <p>
     * The default subtracts successive cumulative histograms of {@link #stats()} ({@link IntervalStatsReader}); in an
     * implementation whose {@code stats()} resets its intervals each read counts as one such call. The file and memory
     * stores read their cumulative histograms without touching {@code stats()}'s interval.
     *
     * @return a new reader; it holds no resource of the store.
     */
    default StoreStatsReader newStatsReader()
    {
        return new IntervalStatsReader(this::stats);
    }

    /**
     * @return what recovery found when this store was opened: how the state was obtained and what was lost.
     */
    RecoveryReport recoveryReport();

    /**
     * Write an online backup of the stream to {@code out} while appends continue: a consistent cut at the stream's
     * last sequence when the call starts, with the removals made up to there, streamed with checksums (the layout is
     * {@code io.ferrite.format.SnapshotDescriptor}). An encrypted stream stays encrypted in the snapshot, and restoring
     * it needs the stream's key. The file store's snapshots are read back by {@code FileStreamStore.restore}.
     * <p>
     * The default refuses: a store that keeps nothing on disk (the memory store) has no files to back up.
     *
     * @param out a blocking channel; written from its current position, not closed.
     * @return the bytes written.
     * @throws UnsupportedOperationException when the store takes no snapshots.
     * @throws IllegalStateException         when this thread holds an open {@link MessageClaim} of this store; nothing
     *                                       is written.
     * @throws StoreIOException              when a file cannot be read or {@code out} cannot be written; what was
     *                                       written is no snapshot (it has no trailer).
     */
    default long snapshot(final WritableByteChannel out)
    {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " takes no snapshots: only the file " +
            "store (FileStreamStore) has files to back up");
    }

    /**
     * Force outstanding data, write the full state and release the files. Idempotent. A claim this thread holds open
     * is aborted first.
     *
     * @throws StoreException when forcing or writing failed (after a failed force, always); the files are released
     *                        anyway. Also when a claim was left open by a thread that ended (see {@link #tryClaim}):
     *                        then the message names the thread and nothing is closed or released.
     */
    @Override
    void close();
}
