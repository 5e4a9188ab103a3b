package io.ferrite.engine.index;

import java.util.Arrays;

/**
 * Where each sequence of one block lives: record offset by {@code seq - baseSeq}, 0 for a sequence with no message.
 * Makes {@code load(seq)} a lookup instead of a scan.
 * <p>
 * Threading: one writer. Readers first acquire the store's published last sequence and only look up sequences at or
 * below it; every entry up to that sequence was written before the release that published it, and the array reference
 * is volatile so a reader never sees a grown array that lacks those entries.
 */
public final class SequenceTable
{
    private static final int INITIAL_CAPACITY = 1024;

    private final long baseSeq;
    private volatile int[] offsets;

    public SequenceTable(final long baseSeq)
    {
        this(baseSeq, INITIAL_CAPACITY);
    }

    /**
     * @param expectedSequences how many sequences the block is expected to span (the appender passes the previous
     *                          block's span), so a block as full as the one before it never grows the table: the
     *                          appender allocates the table once, at the roll, not again and again as it fills.
     */
    public SequenceTable(final long baseSeq, final int expectedSequences)
    {
        this.baseSeq = baseSeq;
        this.offsets = new int[initialLength(expectedSequences)];
    }

    /**
     * @param offsets a zeroed array this table takes over (allocated ahead of the roll, off the append path, by the
     *                block preparer); it grows from there as {@link #put} needs.
     */
    public SequenceTable(final long baseSeq, final int[] offsets)
    {
        this.baseSeq = baseSeq;
        this.offsets = offsets;
    }

    /**
     * @return the table length a block spanning {@code expectedSequences} starts with: never below a minimum.
     */
    public static int initialLength(final int expectedSequences)
    {
        return Math.max(INITIAL_CAPACITY, expectedSequences);
    }

    public long baseSeq()
    {
        return baseSeq;
    }

    public void put(final long seq, final int recordOffset)
    {
        final int index = (int)(seq - baseSeq);
        int[] table = offsets;
        if (index >= table.length)
        {
            table = Arrays.copyOf(table, Math.max(index + 1, table.length * 2));
            table[index] = recordOffset;
            offsets = table;
        }
        else
        {
            table[index] = recordOffset;
        }
    }

    public void clear(final long seq)
    {
        final long index = seq - baseSeq;
        final int[] table = offsets;
        if (index >= 0 && index < table.length)
        {
            table[(int)index] = 0;
        }
    }

    /**
     * @return one past the highest sequence this table can hold now: every listed sequence is below it.
     */
    public long endSeq()
    {
        return baseSeq + offsets.length;
    }

    /**
     * @return the first sequence at or after {@code seq} (and below {@link #endSeq()}) that the table lists, or -1.
     */
    public long nextListed(final long seq)
    {
        final int[] table = offsets;
        for (long index = Math.max(0, seq - baseSeq); index < table.length; index++)
        {
            if (table[(int)index] != 0)
            {
                return baseSeq + index;
            }
        }
        return -1;
    }

    /**
     * @return the first sequence in {@code [seq, toSeq]} that the table lists, or -1; looks at no entry above
     * {@code toSeq}, so a tailer at the end of a block does not scan the unwritten rest of its table.
     */
    public long nextListed(final long seq, final long toSeq)
    {
        final int[] table = offsets;
        final long end = Math.min(table.length - 1L, toSeq - baseSeq);
        for (long index = Math.max(0, seq - baseSeq); index <= end; index++)
        {
            if (table[(int)index] != 0)
            {
                return baseSeq + index;
            }
        }
        return -1;
    }

    /**
     * @return the last sequence at or before {@code seq} that the table lists, or -1.
     */
    public long previousListed(final long seq)
    {
        final int[] table = offsets;
        for (long index = Math.min(table.length - 1, seq - baseSeq); index >= 0; index--)
        {
            if (table[(int)index] != 0)
            {
                return baseSeq + index;
            }
        }
        return -1;
    }

    /**
     * @return the record offset of {@code seq}, or 0 when the block holds no message there.
     */
    public int get(final long seq)
    {
        final long index = seq - baseSeq;
        final int[] table = offsets;
        return index >= 0 && index < table.length ? table[(int)index] : 0;
    }
}
