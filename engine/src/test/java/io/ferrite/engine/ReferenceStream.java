package io.ferrite.engine;

import io.ferrite.engine.testing.ReferenceSubjects;
import io.ferrite.store.Discard;
import io.ferrite.store.FilteredState;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The stream semantics as a plain in-memory model, written for obviousness rather than speed: a sorted map of the
 * stored messages, the last sequence assigned and the retention limits; and the comparisons that hold a store to it.
 * {@link StreamModelTest} drives it and a store (file or memory) with the same operations. It calls no production
 * code: filters match through {@link ReferenceSubjects}, the one reference matcher.
 * <p>
 * Timestamps are not invented here: the test records the one the store gave each append. {@code maxAge} is not
 * modelled (it depends on a timer).
 */
final class ReferenceStream
{
    static final String[] SUBJECTS = {"a.b", "a.c", "b.x.y", "c", "a.b.c.d"};
    static final String[] FILTERS = {">", "a.*", "a.>", "b.>", "*.x.*", "a.b", "c", "*", "b.*.y", "z.>", "*.*"};

    private final TreeMap<Long, StoredMessage> messages = new TreeMap<>();
    private final Map<String, TreeSet<Long>> bySubject = new HashMap<>();
    private long lastSeq;
    private long bytes;
    private long maxTime;
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
        maxTime = Math.max(maxTime, message.timestamp());
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

    /**
     * @return the last of {@code count} sequences reserved.
     */
    long skip(final long count)
    {
        lastSeq += count;
        return lastSeq;
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
            if (ReferenceSubjects.matches(filter, message.subject()))
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
            if (ReferenceSubjects.matches(filter, message.subject()))
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
            if (ReferenceSubjects.matches(filter, message.subject()))
            {
                return message;
            }
        }
        return null;
    }

    StoredMessage loadPrev(final String filter, final long seq)
    {
        for (final StoredMessage message : messages.headMap(seq, true).descendingMap().values())
        {
            if (ReferenceSubjects.matches(filter, message.subject()))
            {
                return message;
            }
        }
        return null;
    }

    FilteredState filteredState(final String filter, final long fromSeq)
    {
        long msgs = 0;
        long first = 0;
        long last = 0;
        for (final StoredMessage message : messages.tailMap(fromSeq, true).values())
        {
            if (ReferenceSubjects.matches(filter, message.subject()))
            {
                msgs++;
                first = first == 0 ? message.seq() : first;
                last = message.seq();
            }
        }
        return new FilteredState(msgs, first, last);
    }

    long numPending(final long fromSeq, final String filter)
    {
        long count = 0;
        for (final StoredMessage message : messages.tailMap(fromSeq, true).values())
        {
            count += ReferenceSubjects.matches(filter, message.subject()) ? 1 : 0;
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
            if (ReferenceSubjects.matches(filter, subject))
            {
                result.put(subject, new SubjectState(seqs.size(), seqs.first(), seqs.last()));
            }
        });
        return result;
    }

    long lastSeq()
    {
        return lastSeq;
    }

    long firstSeq()
    {
        return messages.isEmpty() ? lastSeq + 1 : messages.firstKey();
    }

    /**
     * @return the latest timestamp ever appended, removed or not: an appendAt at or after it is always accepted.
     */
    long maxTime()
    {
        return maxTime;
    }

    /**
     * @return the stored messages, in sequence order (a live view: do not modify).
     */
    NavigableMap<Long, StoredMessage> messages()
    {
        return messages;
    }

    /**
     * Totals and per-subject state, and {@code lastTime} when the last operation was an append at that time (else -1:
     * after removals and reopens the contract leaves it loose).
     */
    void checkTotals(final StreamStore store, final long expectedLastTime)
    {
        final StreamState st = store.state();
        final boolean empty = messages.isEmpty();
        expect("state.msgs", (long)messages.size(), st.msgs());
        expect("state.bytes", bytes, st.bytes());
        expect("state.firstSeq", firstSeq(), st.firstSeq());
        expect("state.lastSeq", lastSeq, st.lastSeq());
        expect("state.firstTime", empty ? 0L : messages.firstEntry().getValue().timestamp(), st.firstTime());
        expect("state.numDeleted", empty ? 0L : lastSeq - firstSeq() + 1 - messages.size(), st.numDeleted());
        expect("state.numSubjects", (long)bySubject.size(), st.numSubjects());
        if (expectedLastTime >= 0)
        {
            expect("state.lastTime right after an append", expectedLastTime, st.lastTime());
        }
        expect("subjects(>)", subjects(">"), store.subjects(">"));
    }

    /** One random point read, filtered scan, count, last-by-filter and time lookup. */
    void checkReads(final StreamStore store, final Random rnd)
    {
        final String filter = FILTERS[rnd.nextInt(FILTERS.length)];
        final long from = 1 + (long)rnd.nextInt((int)lastSeq + 2);
        final long seq = rnd.nextBoolean() ? existingSeq(rnd) : from;
        expect("load(" + seq + ")", load(seq), store.load(seq));
        expect("loadNext(" + filter + ", " + from + ")", loadNext(filter, from), store.loadNext(filter, from));
        expect("numPending(" + from + ", " + filter + ")", numPending(from, filter), store.numPending(from, filter));
        expect("loadLast(" + filter + ")", loadLast(filter), store.loadLast(filter));
        expect("loadPrev(" + filter + ", " + from + ")", loadPrev(filter, from), store.loadPrev(filter, from));
        expect("filteredState(" + filter + ", " + from + ")", filteredState(filter, from),
            store.filteredState(filter, from));
        final long t = randomTime(rnd);
        expect("sequenceAt(" + t + ")", sequenceAt(t), store.sequenceAt(instant(t)));
    }

    /** Every sequence, a walk of the whole stream, and every filter from a few random points. */
    void checkEverything(final StreamStore store, final Random rnd)
    {
        for (long seq = 1; seq <= lastSeq + 1; seq++)
        {
            expect("load(" + seq + ")", load(seq), store.load(seq));
        }
        final Iterator<StoredMessage> walk = messages.values().iterator();
        for (StoredMessage m = store.loadNext(">", 1); null != m; m = store.loadNext(">", m.seq() + 1))
        {
            expect("loadNext(>) walk", walk.hasNext() ? walk.next() : null, m);
        }
        check("loadNext(>) walk reached every message", !walk.hasNext());
        for (final String filter : FILTERS)
        {
            expect("subjects(" + filter + ")", subjects(filter), store.subjects(filter));
            expect("loadLast(" + filter + ")", loadLast(filter), store.loadLast(filter));
            for (int i = 0; i < 5; i++)
            {
                final long from = 1 + (long)rnd.nextInt((int)lastSeq + 2);
                expect("loadNext(" + filter + ", " + from + ")", loadNext(filter, from), store.loadNext(filter, from));
                expect("numPending(" + from + ", " + filter + ")", numPending(from, filter),
                    store.numPending(from, filter));
                expect("loadPrev(" + filter + ", " + from + ")", loadPrev(filter, from), store.loadPrev(filter, from));
                expect("filteredState(" + filter + ", " + from + ")", filteredState(filter, from),
                    store.filteredState(filter, from));
            }
        }
        for (final String subject : SUBJECTS)
        {
            expect("loadLast(" + subject + ")", loadLast(subject), store.loadLast(subject));
        }
        for (int i = 0; i < 20; i++)
        {
            final long t = randomTime(rnd);
            expect("sequenceAt(" + t + ")", sequenceAt(t), store.sequenceAt(instant(t)));
        }
    }

    /** Mostly a stored sequence; a gap or an unassigned one when nothing is stored. */
    long existingSeq(final Random rnd)
    {
        if (messages.isEmpty())
        {
            return 1 + rnd.nextInt((int)lastSeq + 1);
        }
        final Long seq = messages.ceilingKey(firstSeq() + rnd.nextInt((int)(lastSeq - firstSeq() + 1)));
        return null == seq ? messages.lastKey() : seq;
    }

    /** A stored message's time or one off it; now and then before or after everything. */
    private long randomTime(final Random rnd)
    {
        if (messages.isEmpty() || rnd.nextInt(10) == 0)
        {
            return rnd.nextBoolean() ? 1 : maxTime + 1 + rnd.nextInt(1000);
        }
        return load(existingSeq(rnd)).timestamp() + rnd.nextInt(3) - 1;
    }

    static void expect(final String what, final Object expected, final Object actual)
    {
        if (!Objects.equals(expected, actual))
        {
            throw new AssertionError(what + ": expected " + describe(expected) + " but was " + describe(actual));
        }
    }

    static void check(final String what, final boolean condition)
    {
        if (!condition)
        {
            throw new AssertionError("violated: " + what);
        }
    }

    private static String describe(final Object value)
    {
        if (value instanceof StoredMessage m)
        {
            return m + "{headers=" + Arrays.toString(Arrays.copyOf(m.headers(), Math.min(8, m.headers().length))) +
                ", payload=" + Arrays.toString(Arrays.copyOf(m.payload(), Math.min(8, m.payload().length))) + "}";
        }
        return String.valueOf(value);
    }

    static Instant instant(final long epochNanos)
    {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos,
            1_000_000_000L));
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
