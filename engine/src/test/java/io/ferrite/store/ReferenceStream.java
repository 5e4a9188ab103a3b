package io.ferrite.store;

import io.ferrite.index.Subjects;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The stream semantics as a plain in-memory model, written for obviousness rather than speed: a sorted map of the
 * stored messages, the last sequence assigned and the retention limits. {@link StreamModelTest} drives it and a
 * {@link FileStreamStore} with the same operations and requires both to agree.
 * <p>
 * Timestamps are not invented here: the test records the one the store gave each append. {@code maxAge} is not
 * modelled (it depends on a timer).
 */
final class ReferenceStream
{
    private final TreeMap<Long, StoredMessage> messages = new TreeMap<>();
    private final Map<String, TreeSet<Long>> bySubject = new HashMap<>();
    private long lastSeq;
    private long bytes;
    private long maxMsgs = StreamLimits.UNLIMITED;
    private long maxBytes = StreamLimits.UNLIMITED;
    private long maxMsgsPerSubject = StreamLimits.UNLIMITED;
    private Discard discard = Discard.OLD;

    static long messageBytes(final String subject, final byte[] headers, final byte[] payload)
    {
        return subject.getBytes(StandardCharsets.US_ASCII).length + (null == headers ? 0 : headers.length) +
            payload.length;
    }

    static long messageBytes(final StoredMessage message)
    {
        return messageBytes(message.subject(), message.headers(), message.payload());
    }

    /**
     * Take new limits, as a reopen with a changed config does, and apply them at once.
     */
    void limits(final StreamLimits limits)
    {
        this.maxMsgs = limits.maxMsgs();
        this.maxBytes = limits.maxBytes();
        this.maxMsgsPerSubject = limits.maxMsgsPerSubject();
        this.discard = limits.discard();
        enforceAll();
    }

    /**
     * @return the limits an append of this message would break under {@link Discard#NEW}; empty when it is accepted
     * (always empty under {@link Discard#OLD}).
     */
    Set<LimitExceededException.Limit> rejects(final String subject, final byte[] headers, final byte[] payload)
    {
        final EnumSet<LimitExceededException.Limit> broken = EnumSet.noneOf(LimitExceededException.Limit.class);
        if (discard != Discard.NEW)
        {
            return broken;
        }
        if (maxMsgs != StreamLimits.UNLIMITED && messages.size() + 1 > maxMsgs)
        {
            broken.add(LimitExceededException.Limit.MAX_MSGS);
        }
        if (maxBytes != StreamLimits.UNLIMITED && bytes + messageBytes(subject, headers, payload) > maxBytes)
        {
            broken.add(LimitExceededException.Limit.MAX_BYTES);
        }
        final TreeSet<Long> seqs = bySubject.get(subject);
        final long count = null == seqs ? 0 : seqs.size();
        if (maxMsgsPerSubject != StreamLimits.UNLIMITED && count + 1 > maxMsgsPerSubject)
        {
            broken.add(LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT);
        }
        return broken;
    }

    /**
     * Store an accepted append (the caller checked {@link #rejects}) and apply {@link Discard#OLD} retention.
     */
    void append(final StoredMessage message)
    {
        if (message.seq() <= lastSeq)
        {
            throw new IllegalStateException("model: seq " + message.seq() + " <= lastSeq " + lastSeq);
        }
        lastSeq = message.seq();
        messages.put(message.seq(), message);
        bySubject.computeIfAbsent(message.subject(), (s) -> new TreeSet<>()).add(message.seq());
        bytes += messageBytes(message);
        if (discard == Discard.OLD)
        {
            // The stream's totals first, then the subject's count: the order the semantics state. (JetStream trims
            // the subject first, which can remove fewer messages; the two differ only when both limits bite.)
            enforceTotals();
            enforceSubject(message.subject());
        }
    }

    long skip()
    {
        return ++lastSeq;
    }

    boolean remove(final long seq)
    {
        final StoredMessage message = messages.remove(seq);
        if (null == message)
        {
            return false;
        }
        final TreeSet<Long> seqs = bySubject.get(message.subject());
        seqs.remove(seq);
        if (seqs.isEmpty())
        {
            bySubject.remove(message.subject());
        }
        bytes -= messageBytes(message);
        return true;
    }

    long purge()
    {
        final long removed = messages.size();
        messages.clear();
        bySubject.clear();
        bytes = 0;
        return removed;
    }

    long purge(final String filter, final long upToSeq, final long keep)
    {
        final List<Long> matching = new ArrayList<>();
        for (final StoredMessage message : messages.values())
        {
            if (Subjects.matches(filter, message.subject()))
            {
                matching.add(message.seq());
            }
        }
        final int removable = (int)Math.max(0, matching.size() - keep);
        long removed = 0;
        for (int i = 0; i < removable; i++)
        {
            final long seq = matching.get(i);
            if (upToSeq == 0 || seq < upToSeq)
            {
                removed += remove(seq) ? 1 : 0;
            }
        }
        return removed;
    }

    long compact(final long seq)
    {
        long removed = 0;
        while (!messages.isEmpty() && messages.firstKey() < seq)
        {
            removed += remove(messages.firstKey()) ? 1 : 0;
        }
        if (seq > lastSeq + 1)
        {
            lastSeq = seq - 1;
        }
        return removed;
    }

    void truncate(final long seq)
    {
        while (!messages.isEmpty() && messages.lastKey() > seq)
        {
            remove(messages.lastKey());
        }
        lastSeq = seq;
    }

    StoredMessage load(final long seq)
    {
        return messages.get(seq);
    }

    StoredMessage loadNext(final String filter, final long fromSeq)
    {
        for (final StoredMessage message : messages.tailMap(fromSeq, true).values())
        {
            if (Subjects.matches(filter, message.subject()))
            {
                return message;
            }
        }
        return null;
    }

    StoredMessage loadLast(final String filter)
    {
        for (final StoredMessage message : messages.descendingMap().values())
        {
            if (Subjects.matches(filter, message.subject()))
            {
                return message;
            }
        }
        return null;
    }

    long numPending(final long fromSeq, final String filter)
    {
        long count = 0;
        for (final StoredMessage message : messages.tailMap(fromSeq, true).values())
        {
            count += Subjects.matches(filter, message.subject()) ? 1 : 0;
        }
        return count;
    }

    long sequenceAt(final long timeNanos)
    {
        for (final StoredMessage message : messages.values())
        {
            if (message.timestamp() >= timeNanos)
            {
                return message.seq();
            }
        }
        return lastSeq + 1;
    }

    Map<String, SubjectState> subjects(final String filter)
    {
        final Map<String, SubjectState> result = new TreeMap<>();
        bySubject.forEach((subject, seqs) ->
        {
            if (Subjects.matches(filter, subject))
            {
                result.put(subject, new SubjectState(seqs.size(), seqs.first(), seqs.last()));
            }
        });
        return result;
    }

    long msgs()
    {
        return messages.size();
    }

    long bytes()
    {
        return bytes;
    }

    long lastSeq()
    {
        return lastSeq;
    }

    long firstSeq()
    {
        return messages.isEmpty() ? lastSeq + 1 : messages.firstKey();
    }

    long firstTime()
    {
        return messages.isEmpty() ? 0 : messages.firstEntry().getValue().timestamp();
    }

    long numDeleted()
    {
        return messages.isEmpty() ? 0 : lastSeq - firstSeq() + 1 - messages.size();
    }

    long numSubjects()
    {
        return bySubject.size();
    }

    /**
     * @return the stored messages, in sequence order (a live view: do not modify).
     */
    NavigableMap<Long, StoredMessage> messages()
    {
        return messages;
    }

    /**
     * Limits are applied again on open, whatever the discard policy: a tighter config removes the oldest messages.
     */
    private void enforceAll()
    {
        enforceTotals();
        for (final String subject : new ArrayList<>(bySubject.keySet()))
        {
            enforceSubject(subject);
        }
    }

    private void enforceSubject(final String subject)
    {
        if (maxMsgsPerSubject == StreamLimits.UNLIMITED)
        {
            return;
        }
        TreeSet<Long> seqs = bySubject.get(subject);
        while (null != seqs && seqs.size() > maxMsgsPerSubject)
        {
            remove(seqs.first());
            seqs = bySubject.get(subject);
        }
    }

    private void enforceTotals()
    {
        while (!messages.isEmpty() && ((maxMsgs != StreamLimits.UNLIMITED && messages.size() > maxMsgs) ||
            (maxBytes != StreamLimits.UNLIMITED && bytes > maxBytes)))
        {
            remove(messages.firstKey());
        }
    }
}
