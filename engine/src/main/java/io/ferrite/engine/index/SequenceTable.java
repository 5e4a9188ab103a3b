package io.ferrite.engine.index;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each sequence of one block lives: record offset by {@code seq - baseSeq}, 0 for a sequence with no message.
 * Makes {@code load(seq)} a lookup instead of a scan.
 * <p>
 * The entries live off the heap, four bytes per sequence: a store's tables grow with its data (≈ 2 % of it at 128-byte
 * messages), and on the heap every block's table was garbage the collector had to copy into the old generation and
 * then keep — per append, the bulk of what the write path allocated (docs/BENCHMARKS.md). Direct memory goes back to
 * the system only when something frees it: a collection frees an unreachable table's, but the heap barely grows with
 * tables off it, so collections that would find them come rarely — and the JDK's answer to a full direct-memory budget
 * is a full collection it asks for, or an {@code OutOfMemoryError} where those are disabled. So a block's tables are
 * freed explicitly ({@link #free}) where its mappings are unmapped: once it left the index and no reader can hold it
 * (the store's read gate, append and maintenance locks; {@code BlockUnmapper}), or at close. Entries a growth
 * replaced go with them: a reader may still hold those until then.
 * <p>
 * Threading: one writer. Readers first acquire the store's published last sequence and only look up sequences at or
 * below it; every entry up to that sequence was written before the release that published it, and the buffer reference
 * is volatile so a reader never sees a grown buffer that lacks those entries.
 */
public final class SequenceTable
{
    private static final int INITIAL_CAPACITY = 1024;
    /** What a freed table reads: no entry, so nothing listed. */
    private static final UnsafeBuffer FREED = new UnsafeBuffer(new byte[0]);

    private final long baseSeq;
    private volatile UnsafeBuffer offsets;
    /** Entries growths replaced, freed with the table; written by the one writer, read by {@link #free}. */
    private List<ByteBuffer> outgrown;
    private boolean freed;

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
        this(baseSeq, allocate(expectedSequences));
    }

    /**
     * @param offsets zeroed entries this table takes over (made ahead of the roll, off the append path, by the block
     *                preparer with {@link #allocate(int)}); it grows from there as {@link #put} needs.
     */
    public SequenceTable(final long baseSeq, final UnsafeBuffer offsets)
    {
        if (0 == offsets.capacity() || 0 != (offsets.capacity() & (Integer.BYTES - 1)))
        {
            throw new IllegalArgumentException("sequence table entries must be a whole number of ints, at least one: " +
                offsets.capacity() + " bytes");
        }
        this.baseSeq = baseSeq;
        this.offsets = offsets;
    }

    /**
     * @param expectedSequences how many sequences a block is expected to span.
     * @return zeroed off-heap entries for a table of a block spanning {@code expectedSequences}, never fewer than a
     * minimum.
     */
    public static UnsafeBuffer allocate(final int expectedSequences)
    {
        return entries(Math.max(INITIAL_CAPACITY, expectedSequences));
    }

    public long baseSeq()
    {
        return baseSeq;
    }

    public void put(final long seq, final int recordOffset)
    {
        if (seq < baseSeq || seq - baseSeq >= Integer.MAX_VALUE / Integer.BYTES)
        {
            throw new IllegalArgumentException("sequence " + seq + " is outside the table of the block based at " +
                baseSeq);
        }
        final int index = (int)(seq - baseSeq);
        final UnsafeBuffer table = offsets;
        final int length = length(table);
        if (index >= length)
        {
            // The old entries stay as they are for a reader that still holds them, until the table is freed.
            final UnsafeBuffer grown = entries(Math.max(index + 1, length * 2));
            grown.putBytes(0, table, 0, table.capacity());
            grown.putInt(index * Integer.BYTES, recordOffset);
            offsets = grown;
            if (table != FREED && null != table.byteBuffer())
            {
                if (null == outgrown)
                {
                    outgrown = new ArrayList<>(2);
                }
                outgrown.add(table.byteBuffer());
            }
        }
        else
        {
            table.putInt(index * Integer.BYTES, recordOffset);
        }
    }

    public void clear(final long seq)
    {
        final long index = seq - baseSeq;
        final UnsafeBuffer table = offsets;
        if (index >= 0 && index < length(table))
        {
            table.putInt((int)index * Integer.BYTES, 0);
        }
    }

    /**
     * @return one past the highest sequence this table can hold now: every listed sequence is below it.
     */
    public long endSeq()
    {
        return baseSeq + length(offsets);
    }

    /**
     * @return the first sequence at or after {@code seq} (and below {@link #endSeq()}) that the table lists, or -1.
     */
    public long nextListed(final long seq)
    {
        final UnsafeBuffer table = offsets;
        try
        {
            final int length = length(table);
            for (long index = Math.max(0, seq - baseSeq); index < length; index++)
            {
                if (table.getInt((int)index * Integer.BYTES) != 0)
                {
                    return baseSeq + index;
                }
            }
            return -1;
        }
        finally
        {
            // The loop may keep only the buffer's address: the buffer must stay reachable until it ends.
            Reference.reachabilityFence(table);
        }
    }

    /**
     * @return the first sequence in {@code [seq, toSeq]} that the table lists, or -1; looks at no entry above
     * {@code toSeq}, so a tailer at the end of a block does not scan the unwritten rest of its table.
     */
    public long nextListed(final long seq, final long toSeq)
    {
        final UnsafeBuffer table = offsets;
        try
        {
            final long end = Math.min(length(table) - 1L, toSeq - baseSeq);
            for (long index = Math.max(0, seq - baseSeq); index <= end; index++)
            {
                if (table.getInt((int)index * Integer.BYTES) != 0)
                {
                    return baseSeq + index;
                }
            }
            return -1;
        }
        finally
        {
            Reference.reachabilityFence(table);
        }
    }

    /**
     * @return the last sequence at or before {@code seq} that the table lists, or -1.
     */
    public long previousListed(final long seq)
    {
        final UnsafeBuffer table = offsets;
        try
        {
            for (long index = Math.min(length(table) - 1, seq - baseSeq); index >= 0; index--)
            {
                if (table.getInt((int)index * Integer.BYTES) != 0)
                {
                    return baseSeq + index;
                }
            }
            return -1;
        }
        finally
        {
            Reference.reachabilityFence(table);
        }
    }

    /**
     * @return the record offset of {@code seq}, or 0 when the block holds no message there.
     */
    public int get(final long seq)
    {
        final long index = seq - baseSeq;
        final UnsafeBuffer table = offsets;
        return index >= 0 && index < length(table) ? table.getInt((int)index * Integer.BYTES) : 0;
    }

    /**
     * Give the table's memory back to the system; it lists nothing from then on. Only once no thread can read it: the
     * caller knows (the block left the index and the read gate showed no reader after that, or the store closed with
     * none inside). A second call does nothing. On a thread that took the append lock after the writer's last
     * {@link #put}, so it sees every growth.
     */
    public void free()
    {
        if (freed)
        {
            return;
        }
        freed = true;
        final UnsafeBuffer current = offsets;
        offsets = FREED;
        release(current.byteBuffer());
        if (null != outgrown)
        {
            for (final ByteBuffer entries : outgrown)
            {
                release(entries);
            }
            outgrown = null;
        }
    }

    private static void release(final ByteBuffer entries)
    {
        // Entries a caller handed in on the heap (tests) have no direct memory to give back.
        if (null != entries && entries.isDirect())
        {
            BufferUtil.free(entries);
        }
    }

    private static int length(final UnsafeBuffer table)
    {
        return table.capacity() / Integer.BYTES;
    }

    private static UnsafeBuffer entries(final int length)
    {
        if (length > Integer.MAX_VALUE / Integer.BYTES)
        {
            throw new IllegalArgumentException("a block cannot span " + length + " sequences");
        }
        // allocateDirect zeroes the memory: an entry never written reads as "no message". Not an aligned slice: only
        // the buffer allocateDirect returns can be freed.
        return new UnsafeBuffer(ByteBuffer.allocateDirect(length * Integer.BYTES));
    }
}
