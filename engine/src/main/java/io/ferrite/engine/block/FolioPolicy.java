package io.ferrite.engine.block;

import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;

/**
 * Chooses, block by block, how many bytes the preparer zeroes and touches per step ({@link #SMALL_RANGE} or
 * {@link #LARGE_RANGE}) and in writes of what size (the step, or {@link #PAGE_FOLIO}). The page cache sizes a file's
 * folios by the write that creates them (measured on Linux 6.18, ext4), and a whole 2 MiB folio under an aligned
 * mapping is mapped by one page-middle-directory entry instead of 512 page-table entries: touching an 8 MiB block's
 * pages then takes 0.37 ms instead of 11.1 ms on the benchmark VM, where every new page-table entry is a trip through
 * the hypervisor, and the appender's TLB covers 2 MiB per entry (docs/ENGINE.md "Block rolls", {@code FolioCost}).
 * <p>
 * The price is at the force: write-back is per folio, so forcing a few bytes writes the whole folio they sit in (2 MiB
 * instead of 128 KiB), and the next write into it dirties all of it again. A force of {@code b} bytes therefore writes
 * up to {@code b} + 2 MiB. Large folios are chosen only where that at most doubles what forces write: never in
 * {@code ALWAYS} (a force per commit), never when {@code maxUnforcedBytes} makes the flusher force less than 2 MiB at a
 * time, and otherwise while the stream appends at least 2 MiB per sync interval — the rate measured over the newest
 * block that filled (its bytes over the time between the rolls that began and ended it). {@code NONE} is judged by
 * the same rate: its forces (a sealed block's, {@code flush()}, state writes) are rarer, never more frequent. A
 * stream that slows down gets small folios from its next preparation on (a followed stream from the agent's next
 * step, which asks before every step); the blocks already prepared (at most {@code preparedBlocks}) keep theirs.
 * <p>
 * Nor are large folios chosen while a tailer of this process follows the stream: one step of a large folio is a 2 MiB
 * write whose copy takes the new folio's memory, 2–3 ms on the benchmark VM, and on two cores that is a core taken
 * from the appender or from the tailer spinning on it for that long. Small ranges keep the preparer's steps at a fifth
 * of a millisecond; the agent asks before every step, so a tailer that starts mid-block gets them from the next step
 * on. Unless small steps keep the preparer too busy: a followed block costs it a second touch (the readers' mapping),
 * with small folios another page-table entry per page, about twice an unfollowed block's work. When the newest block
 * the agent prepared in small steps for a followed stream took it more CPU time than half the time the stream now
 * takes to fill a block ({@link #onPreparedFollowed(long)}), the preparer is busy more than half the time, on cores
 * the appender and its tailers share; flat out it fell behind, and the appender waited at rolls for it. A followed
 * stream then gets large folios too (under the rate rule above). Only blocks made wholly in small steps for a follower
 * are timed, so the time measured stays while large folios are chosen; the choice ends when the stream slows (the
 * same time is then under half the longer fill time) and the next small block is timed again.
 * <p>
 * Where forces are many — {@code ALWAYS}, a force per commit — the zeros go in page-sized writes, so the folios are
 * single pages and a force of one small record writes 4 KiB, not 128 KiB ({@code FolioCost}); the price, a system
 * call and a page-table entry per page at preparation (45 instead of 17 ms per 8 MiB block on the preparer's
 * thread), is small next to a force per commit. The agent's preparations follow this, and so does a block the
 * appender prepares itself when the agent is far from done with the one it needs; a block prepared on the append path
 * after a failed background attempt, and a rewrite's file, get {@link #SMALL_RANGE} writes.
 * <p>
 * Threading: {@link #onRoll} under the append lock; {@link #onPreparedFollowed(long)} from the preparer's agent;
 * {@link #rangeBytes(boolean)} and {@link #writeBytes(int)} from the agent or the appending thread.
 */
public final class FolioPolicy
{
    /** Bytes zeroed and touched per step with small folios: about a fifth of a millisecond of work here. */
    public static final int SMALL_RANGE = 128 * 1024;
    /** Bytes zeroed (in one write) and touched per step with large folios: one PMD-mappable folio. */
    public static final int LARGE_RANGE = 2 * 1024 * 1024;
    /** The zero writes, and so the folios, of a stream that forces every commit: one page. */
    public static final int PAGE_FOLIO = 4096;

    private static final long NONE_YET = -1;

    /** Whether large folios may be chosen at all for this stream. */
    private final boolean allowed;
    /** Whether the stream forces every commit, so its zeros go in page-sized writes. */
    private final boolean pageFolios;
    private final long syncIntervalNanos;
    private final long blockSize;
    /** Under the append lock: when the newest block began, or {@link #NONE_YET}. */
    private long lastRollNanos = NONE_YET;
    /** Bytes the stream appended per sync interval over the newest block that filled; 0 until one did. */
    private volatile double bytesPerInterval;
    /**
     * The CPU time the agent spent on the newest block it prepared wholly in small steps for a followed stream (its
     * zero writes and touches); 0 until it prepared one.
     */
    private volatile long followedBlockNanos;

    private FolioPolicy(
        final boolean allowed, final boolean pageFolios, final long syncIntervalNanos, final long blockSize)
    {
        this.allowed = allowed;
        this.pageFolios = pageFolios;
        this.syncIntervalNanos = syncIntervalNanos;
        this.blockSize = blockSize;
    }

    /**
     * @return the policy for a stream of {@code config}: small folios throughout for blocks smaller than one large
     * folio, for {@code ALWAYS}, and for a bound on unforced bytes under two large folios.
     */
    public static FolioPolicy of(final StreamConfig config)
    {
        final long bound = config.maxUnforcedBytes();
        final boolean allowed = config.blockSize() >= LARGE_RANGE && config.syncMode() != SyncMode.ALWAYS &&
            (bound == StreamConfig.UNBOUNDED || bound / 2 >= LARGE_RANGE);
        return new FolioPolicy(
            allowed, config.syncMode() == SyncMode.ALWAYS, config.syncInterval().toNanos(), config.blockSize());
    }

    /**
     * @return a policy that always chooses small folios.
     */
    public static FolioPolicy small()
    {
        return new FolioPolicy(false, false, 1, LARGE_RANGE);
    }

    /**
     * A roll succeeded: the block before it is done with.
     *
     * @param nowNanos      {@link System#nanoTime()} now.
     * @param previousBytes the bytes appended to the block the roll moved past (0 for none); a roll that did not fill
     *                      its block (a purge, a tombstone, a truncated tail) counts what it held, so it usually makes
     *                      the stream look slower (not one within a fraction of a millisecond of the roll before, nor
     *                      the first after a truncation made an older block the tail: one preparation's choice).
     */
    void onRoll(final long nowNanos, final long previousBytes)
    {
        if (lastRollNanos != NONE_YET)
        {
            final long took = Math.max(1, nowNanos - lastRollNanos);
            bytesPerInterval = (double)previousBytes * syncIntervalNanos / took;
        }
        lastRollNanos = nowNanos;
    }

    /**
     * The agent finished a block it prepared wholly in {@link #SMALL_RANGE} steps while a tailer followed.
     *
     * @param nanos the CPU time its steps took.
     */
    void onPreparedFollowed(final long nanos)
    {
        followedBlockNanos = nanos;
    }

    /**
     * @return the CPU time last reported by {@link #onPreparedFollowed(long)}, or 0.
     */
    long followedBlockNanos()
    {
        return followedBlockNanos;
    }

    /**
     * @param rangeBytes the step {@link #rangeBytes(boolean)} chose.
     * @return the bytes of each zero write in that step: one page for a stream that forces every commit, else the
     * whole step.
     */
    int writeBytes(final int rangeBytes)
    {
        return pageFolios ? PAGE_FOLIO : rangeBytes;
    }

    /**
     * @param followed whether a tailer of this process follows the stream now.
     * @return the bytes to zero and touch in the preparer's next step.
     */
    int rangeBytes(final boolean followed)
    {
        final double rate = bytesPerInterval;
        final boolean large = allowed && rate >= LARGE_RANGE && (!followed || smallStepsKeepThePreparerBusy(rate));
        return large ? LARGE_RANGE : SMALL_RANGE;
    }

    /**
     * @return whether preparing a followed block in small steps took more CPU time than half the time the stream takes
     * to fill a block at {@code bytesPerInterval}.
     */
    private boolean smallStepsKeepThePreparerBusy(final double bytesPerInterval)
    {
        final double fillNanos = (double)blockSize * syncIntervalNanos / bytesPerInterval;
        return 2.0 * followedBlockNanos > fillNanos;
    }
}
