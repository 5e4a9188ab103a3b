package io.ferrite.engine;

import io.ferrite.engine.block.BlockRetiredException;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.index.Subjects;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Searches by subject filter, forward and backward, guided by the blocks' subject summaries: a block whose summary
 * holds no matching subject is skipped without a read, and inside a block the search starts (or, backward, ends) at
 * the first (last) sequence a matching subject may hold there. Every candidate is verified before its subject is
 * trusted.
 * <p>
 * Threading: lock-free, like {@link StreamReader}; a block reclaimed under a search is waited past and the search
 * restarted from where it was.
 */
final class SubjectScan
{
    private final StreamIndex index;

    SubjectScan(final StreamIndex index)
    {
        this.index = index;
    }

    /**
     * Find the first message at or after {@code from} and at or before {@code to} whose subject matches, skipping
     * blocks whose subject summary holds no matching subject and starting inside a block at the first matching
     * sequence the summary knows.
     *
     * @return its sequence with the context's record on it, or -1.
     */
    long findNext(final String filter, final long fromSeq, final long toSeq, final StreamReader.Context context)
    {
        long from = fromSeq;
        long to = toSeq;
        final boolean literal = Subjects.isLiteral(filter);
        final SubjectIndex.Entry literalEntry = literal ? index.subjects().get(filter) : null;
        if (literal)
        {
            if (null == literalEntry || literalEntry.lastSeq() < from)
            {
                return -1;
            }
            from = Math.max(from, literalEntry.firstSeq());
            to = Math.min(to, literalEntry.lastSeq());
        }
        final MessageBlock[] blocks = index.blocks();
        final boolean all = Subjects.matchesAll(filter);
        for (int b = Math.max(0, StreamIndex.positionFor(blocks, from)); b < blocks.length && from <= to; b++)
        {
            final MessageBlock block = blocks[b];
            final long blockEnd = b + 1 < blocks.length ? Math.min(to, blocks[b + 1].baseSeq() - 1) : to;
            long start = Math.max(from, block.baseSeq());
            long end = blockEnd;
            try
            {
                if (!all)
                {
                    final BlockSubjects summary = block.contents().subjects(index.subjects());
                    if (!summary.isPartial())
                    {
                        final long[] range = context.range;
                        if (!matchingRange(summary, filter, literalEntry, start, end, range))
                        {
                            from = blockEnd + 1;
                            continue;
                        }
                        start = range[0];
                        end = range[1];
                    }
                }
                final long seq = findNextIn(block, filter, all, start, end, context);
                if (seq > 0)
                {
                    return seq;
                }
            }
            catch (final BlockRetiredException ex)
            {
                // Reclaimed after we looked it up: everything it held was removed or moved to its rewrite.
                awaitReplaced(index, block, block.baseSeq());
                return findNext(filter, from, to, context);
            }
            from = blockEnd + 1;
        }
        return -1;
    }

    /**
     * @return the last message at or before {@code upTo} whose subject matches {@code filter}, or -1; the context's
     * record is on it.
     */
    long findPrevious(final String filter, final long upTo, final StreamReader.Context context)
    {
        final MessageBlock[] blocks = index.blocks();
        final boolean literal = Subjects.isLiteral(filter);
        final SubjectIndex.Entry literalEntry = literal ? index.subjects().get(filter) : null;
        if (literal && null == literalEntry)
        {
            return -1;
        }
        long to = Math.min(upTo, index.publishedLastSeq());
        for (int b = StreamIndex.positionFor(blocks, to); b >= 0; b--)
        {
            final MessageBlock block = blocks[b];
            final long found;
            try
            {
                found = findPreviousIn(block, filter, literalEntry, to, context);
            }
            catch (final BlockRetiredException ex)
            {
                awaitReplaced(index, block, block.baseSeq());
                return findPrevious(filter, to, context);
            }
            if (found > 0)
            {
                return found;
            }
            to = block.baseSeq() - 1;
        }
        return -1;
    }

    private long findPreviousIn(
        final MessageBlock block, final String filter, final SubjectIndex.Entry literalEntry, final long to,
        final StreamReader.Context context)
    {
        long start = block.baseSeq();
        long end = to;
        final BlockSubjects summary = block.contents().subjects(index.subjects());
        if (!summary.isPartial())
        {
            final long[] range = context.range;
            if (!matchingRange(summary, filter, literalEntry, start, end, range))
            {
                return -1;
            }
            start = range[0];
            end = range[1];
        }
        final SequenceTable table = block.table();
        final UnsafeBuffer buffer = block.buffer();
        for (long seq = table.previousListed(end); seq >= start; seq = table.previousListed(seq - 1))
        {
            if (StreamReader.verifyListed(block, buffer, table.get(seq), seq, context) &&
                StreamReader.matchesSubject(filter, context.recordBuffer, context.recordOffset, context.subject))
            {
                return seq;
            }
        }
        return -1;
    }

    /**
     * Narrow {@code [start, end]} to where the summary says messages of matching subjects may be.
     *
     * @return false when the block holds none.
     */
    static boolean matchingRange(
        final BlockSubjects summary, final String filter, final SubjectIndex.Entry literalEntry, final long start,
        final long end, final long[] range)
    {
        final int size = summary.size();
        final BlockSubjects.Columns columns = summary.columns();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (int i = 0; i < size; i++)
        {
            final SubjectIndex.Entry entry = columns.entry(i);
            if (columns.count(i) <= 0 ||
                (null != literalEntry ? entry != literalEntry : !Subjects.matches(filter, entry.subject())))
            {
                continue;
            }
            first = Math.min(first, columns.first(i));
            last = Math.max(last, columns.last(i));
        }
        range[0] = Math.max(start, first);
        range[1] = Math.min(end, last);
        return first != Long.MAX_VALUE && range[0] <= range[1];
    }

    /**
     * @return the first message of {@code block} in {@code [start, end]} whose subject matches, or -1; the context's
     * record is on it.
     */
    long findNextIn(
        final MessageBlock block, final String filter, final boolean all, final long start, final long end,
        final StreamReader.Context context)
    {
        final SequenceTable table = block.table();
        final UnsafeBuffer buffer = block.buffer();
        for (long seq = table.nextListed(start); seq > 0 && seq <= end; seq = table.nextListed(seq + 1))
        {
            final int offset = table.get(seq);
            if (offset == 0)
            {
                continue;
            }
            // Verify before matching: a damaged subject must not make a matching message look like one to skip.
            if (StreamReader.verifyListed(block, buffer, offset, seq, context) &&
                (all || StreamReader.matchesSubject(filter, context.recordBuffer, context.recordOffset,
                    context.subject)))
            {
                return seq;
            }
        }
        return -1;
    }

    /**
     * A retired block leaves the index under the append lock right after it is retired (a rewrite is renamed in and
     * installed in one step): spin until the index no longer holds it, or until it is no longer retired (a rewrite
     * whose rename failed restores it, and it stays).
     *
     * @return the block now covering {@code seq}, or null.
     */
    static MessageBlock awaitReplaced(final StreamIndex index, final MessageBlock retired, final long seq)
    {
        MessageBlock current = index.blockFor(seq);
        while (current == retired && retired.isRetired())
        {
            Thread.onSpinWait();
            current = index.blockFor(seq);
        }
        return current;
    }
}
