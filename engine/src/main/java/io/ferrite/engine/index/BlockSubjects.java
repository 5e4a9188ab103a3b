package io.ferrite.engine.index;

import java.util.Arrays;
import java.util.Map;

/**
 * One block's subject summary: for each subject it holds, the first and last sequence and the message count. A
 * filtered read skips every block whose summary holds no matching subject, and starts inside a block at the first
 * matching sequence, so a sparse subject costs its own messages, not a scan of the stream.
 * <p>
 * Bounds, not facts, after removals: a removal lowers the count but leaves first and last as they were, which stay a
 * lower and an upper bound of what is left. A summary marked {@link #isPartial() partial} (a tail block recovered
 * from state, whose older records were never decoded) may hold subjects it does not list: readers scan such a block.
 * <p>
 * Threading: one writer (the appender, or a builder under the block's monitor). Readers iterate up to the size read
 * with acquire semantics: an entry, its first sequence and count are written before the size that publishes them, and
 * the store's last sequence is published after every update a reader may rely on.
 */
public final class BlockSubjects
{
    private static final int INITIAL_CAPACITY = 8;

    private final boolean partial;
    private volatile Columns columns;
    private volatile int size;

    public BlockSubjects(final boolean partial)
    {
        this(partial, INITIAL_CAPACITY);
    }

    /**
     * @param expectedSubjects how many subjects the block is expected to hold: the appender's roll passes the previous
     *                         block's count, because a summary grown by doubling from a few entries would make garbage
     *                         on the append path in every block of a stream with hundreds of subjects.
     */
    public BlockSubjects(final boolean partial, final int expectedSubjects)
    {
        if (expectedSubjects < 0)
        {
            throw new IllegalArgumentException("expectedSubjects must not be negative: " + expectedSubjects);
        }
        this.partial = partial;
        this.columns = new Columns(Math.max(INITIAL_CAPACITY, expectedSubjects));
    }

    /**
     * @return how many subjects this summary can hold before it grows (for tests).
     */
    int capacity()
    {
        return columns.entries.length;
    }

    public boolean isPartial()
    {
        return partial;
    }

    /**
     * Count a message of {@code entry}'s subject at {@code seq}, above every sequence counted before.
     */
    public void onMessage(final SubjectIndex.Entry entry, final long seq)
    {
        final int position = entry.summaryOwner == this ? entry.summaryPosition : -1;
        if (position < 0)
        {
            entry.summaryPosition = add(entry, seq);
            entry.summaryOwner = this;
        }
        else
        {
            count(position, seq);
        }
    }

    /**
     * Count a message found by a scan (on a reader's thread, so the entry's appender cache is left alone), in
     * ascending sequence order.
     *
     * @param positions the builder's own map from entry to position in this summary.
     */
    public void onScanned(
        final SubjectIndex.Entry entry, final long seq, final Map<SubjectIndex.Entry, Integer> positions)
    {
        final Integer position = positions.get(entry);
        if (null == position)
        {
            positions.put(entry, add(entry, seq));
        }
        else
        {
            count(position, seq);
        }
    }

    private void count(final int position, final long seq)
    {
        final Columns current = columns;
        current.counts[position]++;
        current.last[position] = seq;
    }

    /**
     * Uncount a removed message of {@code entry}'s subject.
     */
    public void onRemove(final SubjectIndex.Entry entry)
    {
        final int position = positionOf(entry);
        if (position >= 0)
        {
            columns.counts[position]--;
        }
    }

    private int add(final SubjectIndex.Entry entry, final long seq)
    {
        Columns current = columns;
        final int position = size;
        if (position == current.entries.length)
        {
            current = current.grow();
            columns = current;
        }
        current.entries[position] = entry;
        current.first[position] = seq;
        current.last[position] = seq;
        current.counts[position] = 1;
        size = position + 1;
        return position;
    }

    /**
     * @return the position of {@code entry}, or -1.
     */
    public int positionOf(final SubjectIndex.Entry entry)
    {
        if (entry.summaryOwner == this)
        {
            return entry.summaryPosition;
        }
        final int count = size;
        final SubjectIndex.Entry[] entries = columns.entries;
        for (int i = 0; i < count; i++)
        {
            if (entries[i] == entry)
            {
                return i;
            }
        }
        return -1;
    }

    public int size()
    {
        return size;
    }

    /**
     * Reader access to one column set, consistent for positions below the size read before it.
     */
    public Columns columns()
    {
        return columns;
    }

    /**
     * Parallel arrays, replaced whole when they grow so a reader never sees a half-copied set.
     */
    public static final class Columns
    {
        final SubjectIndex.Entry[] entries;
        final long[] first;
        final long[] last;
        final int[] counts;

        Columns(final int capacity)
        {
            entries = new SubjectIndex.Entry[capacity];
            first = new long[capacity];
            last = new long[capacity];
            counts = new int[capacity];
        }

        private Columns(final Columns from, final int capacity)
        {
            entries = Arrays.copyOf(from.entries, capacity);
            first = Arrays.copyOf(from.first, capacity);
            last = Arrays.copyOf(from.last, capacity);
            counts = Arrays.copyOf(from.counts, capacity);
        }

        Columns grow()
        {
            return new Columns(this, entries.length * 2);
        }

        public SubjectIndex.Entry entry(final int position)
        {
            return entries[position];
        }

        public long first(final int position)
        {
            return first[position];
        }

        public long last(final int position)
        {
            return last[position];
        }

        public int count(final int position)
        {
            return counts[position];
        }
    }
}
