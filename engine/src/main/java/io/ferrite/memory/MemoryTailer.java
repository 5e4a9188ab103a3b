package io.ferrite.memory;

import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StreamTailer;

import java.time.Instant;
import java.util.Objects;

/**
 * A cursor over a {@link MemoryStreamStore}: where the next poll starts and how many truncations it has seen. The
 * store does the reading, under its read lock, so a poll sees a consistent map and waits only for a write in flight.
 * <p>
 * Threading: one thread at a time, as {@link StreamTailer} says.
 */
final class MemoryTailer implements StreamTailer
{
    private final MemoryStreamStore store;
    private final boolean durableOnly;
    /** Its own flyweight: a handler may read the store (and so rewrap the store's view) while holding this one. */
    private final MessageView view = new MessageView();
    private long nextSeq;
    private long truncationsSeen;
    private boolean closed;

    MemoryTailer(final MemoryStreamStore store, final long fromSeq, final boolean durableOnly)
    {
        this.store = store;
        this.durableOnly = durableOnly;
        seek(fromSeq);
    }

    @Override
    public int poll(final MessageHandler handler, final int limit)
    {
        ensureUsable();
        Objects.requireNonNull(handler, "handler");
        if (limit < 1)
        {
            throw new IllegalArgumentException("limit must be >= 1: " + limit);
        }
        return store.poll(this, handler, limit);
    }

    @Override
    public long nextSeq()
    {
        return nextSeq;
    }

    MessageView view()
    {
        return view;
    }

    void nextSeq(final long seq)
    {
        nextSeq = seq;
    }

    long truncationsSeen()
    {
        return truncationsSeen;
    }

    void truncationsSeen(final long truncations)
    {
        truncationsSeen = truncations;
    }

    @Override
    public void seek(final long seq)
    {
        ensureUsable();
        store.seek(this, seq);
    }

    @Override
    public void seek(final Instant time)
    {
        Objects.requireNonNull(time, "time");
        ensureUsable();
        store.seek(this, time);
    }

    @Override
    public boolean isDurableOnly()
    {
        return durableOnly;
    }

    @Override
    public void close()
    {
        closed = true;
    }

    private void ensureUsable()
    {
        if (closed)
        {
            throw new IllegalStateException("tailer of stream " + store.config().name() + " is closed");
        }
    }

    @Override
    public String toString()
    {
        return "StreamTailer[stream=" + store.config().name() + ", nextSeq=" + nextSeq +
            (durableOnly ? ", durableOnly" : "") + ", memory]";
    }
}
