package io.ferrite.engine;

import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.store.Discard;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.StreamLimits;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies a stream's {@link StreamLimits}: before an append, {@link Discard#NEW} refuses one that would exceed a
 * limit; after it, {@link Discard#OLD} removes the oldest messages (of the stream, or of the subject) until the stream
 * is within its limits again; a timer expires messages past {@code maxAge}; and opening applies them all, so limits
 * changed between runs take effect at once.
 * <p>
 * Threading: every method runs under the append lock.
 */
final class Retention
{
    private final String stream;
    /** Replaced by {@code updateLimits} under the append lock; read by the reclaim thread for its age timer. */
    private volatile StreamLimits limits;
    private final StreamIndex index;
    private final StreamRemover remover;
    private final StreamReader reader;
    private boolean any;

    Retention(
        final String stream, final StreamLimits limits, final StreamIndex index, final StreamRemover remover,
        final StreamReader reader)
    {
        this.stream = stream;
        this.limits = limits;
        this.index = index;
        this.remover = remover;
        this.reader = reader;
        this.any = countsOrBytes(limits);
    }

    StreamLimits limits()
    {
        return limits;
    }

    /**
     * Take new limits; the caller applies them with {@link #enforceAll}. Under the append lock.
     */
    void limits(final StreamLimits limits)
    {
        this.limits = limits;
        this.any = countsOrBytes(limits);
    }

    private static boolean countsOrBytes(final StreamLimits limits)
    {
        return limits.maxMsgs() != StreamLimits.UNLIMITED || limits.maxBytes() != StreamLimits.UNLIMITED ||
            limits.maxMsgsPerSubject() != StreamLimits.UNLIMITED;
    }

    /**
     * Refuse, under {@link Discard#NEW}, an append of {@code messageBytes} under {@code subject} that would exceed a
     * limit.
     */
    void checkRoom(final String subject, final long messageBytes)
    {
        if (!any || limits.discard() != Discard.NEW)
        {
            return;
        }
        if (limits.maxMsgs() != StreamLimits.UNLIMITED && index.msgs() + 1 > limits.maxMsgs())
        {
            throw new LimitExceededException(stream, LimitExceededException.Limit.MAX_MSGS, limits.maxMsgs(),
                index.msgs() + " messages stored");
        }
        if (limits.maxBytes() != StreamLimits.UNLIMITED && index.bytes() + messageBytes > limits.maxBytes())
        {
            throw new LimitExceededException(stream, LimitExceededException.Limit.MAX_BYTES, limits.maxBytes(),
                index.bytes() + " bytes stored, the message adds " + messageBytes);
        }
        if (limits.maxMsgsPerSubject() != StreamLimits.UNLIMITED)
        {
            final SubjectIndex.Entry entry = index.subjects().get(subject);
            if (null != entry && entry.msgs() + 1 > limits.maxMsgsPerSubject())
            {
                throw new LimitExceededException(stream, LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT,
                    limits.maxMsgsPerSubject(), "subject " + subject + " holds " + entry.msgs() + " messages");
            }
        }
    }

    /**
     * Under {@link Discard#OLD}, remove the oldest messages until the stream and {@code entry}'s subject are within
     * their limits.
     */
    void afterAppend(final SubjectIndex.Entry entry)
    {
        if (!any || limits.discard() != Discard.OLD)
        {
            return;
        }
        enforceTotals();
        if (limits.maxMsgsPerSubject() != StreamLimits.UNLIMITED)
        {
            enforceSubject(entry);
        }
    }

    /**
     * Apply every limit now (on open, and after the limits changed), whatever the discard policy: a stream reopened
     * with tighter limits keeps only what they allow.
     */
    void enforceAll(final long nowNanos)
    {
        expire(nowNanos);
        enforceTotals();
        if (limits.maxMsgsPerSubject() != StreamLimits.UNLIMITED)
        {
            final List<SubjectIndex.Entry> entries = new ArrayList<>();
            index.subjects().forEach((subject, entry) -> entries.add(entry));
            for (final SubjectIndex.Entry entry : entries)
            {
                enforceSubject(entry);
            }
        }
    }

    /**
     * Remove every message whose timestamp is older than {@code maxAge} before {@code nowNanos}.
     *
     * @return messages removed.
     */
    long expire(final long nowNanos)
    {
        if (limits.maxAge().isZero() || index.msgs() == 0)
        {
            return 0;
        }
        final long cutoff = nowNanos - limits.maxAge().toNanos();
        if (index.firstTime() >= cutoff)
        {
            return 0;
        }
        return remover.compact(StreamQueries.sequenceAt(index, cutoff));
    }

    private void enforceTotals()
    {
        while (limits.maxMsgs() != StreamLimits.UNLIMITED && index.msgs() > limits.maxMsgs())
        {
            remover.removeFirst();
        }
        while (limits.maxBytes() != StreamLimits.UNLIMITED && index.bytes() > limits.maxBytes())
        {
            remover.removeFirst();
        }
    }

    private void enforceSubject(final SubjectIndex.Entry entry)
    {
        final StreamReader.Context context = reader.context();
        while (!entry.isRemoved() && entry.msgs() > limits.maxMsgsPerSubject())
        {
            final long first = reader.scan().findNext(entry.subject(), entry.firstSeq(), index.lastSeq(), context);
            if (first < 0)
            {
                throw new IllegalStateException("subject " + entry.subject() + " counts " + entry.msgs() +
                    " messages but none is stored from " + entry.firstSeq());
            }
            entry.firstSeq(first);
            remover.remove(first, 0);
        }
    }
}
