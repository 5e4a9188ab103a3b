package io.ferrite.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Per-subject message count and first and last sequence, kept incrementally on append so {@code loadLast} and
 * literal-subject {@code loadNext} never scan, and persisted in {@code state.db}.
 * <p>
 * Threading: one writer (the appender, under the append lock). Readers may call {@link #lastSeq(String)} and
 * {@link #firstSeq(String)} concurrently: the map is concurrent and sequences are published with release stores.
 */
public final class SubjectIndex
{
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    public void onMessage(final String subject, final long seq)
    {
        onMessage(entryFor(subject), seq);
    }

    /**
     * @return the entry of {@code subject}, created empty when the subject is new. Appenders keep it (see
     * {@link SubjectSlots}) so a repeated subject costs no map lookup.
     */
    public Entry entryFor(final String subject)
    {
        Entry entry = entries.get(subject);
        if (null == entry)
        {
            entry = new Entry();
            entries.put(subject, entry);
        }
        return entry;
    }

    public void onMessage(final Entry entry, final long seq)
    {
        if (entry.msgs == 0)
        {
            entry.firstSeq = seq;
        }
        entry.msgs++;
        LAST_SEQ.setRelease(entry, seq);
    }

    /**
     * Restore an entry read from a state file.
     */
    public void restore(final String subject, final long msgs, final long firstSeq, final long lastSeq)
    {
        final Entry entry = new Entry();
        entry.msgs = msgs;
        entry.firstSeq = firstSeq;
        entry.lastSeq = lastSeq;
        entries.put(subject, entry);
    }

    public int size()
    {
        return entries.size();
    }

    /**
     * @return the last sequence stored under {@code subject}, or 0.
     */
    public long lastSeq(final String subject)
    {
        final Entry entry = entries.get(subject);
        return null == entry ? 0 : (long)LAST_SEQ.getAcquire(entry);
    }

    /**
     * @return the first sequence stored under {@code subject}, or 0.
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
     * @return the highest last sequence over subjects matching {@code filter}, or 0.
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
        long msgs;
        long firstSeq;
        long lastSeq;

        public long msgs()
        {
            return msgs;
        }

        public long firstSeq()
        {
            return firstSeq;
        }

        public long lastSeq()
        {
            return lastSeq;
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
