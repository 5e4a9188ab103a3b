package io.ferrite.engine.index;

import io.ferrite.format.BlockDescriptor;
import java.util.Arrays;

/**
 * The removed sequences of one block: a bitmap over {@code [baseSeq, baseSeq + span)}, grown on demand. Kept for every
 * block (loaded or not) so a sequence table built later from the block's records leaves removed messages out, and
 * persisted in {@code state.db} as runs.
 * <p>
 * The span never exceeds {@link io.ferrite.format.BlockDescriptor#MAX_SEQUENCE_SPAN}, the sequences the block's records
 * can carry: a range reaching past them (a tombstone or a {@code state.db} run across a gap between blocks, or one a
 * forged state raised to 2^62) records only the part the block can hold, so no number read from a file sizes the
 * bitmap beyond 128 KiB. What lies past it is in no block, and nothing asks whether it was removed.
 * <p>
 * Threading: mutated under the append lock; read under it (state writes) or under the owning block's monitor (table
 * builds), which the remover also takes.
 */
public final class DeletedSequences
{
    private static final long[] EMPTY = new long[0];

    private static final long SPAN = BlockDescriptor.MAX_SEQUENCE_SPAN;

    private final long baseSeq;
    private long[] words = EMPTY;
    private int count;

    public DeletedSequences(final long baseSeq)
    {
        this.baseSeq = baseSeq;
    }

    /**
     * @return whether {@code seq} was newly added.
     */
    public boolean add(final long seq)
    {
        final long bit = seq - baseSeq;
        if (bit < 0 || bit >= SPAN)
        {
            throw new IllegalArgumentException("seq " + seq + " is outside the block's sequences [" + baseSeq + ", " +
                (baseSeq + SPAN - 1) + "]");
        }
        final int word = (int)(bit >>> 6);
        grow(word);
        final long mask = 1L << bit;
        if ((words[word] & mask) != 0)
        {
            return false;
        }
        words[word] |= mask;
        count++;
        return true;
    }

    /**
     * Add every sequence in {@code [fromSeq, toSeq]} the block can hold; the rest of the range is in no block.
     */
    public void addRange(final long fromSeq, final long toSeq)
    {
        final long last = Math.min(toSeq, baseSeq + SPAN - 1);
        for (long seq = Math.max(fromSeq, baseSeq); seq <= last; seq++)
        {
            final long bit = seq - baseSeq;
            if ((bit & 63) == 0 && seq + 63 <= last)
            {
                final int word = (int)(bit >>> 6);
                grow(word);
                count += 64 - Long.bitCount(words[word]);
                words[word] = -1L;
                seq += 63;
            }
            else
            {
                add(seq);
            }
        }
    }

    private void grow(final int word)
    {
        if (word >= words.length)
        {
            words = Arrays.copyOf(words, (int)Math.min(SPAN >>> 6, Math.max(word + 1, words.length * 2L)));
        }
    }

    public boolean contains(final long seq)
    {
        final long bit = seq - baseSeq;
        if (bit < 0 || bit >= SPAN)
        {
            return false;
        }
        final int word = (int)(bit >>> 6);
        return word < words.length && (words[word] & (1L << bit)) != 0;
    }

    public int count()
    {
        return count;
    }

    public boolean isEmpty()
    {
        return count == 0;
    }

    /**
     * A run of consecutive removed sequences.
     */
    @FunctionalInterface
    public interface RunConsumer
    {
        void accept(long fromSeq, long toSeq);
    }

    /**
     * Visit the removed sequences as runs in ascending order.
     */
    public void forEachRun(final RunConsumer consumer)
    {
        long runStart = -1;
        final long end = (long)words.length << 6;
        for (long bit = 0; bit < end; bit++)
        {
            final int word = (int)(bit >>> 6);
            if (words[word] == 0 && (bit & 63) == 0)
            {
                if (runStart >= 0)
                {
                    consumer.accept(baseSeq + runStart, baseSeq + bit - 1);
                    runStart = -1;
                }
                bit += 63;
                continue;
            }
            final boolean set = (words[word] & (1L << bit)) != 0;
            if (set && runStart < 0)
            {
                runStart = bit;
            }
            else if (!set && runStart >= 0)
            {
                consumer.accept(baseSeq + runStart, baseSeq + bit - 1);
                runStart = -1;
            }
        }
        if (runStart >= 0)
        {
            consumer.accept(baseSeq + runStart, baseSeq + end - 1);
        }
    }
}
