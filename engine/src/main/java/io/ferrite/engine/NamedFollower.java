package io.ferrite.engine;

import io.ferrite.engine.cursor.Cursor;
import io.ferrite.engine.cursor.StreamCursors;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.NamedTailer;

import java.time.Instant;

/**
 * A {@link NamedTailer} of a file store: a {@link StreamFollower} that reads, and a {@link Cursor} that remembers
 * what was acknowledged. Polls cost what an anonymous tailer's cost; an acknowledgement is a monitor and a few loads,
 * plus, in {@code ALWAYS} mode, one write and force of the cursor file's 32-byte slot.
 * <p>
 * Threading: one thread at a time, as {@link NamedTailer} says.
 */
final class NamedFollower implements NamedTailer
{
    private final StreamFollower follower;
    private final Cursor cursor;
    private final StreamCursors cursors;
    private final StreamPositions positions;
    private boolean closed;

    NamedFollower(
        final StreamFollower follower, final Cursor cursor, final StreamCursors cursors,
        final StreamPositions positions)
    {
        this.follower = follower;
        this.cursor = cursor;
        this.cursors = cursors;
        this.positions = positions;
    }

    @Override
    public String name()
    {
        return cursor.name();
    }

    @Override
    public long ackedSeq()
    {
        return cursor.ackedSeq();
    }

    @Override
    public void ack(final long seq)
    {
        follower.ensureUsable("acknowledge sequence " + seq);
        final long next = follower.nextSeq();
        if (seq < 1 || seq >= next)
        {
            throw new IllegalArgumentException("seq must be in [1, nextSeq - 1 = " + (next - 1) + "] (handed over " +
                "or passed by tailer '" + cursor.name() + "'): " + seq);
        }
        synchronized (cursor)
        {
            // A truncation this tailer has not polled yet cut what it handed over above the cut: those messages are
            // gone, and their sequences may already name others. The truncation lowers the cursor under this monitor
            // after publishing its count, so either the count is seen here or the lowering comes after.
            final long seen = follower.truncationsSeen();
            final long now = positions.truncations();
            final long acked = now == seen ? seq : Math.min(seq, positions.lowestTruncatedTo(seen, now));
            cursor.raise(acked);
        }
        cursors.afterAck(cursor);
    }

    @Override
    public int poll(final MessageHandler handler, final int limit)
    {
        return follower.poll(handler, limit);
    }

    @Override
    public long nextSeq()
    {
        return follower.nextSeq();
    }

    @Override
    public void seek(final long seq)
    {
        follower.seek(seq);
    }

    @Override
    public void seek(final Instant time)
    {
        follower.seek(time);
    }

    @Override
    public boolean isDurableOnly()
    {
        return follower.isDurableOnly();
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        follower.close();
        cursors.release(cursor);
    }

    @Override
    public String toString()
    {
        return "NamedTailer[" + cursor.name() + ", " + follower + ", acked=" + cursor.ackedSeq() + "]";
    }
}
