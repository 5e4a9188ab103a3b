package io.ferrite.engine.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Per-subject message count and first and last sequence, kept incrementally on append and removal so
 * {@code loadLast}, {@code subjects} and literal-subject {@code loadNext} never scan, and persisted in
 * {@code state.db}.
 * <p>
 * A removal that takes a subject's first (or last) message does not search for the next one: the first sequence
 * becomes a lower bound (the last an upper bound), marked inexact, and is resolved by a search only when a caller
 * needs it exact — a stream discarding old messages would otherwise search on every append.
 * <p>
 * Threading: one writer (under the append lock). Readers may call {@link #lastSeq(String)} and
 * {@link #firstSeq(String)} concurrently: the map is concurrent and sequences are published with release stores.
 */
public final class SubjectIndex
{
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** Entries added so far; see {@link #additions()}. */
    private volatile long additions;

    public void onMessage(final String subject, final long seq)
    {
        onMessage(entryFor(subject), seq);
    }

    /**
     * @return the entry of {@code subject}, created empty when the subject is new. Appenders keep it (see
     * {@link SubjectSlots}) so a repeated subject costs no map lookup; a kept entry that was dropped because its
     * subject emptied is {@link Entry#isRemoved() removed} and must be looked up again.
     */
    public Entry entryFor(final String subject)
    {
        Entry entry = entries.get(subject);
        if (null == entry)
        {
            entry = new Entry(subject);
            entries.put(subject, entry);
            additions = additions + 1;
        }
        return entry;
    }

    /**
     * @return the entry of {@code subject}, or null when it holds no message.
     */
    public Entry get(final String subject)
    {
        return entries.get(subject);
    }

    public void onMessage(final Entry entry, final long seq)
    {
        if (entry.msgs == 0)
        {
            entry.firstSeq = seq;
            entry.firstExact = true;
        }
        entry.msgs++;
        entry.lastExact = true;
        LAST_SEQ.setRelease(entry, seq);
    }

    /**
     * Uncount the message at {@code seq}; the subject is dropped when it was its last message.
     */
    public void onRemove(final Entry entry, final long seq)
    {
        entry.msgs--;
        if (entry.msgs <= 0)
        {
            entry.removed = true;
            entries.remove(entry.subject, entry);
            return;
        }
        if (seq == entry.firstSeq)
        {
            entry.firstSeq = seq + 1;
            entry.firstExact = false;
        }
        if (seq == entry.lastSeq)
        {
            // Inexact before the bound is published: a reader that sees the bound must not take it for a sequence.
            entry.lastExact = false;
            LAST_SEQ.setRelease(entry, seq - 1);
        }
        if (entry.msgs == 1)
        {
            if (entry.firstExact)
            {
                LAST_SEQ.setRelease(entry, entry.firstSeq);
                entry.lastExact = true;
            }
            else if (entry.lastExact)
            {
                entry.firstSeq = entry.lastSeq;
                entry.firstExact = true;
            }
        }
    }

    /**
     * Uncount {@code count} messages of the subject removed together (a whole block), none of them above
     * {@code lastRemoved}: what remains lies above it.
     */
    public void onRemoveMany(final Entry entry, final long count, final long lastRemoved)
    {
        entry.msgs -= count;
        if (entry.msgs <= 0)
        {
            entry.removed = true;
            entries.remove(entry.subject, entry);
            return;
        }
        if (entry.firstSeq <= lastRemoved)
        {
            entry.firstSeq = lastRemoved + 1;
            entry.firstExact = false;
        }
    }

    /**
     * Restore an entry read from a state file.
     */
    public void restore(
        final String subject, final long msgs, final long firstSeq, final long lastSeq, final boolean firstExact,
        final boolean lastExact)
    {
        final Entry entry = new Entry(subject);
        entry.msgs = msgs;
        entry.firstSeq = firstSeq;
        entry.lastSeq = lastSeq;
        entry.firstExact = firstExact;
        entry.lastExact = lastExact;
        entries.put(subject, entry);
        additions = additions + 1;
    }

    /**
     * @return how many entries were added (a new subject, or one that emptied and came back): a reader that lists the
     * entries without the append lock and reads the same count under it knows its list missed none. A new subject is
     * rare next to appends, so the volatile store costs the append path nothing measurable.
     */
    public long additions()
    {
        return additions;
    }

    /**
     * Drop every subject (a purge).
     */
    public void clear()
    {
        for (final Entry entry : entries.values())
        {
            entry.removed = true;
            entry.msgs = 0;
        }
        entries.clear();
    }

    public int size()
    {
        return entries.size();
    }

    /**
     * @return the last sequence stored under {@code subject} (an upper bound when not exact), or 0.
     */
    public long lastSeq(final String subject)
    {
        final Entry entry = entries.get(subject);
        return null == entry ? 0 : (long)LAST_SEQ.getAcquire(entry);
    }

    /**
     * @return the first sequence stored under {@code subject} (a lower bound when not exact), or 0.
     */
    public long firstSeq(final String subject)
    {
        final Entry entry = entries.get(subject);
        return null == entry ? 0 : entry.firstSeq;
    }

    /**
     * Visit each subject with its entry; call under the append lock for a consistent view.
     */
    public void forEach(final BiConsumer<String, Entry> consumer)
    {
        entries.forEach(consumer);
    }

    /**
     * @return the highest last sequence (or upper bound of it) over subjects matching {@code filter}, or 0.
     */
    public long lastSeqMatching(final String filter)
    {
        long last = 0;
        for (final Map.Entry<String, Entry> e : entries.entrySet())
        {
            if (Subjects.matches(filter, e.getKey()))
            {
                last = Math.max(last, (long)LAST_SEQ.getAcquire(e.getValue()));
            }
        }
        return last;
    }

    /**
     * One subject's totals.
     */
    public static final class Entry
    {
        final String subject;
        long msgs;
        long firstSeq;
        long lastSeq;
        boolean firstExact = true;
        boolean lastExact = true;
        boolean removed;
        /** The appender's cache of this subject's position in the tail block's summary. */
        BlockSubjects summaryOwner;
        int summaryPosition;
        /** The appender's copy of the subject's ASCII bytes, made on the first append that needs it. */
        private byte[] ascii;

        Entry(final String subject)
        {
            this.subject = subject;
        }

        public String subject()
        {
            return subject;
        }

        public long msgs()
        {
            return msgs;
        }

        /**
         * @return the subject's ASCII bytes, encoded on the first call; not to be modified. Appending thread only: a
         * subject cache that misses finds them here instead of encoding the subject again.
         */
        public byte[] ascii()
        {
            byte[] bytes = ascii;
            if (null == bytes)
            {
                bytes = subject.getBytes(StandardCharsets.US_ASCII);
                ascii = bytes;
            }
            return bytes;
        }

        /**
         * Give a new entry the bytes its appender already encoded, so {@link #ascii()} does not encode them again.
         */
        void asciiIfAbsent(final byte[] bytes)
        {
            if (null == ascii)
            {
                ascii = bytes;
            }
        }

        public long firstSeq()
        {
            return firstSeq;
        }

        public long lastSeq()
        {
            return (long)LAST_SEQ.getAcquire(this);
        }

        public boolean firstExact()
        {
            return firstExact;
        }

        public boolean lastExact()
        {
            return lastExact;
        }

        /** Resolve the first sequence found by a search. */
        public void firstSeq(final long seq)
        {
            firstSeq = seq;
            firstExact = true;
        }

        /** Resolve the last sequence found by a search. */
        public void lastSeq(final long seq)
        {
            LAST_SEQ.setRelease(this, seq);
            lastExact = true;
        }

        /**
         * @return whether the subject emptied and was dropped from the index since this entry was looked up.
         */
        public boolean isRemoved()
        {
            return removed;
        }
    }

    private static final VarHandle LAST_SEQ;

    static
    {
        try
        {
            LAST_SEQ = MethodHandles.lookup().findVarHandle(Entry.class, "lastSeq", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }
}
