package io.ferrite.engine.cursor;

import io.ferrite.store.StorageIO;

import java.nio.file.Path;

/**
 * One named tailer's position: what was acknowledged (in memory) and what its file holds.
 * <p>
 * Threading: {@link #raise} under this object's monitor, which the truncating thread also takes to
 * {@link #lowerTo lower} the position after it published the truncation — so an acknowledgement either sees the
 * truncation and counts only up to it, or lands before it and is lowered by it. The file is written under a separate
 * lock ({@code io}), so an acknowledgement never waits for a force made by the flusher thread; whoever writes reads the
 * position inside that lock, so the newest write carries the newest position.
 */
public final class Cursor
{
    private final String name;
    private final Path file;
    private final StreamCursors owner;
    private final Object io = new Object();
    /** Written under this object's monitor. */
    private volatile long ackedSeq;

    // Under io.
    private long persistedSeq;
    private long generation;
    private boolean deleted;

    // Under the owner's monitor.
    boolean open;

    Cursor(final String name, final Path file, final StreamCursors owner, final long generation, final long ackedSeq)
    {
        this.name = name;
        this.file = file;
        this.owner = owner;
        this.generation = generation;
        this.ackedSeq = ackedSeq;
        this.persistedSeq = ackedSeq;
    }

    public String name()
    {
        return name;
    }

    Path file()
    {
        return file;
    }

    /**
     * @return the last sequence acknowledged, durable or not.
     */
    public long ackedSeq()
    {
        return ackedSeq;
    }

    /**
     * Move the acknowledged position up to {@code seq}; a lower one changes nothing. Call holding this object's
     * monitor (see the class comment).
     */
    public void raise(final long seq)
    {
        if (seq > ackedSeq)
        {
            ackedSeq = seq;
        }
    }

    /**
     * @return whether the position was above {@code seq} and is now {@code seq}.
     */
    synchronized boolean lowerTo(final long seq)
    {
        if (ackedSeq > seq)
        {
            ackedSeq = seq;
            return true;
        }
        return false;
    }

    /**
     * Write the acknowledged position, as far as {@code durableSeq}, when that is beyond what the file holds: the file
     * never points past what the stream holds durably, so a crash that takes back messages cannot leave a cursor
     * beyond them, to skip the new messages that take their sequences.
     */
    void persist(final long durableSeq, final StorageIO storage)
    {
        synchronized (io)
        {
            final long target = Math.min(ackedSeq, durableSeq);
            if (!deleted && !owner.isClosed() && target > persistedSeq)
            {
                write(target, storage);
            }
        }
    }

    /**
     * Write the acknowledged position when the file holds a later one: after a truncation lowered it.
     */
    void persistLowered(final StorageIO storage)
    {
        synchronized (io)
        {
            final long target = ackedSeq;
            if (!deleted && !owner.isClosed() && target < persistedSeq)
            {
                write(target, storage);
            }
        }
    }

    /**
     * Mark the cursor deleted: no write touches its file after this returns.
     */
    void markDeleted()
    {
        synchronized (io)
        {
            deleted = true;
        }
    }

    private void write(final long target, final StorageIO storage)
    {
        CursorFile.writeSlot(file, generation + 1, target, storage);
        generation++;
        persistedSeq = target;
    }

    @Override
    public String toString()
    {
        return "Cursor[" + name + ", acked=" + ackedSeq + "]";
    }
}
