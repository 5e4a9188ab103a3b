package io.ferrite.engine.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A version that moves whenever the stream loses messages or blocks — a removal, a purge, a compaction, a
 * truncation, a block dropped by the reclaimer — so a query that read the index without the append lock can tell
 * whether what it read is still the stream of one moment. Appends do not move it: what they add lies above the last
 * sequence a query bounds itself by.
 * <p>
 * Seqlock fashion: odd while a change is being applied, even between changes. A change made of several steps (a
 * compaction, a truncation) wraps them all, and the steps nest inside it, so a reader never validates a half-applied
 * change.
 * <p>
 * Threading: {@link #begin()} and {@link #end()} under the append lock, by the thread that holds it; any thread calls
 * {@link #stamp()} and {@link #unchangedSince(long)}.
 */
public final class RemovalVersion
{
    /** Odd while a change is applied; read and written through {@link #VERSION}. */
    @SuppressWarnings("unused")
    private long version;
    /** Changes begun and not ended by the lock holder: only the outermost moves the version. */
    private int depth;

    /**
     * Start a change: the version goes odd before anything it changes.
     */
    public void begin()
    {
        if (depth++ == 0)
        {
            VERSION.setOpaque(this, version + 1);
            VarHandle.storeStoreFence();
        }
    }

    /**
     * End a change: the version goes even after everything it changed.
     */
    public void end()
    {
        if (--depth == 0)
        {
            VERSION.setRelease(this, version + 1);
        }
    }

    /**
     * @return the version now; taken under the append lock it is even (no change is half-applied there).
     */
    public long stamp()
    {
        return (long)VERSION.getAcquire(this);
    }

    /**
     * @param stamp a version {@link #stamp() taken} before the reads to check.
     * @return whether no change began since {@code stamp} was taken (and none was in progress then), so every read
     * made in between saw the stream of that moment; the reads before this call are ordered before its check.
     */
    public boolean unchangedSince(final long stamp)
    {
        VarHandle.loadLoadFence();
        return (stamp & 1) == 0 && (long)VERSION.getAcquire(this) == stamp;
    }

    private static final VarHandle VERSION;

    static
    {
        try
        {
            VERSION = MethodHandles.lookup().findVarHandle(RemovalVersion.class, "version", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }
}
