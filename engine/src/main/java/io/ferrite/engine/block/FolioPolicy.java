package io.ferrite.engine.block;

import io.ferrite.store.SyncMode;

import java.time.Duration;

/**
 * Chooses, block by block, how many bytes the preparer zeroes with one {@code write}: {@link #SMALL_RANGE} or
 * {@link #LARGE_RANGE}. The kernel sizes the page cache's folios by the write that creates them (Linux 6.x, ext4 and
 * XFS), and a whole 2 MiB folio under an aligned mapping is mapped by one page-middle-directory entry instead of 512
 * page-table entries: touching an 8 MiB block's pages then takes ≈ 0.35 ms instead of ≈ 12 ms on the benchmark VM,
 * where every new page-table entry is a trip through the hypervisor, and the appender's TLB covers 2 MiB per entry
 * (docs/ENGINE.md "Block rolls").
 * <p>
 * The price is at the force: write-back is per folio, so forcing a few bytes writes the whole folio they sit in (2 MiB
 * instead of 128 KiB), and a later write into it dirties all of it again. Large folios are therefore chosen only where
 * forces are few next to the bytes written: always in {@code NONE} (no force; the kernel's write-back writes each folio
 * once it is full anyway), never in {@code ALWAYS} (a force per commit), and in {@code INTERVAL} once the newest block
 * filled within {@value #FILL_INTERVALS} sync intervals — each force then covers at least a quarter of a block (2 MiB
 * for 8 MiB blocks), so the folio rewritten at each end at most doubles the bytes forced, and less the faster the
 * stream goes. A stream that slows down gets small folios again from the next preparation on.
 * <p>
 * Nor while a tailer of this process follows the stream: one step of a large folio is a 2 MiB write whose copy takes
 * the new folio's memory, 2–3 ms on the benchmark VM, and on two cores that is a core taken from the appender or
 * from the tailer spinning on it for that long. Small ranges keep the preparer's steps at a fifth of a millisecond.
 * <p>
 * Threading: {@link #onTake} under the append lock, {@link #rangeBytes(boolean)} from the preparer's agent.
 */
public final class FolioPolicy
{
    /** Bytes zeroed and touched per step with small folios: about a fifth of a millisecond of work here. */
    public static final int SMALL_RANGE = 128 * 1024;
    /** Bytes zeroed (in one write) and touched per step with large folios: one PMD-mappable folio. */
    public static final int LARGE_RANGE = 2 * 1024 * 1024;
    /** In {@code INTERVAL}, large folios once a block fills within this many sync intervals. */
    static final int FILL_INTERVALS = 4;

    private static final long NEVER = -1;

    /** Large folios once a block fills within this; {@link Long#MAX_VALUE} always, {@link #NEVER} never. */
    private final long largeWithinNanos;
    /** Appending thread only. */
    private long lastTakeNanos = NEVER;
    /** How long the newest block took to fill, once two were taken. */
    private volatile long lastFillNanos = Long.MAX_VALUE;

    private FolioPolicy(final long largeWithinNanos)
    {
        this.largeWithinNanos = largeWithinNanos;
    }

    /**
     * @return the policy for a stream of {@code blockSize}-byte blocks in {@code mode}; small folios throughout for
     * blocks smaller than one large folio.
     */
    public static FolioPolicy of(final SyncMode mode, final Duration syncInterval, final int blockSize)
    {
        if (blockSize < LARGE_RANGE || mode == SyncMode.ALWAYS)
        {
            return small();
        }
        if (mode == SyncMode.NONE)
        {
            return new FolioPolicy(Long.MAX_VALUE);
        }
        return new FolioPolicy(syncInterval.toNanos() * FILL_INTERVALS);
    }

    /**
     * @return a policy that always chooses small folios.
     */
    public static FolioPolicy small()
    {
        return new FolioPolicy(NEVER);
    }

    /**
     * A roll took a prepared block: the one before it is full.
     *
     * @param nowNanos {@link System#nanoTime()} now.
     */
    void onTake(final long nowNanos)
    {
        if (lastTakeNanos != NEVER)
        {
            lastFillNanos = nowNanos - lastTakeNanos;
        }
        lastTakeNanos = nowNanos;
    }

    /**
     * @param followed whether a tailer of this process follows the stream now.
     * @return the bytes to zero and touch per step for the block about to be prepared.
     */
    int rangeBytes(final boolean followed)
    {
        if (followed)
        {
            return SMALL_RANGE;
        }
        return largeWithinNanos == Long.MAX_VALUE || lastFillNanos <= largeWithinNanos ? LARGE_RANGE : SMALL_RANGE;
    }
}
