package io.ferrite.engine.view;

import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.index.Subjects;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;
import io.ferrite.store.SubjectState;

import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link StreamView} of a stream another process holds open for writing: it maps the writer's
 * {@value PositionsDescriptor#FILE_NAME} file and the block files read-only and indexes the records it verified, up to
 * the last sequence the writer published. Nothing here opens {@code LOCK} or writes a file of the stream.
 * <p>
 * Protocol (docs/ENGINE.md, "Reading a stream from another process"): every call first {@link #refresh()}es — the
 * writer's state and epoch, its truncation count and blocks version, and its last sequence, each one acquire load, then
 * the epoch again (a writer that opened in between makes it look again). When none moved, nothing else happens. A new
 * blocks version lists {@code blocks/} again (the only system calls in steady state, once per roll or reclaim); a new
 * last sequence indexes the records added since to the blocks already indexed, each verified (checksums; an encrypted
 * message is authenticated when it is read); a truncation or a new epoch (the writer restarted) drops the index, and a
 * truncation under way (or a writer recovering) leaves the view as it is until it publishes.
 * Tombstones remove what they name from the index; sequences below the published first sequence are never shown.
 * <p>
 * The index is built lazily ({@link ViewIndex}): opening, and listing again after a restart, truncation or reclaim,
 * maps the blocks and reads their headers only; a read, a tailer or a seek indexes from the tail back to the block of
 * the sequence it needs. {@link #state()}, {@link #subjects(String)} and a tailer's {@code seek(Instant)} need totals
 * or a walk from the start, so their first call indexes the whole stream; {@link #loadNext} indexes from the block of
 * its first sequence, {@link #loadLast(String)} backward as far as it walks.
 * <p>
 * Block files are unmapped as soon as the view lets go of them (a reclaim, a truncation or a restart dropped them)
 * and at {@link #close()}, so a deleted block's disk space and page-cache memory do not wait for a garbage collection;
 * never while a call that runs a handler is under way ({@link #enterCall()}).
 * <p>
 * Threading: every call holds this view's monitor (a lock of the reading process only; the writer never waits for a
 * reader).
 */
public final class ReadOnlyStream implements StreamView
{
    /** Looks at the positions a refresh makes before it gives up on a writer that restarts at every look. */
    private static final int CONSISTENT_LOOKS = 16;
    /** No truncation to tell tailers of. */
    private static final long NOT_TRUNCATED = -1;

    private final Path dir;
    private final String name;
    private final StreamPositions positions;
    private final RecordCheck check = new RecordCheck();
    private final ViewIndex index;
    private final ViewRecords records;
    private final RewindLog rewinds = new RewindLog();

    private long seenEpoch = -1;
    private long seenTruncations;
    /** Whether the writer of {@link #seenEpoch} keeps the truncation-begun count (a writer of this layout). */
    private boolean writerKeepsBegun;
    /** Whether the writer's process runs, as last asked since the refresh: 0 not asked, 1 runs, -1 does not. */
    private int truncatorRuns;
    private long horizon;
    private long durable;
    private volatile boolean closed;
    /** Under the monitor: calls under way that run a handler ({@link #enterCall()}); no block is unmapped meanwhile. */
    private int callsInside;
    private Runnable refreshPause;
    private Runnable refreshEndPause;

    private ReadOnlyStream(final Path dir, final ViewFiles files)
    {
        this.dir = dir;
        this.name = files.metadata().name();
        this.positions = files.positions();
        this.index = new ViewIndex(
            StreamDirectory.readOnly(dir), files.crypto(), positions, check, this::writerMoved, this::lastBlockHeldTo);
        this.records = new ViewRecords(index, positions, check, this::writerMoved);
    }

    /**
     * Open the stream in {@code dir} read-only: the stream's files are checked and its blocks mapped, their headers
     * read; no record is indexed until a call needs it.
     *
     * @param key the caller's key of an encrypted stream, null for a plaintext one; not modified.
     * @throws StoreException naming the path when the directory is missing, holds no stream, has no published
     *                        positions, its writer is still recovering, or the key is missing or wrong.
     */
    public static ReadOnlyStream open(final Path dir, final byte[] key)
    {
        final ReadOnlyStream stream = new ReadOnlyStream(dir, ViewFiles.open(dir, key));
        synchronized (stream)
        {
            stream.refresh();
        }
        return stream;
    }

    public String name()
    {
        return name;
    }

    public Path directory()
    {
        return dir;
    }

    /**
     * @return the writer's epoch: one more at every open of the stream for writing.
     */
    public long writerEpoch()
    {
        return positions.epoch();
    }

    /**
     * @return the process id of the last writer that opened the stream.
     */
    public long writerPid()
    {
        return positions.writerPid();
    }

    /**
     * @return whether the last writer is open: it announced itself and has not closed, and its process runs — a
     * killed writer leaves the state open, and its id may name another process since ({@link WriterProcess}).
     */
    public boolean writerOpen()
    {
        final int state = WriterProcess.state(positions);
        return state != WriterProcess.GONE && state != PositionsDescriptor.STATE_CLOSED;
    }

    // ---------------------------------------------------------------- following the writer

    /**
     * Catch up with the writer's published positions. Holding the monitor.
     * <p>
     * The positions are separate loads, and a whole new writer may open between two of them (announce itself,
     * recover, publish): its last sequence paired with the epoch of the writer before it would keep an index of the
     * old writer's blocks and index them up to the new writer's horizon, while {@link #writerMoved()} says every look
     * is suspect. So every position is loaded, the rewind points included, and then the epoch again, seqlock fashion:
     * when it moved, the look starts again (the new writer stores its epoch before any position it publishes, so an
     * unchanged epoch proves the loads between were all of one writer). A writer restarting at every look ends the
     * loop after {@link #CONSISTENT_LOOKS} tries as a recovering writer would: nothing new.
     */
    void refresh()
    {
        ensureOpen();
        try
        {
            look();
        }
        finally
        {
            if (0 == callsInside)
            {
                // No call of this view is under way (the monitor keeps other threads out, and this thread is in no
                // handler): the blocks a look let go of are read by nobody, and unmapped now rather than by a GC.
                index.unmapDropped();
            }
        }
    }

    /**
     * A call that may run a handler, with its block reads around it, is under way: until {@link #exitCall()}, no block
     * is unmapped, whatever the handler does (it may read the view again, or close it). Under the monitor.
     */
    void enterCall()
    {
        callsInside++;
    }

    /**
     * The call of {@link #enterCall()} is over; when it was the last and the view closed meanwhile, its blocks are
     * unmapped now. Under the monitor.
     */
    void exitCall()
    {
        if (0 == --callsInside && closed)
        {
            index.unmapAll();
        }
    }

    private void look()
    {
        for (int look = 0; look < CONSISTENT_LOOKS; look++)
        {
            // The epoch first: a writer announces itself with the recovering state before its new epoch, so a new
            // epoch read here is never paired with the state of the writer before it.
            final long epoch = positions.epoch();
            if (positions.writerState() == PositionsDescriptor.STATE_RECOVERING)
            {
                // The new writer is recovering: what the view holds stays verified and visible; nothing new until it
                // publishes.
                return;
            }
            truncatorRuns = 0;
            if (positions.begunKeptBy() == epoch && positions.truncationBegun() > positions.truncations() &&
                truncatorRuns())
            {
                // A truncation is under way: the blocks may lack the tombstones it deleted or zeroed until it writes
                // them again, just before it publishes its count, so an index built from them now (a listing that
                // finds a block gone drops it) could show a removed message. What the view holds stays; nothing new
                // until the count moves.
                return;
            }
            if (null != refreshPause)
            {
                refreshPause.run();
            }
            final long truncations = positions.truncations();
            final boolean restarted = epoch != seenEpoch;
            long truncatedTo = NOT_TRUNCATED;
            if (seenEpoch >= 0 && truncations != seenTruncations)
            {
                // The count carries on from writer to writer (StreamPositions.moveTo), so the truncations since the
                // last look are those above the count seen, whichever writer made them. A count below it is a file
                // made afresh: how far back the stream went is unknown, so all of it.
                truncatedTo = truncations < seenTruncations ? 0 :
                    positions.lowestTruncatedTo(seenTruncations, truncations);
            }
            final long published = positions.lastSeq();
            final long durableSeq = positions.durableSeq();
            final boolean keepsBegun = positions.begunKeptBy() == epoch;
            if (positions.epoch() == epoch)
            {
                writerKeepsBegun = keepsBegun;
                catchUp(restarted, epoch, truncations, truncatedTo, published, durableSeq);
                if (null != refreshEndPause)
                {
                    refreshEndPause.run();
                }
                return;
            }
        }
    }

    /**
     * Apply one consistent look at the positions, all of the writer of {@code epoch}.
     */
    private void catchUp(
        final boolean restarted, final long epoch, final long truncations, final long truncatedTo,
        final long published, final long durableSeq)
    {
        if (restarted)
        {
            final long lastBefore = horizon;
            final boolean first = seenEpoch < 0;
            seenEpoch = epoch;
            seenTruncations = truncations;
            index.reset();
            if (!first && published < lastBefore)
            {
                // The restarted writer kept less than the view had shown: only what was never forced can go so.
                rewinds.rewound(published);
            }
            if (truncatedTo != NOT_TRUNCATED)
            {
                rewinds.rewound(truncatedTo);
            }
        }
        else if (truncations != seenTruncations)
        {
            seenTruncations = truncations;
            rewinds.rewound(truncatedTo);
            index.reset();
        }
        durable = durableSeq;
        horizon = published;
        index.follow(published);
    }

    /**
     * Test seam: {@code pause} runs inside {@link #refresh()} after the writer's epoch and state are loaded and before
     * the other positions are, as if the reading thread were descheduled there; null for none.
     */
    void pauseInRefresh(final Runnable pause)
    {
        refreshPause = pause;
    }

    /**
     * Test seam: {@code pause} runs at the end of a {@link #refresh()} that caught up, before the caller looks at the
     * blocks, as if the reading thread were descheduled there; null for none.
     */
    void pauseAfterRefresh(final Runnable pause)
    {
        refreshEndPause = pause;
    }

    /**
     * Point {@link #view()} at the verified message {@code seq}.
     *
     * @return false when no message is listed there, up to {@code bound}.
     */
    boolean locate(final long seq, final long bound)
    {
        return records.locate(seq, bound);
    }

    /**
     * @return whether the writer truncated the stream or restarted since the last refresh, or is truncating it: a look
     * at the blocks made since may have been cut short by the change (or met a truncation's zeros), so it neither
     * hands over nor passes over what it did not reach, and takes nothing for damage. A truncation begun by a writer
     * whose process no longer runs is not under way: it died there, and what it left is read for what it is.
     */
    boolean writerMoved()
    {
        // The block bytes whose reading made the caller ask (a truncation's zeros) must not be read after these loads.
        VarHandle.loadLoadFence();
        return positions.epoch() != seenEpoch || positions.truncations() != seenTruncations ||
            writerKeepsBegun && positions.truncationBegun() > seenTruncations && truncatorRuns();
    }

    /**
     * Asked only while a truncation looks under way, once per refresh: the answer allocates.
     */
    private boolean truncatorRuns()
    {
        if (0 == truncatorRuns)
        {
            truncatorRuns = writerOpen() ? 1 : -1;
        }
        return truncatorRuns > 0;
    }

    /**
     * The last sequence the last block listed holds every record up to, whole ({@link BlockDamage}); asked only when
     * a look there meets a header that does not verify below {@code published}. A running writer wrote every record
     * up to the last sequence it published before publishing it. For one that does not run, only what a completed
     * force covers: the positions file is never forced, so after a power cut it may name records that never reached
     * the disk (the next writer's recovery reports them as a torn tail); a writer that closed forced everything. None
     * for a writer that keeps no truncation-begun count: its truncation's zeros cannot be told from damage.
     *
     * @return the last sequence known whole in the last block, or 0 when none is known.
     */
    private long lastBlockHeldTo(final long published)
    {
        if (!writerKeepsBegun)
        {
            return 0;
        }
        return WriterProcess.state(positions) == PositionsDescriptor.STATE_OPEN ?
            published : Math.min(published, durable);
    }

    MessageView view()
    {
        return records.view();
    }

    /**
     * Run {@code handler} over the message last located; a read of this view it makes does not re-point its flyweight.
     */
    void handOver(final MessageHandler handler)
    {
        records.handOver(handler);
    }

    /**
     * @return the next sequence at or after {@code seq} (and at most {@code bound}) that is listed, or -1; indexes
     * back to the block of the first sequence looked at.
     */
    long nextListed(final long seq, final long bound)
    {
        return index.nextListed(seq, bound);
    }

    /** @return how many times a block was first indexed (again after a drop): for tests of lazy indexing. */
    long blocksIndexed()
    {
        return index.blocksIndexed();
    }

    /** @return how many block files the view has mapped. */
    int blocksMapped()
    {
        return index.blockCount();
    }

    long horizon(final boolean durableOnly)
    {
        return durableOnly ? Math.min(horizon, durable) : horizon;
    }

    /**
     * @return the rewinds this view saw, for its tailers.
     */
    RewindLog rewinds()
    {
        return rewinds;
    }

    long publishedLastSeq()
    {
        return positions.lastSeq();
    }

    /**
     * @return whether something a poll needs may have moved since the last refresh: one acquire load each.
     */
    boolean moved(final long wantedSeq, final boolean durableOnly)
    {
        return positions.epoch() != seenEpoch || positions.truncations() != seenTruncations ||
            wantedSeq <= (durableOnly ? Math.min(positions.lastSeq(), positions.durableSeq()) : positions.lastSeq());
    }

    @Override
    public synchronized StoredMessage load(final long seq)
    {
        refresh();
        return locate(seq, horizon) ? view().toStoredMessage() : null;
    }

    @Override
    public synchronized boolean read(final long seq, final MessageHandler handler)
    {
        refresh();
        enterCall();
        try
        {
            if (!locate(seq, horizon))
            {
                return false;
            }
            handOver(handler);
            return true;
        }
        finally
        {
            exitCall();
        }
    }

    @Override
    public synchronized StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        if (fromSeq < 1)
        {
            throw new IllegalArgumentException("fromSeq must be >= 1: " + fromSeq);
        }
        refresh();
        for (long s = nextListed(fromSeq, horizon); s > 0; s = nextListed(s + 1, horizon))
        {
            if (locate(s, horizon) && Subjects.matches(filter, view().subject()))
            {
                return view().toStoredMessage();
            }
        }
        return null;
    }

    @Override
    public synchronized StoredMessage loadLast(final String subject)
    {
        Subjects.validateFilter(subject);
        refresh();
        final long first = Math.max(1, positions.firstSeq());
        for (long s = horizon; s >= first; s--)
        {
            if (locate(s, horizon) && Subjects.matches(subject, view().subject()))
            {
                return view().toStoredMessage();
            }
        }
        return null;
    }

    /**
     * Counted by walking every message the view lists: O(messages), for tools and occasional queries; the first call
     * indexes the whole stream.
     */
    @Override
    public synchronized Map<String, SubjectState> subjects(final String filter)
    {
        Subjects.validateFilter(filter);
        refresh();
        final TreeMap<String, long[]> found = new TreeMap<>();
        for (long s = nextListed(1, horizon); s > 0; s = nextListed(s + 1, horizon))
        {
            if (locate(s, horizon))
            {
                final String subject = view().subject();
                if (Subjects.matches(filter, subject))
                {
                    final long at = s;
                    final long[] state = found.computeIfAbsent(subject, (k) -> new long[]{0, at, at});
                    state[0]++;
                    state[2] = s;
                }
            }
        }
        final Map<String, SubjectState> result = new TreeMap<>();
        found.forEach((subject, state) -> result.put(subject, new SubjectState(state[0], state[1], state[2])));
        return result;
    }

    /**
     * The totals need every block indexed: the first call indexes the whole stream (later calls only what was added).
     */
    @Override
    public synchronized StreamState state()
    {
        refresh();
        index.indexAll();
        final long firstListed = nextListed(1, horizon);
        final long first = firstListed > 0 ? firstListed : horizon + 1;
        final long firstTime = firstListed > 0 && locate(firstListed, horizon) ? view().timestamp() : 0;
        final ViewTotals totals = index.totals();
        final long count = firstListed > 0 ? totals.msgs() : 0;
        return new StreamState(count, firstListed > 0 ? totals.bytes() : 0, first, horizon, firstTime,
            totals.lastTime(),
            count > 0 ? horizon - first + 1 - count : 0, subjects(">").size());
    }

    @Override
    public long lastSeq()
    {
        return positions.lastSeq();
    }

    @Override
    public long durableSeq()
    {
        return positions.durableSeq();
    }

    @Override
    public long firstSeq()
    {
        return positions.firstSeq();
    }

    @Override
    public synchronized StreamTailer createTailer(final long fromSeq)
    {
        return createTailer(fromSeq, false);
    }

    @Override
    public synchronized StreamTailer createTailer(final long fromSeq, final boolean durableOnly)
    {
        refresh();
        return new ViewTailer(this, fromSeq, durableOnly);
    }

    void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(name);
        }
    }

    @Override
    public synchronized void close()
    {
        closed = true;
        index.close();
        if (0 == callsInside)
        {
            // Else a handler closed the view: the call it runs in unmaps them when it returns (exitCall).
            index.unmapAll();
        }
        check.release();
        records.release();
    }

    @Override
    public String toString()
    {
        return "ReadOnlyStream[" + name + " in " + dir + ", writer pid " + positions.writerPid() + ", epoch " +
            positions.epoch() + "]";
    }
}
