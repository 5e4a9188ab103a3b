package io.ferrite.memory;

import io.ferrite.store.CursorPosition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The named tailers' positions of a {@link MemoryStreamStore}: kept on the heap, so they survive a tailer's close and
 * are gone with the store.
 * <p>
 * Threading: under this object's monitor; a position is raised under its cursor's monitor, by the tailer's thread
 * holding the store's read lock, and lowered by a truncation holding the store's write lock — so the two never meet.
 */
final class MemoryCursors
{
    private final String streamName;
    private final Map<String, Cursor> cursors = new TreeMap<>();

    MemoryCursors(final String streamName)
    {
        this.streamName = streamName;
    }

    synchronized Cursor acquire(final String name)
    {
        final Cursor cursor = cursors.computeIfAbsent(name, Cursor::new);
        if (cursor.open)
        {
            throw new IllegalStateException("tailer '" + name + "' of stream " + streamName + " is open already: " +
                "one tailer per name at a time (close the other first)");
        }
        cursor.open = true;
        return cursor;
    }

    synchronized void release(final Cursor cursor)
    {
        cursor.open = false;
    }

    synchronized List<CursorPosition> list()
    {
        final List<CursorPosition> positions = new ArrayList<>(cursors.size());
        for (final Cursor cursor : cursors.values())
        {
            positions.add(new CursorPosition(cursor.name, cursor.ackedSeq, cursor.open));
        }
        return positions;
    }

    synchronized boolean delete(final String name)
    {
        final Cursor cursor = cursors.get(name);
        if (null != cursor && cursor.open)
        {
            throw new IllegalStateException("tailer '" + name + "' of stream " + streamName + " is open: close it " +
                "before deleting it");
        }
        return null != cursors.remove(name);
    }

    /**
     * Under the store's write lock: every cursor above {@code seq} moves back to it.
     */
    synchronized void onTruncated(final long seq)
    {
        for (final Cursor cursor : cursors.values())
        {
            synchronized (cursor)
            {
                cursor.ackedSeq = Math.min(cursor.ackedSeq, seq);
            }
        }
    }

    /**
     * One cursor: its name, the last sequence acknowledged, and whether a tailer holds it.
     */
    static final class Cursor
    {
        final String name;
        volatile long ackedSeq;
        /** Under the registry's monitor. */
        boolean open;

        Cursor(final String name)
        {
            this.name = name;
        }

        synchronized void raise(final long seq)
        {
            if (seq > ackedSeq)
            {
                ackedSeq = seq;
            }
        }
    }
}
