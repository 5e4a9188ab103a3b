package io.ferrite.engine;

import io.ferrite.engine.index.SubjectIndex;

import java.util.List;

/**
 * The state of the subjects a {@code subjects(filter)} query matched, copied under the append lock together with the
 * last sequence and the removal version of that moment, so the query can make the bounds removals left exact after
 * releasing the lock and still answer for that one moment.
 * <p>
 * Threading: filled under the append lock by the querying thread, then read by that thread alone.
 */
final class SubjectsCopy
{
    final SubjectIndex.Entry[] entries;
    final long[] msgs;
    final long[] firstSeqs;
    final long[] lastSeqs;
    final boolean[] firstExact;
    final boolean[] lastExact;
    /** The number of entries copied: the matching ones still in the index. */
    final int size;
    /** The stream's last sequence at the copy: no answer reaches above it. */
    final long lastSeq;
    /** {@code RemovalVersion.stamp()} at the copy. */
    final long removalStamp;
    /** {@code StreamIndex.truncationsBegun()} at the copy. */
    final long truncations;

    /**
     * Copy the entries of {@code matching} still in the index; call under the append lock.
     */
    SubjectsCopy(
        final List<SubjectIndex.Entry> matching, final long lastSeq, final long removalStamp, final long truncations)
    {
        final int capacity = matching.size();
        entries = new SubjectIndex.Entry[capacity];
        msgs = new long[capacity];
        firstSeqs = new long[capacity];
        lastSeqs = new long[capacity];
        firstExact = new boolean[capacity];
        lastExact = new boolean[capacity];
        int copied = 0;
        for (final SubjectIndex.Entry entry : matching)
        {
            if (entry.isRemoved())
            {
                continue;
            }
            entries[copied] = entry;
            msgs[copied] = entry.msgs();
            firstSeqs[copied] = entry.firstSeq();
            lastSeqs[copied] = entry.lastSeq();
            firstExact[copied] = entry.firstExact();
            lastExact[copied] = entry.lastExact();
            copied++;
        }
        this.size = copied;
        this.lastSeq = lastSeq;
        this.removalStamp = removalStamp;
        this.truncations = truncations;
    }
}
