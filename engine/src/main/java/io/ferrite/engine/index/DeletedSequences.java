package io.ferrite.engine.index;

import java.util.Arrays;

/**
 * The removed sequences of one block: a bitmap over {@code [baseSeq, baseSeq + span)}, grown on demand. Kept for every
 * block (loaded or not) so a sequence table built later from the block's records leaves removed messages out, and
 * persisted in {@code state.db} as runs.
 * <p>
 * Threading: mutated under the append lock; read under it (state writes) or under the owning block's monitor (table
 * builds), which the remover also takes.
 */
public final class DeletedSequences
{
    private static final long[] EMPTY = new long[0];

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
        final long bit = bitOf(seq);
        final int word = (int)(bit >>> 6);
        if (word >= words.length)
        {
            words = Arrays.copyOf(words, Math.max(word + 1, words.length * 2));
        }
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
     * Add every sequence in {@code [fromSeq, toSeq]}.
     */
    public void addRange(final long fromSeq, final long toSeq)
    {
        if (fromSeq <= toSeq)
        {
            // Both ends checked first: the whole-word path below indexes by the bit without add's check.
            bitOf(fromSeq);
            bitOf(toSeq);
        }
        for (long seq = fromSeq; seq <= toSeq; seq++)
        {
            final long bit = seq - baseSeq;
            if ((bit & 63) == 0 && seq + 63 <= toSeq)
            {
                final int word = (int)(bit >>> 6);
                if (word >= words.length)
                {
                    words = Arrays.copyOf(words, Math.max(word + 1, words.length * 2));
                }
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

    public boolean contains(final long seq)
    {
        final long bit = seq - baseSeq;
        if (bit < 0)
        {
            return false;
        }
        // Compared as a long: a word index past 2^31 must not wrap onto a word that exists.
        final long word = bit >>> 6;
        return word < words.length && (words[(int)word] & (1L << bit)) != 0;
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
     * @return the bit of {@code seq} in the bitmap.
     * @throws IllegalArgumentException when {@code seq} is below the base sequence, or so far above it that its word
     *                                  index would not fit an int (and would otherwise wrap onto another sequence's).
     */
    private long bitOf(final long seq)
    {
        final long bit = seq - baseSeq;
        if (bit < 0)
        {
            throw new IllegalArgumentException("seq " + seq + " is below the block's base sequence " + baseSeq);
        }
        if (bit >>> 6 >= Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("seq " + seq + " is too far above the block's base sequence " +
                baseSeq + " for its removed set");
        }
        return bit;
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
