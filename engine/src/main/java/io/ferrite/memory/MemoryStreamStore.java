package io.ferrite.memory;

import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CursorPosition;
import io.ferrite.store.FilteredState;
import io.ferrite.store.ListenerSet;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageRules;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerNames;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.SequenceExhaustedException;
import io.ferrite.store.IntervalStatsReader;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreCounters;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoreStatsReader;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamListener;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SubjectHandle;
import io.ferrite.store.SubjectRules;
import io.ferrite.store.SubjectState;
import io.ferrite.store.TailerNames;
import org.agrona.AsciiSequenceView;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link StreamStore} on the heap, with no files and no threads of its own: the file store's semantics (sequences,
 * limits and discard policies, subjects and filters, removals, purge, compact, truncate, skips, {@code appendAt})
 * without its durability. Nothing survives {@link #close()}; {@link #flush()} completes at once, and
 * {@link #recoveryReport()} reports a new stream. Settings about files ({@code blockSize}, the sync mode, an
 * encryption key) are accepted and have no effect: nothing reaches a disk.
 * <pre>
 * try (StreamStore store = MemoryStreamStore.create(StreamConfig.builder("quotes").maxMsgs(10_000).build()))
 * {
 *     long seq = store.append("quotes.eu", null, payload);
 * }
 * </pre>
 * {@code maxAge} is applied whenever the store is next called (no timer thread): a message past its age is never
 * returned, counted or listed.
 * <p>
 * Followers: tailers poll under the read lock and see every message once the append returned; nothing is more durable
 * than the heap here, so {@link #durableSeq()} is the last sequence, a durable-only tailer sees what any tailer sees,
 * and listeners hear {@link StreamListener#onDurable} at the end of each append, on the appending thread, in sequence
 * order with {@link StreamListener#onTruncated}. A claim ({@link #tryClaim}) is the record itself, encoded in place and
 * inserted at commit; it holds the write lock meanwhile, so, unlike the file store's, an open claim also holds off
 * readers and tailers on other threads until it is committed or aborted: keep claims short.
 * <p>
 * Threading: a read-write lock. Appends and removals are serialized; any number of threads read at once. Every
 * listener call is made under the write lock, by the thread that changed the stream: a listener may read the store,
 * and should hand anything slow to another thread. A {@link MessageHandler} runs under the read lock, so it must not
 * write to the store it reads, nor close it (both refused with an {@link IllegalStateException} rather than
 * deadlocking); a thread holding an open claim must not poll or read with a handler either. {@link #close()} aborts an
 * open claim of the closing thread and must not race with calls in flight.
 */
public final class MemoryStreamStore implements StreamStore
{
    private static final RecoveryReport NOTHING_TO_RECOVER = new RecoveryReport(RecoveryReport.Outcome.NEW_STREAM,
        "memory store: nothing kept between runs", List.of(), 0, 0, 0);
    private static final byte[] NO_HEADERS = new byte[0];
    private static final Logger LOG = LoggerFactory.getLogger(MemoryStreamStore.class);

    private final StreamConfig config;
    private final MemoryMessages messages = new MemoryMessages();
    private final MemoryLookups lookups = new MemoryLookups(messages);
    private final ListenerSet listeners;
    private final MemoryRetention retention;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final EpochNanoClock clock = new OffsetEpochNanoClock();
    private final ThreadLocal<MemoryViews> views = ThreadLocal.withInitial(MemoryViews::new);
    /** When the oldest message passes {@code maxAge}; read without the lock, so readers expire only when due. */
    private volatile long nextExpiry = Long.MAX_VALUE;
    private volatile boolean closed;
    /** Sequences and totals as of the last write, for the lock-free {@link #lastSeq()}, {@link #counters()} ... */
    private final MemoryCounters counters = new MemoryCounters();

    // Under the write lock (read under the read lock by polls).
    /** The last sequence {@code onDurable} told; a truncation below it brings it down, so the next append is told. */
    private long durableTold;
    private final MemoryTruncations truncations;
    private final MemoryCursors cursors;
    private final MemoryConsumers consumers;

    // The open claim: set and cleared under the write lock, which the claiming thread holds throughout.
    private final MessageClaim.Committer claims = new Claims();
    /** Volatile for a close on another thread, which looks for a claimant that ended (see {@link #close()}). */
    private volatile Thread claimant;
    private MessageClaim openClaim;
    private UnsafeBuffer claimRecord;
    private MemorySubject claimSubject;

    private MemoryStreamStore(final StreamConfig config)
    {
        this.config = config;
        this.listeners = new ListenerSet(config.name(), (ex) -> LOG.error(ex.getMessage(), ex.getCause()));
        this.retention = new MemoryRetention(config.name(), config.limits(), messages, listeners);
        this.cursors = new MemoryCursors(config.name());
        this.truncations = new MemoryTruncations(config.name());
        this.consumers = new MemoryConsumers(config.name(), counters::lastSeq, () -> closed);
    }

    /**
     * Create an empty stream.
     *
     * @param config the stream's name, limits and {@code maxMsgSize}; the file settings are ignored.
     */
    public static MemoryStreamStore create(final StreamConfig config)
    {
        Objects.requireNonNull(config, "config");
        return new MemoryStreamStore(config);
    }

    public StreamConfig config()
    {
        return config;
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        final byte[] safeHeaders = checkMessage(subject, headers, payload);
        lockForWrite();
        try
        {
            expire();
            final long seq = nextSequence();
            add(seq, Math.max(clock.nanoTime(), messages.lastTime()), subject, safeHeaders, payload);
            return seq;
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public SubjectHandle subject(final String subject)
    {
        SubjectRules.validateSubject(subject);
        ensureOpen();
        return new MemorySubject(this, subject);
    }

    @Override
    public long append(
        final SubjectHandle subject, final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer payload, final int payloadOffset, final int payloadLength)
    {
        final MemorySubject handle = handle(subject);
        MessageRules.contentLength(config, headers, headersOffset, headersLength, payload, payloadOffset,
            payloadLength);
        lockForWrite();
        try
        {
            expire();
            final long seq = nextSequence();
            final byte[] ascii = handle.ascii();
            retention.checkRoom(handle.subject(), ascii.length + (long)headersLength + payloadLength);
            final UnsafeBuffer record = MemoryMessages.newRecord(seq, Math.max(clock.nanoTime(), messages.lastTime()),
                ascii, headersLength, payloadLength);
            if (headersLength > 0)
            {
                record.putBytes(RecordDescriptor.headersOffset(0, ascii.length), headers, headersOffset, headersLength);
            }
            record.putBytes(RecordDescriptor.payloadOffset(0, ascii.length, headersLength), payload, payloadOffset,
                payloadLength);
            insert(record, handle.subject());
            return seq;
        }
        finally
        {
            unlockWrite();
        }
    }

    /**
     * The claim is the record itself: the caller encodes into it, and commit inserts it. The write lock is held from
     * here to the commit or abort.
     */
    @Override
    public long tryClaim(
        final SubjectHandle subject, final int headersLength, final int payloadLength, final MessageClaim claim)
    {
        final MemorySubject handle = handle(subject);
        if (null == claim)
        {
            throw new IllegalArgumentException("claim must not be null");
        }
        MessageRules.contentLength(config, headersLength, payloadLength);
        if (claim.isOpen())
        {
            throw new IllegalStateException("claim is still open for sequence " + claim.sequence() +
                ": commit or abort it before claiming again");
        }
        lockForWrite();
        boolean claimed = false;
        try
        {
            expire();
            final long seq = nextSequence();
            final byte[] ascii = handle.ascii();
            retention.checkRoom(handle.subject(), ascii.length + (long)headersLength + payloadLength);
            final UnsafeBuffer record = MemoryMessages.newRecord(seq, 0, ascii, headersLength, payloadLength);
            claim.wrap(claims, seq, record, RecordDescriptor.headersOffset(0, ascii.length), headersLength,
                payloadLength);
            claimant = Thread.currentThread();
            openClaim = claim;
            claimRecord = record;
            claimSubject = handle;
            claimed = true;
            return seq;
        }
        finally
        {
            if (!claimed)
            {
                unlockWrite();
            }
        }
    }

    /**
     * Finishes this store's claims, on the claiming thread, which holds the write lock.
     */
    private final class Claims implements MessageClaim.Committer
    {
        @Override
        public long commit(final MessageClaim claim)
        {
            final UnsafeBuffer record = claimRecord;
            final MemorySubject subject = claimSubject;
            endClaim();
            try
            {
                record.putLong(RecordDescriptor.TIMESTAMP_OFFSET, Math.max(clock.nanoTime(), messages.lastTime()));
                insert(record, subject.subject());
                return claim.sequence();
            }
            finally
            {
                unlockWrite();
            }
        }

        @Override
        public void abort(final MessageClaim claim)
        {
            endClaim();
            unlockWrite();
        }

        private void endClaim()
        {
            claimant = null;
            openClaim = null;
            claimRecord = null;
            claimSubject = null;
        }
    }

    @Override
    public void appendAt(
        final long seq, final long timestampNanos, final String subject, final byte[] headers, final byte[] payload)
    {
        final byte[] safeHeaders = checkMessage(subject, headers, payload);
        if (seq > RecordDescriptor.MAX_SEQUENCE)
        {
            throw new IllegalArgumentException("seq must be <= " + RecordDescriptor.MAX_SEQUENCE +
                " (2^62 - 1, RecordDescriptor.MAX_SEQUENCE, the highest a stream may assign): " + seq);
        }
        lockForWrite();
        try
        {
            expire();
            if (seq <= messages.lastSeq())
            {
                throw new IllegalArgumentException(
                    "seq must be greater than the last sequence " + messages.lastSeq() + ": " + seq);
            }
            if (timestampNanos < messages.lastTime())
            {
                throw new IllegalArgumentException("timestampNanos must not be earlier than the last message's " +
                    messages.lastTime() + ": " + timestampNanos);
            }
            add(seq, timestampNanos, subject, safeHeaders, payload);
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public long skip()
    {
        lockForWrite();
        try
        {
            final long last = messages.lastSeq();
            if (last >= RecordDescriptor.MAX_SEQUENCE)
            {
                throw new SequenceExhaustedException(config.name(), last + 1);
            }
            messages.skipTo(last + 1);
            return last + 1;
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public long skip(final long fromSeq, final long count)
    {
        if (count < 1)
        {
            throw new IllegalArgumentException("count must be >= 1: " + count);
        }
        lockForWrite();
        try
        {
            final long next = messages.lastSeq() + 1;
            if (fromSeq != next)
            {
                throw new IllegalArgumentException("fromSeq must be the next sequence " + next + ": " + fromSeq);
            }
            if (count - 1 > RecordDescriptor.MAX_SEQUENCE - fromSeq)
            {
                throw new SequenceExhaustedException(config.name(),
                    fromSeq > RecordDescriptor.MAX_SEQUENCE ? fromSeq : RecordDescriptor.MAX_SEQUENCE + 1);
            }
            final long last = fromSeq + count - 1;
            messages.skipTo(last);
            return last;
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public StoredMessage load(final long seq)
    {
        requirePositive(seq, "seq");
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            final UnsafeBuffer record = messages.record(seq);
            return null == record ? null : toStoredMessage(record);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        SubjectRules.validateFilter(filter);
        requirePositive(fromSeq, "fromSeq");
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            final UnsafeBuffer record = lookups.next(filter, fromSeq);
            return null == record ? null : toStoredMessage(record);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        SubjectRules.validateFilter(subject);
        return loadPrevious(subject, Long.MAX_VALUE);
    }

    @Override
    public StoredMessage loadPrev(final String filter, final long seq)
    {
        SubjectRules.validateFilter(filter);
        requirePositive(seq, "seq");
        return loadPrevious(filter, seq);
    }

    private StoredMessage loadPrevious(final String filter, final long seq)
    {
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            final UnsafeBuffer record = lookups.previous(filter, seq);
            return null == record ? null : toStoredMessage(record);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * Zero-copy read: hands the handler a flyweight over the stored record. The handler runs under the read lock: it
     * may read the store, never write to it.
     */
    @Override
    public boolean read(final long seq, final MessageHandler handler)
    {
        Objects.requireNonNull(handler, "handler");
        requirePositive(seq, "seq");
        refuseUnderClaim();
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            final UnsafeBuffer record = messages.record(seq);
            if (null == record)
            {
                return false;
            }
            views.get().free().handOver(record, handler);
            return true;
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    @Override
    public boolean remove(final long seq)
    {
        return remove(seq, false);
    }

    /**
     * As {@link #remove(long)}, and overwrite the message's bytes in memory with zeros.
     */
    @Override
    public boolean erase(final long seq)
    {
        return remove(seq, true);
    }

    private boolean remove(final long seq, final boolean erase)
    {
        requirePositive(seq, "seq");
        lockForWrite();
        try
        {
            expire();
            final boolean removed = messages.remove(seq, erase);
            if (removed)
            {
                listeners.onRemoved(seq);
            }
            return removed;
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public long purge()
    {
        lockForWrite();
        try
        {
            final long first = messages.firstSeq();
            final long removed = messages.clear();
            if (removed > 0)
            {
                listeners.onRemovedRange(first, messages.lastSeq());
            }
            return removed;
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public long purge(final String filter, final long upToSeq, final long keep)
    {
        SubjectRules.validateFilter(filter);
        if (upToSeq < 0)
        {
            throw new IllegalArgumentException("upToSeq must be >= 0 (0 for no bound): " + upToSeq);
        }
        if (keep < 0)
        {
            throw new IllegalArgumentException("keep must be >= 0: " + keep);
        }
        lockForWrite();
        try
        {
            expire();
            final List<Long> matching = new ArrayList<>();
            final AsciiSequenceView subject = new AsciiSequenceView();
            messages.from(1).forEach((seq, record) ->
            {
                if (MemoryLookups.matches(filter, record, subject))
                {
                    matching.add(seq);
                }
            });
            // The newest `keep` matching messages of the stream stay, whatever the bound.
            final long removable = Math.max(0, matching.size() - keep);
            long removed = 0;
            for (int i = 0; i < removable; i++)
            {
                final long seq = matching.get(i);
                if (upToSeq != 0 && seq >= upToSeq)
                {
                    break;
                }
                if (messages.remove(seq, false))
                {
                    listeners.onRemoved(seq);
                    removed++;
                }
            }
            return removed;
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public long compact(final long seq)
    {
        requirePositive(seq, "seq");
        if (seq > RecordDescriptor.MAX_SEQUENCE + 1)
        {
            throw new IllegalArgumentException("seq must be in [1, " + (RecordDescriptor.MAX_SEQUENCE + 1) +
                "] (the sequence after RecordDescriptor.MAX_SEQUENCE, the highest a stream may assign): " + seq);
        }
        lockForWrite();
        try
        {
            long removed = 0;
            final long first = messages.firstSeq();
            final long last = messages.lastSeq();
            while (messages.msgs() > 0 && messages.firstSeq() < seq)
            {
                removed += messages.remove(messages.firstSeq(), false) ? 1 : 0;
            }
            if (removed > 0)
            {
                listeners.onRemovedRange(first, Math.min(seq - 1, last));
            }
            if (seq > messages.lastSeq() + 1)
            {
                messages.skipTo(seq - 1);
            }
            return removed;
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public void truncate(final long seq)
    {
        lockForWrite();
        try
        {
            if (seq < 0 || seq > messages.lastSeq())
            {
                throw new IllegalArgumentException("seq must be in [0, lastSeq " + messages.lastSeq() + "]: " + seq);
            }
            for (final Long above : new ArrayList<>(messages.from(seq + 1).keySet()))
            {
                messages.remove(above, false);
            }
            messages.lastSeq(seq);
            truncations.add(seq);
            // Published before the consumers are lowered: an update bounded by the published last sequence that
            // comes after the lowering can no longer name a sequence the cut took (it would with the old one).
            publish();
            cursors.onTruncated(seq);
            consumers.onTruncated(seq);
            durableTold = Math.min(durableTold, seq);
            listeners.onTruncated(seq);
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public void updateLimits(final StreamLimits limits)
    {
        Objects.requireNonNull(limits, "limits");
        lockForWrite();
        try
        {
            retention.update(limits, clock.nanoTime());
        }
        finally
        {
            unlockWrite();
        }
    }

    @Override
    public StreamLimits limits()
    {
        lock.readLock().lock();
        try
        {
            return retention.limits();
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    @Override
    public Map<String, SubjectState> subjects(final String filter)
    {
        SubjectRules.validateFilter(filter);
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            return messages.subjects(filter);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    @Override
    public long numPending(final long fromSeq, final String filter)
    {
        return filteredState(filter, fromSeq).msgs();
    }

    @Override
    public FilteredState filteredState(final String filter, final long fromSeq)
    {
        SubjectRules.validateFilter(filter);
        requirePositive(fromSeq, "fromSeq");
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            return lookups.filteredState(filter, fromSeq);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * Linear in the messages before {@code time} ({@link MemoryLookups#sequenceAt}).
     */
    @Override
    public long sequenceAt(final Instant time)
    {
        Objects.requireNonNull(time, "time");
        final long nanos = time.getEpochSecond() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE :
            time.getEpochSecond() <= Long.MIN_VALUE / 1_000_000_000L ? Long.MIN_VALUE :
            time.getEpochSecond() * 1_000_000_000L + time.getNano();
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            return lookups.sequenceAt(nanos);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    @Override
    public long lastSeq()
    {
        ensureOpen();
        return counters.lastSeq();
    }

    /**
     * @return the last sequence: nothing is more durable than the heap here.
     */
    @Override
    public long durableSeq()
    {
        ensureOpen();
        return counters.lastSeq();
    }

    @Override
    public long firstSeq()
    {
        expireIfDue();
        ensureOpen();
        return counters.firstSeq();
    }

    @Override
    public StreamTailer createTailer(final long fromSeq)
    {
        return createTailer(fromSeq, false);
    }

    /**
     * @param durableOnly accepted and reported; every message here is as durable as it gets once appended.
     */
    @Override
    public StreamTailer createTailer(final long fromSeq, final boolean durableOnly)
    {
        ensureOpen();
        return new MemoryTailer(this, fromSeq, durableOnly);
    }

    /**
     * A named tailer whose position lives on the heap: it survives the tailer's close, not the store's.
     */
    @Override
    public NamedTailer createTailer(final String name)
    {
        TailerNames.validate(name);
        ensureOpen();
        final MemoryCursors.Cursor cursor = cursors.acquire(name);
        try
        {
            final long resume;
            lock.readLock().lock();
            try
            {
                ensureOpen();
                resume = Math.min(messages.lastSeq() + 1, Math.max(cursor.ackedSeq + 1, messages.firstSeq()));
            }
            finally
            {
                lock.readLock().unlock();
            }
            return new MemoryNamedTailer(this, new MemoryTailer(this, resume, false), cursor, cursors);
        }
        catch (final RuntimeException ex)
        {
            cursors.release(cursor);
            throw ex;
        }
    }

    @Override
    public List<CursorPosition> tailers()
    {
        ensureOpen();
        return cursors.list();
    }

    @Override
    public boolean deleteTailer(final String name)
    {
        TailerNames.validate(name);
        ensureOpen();
        return cursors.delete(name);
    }

    /**
     * A consumer whose state lives on the heap: gone with the store.
     */
    @Override
    public ConsumerStore consumer(final String name, final ConsumerConfig config)
    {
        ConsumerNames.validate(name);
        Objects.requireNonNull(config, "config");
        ensureOpen();
        return consumers.open(name, config);
    }

    @Override
    public List<String> consumerNames()
    {
        ensureOpen();
        return consumers.names();
    }

    @Override
    public boolean deleteConsumer(final String name)
    {
        ConsumerNames.validate(name);
        ensureOpen();
        return consumers.delete(name);
    }

    /**
     * Under the read lock, which a truncation's write lock excludes: an acknowledgement above a truncation the tailer
     * has not polled yet counts only up to the truncation point.
     */
    void ack(final MemoryTailer tailer, final MemoryCursors.Cursor cursor, final long seq)
    {
        lock.readLock().lock();
        try
        {
            ensureOpen();
            final long seen = tailer.truncationsSeen();
            cursor.raise(seen == truncations.count() ? seq : Math.min(seq, truncations.lowestSince(seen)));
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    @Override
    public AutoCloseable addListener(final StreamListener listener)
    {
        ensureOpen();
        return listeners.add(listener);
    }

    @Override
    public StreamState state()
    {
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            final long msgs = messages.msgs();
            final long firstSeq = messages.firstSeq();
            final long lastSeq = messages.lastSeq();
            return new StreamState(msgs, messages.bytes(), firstSeq, lastSeq, messages.firstTime(),
                messages.lastTime(), msgs == 0 ? 0 : lastSeq - firstSeq + 1 - msgs, messages.numSubjects());
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * Nothing to write: a memory stream keeps no state file. Refused on a thread holding an open claim, as the file
     * store's is.
     */
    @Override
    public void writeFullState()
    {
        ensureOpen();
        refuseUnderClaim();
    }

    /**
     * @return a future already completed with the last sequence: nothing is pending, and nothing is more durable than
     * the heap.
     * @throws IllegalStateException on a thread holding an open claim, as the file store's, which could not force
     *                               before the claim ends.
     */
    @Override
    public CompletableFuture<Long> flush()
    {
        refuseUnderClaim();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            return CompletableFuture.completedFuture(messages.lastSeq());
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * @return no block files and no histograms; {@code durableSeq} is the last sequence, as {@link #flush()} says.
     */
    @Override
    public StoreStats stats()
    {
        lock.readLock().lock();
        try
        {
            return new StoreStats(0, 0, 0, 0, Map.of(), Map.of(), 0, messages.lastSeq());
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * @return one view for the store's lifetime, published at the end of every write: no lock, nothing copied.
     */
    @Override
    public StoreCounters counters()
    {
        return counters;
    }

    /**
     * @return a reader of no histograms (the memory store times nothing) whose counters are read without the lock.
     */
    @Override
    public StoreStatsReader newStatsReader()
    {
        return new IntervalStatsReader(
            () -> new StoreStats(0, 0, 0, 0, Map.of(), Map.of(), 0, counters.durableSeq(), 0, -1));
    }

    /**
     * @return a new stream, nothing lost: there is never anything to recover.
     */
    @Override
    public RecoveryReport recoveryReport()
    {
        return NOTHING_TO_RECOVER;
    }

    /**
     * Drop every message. Idempotent; every later call but {@link #stats()}, {@link #recoveryReport()} and
     * {@link #limits()} throws {@link StoreClosedException}.
     *
     * @throws StoreException when a claim was left open by a thread that ended, naming it: its write lock can never be
     *                        released, so nothing is closed (as the file store's close).
     */
    @Override
    public void close()
    {
        if (lock.getReadHoldCount() > 0)
        {
            throw new IllegalStateException("stream " + config.name() + ": a MessageHandler must not close the " +
                "store it reads from");
        }
        final Thread holder = claimant;
        if (holder == Thread.currentThread())
        {
            // The claim holds the write lock taken below; like the file store's, it ends with the store.
            openClaim.abort();
        }
        else if (null != holder && !holder.isAlive() && claimant == holder)
        {
            // The holder's end happens-before isAlive() returned false, so the claimant read after it is final (the
            // claim was not ended just before the thread did), and the claim's fields are visible here.
            final long seq = claimRecord.getLong(RecordDescriptor.SEQUENCE_OFFSET);
            throw new StoreException("cannot close stream " + config.name() + ": thread '" + holder.getName() +
                "' ended with its claim of sequence " + seq + " open (neither committed nor aborted), and no other " +
                "thread can release the write lock it holds: every other call of this store waits for it too. " +
                "Commit or abort a claim in a finally block on the thread that made it", null, StoreException.UNKNOWN,
                seq);
        }
        lock.writeLock().lock();
        try
        {
            if (!closed)
            {
                closed = true;
                messages.clear();
            }
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    private void add(
        final long seq, final long timestamp, final String subject, final byte[] headers, final byte[] payload)
    {
        retention.checkRoom(subject, subject.length() + (long)headers.length + payload.length);
        messages.add(seq, timestamp, subject, headers, payload);
        appended(seq, subject);
    }

    private void insert(final UnsafeBuffer record, final String subject)
    {
        messages.insert(record, subject);
        appended(record.getLong(RecordDescriptor.SEQUENCE_OFFSET), subject);
    }

    private void appended(final long seq, final String subject)
    {
        listeners.onAppended(seq, (int)MemoryMessages.messageBytes(messages.record(seq)));
        retention.afterAppend(subject);
        nextExpiry = retention.nextExpiry();
    }

    /** Under the write lock. */
    private long nextSequence()
    {
        final long last = messages.lastSeq();
        if (last >= RecordDescriptor.MAX_SEQUENCE)
        {
            throw new SequenceExhaustedException(config.name(), last + 1);
        }
        return last + 1;
    }

    private MemorySubject handle(final SubjectHandle subject)
    {
        if (null == subject)
        {
            throw new IllegalArgumentException("subject handle must not be null");
        }
        if (!(subject instanceof MemorySubject) || ((MemorySubject)subject).owner() != this)
        {
            throw new IllegalArgumentException("subject handle for '" + subject.subject() + "' was not made by this " +
                "store of stream " + config.name() + ": use the handle its subject(String) returned");
        }
        return (MemorySubject)subject;
    }

    private byte[] checkMessage(final String subject, final byte[] headers, final byte[] payload)
    {
        SubjectRules.validateSubject(subject);
        final byte[] safeHeaders = null == headers ? NO_HEADERS : headers;
        MessageRules.contentLength(config, safeHeaders, payload);
        return safeHeaders;
    }

    private StoredMessage toStoredMessage(final UnsafeBuffer record)
    {
        return views.get().free().copy(record);
    }

    /**
     * Take the write lock of an open store. A thread inside a {@link MessageHandler} holds the read lock, and a write
     * would wait for it forever.
     */
    private void lockForWrite()
    {
        if (lock.getReadHoldCount() > 0)
        {
            throw new IllegalStateException("stream " + config.name() + ": a MessageHandler must not write to the " +
                "store it reads from");
        }
        refuseUnderClaim();
        lock.writeLock().lock();
        if (closed)
        {
            lock.writeLock().unlock();
            throw new StoreClosedException(config.name());
        }
    }

    /**
     * The claiming thread holds the write lock until it commits or aborts; anything else it writes would slip in
     * before the claimed sequence.
     */
    private void refuseUnderClaim()
    {
        if (claimant == Thread.currentThread())
        {
            throw new IllegalStateException("stream " + config.name() + ": this thread holds an open claim for " +
                "sequence " + claimRecord.getLong(RecordDescriptor.SEQUENCE_OFFSET) + " (commit or abort it first)");
        }
    }

    /**
     * Release the write lock, with the next expiry and the published sequences brought up to date by whatever the
     * call changed. Before the outermost release, listeners are told how far the stream is durable (all of it): under
     * the lock, so no truncation can come between and no {@code onDurable} is told of a sequence already cut.
     */
    private void unlockWrite()
    {
        publish();
        if (lock.getWriteHoldCount() == 1)
        {
            // A listener may append in turn (the lock is reentrant): what it added is told too.
            long last;
            while ((last = messages.lastSeq()) > durableTold)
            {
                durableTold = last;
                listeners.onDurable(last);
            }
            publish();
        }
        lock.writeLock().unlock();
    }

    private void publish()
    {
        nextExpiry = retention.nextExpiry();
        counters.publish(messages.firstSeq(), messages.lastSeq(), messages.msgs(), messages.bytes());
    }

    /**
     * One poll of {@code tailer}, under the read lock: a truncation it has not seen first, then the messages from
     * where it is.
     */
    int poll(final MemoryTailer tailer, final MessageHandler handler, final int limit)
    {
        refuseUnderClaim();
        expireIfDue();
        lock.readLock().lock();
        try
        {
            ensureOpen();
            truncations.check(tailer);
            int delivered = 0;
            for (final Map.Entry<Long, UnsafeBuffer> entry : messages.from(tailer.nextSeq()).entrySet())
            {
                if (delivered == limit)
                {
                    return delivered;
                }
                final long seq = entry.getKey();
                // The tailer stays on the message until the handler returned.
                tailer.nextSeq(seq);
                handler.onMessage(tailer.view().wrap(entry.getValue(), 0));
                tailer.nextSeq(seq + 1);
                delivered++;
            }
            // Past the end: skipped and never-assigned sequences after the last message are passed too.
            tailer.nextSeq(Math.max(tailer.nextSeq(), messages.lastSeq() + 1));
            return delivered;
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    void seek(final MemoryTailer tailer, final long seq)
    {
        lock.readLock().lock();
        try
        {
            ensureOpen();
            final long last = messages.lastSeq();
            if (seq < 1 || seq > last + 1)
            {
                throw new IllegalArgumentException("seq must be in [1, lastSeq + 1 = " + (last + 1) + "] of stream " +
                    config.name() + ": " + seq);
            }
            tailer.truncationsSeen(truncations.count());
            tailer.nextSeq(seq);
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    void seek(final MemoryTailer tailer, final Instant time)
    {
        lock.readLock().lock();
        try
        {
            ensureOpen();
            tailer.truncationsSeen(truncations.count());
            tailer.nextSeq(Math.max(1, sequenceAt(time)));
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /** Under the write lock. */
    private void expire()
    {
        if (nextExpiry != Long.MAX_VALUE)
        {
            retention.expire(clock.nanoTime());
        }
    }

    /**
     * Before a read: remove what passed {@code maxAge}, taking the write lock only when something is due.
     */
    private void expireIfDue()
    {
        final long due = nextExpiry;
        if (due != Long.MAX_VALUE && clock.nanoTime() >= due && lock.getReadHoldCount() == 0)
        {
            lock.writeLock().lock();
            try
            {
                if (!closed)
                {
                    retention.expire(clock.nanoTime());
                }
            }
            finally
            {
                unlockWrite();
            }
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(config.name());
        }
    }

    private static void requirePositive(final long seq, final String name)
    {
        if (seq < 1)
        {
            throw new IllegalArgumentException(name + " must be >= 1: " + seq);
        }
    }
}
