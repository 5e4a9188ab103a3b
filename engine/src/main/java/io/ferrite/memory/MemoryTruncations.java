package io.ferrite.memory;

import io.ferrite.store.StreamTruncatedException;

/**
 * The truncations of a memory store, as its tailers need them: how many there were, and the last sequence each of the
 * latest {@value #RING} kept, so a tailer that polls less often than once per {@value #RING} truncations still learns
 * how far back they went (as the file store's positions area does).
 * <p>
 * Threading: written under the store's write lock, read under its read lock.
 */
final class MemoryTruncations
{
    /** How many truncation points a tailer can be behind and still be told how far back they went. */
    static final int RING = 16;

    private final String streamName;
    private final long[] keptTo = new long[RING];
    private long count;

    MemoryTruncations(final String streamName)
    {
        this.streamName = streamName;
    }

    /**
     * A truncation kept the sequences up to {@code seq}.
     */
    void add(final long seq)
    {
        keptTo[(int)(count % RING)] = seq;
        count++;
    }

    /**
     * @return how many truncations there were.
     */
    long count()
    {
        return count;
    }

    /**
     * @return the lowest sequence a truncation after the first {@code seen} kept: 0 when more than the ring holds
     * happened since, and how far back they went is unknown; {@link Long#MAX_VALUE} when none happened.
     */
    long lowestSince(final long seen)
    {
        if (count - seen > RING)
        {
            return 0;
        }
        long lowest = Long.MAX_VALUE;
        for (long i = seen; i < count; i++)
        {
            lowest = Math.min(lowest, keptTo[(int)(i % RING)]);
        }
        return lowest;
    }

    /**
     * Tell {@code tailer} of the truncations it has not seen: when one cut below where it is, move it back and throw.
     *
     * @throws StreamTruncatedException naming where it was and where it resumes.
     */
    void check(final MemoryTailer tailer)
    {
        final long seen = tailer.truncationsSeen();
        if (seen == count)
        {
            return;
        }
        final long lowest = lowestSince(seen);
        tailer.truncationsSeen(count);
        if (tailer.nextSeq() > lowest + 1)
        {
            final long was = tailer.nextSeq();
            tailer.nextSeq(lowest + 1);
            throw new StreamTruncatedException(streamName, was, lowest);
        }
    }
}
