package io.ferrite.engine;

import io.ferrite.engine.block.BlockRetiredException;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.RemovalVersion;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.index.Subjects;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.FilteredState;
import io.ferrite.store.SubjectState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import static io.ferrite.format.RecordDescriptor.TIMESTAMP_OFFSET;

/**
 * Questions about what the stream holds, answered from the index: per-subject state, pending counts and the sequence
 * at a time. Block summaries and time ranges narrow each answer to the few blocks that can hold it; only those are
 * read.
 * <p>
 * Threading: any thread. No query reads a record, builds a block's sequence table or subject summary, or scans a block
 * under the append lock (but for the last resort below): {@link #subjects}, {@link #filteredState} and
 * {@link #sequenceAt} hold it only to copy the few numbers their answer starts from — the matching subjects' counts
 * and bounds, the block summaries' counts, the block a time falls in — with the last sequence and the
 * {@link RemovalVersion removal version} of that moment, and do the rest after releasing it, bounded by that last
 * sequence. Their answer is the stream as it stood at that moment: appends after it lie above the bound, and a
 * removal or truncation that began since makes the query start again. After {@value #UNLOCKED_QUERY_ATTEMPTS} such
 * starts (a stream whose limits remove a message on every append, under a flat-out appender) the query is answered
 * wholly under the lock, as it was before, so it always ends. {@link #numPending} sums block summaries under the lock
 * and reads the blocks it must scan after releasing it.
 */
final class StreamQueries
{
    /** Truncations a pending count lets race with its scan before it scans under the append lock. */
    private static final int UNLOCKED_ATTEMPTS = 8;
    /**
     * Removals or truncations a query lets overtake its unlocked phase before it answers under the append lock: enough
     * that an occasional removal never sends a query there, few enough that a stream removing on every append does
     * not keep a query spinning.
     */
    static final int UNLOCKED_QUERY_ATTEMPTS = 8;
    private static final Runnable NO_HOOK = () ->
    {
    };

    private final StreamIndex index;
    private final StreamReader reader;
    private final AppendLock appendLock;
    /** Counts a query in while it reads the blocks, not while it waits for the append lock ({@link QueryGateHold}). */
    private final ReadGate readGate;
    /** Test seam: run by a query after it released the append lock and before it reads the blocks. */
    private volatile Runnable unlockedHook = NO_HOOK;
    /** Test seam: told each phase of a pending count's unlocked part; null (nothing told) in production. */
    private volatile ScanObserver observer;

    /**
     * Told the phases of {@link #numPending} that run without the append lock, so a test can interleave a truncation
     * with them deterministically.
     */
    interface ScanObserver
    {
        /** The summaries were summed and the lock released; the unlocked scans come next. */
        int SUMMED = 1;
        /** The unlocked scans were counted; the check for a truncation comes next. */
        int SCANNED = 2;

        void onPhase(int phase);
    }

    StreamQueries(final StreamIndex index, final StreamReader reader, final AppendLock lock, final ReadGate gate)
    {
        this.index = index;
        this.reader = reader;
        this.appendLock = lock;
        this.readGate = gate;
    }

    /**
     * @param query the query's name, for its refusal from inside a handler ({@link AppendLock#lock(String)}).
     */
    private QueryGateHold gateHold(final String query)
    {
        return new QueryGateHold(readGate, appendLock, query);
    }

    /**
     * Test seam: {@code hook} runs on the querying thread each time {@code subjects}, {@code filteredState} or
     * {@code sequenceAt} has released the append lock and is about to read the blocks; null for none.
     */
    void unlockedHook(final Runnable hook)
    {
        unlockedHook = null == hook ? NO_HOOK : hook;
    }

    /**
     * @return every subject matching {@code filter} with its exact state, as it stood when the append lock was held to
     * copy the matching subjects' counts and bounds; the bounds removals left are made exact after it is released.
     */
    Map<String, SubjectState> subjects(final String filter)
    {
        Subjects.validateFilter(filter);
        try (QueryGateHold hold = gateHold("subjects"))
        {
            return subjects(filter, hold);
        }
    }

    private Map<String, SubjectState> subjects(final String filter, final QueryGateHold hold)
    {
        for (int attempt = 0; attempt < UNLOCKED_QUERY_ATTEMPTS; attempt++)
        {
            final SubjectsCopy copy = copySubjects(filter, hold);
            unlockedHook.run();
            final Map<String, SubjectState> states = subjectsUnlocked(copy, hold);
            if (null != states)
            {
                return states;
            }
        }
        hold.lockAppend();
        try
        {
            return subjectsLocked(filter);
        }
        finally
        {
            appendLock.unlock();
        }
    }

    /**
     * List the matching subjects without the lock, then copy their state under it. A subject added between the two
     * (the index's count of additions moved) is found by listing again under the lock, which is rare: appends of
     * known subjects add none.
     */
    private SubjectsCopy copySubjects(final String filter, final QueryGateHold hold)
    {
        final SubjectIndex subjects = index.subjects();
        final long additions = subjects.additions();
        final List<SubjectIndex.Entry> listed = matching(filter);
        hold.lockAppend();
        try
        {
            final List<SubjectIndex.Entry> matching = subjects.additions() == additions ? listed : matching(filter);
            return new SubjectsCopy(matching, index.lastSeq(), index.removals().stamp(),
                index.truncationsBegun());
        }
        finally
        {
            appendLock.unlock();
        }
    }

    private List<SubjectIndex.Entry> matching(final String filter)
    {
        final List<SubjectIndex.Entry> matching = new ArrayList<>();
        index.subjects().forEach((subject, entry) ->
        {
            if (Subjects.matches(filter, subject))
            {
                matching.add(entry);
            }
        });
        return matching;
    }

    /**
     * Make the copied bounds exact by searching the blocks up to the copy's last sequence, without the lock.
     *
     * @return the states, or null when a removal or truncation began since the copy: the search may have seen it.
     */
    private Map<String, SubjectState> subjectsUnlocked(final SubjectsCopy copy, final QueryGateHold hold)
    {
        final StreamReader.Context context = reader.context();
        boolean resolved = false;
        final Map<String, SubjectState> states = new TreeMap<>();
        try
        {
            for (int i = 0; i < copy.size; i++)
            {
                final String subject = copy.entries[i].subject();
                long first = copy.firstSeqs[i];
                long last = copy.lastSeqs[i];
                if (!copy.firstExact[i])
                {
                    first = reader.scan().findNext(subject, first, copy.lastSeq, context);
                    resolved = true;
                }
                if (!copy.lastExact[i])
                {
                    last = reader.scan().findPrevious(subject, Math.min(last, copy.lastSeq), context);
                    resolved = true;
                }
                if (first < 0 || last < 0)
                {
                    if (!unchangedSince(copy.removalStamp, copy.truncations))
                    {
                        return null;
                    }
                    throw new IllegalStateException("subject " + subject + " counts " + copy.msgs[i] +
                        " messages up to " + copy.lastSeq + " but a search of the blocks found first " + first +
                        ", last " + last);
                }
                states.put(subject, new SubjectState(copy.msgs[i], first, last));
            }
        }
        catch (final RuntimeException ex)
        {
            // Read while a removal changed what was read: the removal is the cause, and the query starts again.
            if (!unchangedSince(copy.removalStamp, copy.truncations))
            {
                return null;
            }
            throw ex;
        }
        if (!unchangedSince(copy.removalStamp, copy.truncations))
        {
            return null;
        }
        if (resolved)
        {
            remember(copy, states, hold);
        }
        return states;
    }

    /**
     * Keep the bounds a search made exact, so the next query need not search again: under the lock, and only while
     * no removal has moved them since the copy (appends move only an exact last sequence).
     */
    private void remember(final SubjectsCopy copy, final Map<String, SubjectState> states, final QueryGateHold hold)
    {
        hold.lockAppend();
        try
        {
            if (!unchangedSince(copy.removalStamp, copy.truncations))
            {
                return;
            }
            for (int i = 0; i < copy.size; i++)
            {
                final SubjectIndex.Entry entry = copy.entries[i];
                final SubjectState state = states.get(entry.subject());
                if (entry.isRemoved())
                {
                    continue;
                }
                if (!entry.firstExact() && entry.firstSeq() == copy.firstSeqs[i])
                {
                    entry.firstSeq(state.firstSeq());
                }
                if (!entry.lastExact() && entry.lastSeq() == copy.lastSeqs[i])
                {
                    entry.lastSeq(state.lastSeq());
                }
            }
        }
        finally
        {
            appendLock.unlock();
        }
    }

    private boolean unchangedSince(final long removalStamp, final long truncations)
    {
        return index.removals().unchangedSince(removalStamp) && index.truncationsBegun() == truncations;
    }

    /**
     * Count the matching messages at or after {@code fromSeq}. The append lock is held only to sum whole blocks from
     * their summaries and to note the ranges to read message by message (the block holding {@code fromSeq}, the
     * tail); those are read after it is released, lock-free as {@code loadNext} reads, so appenders never wait for a
     * scan. Each message is counted as it stood at some moment of the call: one removed meanwhile may or may not be,
     * and appends after the lock was released are not. A truncation begun during the scan (not only one completed)
     * starts the count again; after {@value #UNLOCKED_ATTEMPTS} of them the count is made wholly under the lock.
     */
    long numPending(final long fromSeq, final String filter)
    {
        Subjects.validateFilter(filter);
        StreamReader.requirePositive(fromSeq, "fromSeq");
        try (QueryGateHold hold = gateHold("numPending"))
        {
            return numPending(fromSeq, filter, hold);
        }
    }

    private long numPending(final long fromSeq, final String filter, final QueryGateHold hold)
    {
        warm(fromSeq, filter);
        for (int attempt = 0; ; attempt++)
        {
            final List<Scan> scans = new ArrayList<>(2);
            final long begun;
            final long whole;
            hold.lockAppend();
            try
            {
                if (attempt == UNLOCKED_ATTEMPTS)
                {
                    return numPendingLocked(fromSeq, filter, null);
                }
                // Truncations begun, not completed: one that takes the lock after it is released changes the blocks
                // (uncounts, cuts, deletes) before it publishes its completion, possibly while the scans below read.
                begun = index.truncationsBegun();
                whole = numPendingLocked(fromSeq, filter, scans);
            }
            finally
            {
                appendLock.unlock();
            }
            observe(ScanObserver.SUMMED);
            long scanned = 0;
            for (final Scan scan : scans)
            {
                scanned += countUnlocked(scan, filter);
            }
            observe(ScanObserver.SCANNED);
            if (index.truncationsBegun() == begun)
            {
                return whole + scanned;
            }
        }
    }

    void observer(final ScanObserver observer)
    {
        this.observer = observer;
    }

    private void observe(final int phase)
    {
        final ScanObserver told = observer;
        if (null != told)
        {
            told.onPhase(phase);
        }
    }

    /**
     * @return the count, first and last sequence of the matching messages at or after {@code fromSeq}, consistent
     * with one another: the stream as it stood when the append lock was held to sum the block summaries (built before
     * it was taken); the blocks that must be read message by message, and the first and last matching message, are
     * found after it is released, up to the last sequence of that moment.
     */
    FilteredState filteredState(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        StreamReader.requirePositive(fromSeq, "fromSeq");
        try (QueryGateHold hold = gateHold("filteredState"))
        {
            return filteredState(filter, fromSeq, hold);
        }
    }

    private FilteredState filteredState(final String filter, final long fromSeq, final QueryGateHold hold)
    {
        warm(fromSeq, filter);
        for (int attempt = 0; attempt < UNLOCKED_QUERY_ATTEMPTS; attempt++)
        {
            final List<Scan> scans = new ArrayList<>(2);
            final long summed;
            final long lastSeq;
            final long removalStamp;
            final long truncations;
            hold.lockAppend();
            try
            {
                removalStamp = index.removals().stamp();
                truncations = index.truncationsBegun();
                lastSeq = index.lastSeq();
                summed = numPendingLocked(fromSeq, filter, scans);
            }
            finally
            {
                appendLock.unlock();
            }
            unlockedHook.run();
            try
            {
                final FilteredState state = filteredStateUnlocked(filter, fromSeq, lastSeq, summed, scans);
                if (unchangedSince(removalStamp, truncations))
                {
                    return state;
                }
            }
            catch (final RuntimeException ex)
            {
                // Read while a removal changed what was read: the removal is the cause, and the query starts again.
                if (unchangedSince(removalStamp, truncations))
                {
                    throw ex;
                }
            }
        }
        hold.lockAppend();
        try
        {
            final long msgs = numPendingLocked(fromSeq, filter, null);
            return msgs == 0 ? FilteredState.NONE : bounds(filter, fromSeq, index.lastSeq(), msgs);
        }
        finally
        {
            appendLock.unlock();
        }
    }

    private FilteredState filteredStateUnlocked(
        final String filter, final long fromSeq, final long lastSeq, final long summed, final List<Scan> scans)
    {
        long msgs = summed;
        for (final Scan scan : scans)
        {
            msgs += countUnlocked(scan, filter);
        }
        return msgs == 0 ? FilteredState.NONE : bounds(filter, fromSeq, lastSeq, msgs);
    }

    /**
     * @return {@code msgs} with the first and last matching message in {@code [fromSeq, lastSeq]}.
     */
    private FilteredState bounds(final String filter, final long fromSeq, final long lastSeq, final long msgs)
    {
        final StreamReader.Context context = reader.context();
        final long first = reader.scan().findNext(filter, fromSeq, lastSeq, context);
        final long lastMatching = reader.scan().findPrevious(filter, lastSeq, context);
        if (first < 0 || lastMatching < first)
        {
            throw new IllegalStateException("filter " + filter + " counts " + msgs + " messages from " + fromSeq +
                " to " + lastSeq + " but the scan found first " + first + ", last " + lastMatching);
        }
        return new FilteredState(msgs, first, lastMatching);
    }

    /**
     * @return the first stored message at or after {@code time}, or the sequence after the last: the stream as it
     * stood when the append lock was held for a binary search of the blocks' last times (index memory only); the
     * chosen blocks' messages are searched after it is released, up to the last sequence of that moment.
     */
    long sequenceAt(final Instant time)
    {
        Objects.requireNonNull(time, "time");
        try (QueryGateHold hold = gateHold("sequenceAt"))
        {
            return sequenceAt(RecordDescriptor.epochNanos(time), hold);
        }
    }

    private long sequenceAt(final long nanos, final QueryGateHold hold)
    {
        for (int attempt = 0; attempt < UNLOCKED_QUERY_ATTEMPTS; attempt++)
        {
            final MessageBlock[] blocks;
            final int from;
            final long lastSeq;
            final long removalStamp;
            final long truncations;
            hold.lockAppend();
            try
            {
                removalStamp = index.removals().stamp();
                truncations = index.truncationsBegun();
                lastSeq = index.lastSeq();
                blocks = index.blocks();
                from = firstBlockEndingAtOrAfter(blocks.length, index.blockIndex(), nanos);
            }
            finally
            {
                appendLock.unlock();
            }
            unlockedHook.run();
            try
            {
                final long seq = firstAtOrAfter(blocks, from, nanos, lastSeq);
                if (unchangedSince(removalStamp, truncations))
                {
                    return seq;
                }
            }
            catch (final BlockRetiredException ex)
            {
                // Reclaimed since the lock was released (a rewrite moved what it held): the next attempt finds its
                // replacement in the index.
                continue;
            }
            catch (final RuntimeException ex)
            {
                if (unchangedSince(removalStamp, truncations))
                {
                    throw ex;
                }
            }
        }
        hold.lockAppend();
        try
        {
            return sequenceAt(index, nanos);
        }
        finally
        {
            appendLock.unlock();
        }
    }

    /**
     * Build, before the append lock is taken, the subject summaries and sequence tables a count from {@code fromSeq}
     * needs (a block recovered from state has neither until a read needs it, and building one reads, and in an
     * encrypted block decrypts, the whole block): the locked part then only sums memory. The builds are safe without
     * the lock (see {@code BlockContents}); a block reclaimed meanwhile is left to the locked part, which finds its
     * replacement.
     */
    private void warm(final long fromSeq, final String filter)
    {
        final boolean all = Subjects.matchesAll(filter);
        final MessageBlock[] blocks = index.blocks();
        final int from = Math.max(0, StreamIndex.positionFor(blocks, fromSeq));
        for (int b = from; b < blocks.length && (!all || b == from); b++)
        {
            try
            {
                final BlockSubjects summary = all ? null : blocks[b].contents().subjects(index.subjects());
                if (b == from || (null != summary && summary.isPartial()))
                {
                    blocks[b].table();
                }
            }
            catch (final BlockRetiredException ex)
            {
                // Not an error: the block's messages were removed or moved to a rewrite, which the count reads instead.
                continue;
            }
        }
    }

    /**
     * @return every subject matching {@code filter} with its exact count, first and last sequence, resolving the
     * bounds removals left (and remembering what it found).
     */
    private Map<String, SubjectState> subjectsLocked(final String filter)
    {
        final Map<String, SubjectState> states = new TreeMap<>();
        for (final SubjectIndex.Entry entry : matching(filter))
        {
            resolve(entry);
            states.put(entry.subject(), new SubjectState(entry.msgs(), entry.firstSeq(), entry.lastSeq()));
        }
        return states;
    }

    /**
     * Make {@code entry}'s first and last sequence exact.
     */
    void resolve(final SubjectIndex.Entry entry)
    {
        final StreamReader.Context context = reader.context();
        if (!entry.firstExact())
        {
            final long first = reader.scan().findNext(entry.subject(), entry.firstSeq(), index.lastSeq(), context);
            if (first < 0)
            {
                throw new IllegalStateException("subject " + entry.subject() + " counts " + entry.msgs() +
                    " messages but none is stored from " + entry.firstSeq());
            }
            entry.firstSeq(first);
        }
        if (!entry.lastExact())
        {
            final long last = reader.scan().findPrevious(entry.subject(), entry.lastSeq(), context);
            if (last < 0)
            {
                throw new IllegalStateException("subject " + entry.subject() + " counts " + entry.msgs() +
                    " messages but none is stored up to " + entry.lastSeq());
            }
            entry.lastSeq(last);
        }
    }

    /**
     * Count messages at or after {@code fromSeq} whose subject matches: whole blocks from their summaries' counts,
     * only the block holding {@code fromSeq} (and blocks without a full summary) message by message — now, or, when
     * {@code scans} is given, later: their ranges are added to it and left out of the count.
     */
    private long numPendingLocked(final long fromSeq, final String filter, final List<Scan> scans)
    {
        final boolean all = Subjects.matchesAll(filter);
        if (all && fromSeq <= index.firstSeq())
        {
            return index.msgs();
        }
        final SubjectIndex.Entry literal = Subjects.isLiteral(filter) ? index.subjects().get(filter) : null;
        if (Subjects.isLiteral(filter))
        {
            if (null == literal || literal.lastSeq() < fromSeq)
            {
                return 0;
            }
            if (fromSeq <= literal.firstSeq())
            {
                return literal.msgs();
            }
        }
        final MessageBlock[] blocks = index.blocks();
        final BlockIndex entries = index.blockIndex();
        long pending = 0;
        for (int b = Math.max(0, StreamIndex.positionFor(blocks, fromSeq)); b < blocks.length; b++)
        {
            final MessageBlock block = blocks[b];
            if (entries.msgs(b) == 0)
            {
                continue;
            }
            if (block.baseSeq() >= fromSeq && all)
            {
                pending += entries.msgs(b);
                continue;
            }
            final BlockSubjects summary = all ? null : block.contents().subjects(index.subjects());
            if (block.baseSeq() >= fromSeq && !summary.isPartial())
            {
                final BlockSubjects.Columns columns = summary.columns();
                for (int i = 0, size = summary.size(); i < size; i++)
                {
                    final SubjectIndex.Entry entry = columns.entry(i);
                    if (null != literal ? entry == literal : Subjects.matches(filter, entry.subject()))
                    {
                        pending += columns.count(i);
                    }
                }
                continue;
            }
            final Scan scan = scanOf(block, summary, literal, Math.max(fromSeq, block.baseSeq()), filter);
            if (null == scan)
            {
                continue;
            }
            if (null == scans)
            {
                pending += countIn(block, scan.start(), scan.end(), filter);
            }
            else
            {
                scans.add(scan);
            }
        }
        return pending;
    }

    /**
     * The range of one block to read message by message from {@code from} on: only the range its summary says
     * matching subjects occupy, up to its last sequence now.
     *
     * @param summary the block's summary, null for a filter that matches every subject.
     * @return the range, or null when no message in it can match.
     */
    private Scan scanOf(
        final MessageBlock block, final BlockSubjects summary, final SubjectIndex.Entry literal, final long from,
        final String filter)
    {
        final boolean all = null == summary;
        long start = from;
        long end = block.table().endSeq() - 1;
        if (!all && !summary.isPartial())
        {
            final StreamReader.Context context = reader.context();
            if (!SubjectScan.matchingRange(summary, filter, literal, start, end, context.range))
            {
                return null;
            }
            start = context.range[0];
            end = context.range[1];
        }
        return start <= end ? new Scan(block, start, end) : null;
    }

    /**
     * Count the matching messages of {@code scan}'s range without the append lock: a block reclaimed meanwhile held
     * only removed messages, or moved what it kept to its rewrite, which is read over the same range instead.
     */
    private long countUnlocked(final Scan scan, final String filter)
    {
        MessageBlock block = scan.block();
        while (true)
        {
            try
            {
                return countIn(block, scan.start(), scan.end(), filter);
            }
            catch (final BlockRetiredException ex)
            {
                final MessageBlock replacement = SubjectScan.awaitReplaced(index, block, scan.start());
                if (null == replacement || replacement.baseSeq() > scan.end())
                {
                    return 0;
                }
                block = replacement;
            }
        }
    }

    private long countIn(final MessageBlock block, final long start, final long end, final String filter)
    {
        final StreamReader.Context context = reader.context();
        final boolean all = Subjects.matchesAll(filter);
        long count = 0;
        long seq = start;
        while (seq <= end && (seq = reader.scan().findNextIn(block, filter, all, seq, end, context)) > 0)
        {
            count++;
            seq++;
        }
        return count;
    }

    /**
     * A block range {@link #numPending} reads message by message, noted under the append lock.
     */
    private record Scan(MessageBlock block, long start, long end)
    {
    }

    /**
     * @return the first stored message at or after {@code timeNanos}: a binary search over the blocks' last times
     * finds the first block that can hold it, then its messages are read in order. Under the append lock.
     */
    static long sequenceAt(final StreamIndex index, final long timeNanos)
    {
        final MessageBlock[] blocks = index.blocks();
        final int from = firstBlockEndingAtOrAfter(blocks.length, index.blockIndex(), timeNanos);
        return firstAtOrAfter(blocks, from, timeNanos, index.lastSeq());
    }

    /**
     * @return the position of the first block whose last message is at or after {@code timeNanos} (an empty block
     * placed by its neighbours), or {@code count}: reads only the block index, so it is quick under the append lock.
     */
    private static int firstBlockEndingAtOrAfter(final int count, final BlockIndex entries, final long timeNanos)
    {
        int low = 0;
        int high = count;
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            if (entries.msgs(mid) > 0 && entries.lastTime(mid) >= timeNanos)
            {
                high = mid;
            }
            else if (entries.msgs(mid) == 0 && !laterBlockBefore(entries, mid, count, timeNanos))
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }
        return low;
    }

    /**
     * @return the first message at or after {@code timeNanos} in {@code blocks} from position {@code from}, at or
     * below {@code lastSeq}; {@code lastSeq + 1} when there is none. Reads only messages up to {@code lastSeq}, so it
     * needs no lock when {@code lastSeq} was published.
     */
    private static long firstAtOrAfter(
        final MessageBlock[] blocks, final int from, final long timeNanos, final long lastSeq)
    {
        for (int b = from; b < blocks.length && blocks[b].baseSeq() <= lastSeq; b++)
        {
            final long seq = firstAtOrAfter(blocks[b], timeNanos, lastSeq);
            if (seq > 0)
            {
                return seq;
            }
        }
        return lastSeq + 1;
    }

    /**
     * Binary search of one block's messages, whose timestamps never decrease with the sequence.
     *
     * @return the first message of {@code block} at or after {@code timeNanos} and at or below {@code lastSeq}, or -1.
     */
    private static long firstAtOrAfter(final MessageBlock block, final long timeNanos, final long lastSeq)
    {
        final SequenceTable table = block.table();
        final long last = table.previousListed(Math.min(table.endSeq() - 1, lastSeq));
        if (last < 0 || timestamp(block, table, last) < timeNanos)
        {
            return -1;
        }
        long answer = last;
        long low = block.baseSeq();
        long high = last;
        while (low < high)
        {
            final long mid = low + (high - low) / 2;
            final long listed = table.nextListed(mid);
            if (listed < 0 || listed >= high)
            {
                high = mid;
            }
            else if (timestamp(block, table, listed) >= timeNanos)
            {
                answer = listed;
                high = mid;
            }
            else
            {
                low = listed + 1;
            }
        }
        return answer;
    }

    private static long timestamp(final MessageBlock block, final SequenceTable table, final long seq)
    {
        return block.buffer().getLong(table.get(seq) + TIMESTAMP_OFFSET);
    }

    /**
     * @return whether a block after {@code position} holding messages ends before {@code timeNanos}: an empty block
     * has no time of its own, so the search places it by its neighbours.
     */
    private static boolean laterBlockBefore(
        final BlockIndex entries, final int position, final int count, final long timeNanos)
    {
        for (int b = position + 1; b < count; b++)
        {
            if (entries.msgs(b) > 0)
            {
                return entries.lastTime(b) < timeNanos;
            }
        }
        return false;
    }
}
