package io.ferrite.engine.view;

import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamTruncatedException;

import java.time.Instant;
import java.util.Objects;

/**
 * A {@link StreamTailer} over a {@link ReadOnlyStream}: it follows another process's writer. A poll with nothing new
 * costs the acquire loads of {@link ReadOnlyStream#moved} and no lock; otherwise it catches the view up under its
 * monitor and hands over verified messages, in sequence order, up to the published last sequence (the durable one for
 * a durable-only tailer). A rewind the view saw (a truncation, or a restarted writer that kept less than was shown)
 * below this tailer moves it back and is thrown once as {@link StreamTruncatedException}.
 * <p>
 * Threading: one thread at a time, as {@link StreamTailer} says.
 */
final class ViewTailer implements StreamTailer
{
    private final ReadOnlyStream stream;
    private final boolean durableOnly;
    private long nextSeq;
    private long rewindsSeen;
    private boolean closed;
    /** A {@link #seek(Instant)} a writer's move cut short: the poll that next looks without one finishes it. */
    private boolean seekPending;
    private long seekNanos;

    ViewTailer(final ReadOnlyStream stream, final long fromSeq, final boolean durableOnly)
    {
        this.stream = stream;
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
        if (!seekPending && !stream.moved(nextSeq, durableOnly) && rewindsSeen == stream.rewinds().count())
        {
            return 0;
        }
        synchronized (stream)
        {
            stream.refresh();
            if (seekPending && !seekByTime())
            {
                return 0;
            }
            checkRewind();
            stream.enterCall();
            try
            {
                return pollLocked(handler, limit);
            }
            finally
            {
                stream.exitCall();
            }
        }
    }

    /**
     * Under the stream's monitor, inside a call ({@link ReadOnlyStream#enterCall()}): the handler may close the view,
     * and the blocks this poll reads are unmapped only once it returned.
     */
    private int pollLocked(final MessageHandler handler, final int limit)
    {
        final long horizon = stream.horizon(durableOnly);
        int delivered = 0;
        long seq = nextSeq;
        while (delivered < limit && seq <= horizon)
        {
            final long found = stream.nextListed(seq, horizon);
            if (found < 0)
            {
                // Nothing listed up to the horizon; unless the writer moved during the look, which may have
                // stopped short of it: the tailer then stays, and the next poll's refresh looks again.
                if (!stream.writerMoved())
                {
                    seq = horizon + 1;
                }
                break;
            }
            // Stays on the message until the handler returned: a record that fails verification, or a handler
            // that throws, leaves the tailer on it.
            nextSeq = found;
            if (stream.locate(found, horizon))
            {
                stream.handOver(handler);
                delivered++;
            }
            else if (stream.writerMoved())
            {
                // Not verified now, under a writer that moved since the refresh: not passed over on this look.
                seq = found;
                break;
            }
            seq = found + 1;
        }
        nextSeq = seq;
        return delivered;
    }

    private void checkRewind()
    {
        final long rewinds = stream.rewinds().count();
        if (rewinds == rewindsSeen)
        {
            return;
        }
        final long lowest = stream.rewinds().lowestSince(rewindsSeen);
        rewindsSeen = rewinds;
        if (nextSeq > lowest + 1)
        {
            final long was = nextSeq;
            nextSeq = lowest + 1;
            throw new StreamTruncatedException(stream.name(), was, lowest);
        }
    }

    @Override
    public long nextSeq()
    {
        return nextSeq;
    }

    @Override
    public void seek(final long seq)
    {
        ensureUsable();
        synchronized (stream)
        {
            stream.refresh();
            final long lastSeq = stream.publishedLastSeq();
            if (seq < 1 || seq > lastSeq + 1)
            {
                throw new IllegalArgumentException("seq must be in [1, lastSeq + 1 = " + (lastSeq + 1) +
                    "] of stream " + stream.name() + ": " + seq);
            }
            rewindsSeen = stream.rewinds().count();
            seekPending = false;
            nextSeq = seq;
        }
    }

    /**
     * Moves to the first message at or after {@code time}, found by a walk over the view (O(messages); the view's
     * first walk indexes the whole stream). A walk the writer's move cut short (a restart or truncation during it, or a
     * writer still recovering) leaves the tailer where it was, delivering nothing, until a poll's walk gets through:
     * stopping after the last message passed would hand over messages older than {@code time}.
     */
    @Override
    public void seek(final Instant time)
    {
        Objects.requireNonNull(time, "time");
        ensureUsable();
        final long nanos = RecordDescriptor.epochNanos(time);
        synchronized (stream)
        {
            stream.refresh();
            seekNanos = nanos;
            // Pending only once a walk was cut short: a walk that throws leaves the tailer as it was.
            seekPending = false;
            seekPending = !seekByTime();
        }
    }

    /**
     * Walk to the first message at or after {@link #seekNanos}. Holding the monitor, after a refresh.
     *
     * @return true when the walk got through and the tailer moved; false when the writer moved during it.
     */
    private boolean seekByTime()
    {
        if (stream.writerMoved())
        {
            // Cut short before it starts (a writer recovering, say): no walk a poll would throw away.
            return false;
        }
        final long horizon = stream.horizon(false);
        long found = horizon + 1;
        for (long s = stream.nextListed(1, horizon); s > 0; s = stream.nextListed(s + 1, horizon))
        {
            if (stream.locate(s, horizon) && stream.view().timestamp() >= seekNanos)
            {
                found = s;
                break;
            }
        }
        if (stream.writerMoved())
        {
            return false;
        }
        rewindsSeen = stream.rewinds().count();
        seekPending = false;
        nextSeq = found;
        return true;
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
            throw new IllegalStateException("tailer of stream " + stream.name() + " is closed");
        }
        stream.ensureOpen();
    }

    @Override
    public String toString()
    {
        return "StreamTailer[read-only view of " + stream.name() + ", nextSeq=" + nextSeq +
            (durableOnly ? ", durableOnly" : "") + "]";
    }
}
