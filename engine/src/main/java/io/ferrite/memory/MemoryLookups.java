package io.ferrite.memory;

import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.FilteredState;
import io.ferrite.store.SubjectRules;
import org.agrona.AsciiSequenceView;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Map;
import java.util.TreeSet;

/**
 * The questions a memory store answers by walking its records: the next or previous message matching a filter, the
 * filtered state from a sequence, the first message at a time. Literal subjects go through the per-subject index;
 * wildcards walk the records in sequence order.
 * <p>
 * Threading: the caller holds the store's read lock. Allocates one subject view per call.
 */
final class MemoryLookups
{
    private final MemoryMessages messages;

    MemoryLookups(final MemoryMessages messages)
    {
        this.messages = messages;
    }

    /**
     * @return the first record at or after {@code fromSeq} whose subject matches {@code filter}, or null.
     */
    UnsafeBuffer next(final String filter, final long fromSeq)
    {
        final AsciiSequenceView subject = new AsciiSequenceView();
        for (final UnsafeBuffer record : messages.from(fromSeq).values())
        {
            if (matches(filter, record, subject))
            {
                return record;
            }
        }
        return null;
    }

    /**
     * @return the last record at or before {@code seq} whose subject matches {@code filter}, or null.
     */
    UnsafeBuffer previous(final String filter, final long seq)
    {
        if (SubjectRules.isLiteral(filter))
        {
            final TreeSet<Long> seqs = messages.subjectSeqs(filter);
            final Long found = null == seqs ? null : seqs.floor(seq);
            return null == found ? null : messages.record(found);
        }
        final AsciiSequenceView subject = new AsciiSequenceView();
        for (final UnsafeBuffer record : messages.backFrom(seq).values())
        {
            if (matches(filter, record, subject))
            {
                return record;
            }
        }
        return null;
    }

    /**
     * @return the count, first and last sequence of the records at or after {@code fromSeq} matching {@code filter}.
     */
    FilteredState filteredState(final String filter, final long fromSeq)
    {
        if (SubjectRules.isLiteral(filter))
        {
            final TreeSet<Long> seqs = messages.subjectSeqs(filter);
            final Long first = null == seqs ? null : seqs.ceiling(fromSeq);
            return null == first ? FilteredState.NONE :
                new FilteredState(seqs.tailSet(first, true).size(), first, seqs.last());
        }
        long msgs = 0;
        long first = 0;
        long last = 0;
        final AsciiSequenceView subject = new AsciiSequenceView();
        for (final Map.Entry<Long, UnsafeBuffer> entry : messages.from(fromSeq).entrySet())
        {
            if (matches(filter, entry.getValue(), subject))
            {
                msgs++;
                first = first == 0 ? entry.getKey() : first;
                last = entry.getKey();
            }
        }
        return msgs == 0 ? FilteredState.NONE : new FilteredState(msgs, first, last);
    }

    /**
     * Timestamps never decrease with the sequence, so the first message at or after {@code timeNanos} is found by
     * walking from the oldest: linear in the messages before it.
     *
     * @return its sequence, or the last sequence + 1 when every message is older.
     */
    long sequenceAt(final long timeNanos)
    {
        for (final Map.Entry<Long, UnsafeBuffer> entry : messages.from(1).entrySet())
        {
            if (MemoryMessages.timestamp(entry.getValue()) >= timeNanos)
            {
                return entry.getKey();
            }
        }
        return messages.lastSeq() + 1;
    }

    /**
     * @return whether {@code record}'s subject matches {@code filter}, read through the reusable {@code subject} view.
     */
    static boolean matches(final String filter, final UnsafeBuffer record, final AsciiSequenceView subject)
    {
        return SubjectRules.matches(filter, subject.wrap(record, RecordDescriptor.subjectOffset(0),
            MemoryMessages.subjectLength(record)));
    }
}
