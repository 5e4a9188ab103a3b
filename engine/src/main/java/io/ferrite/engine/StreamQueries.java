package io.ferrite.engine;

import io.ferrite.engine.block.BlockRetiredException;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.index.Subjects;
import io.ferrite.store.FilteredState;
import io.ferrite.store.SubjectState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

import static io.ferrite.format.RecordDescriptor.TIMESTAMP_OFFSET;

/**
 * Questions about what the stream holds, answered from the index: per-subject state, pending counts and the sequence
 * at a time. Block summaries and time ranges narrow each answer to the few blocks that can hold it; only those are
 * read.
 * <p>
 * Threading: any thread. {@link #subjects}, {@link #filteredState} and {@link #sequenceAt} are answered under the
 * append lock, so the counts they sum are consistent; {@link #numPending} holds it only to sum block summaries and
 * reads the blocks it must scan after releasing it.
 */
final class StreamQueries
{
    /** Truncations a pending count lets race with its scan before it scans under the append lock. */
    private static final int UNLOCKED_ATTEMPTS = 8;

    private final StreamIndex index;
    private final StreamReader reader;
    private final ReentrantLock appendLock;
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

    StreamQueries(final StreamIndex index, final StreamReader reader, final ReentrantLock lock)
    {
        this.index = index;
        this.reader = reader;
        this.appendLock = lock;
    }

    /**
     * @return every subject matching {@code filter} with its exact state.
     */
    Map<String, SubjectState> subjects(final String filter)
    {
        Subjects.validateFilter(filter);
        appendLock.lock();
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
        for (int attempt = 0; ; attempt++)
        {
            final List<Scan> scans = new ArrayList<>(2);
            final long begun;
            final long whole;
            appendLock.lock();
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
     * with one another: found under the append lock.
     */
    FilteredState filteredState(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        StreamReader.requirePositive(fromSeq, "fromSeq");
        appendLock.lock();
        try
        {
            final long msgs = numPendingLocked(fromSeq, filter, null);
            if (msgs == 0)
            {
                return FilteredState.NONE;
            }
            final StreamReader.Context context = reader.context();
            final long last = index.lastSeq();
            final long first = reader.scan().findNext(filter, fromSeq, last, context);
            final long lastMatching = reader.scan().findPrevious(filter, last, context);
            if (first < 0 || lastMatching < first)
            {
                throw new IllegalStateException("filter " + filter + " counts " + msgs + " messages from " + fromSeq +
                    " but the scan found first " + first + ", last " + lastMatching);
            }
            return new FilteredState(msgs, first, lastMatching);
        }
        finally
        {
            appendLock.unlock();
        }
    }

    long sequenceAt(final Instant time)
    {
        Objects.requireNonNull(time, "time");
        final long nanos = time.getEpochSecond() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE :
            time.getEpochSecond() <= Long.MIN_VALUE / 1_000_000_000L ? Long.MIN_VALUE :
            time.getEpochSecond() * 1_000_000_000L + time.getNano();
        appendLock.lock();
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
     * @return every subject matching {@code filter} with its exact count, first and last sequence, resolving the
     * bounds removals left (and remembering what it found).
     */
    private Map<String, SubjectState> subjectsLocked(final String filter)
    {
        final List<SubjectIndex.Entry> matching = new ArrayList<>();
        index.subjects().forEach((subject, entry) ->
        {
            if (Subjects.matches(filter, subject))
            {
                matching.add(entry);
            }
        });
        final Map<String, SubjectState> states = new TreeMap<>();
        for (final SubjectIndex.Entry entry : matching)
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
     * finds the first block that can hold it, then its messages are read in order.
     */
    static long sequenceAt(final StreamIndex index, final long timeNanos)
    {
        final MessageBlock[] blocks = index.blocks();
        final BlockIndex entries = index.blockIndex();
        int low = 0;
        int high = blocks.length;
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            if (entries.msgs(mid) > 0 && entries.lastTime(mid) >= timeNanos)
            {
                high = mid;
            }
            else if (entries.msgs(mid) == 0 && !laterBlockBefore(entries, mid, blocks.length, timeNanos))
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }
        for (int b = low; b < blocks.length; b++)
        {
            if (entries.msgs(b) == 0)
            {
                continue;
            }
            final long seq = firstAtOrAfter(blocks[b], timeNanos);
            if (seq > 0)
            {
                return seq;
            }
        }
        return index.lastSeq() + 1;
    }

    /**
     * Binary search of one block's messages, whose timestamps never decrease with the sequence.
     *
     * @return the first message of {@code block} at or after {@code timeNanos}, or -1.
     */
    private static long firstAtOrAfter(final MessageBlock block, final long timeNanos)
    {
        final SequenceTable table = block.table();
        final long last = table.previousListed(table.endSeq() - 1);
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
