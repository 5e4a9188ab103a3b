package io.ferrite.memory;

import io.ferrite.store.MessageHandler;
import io.ferrite.store.NamedTailer;

import java.time.Instant;

/**
 * A {@link NamedTailer} of a {@link MemoryStreamStore}: a {@link MemoryTailer} and the heap position it acknowledges.
 * <p>
 * Threading: one thread at a time, as {@link NamedTailer} says.
 */
final class MemoryNamedTailer implements NamedTailer
{
    private final MemoryStreamStore store;
    private final MemoryTailer tailer;
    private final MemoryCursors.Cursor cursor;
    private final MemoryCursors cursors;
    private boolean closed;

    MemoryNamedTailer(
        final MemoryStreamStore store, final MemoryTailer tailer, final MemoryCursors.Cursor cursor,
        final MemoryCursors cursors)
    {
        this.store = store;
        this.tailer = tailer;
        this.cursor = cursor;
        this.cursors = cursors;
    }

    @Override
    public String name()
    {
        return cursor.name;
    }

    @Override
    public long ackedSeq()
    {
        return cursor.ackedSeq;
    }

    @Override
    public void ack(final long seq)
    {
        if (closed)
        {
            throw new IllegalStateException("tailer '" + cursor.name + "' of stream " + store.config().name() +
                " is closed: cannot acknowledge sequence " + seq);
        }
        final long next = tailer.nextSeq();
        if (seq < 1 || seq >= next)
        {
            throw new IllegalArgumentException("seq must be in [1, nextSeq - 1 = " + (next - 1) + "] (handed over " +
                "or passed by tailer '" + cursor.name + "'): " + seq);
        }
        store.ack(tailer, cursor, seq);
    }

    @Override
    public int poll(final MessageHandler handler, final int limit)
    {
        return tailer.poll(handler, limit);
    }

    @Override
    public long nextSeq()
    {
        return tailer.nextSeq();
    }

    @Override
    public void seek(final long seq)
    {
        tailer.seek(seq);
    }

    @Override
    public void seek(final Instant time)
    {
        tailer.seek(time);
    }

    @Override
    public boolean isDurableOnly()
    {
        return tailer.isDurableOnly();
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        tailer.close();
        cursors.release(cursor);
    }

    @Override
    public String toString()
    {
        return "NamedTailer[" + cursor.name + ", " + tailer + ", acked=" + cursor.ackedSeq + "]";
    }
}
