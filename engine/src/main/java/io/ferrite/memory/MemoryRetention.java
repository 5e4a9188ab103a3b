package io.ferrite.memory;

import io.ferrite.store.Discard;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.ListenerSet;
import io.ferrite.store.StreamLimits;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Map;
import java.util.TreeSet;

/**
 * Applies a memory stream's {@link StreamLimits} as the file store does: before an append, {@link Discard#NEW}
 * refuses one that would exceed a limit; after it, {@link Discard#OLD} removes the oldest messages of the stream,
 * then of the subject, until both are within their limits; messages past {@code maxAge} go whenever the store is
 * next used; and new limits apply at once, whatever the discard policy.
 * <p>
 * Threading: every method runs under the store's write lock.
 */
final class MemoryRetention
{
    private final String stream;
    private final MemoryMessages messages;
    private final ListenerSet listeners;
    private StreamLimits limits;

    MemoryRetention(
        final String stream, final StreamLimits limits, final MemoryMessages messages, final ListenerSet listeners)
    {
        this.stream = stream;
        this.limits = limits;
        this.messages = messages;
        this.listeners = listeners;
    }

    StreamLimits limits()
    {
        return limits;
    }

    /**
     * Take new limits and apply every one of them now.
     */
    void update(final StreamLimits limits, final long nowNanos)
    {
        this.limits = limits;
        expire(nowNanos);
        enforceTotals();
        if (limits.maxMsgsPerSubject() != StreamLimits.UNLIMITED)
        {
            for (final String subject : messages.subjectNames())
            {
                enforceSubject(subject);
            }
        }
    }

    /**
     * Refuse, under {@link Discard#NEW}, an append of {@code messageBytes} under {@code subject} that would exceed a
     * limit.
     */
    void checkRoom(final String subject, final long messageBytes)
    {
        if (limits.discard() != Discard.NEW)
        {
            return;
        }
        if (limits.maxMsgs() != StreamLimits.UNLIMITED && messages.msgs() + 1 > limits.maxMsgs())
        {
            throw new LimitExceededException(stream, LimitExceededException.Limit.MAX_MSGS, limits.maxMsgs(),
                messages.msgs() + " messages stored");
        }
        if (limits.maxBytes() != StreamLimits.UNLIMITED && messages.bytes() + messageBytes > limits.maxBytes())
        {
            throw new LimitExceededException(stream, LimitExceededException.Limit.MAX_BYTES, limits.maxBytes(),
                messages.bytes() + " bytes stored, the message adds " + messageBytes);
        }
        if (limits.maxMsgsPerSubject() != StreamLimits.UNLIMITED)
        {
            final TreeSet<Long> seqs = messages.subjectSeqs(subject);
            if (null != seqs && seqs.size() + 1 > limits.maxMsgsPerSubject())
            {
                throw new LimitExceededException(stream, LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT,
                    limits.maxMsgsPerSubject(), "subject " + subject + " holds " + seqs.size() + " messages");
            }
        }
    }

    /**
     * Under {@link Discard#OLD}, remove the oldest messages until the stream and {@code subject} are within their
     * limits.
     */
    void afterAppend(final String subject)
    {
        if (limits.discard() != Discard.OLD)
        {
            return;
        }
        enforceTotals();
        enforceSubject(subject);
    }

    /**
     * @return the time at which the oldest message passes {@code maxAge}, or {@link Long#MAX_VALUE} for never.
     */
    long nextExpiry()
    {
        if (limits.maxAge().isZero() || messages.msgs() == 0)
        {
            return Long.MAX_VALUE;
        }
        final long firstTime = messages.firstTime();
        final long maxAge = limits.maxAge().toNanos();
        return firstTime > Long.MAX_VALUE - maxAge ? Long.MAX_VALUE : firstTime + maxAge;
    }

    /**
     * Remove every message whose timestamp is older than {@code maxAge} before {@code nowNanos}.
     *
     * @return messages removed.
     */
    long expire(final long nowNanos)
    {
        if (limits.maxAge().isZero())
        {
            return 0;
        }
        final long cutoff = nowNanos - limits.maxAge().toNanos();
        final long from = messages.firstSeq();
        long to = 0;
        long removed = 0;
        Map.Entry<Long, UnsafeBuffer> first;
        while (null != (first = messages.from(1).firstEntry()) && MemoryMessages.timestamp(first.getValue()) < cutoff)
        {
            to = first.getKey();
            messages.remove(to, false);
            removed++;
        }
        if (removed > 0)
        {
            listeners.onRemovedRange(from, to);
        }
        return removed;
    }

    private void enforceTotals()
    {
        while (messages.msgs() > 0 && (over(limits.maxMsgs(), messages.msgs()) ||
            over(limits.maxBytes(), messages.bytes())))
        {
            removeOne(messages.firstSeq());
        }
    }

    private void enforceSubject(final String subject)
    {
        if (limits.maxMsgsPerSubject() == StreamLimits.UNLIMITED)
        {
            return;
        }
        TreeSet<Long> seqs = messages.subjectSeqs(subject);
        while (null != seqs && seqs.size() > limits.maxMsgsPerSubject())
        {
            removeOne(seqs.first());
            seqs = messages.subjectSeqs(subject);
        }
    }

    private void removeOne(final long seq)
    {
        messages.remove(seq, false);
        listeners.onRemoved(seq);
    }

    private static boolean over(final long limit, final long value)
    {
        return limit != StreamLimits.UNLIMITED && value > limit;
    }
}
