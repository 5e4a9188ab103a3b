package io.ferrite.engine.block;

import io.ferrite.engine.agent.AgentHost;
import io.ferrite.engine.agent.AgentSlot;
import io.ferrite.engine.agent.AgentThread;
import io.ferrite.engine.agent.AgentWakeUp;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.MappedByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps {@code depth} blocks prepared ahead of the appender, so a roll takes one that is ready — allocated, forced,
 * mapped, every page touched, its sequence table, block array and subject summary allocated — and costs a header write
 * and a rename, not megabytes of allocation and thousands of page faults (measured in docs/ENGINE.md "Block rolls").
 * <p>
 * Preparing means ({@link BlockPreparation}): create {@code blocks/next-<n>.creating}, extend it to its length and
 * force it through the {@link StorageIO} (its size is then durable, so the flusher never forces the whole file, which
 * would clean and write-protect the touched pages) and map it; then, a range per duty cycle with a pause between
 * (128 KiB, or 2 MiB where large page-cache folios pay: {@link FolioPolicy}), write the range's pages unforced (a full
 * disk fails here, on file systems that reserve space at {@code write}, not later as a SIGBUS) and touch each through
 * the writable mapping, so the appender takes no page fault on it, and through the read-only one while a tailer in this
 * process follows the stream ({@link FollowerCount}), so the tailer takes none either; the agent never holds a core for
 * a whole block's worth of page-cache work while the appender and its readers need it. The file is not a block file
 * until {@link BlockFile#activate} renames it; recovery ignores it, and the next open deletes it.
 * <p>
 * An Agrona {@link Agent} ({@code ferrite-preallocator-<stream>}) on its own daemon {@link AgentThread} (or an
 * environment's shared preparer thread), started by the
 * first {@link #prepareNext()}. The hand-over is a single-producer single-consumer ring of {@code depth} slots and two
 * counters, so a roll allocates nothing here: the agent fills slot {@code n % depth} with the n-th block and then
 * publishes {@link #preparedCount} {@code n + 1}; the appender takes it and publishes {@link #takenCount}. The agent
 * prepares while fewer than {@code depth} are prepared and not taken. Prepared blocks are taken in the order they were
 * prepared. File names cycle over {@code depth + 1} names, so the agent never reuses the name of the file the appender
 * has just taken and not yet renamed.
 * <p>
 * A failed preparation (a full disk) is published in its slot like a block, and the agent prepares nothing more until
 * the appender took it: {@link #take()} then prepares on the append path, logging why, and a failure there is the
 * roll's to report (a {@link io.ferrite.store.StoreFullException} naming the file). An {@link Error} ends the agent's
 * thread, as with the other agents (logged by the {@link AgentThread}); later rolls then prepare on the append path.
 * <p>
 * When appends outrun the agent for {@code depth} blocks, a roll finds the next block still being made. If the agent
 * is past half of it, {@link #take()} waits (parked, woken by the agent). If not (or it has not begun), the appender
 * prepares a block itself, under a name of its own ({@code next-<depth + 1>.creating}), in the ranges and writes the
 * folio policy chooses, and takes that: fresh page-cache memory is made about twice as fast by two threads as by one
 * on the benchmark VM (docs/ENGINE.md "Block rolls"), so the agent's block is made meanwhile and the next roll finds
 * it ready, where waiting would leave the appender's core idle now and the roll after waiting again.
 * <p>
 * The agent also unmaps the writable mapping of each block the appender rolled past ({@link #retireWriter}), so the
 * roll pays no {@code munmap} and no TLB shoot-down ({@link RetiredMappings}).
 * <p>
 * Threading: {@link #prepareNext()}, {@link #take()}, {@link #onRolled}, {@link #retireWriter} and {@link #close()}
 * from the appending thread (under the append lock: one caller at a time); {@link #doWork()} and {@link #onClose()}
 * on the agent's thread.
 */
public final class BlockPreallocator implements Agent, AutoCloseable
{
    /** The name of the first file prepared; not a block file name, so listings and recovery never see it. */
    public static final String PREPARED_FILE = preparedFileName(0);

    /** Nothing prepared and not taken, nothing being prepared. */
    static final int IDLE = 0;
    /** The next block to take is ready. */
    static final int READY = 3;
    /** The next block to take failed to be prepared. */
    static final int FAILED = 4;

    /** The pause between ranges: about what a timed park takes on Linux anyway. */
    static final long PAUSE_NANOS = 50_000L;

    private static final Logger LOG = LoggerFactory.getLogger(BlockPreallocator.class);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean THREAD_CPU_TIME =
        THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();

    /** The names the agent's blocks cycle over. */
    private final Path[] files;
    /** The name of a block the appender prepares itself when the agent is far from done with the one it needs. */
    private final Path inlineFile;
    private final int depth;
    private final int blockSize;
    private final StorageIO io;
    private final String roleName;
    private final AgentSlot thread;
    private final AgentWakeUp wakeUp;
    private final FollowerCount followers;
    private final FolioPolicy folios;
    private final RetiredMappings retiredWriters = new RetiredMappings();

    /** Slot {@code n % depth}: the n-th block, published by {@link #preparedCount}; cleared by the appender. */
    private final PreparedBlock[] ready;
    /** Slot {@code n % depth}: why the n-th block could not be prepared, published by {@link #preparedCount}. */
    private final Throwable[] failures;
    /** Written by the agent only: blocks prepared (or failed) so far. */
    private volatile long preparedCount;
    /** Written by the appender only: blocks taken so far. */
    private volatile long takenCount;
    /** Set by the agent with a failure it publishes, cleared by the appender that takes it: the agent waits. */
    private volatile boolean failurePending;
    /** The appender's hints for the arrays the agent allocates: the last block's span, the store's block count. */
    private volatile int expectedSequences;
    private volatile int expectedSubjects;
    private volatile int blockCount;
    /** The appender parked in {@link #take()}, for the agent to wake once it published a block. */
    private volatile Thread waiter;
    /** Set by {@link #close()}: the agent starts no new preparation. */
    private volatile boolean closed;
    /** The agent no longer runs (an {@link Error} ended its thread, or it closed): nothing is asked of it. */
    private volatile boolean stopped;
    /** Appending thread only. */
    private boolean started;
    /** Appending thread only: blocks the appender prepared itself because the agent was far from done. */
    private long preparedInline;
    /**
     * The agent's block in the making, or null: removed by {@link #onClose()}, or by {@link #close()} once the agent's
     * thread ended without it.
     */
    private volatile BlockPreparation preparing;
    /** Agent only: the bytes per duty cycle {@link #folios} chose for {@link #preparing}. */
    private int preparingRange;
    /** Agent only: the CPU time the steps of {@link #preparing} took so far. */
    private long preparingNanos;
    /** Agent only: whether every step of {@link #preparing} so far was small and made for a follower. */
    private boolean preparingSmallFollowed;
    /** Why {@link #onClose()} could not remove a half-made file, for {@link #close()} to report; or null. */
    private volatile RuntimeException unfinishedFailure;

    /**
     * With the agent on a thread of its own, for a stream no tailer follows.
     *
     * @param depth how many blocks to keep prepared (at least 1).
     * @param io    forces each prepared file; null for none (its first force as a block then covers the whole file).
     */
    public BlockPreallocator(
        final Path blocksDir, final int blockSize, final int depth, final StorageIO io, final String streamName)
    {
        this(blocksDir, blockSize, depth, io, streamName, AgentHost.dedicated(LOG), new FollowerCount(),
            FolioPolicy.small());
    }

    /**
     * As {@link #BlockPreallocator(Path, int, int, StorageIO, String)}, with the agent on a slot of {@code host} (a
     * thread of its own, or an environment's shared preparer thread).
     *
     * @param followers the stream's tailers in this process: while one follows, read-only mappings are touched too.
     * @param folios    how big a range each duty cycle zeroes and touches, block by block.
     */
    public BlockPreallocator(
        final Path blocksDir, final int blockSize, final int depth, final StorageIO io, final String streamName,
        final AgentHost host, final FollowerCount followers, final FolioPolicy folios)
    {
        if (depth < 1)
        {
            throw new IllegalArgumentException("depth must be >= 1: " + depth);
        }
        this.depth = depth;
        this.files = new Path[depth + 1];
        for (int i = 0; i < files.length; i++)
        {
            files[i] = blocksDir.resolve(preparedFileName(i));
        }
        this.inlineFile = blocksDir.resolve(preparedFileName(depth + 1));
        this.ready = new PreparedBlock[depth];
        this.failures = new Throwable[depth];
        this.blockSize = blockSize;
        this.io = io;
        this.roleName = "ferrite-preallocator-" + streamName;
        removeLeftovers(blocksDir);
        this.thread = host.newSlot();
        this.wakeUp = thread.wakeUp();
        this.followers = followers;
        this.folios = folios;
    }

    /**
     * @return the name of a prepared file: {@code next-<index>.creating}.
     */
    public static String preparedFileName(final int index)
    {
        return "next-" + index + BlockFile.TEMP_SUFFIX;
    }

    /**
     * Delete files a crash or an earlier process left prepared: they never became blocks.
     */
    private static void removeLeftovers(final Path blocksDir)
    {
        try (DirectoryStream<Path> leftovers =
            Files.newDirectoryStream(blocksDir, "*" + BlockFile.TEMP_SUFFIX))
        {
            for (final Path leftover : leftovers)
            {
                Files.delete(leftover);
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("remove leftover prepared block files", blocksDir, ex);
        }
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /**
     * Start the agent (the first time) and wake it to prepare up to {@code depth} blocks ahead; called at open and
     * after each roll.
     *
     * @param expectedSequences the span of the newest block, to size the sequence tables of those prepared next.
     * @param expectedSubjects  the subjects the newest block's predecessor held, to size the subject summaries.
     * @param blocks            the store's block count now, to size the block arrays of those prepared next.
     */
    public void prepareNext(final int expectedSequences, final int expectedSubjects, final int blocks)
    {
        this.expectedSequences = expectedSequences;
        this.expectedSubjects = expectedSubjects;
        this.blockCount = blocks;
        prepareNext();
    }

    /**
     * Start the agent (the first time) and wake it to prepare up to {@code depth} blocks ahead.
     */
    public void prepareNext()
    {
        if (closed || stopped)
        {
            return;
        }
        if (!started)
        {
            started = true;
            try
            {
                thread.start(this);
            }
            catch (final RuntimeException | Error ex)
            {
                // No agent runs: take() prepares on the append path rather than wait for it.
                stopped = true;
                throw ex;
            }
        }
        wakeUp.signal();
    }

    /**
     * @return the next prepared block, in the order they were prepared: the one made in the background (waiting for it
     * if the agent is past half of it, or if a block made now failed), or one made now when the agent is less far, the
     * background attempt failed or the agent does not run. The caller renames its file away (the roll) before calling
     * {@link #take()} again.
     * @throws StoreException when the file cannot be made on the append path; it names the file (a
     *                        {@link io.ferrite.store.StoreFullException} when the disk is full).
     */
    public PreparedBlock take()
    {
        final long next = takenCount;
        // Not on an interrupted thread: its channel calls would fail (ClosedByInterruptException), where waiting for
        // the agent's block keeps the flag and does no I/O on this thread.
        if (preparedCount <= next && !Thread.currentThread().isInterrupted() && agentFarFromDone())
        {
            try
            {
                return prepareInline();
            }
            catch (final StoreException ex)
            {
                // The agent's block may still come, its share of a nearly full disk taken already: the roll fails
                // only if that one does too.
                LOG.warn("preparing {} on the append path failed, waiting for the background preparation: {}",
                    inlineFile, ex.toString());
            }
        }
        if (awaitPrepared(next))
        {
            final int slot = (int)(next % depth);
            final Throwable failure = failures[slot];
            if (null == failure)
            {
                final PreparedBlock block = ready[slot];
                ready[slot] = null;
                takenCount = next + 1;
                return block;
            }
            failures[slot] = null;
            LOG.warn("background preparation of {} failed, preparing on the append path: {}",
                files[(int)(next % files.length)], failure.toString());
            takenCount = next + 1;
            failurePending = false;
            // The agent may retry the following blocks now, under names other than the one prepared here.
            wakeUp.signal();
        }
        return new PreparedBlock(
            BlockFile.prepare(files[(int)(next % files.length)], blockSize, io), null, null, null);
    }

    /**
     * @return whether the running agent has not begun the block the appender needs, or is less than half through it.
     */
    private boolean agentFarFromDone()
    {
        if (!started || stopped)
        {
            return false;
        }
        final BlockPreparation inHand = preparing;
        return null == inHand || worthPreparingInline(inHand.preparedBytes(), blockSize);
    }

    /**
     * @return whether a roll prepares a block itself rather than wait for the agent, which made {@code agentPrepared}
     * bytes of the one it needs: when less than half. The appender's preparation then takes about as long as the wait
     * for the agent's block would, and the agent's block is ready for the next roll; past half, waiting costs less
     * now, and the agent is soon free to start on the next block.
     */
    static boolean worthPreparingInline(final int agentPrepared, final int blockSize)
    {
        return agentPrepared < blockSize / 2;
    }

    /**
     * Prepare a block on the appending thread, under {@link #inlineFile}, as the agent would, arrays included.
     */
    private PreparedBlock prepareInline()
    {
        final boolean followed = followers.any();
        final int range = folios.rangeBytes(followed);
        final BlockPreparation preparation = BlockPreparation.begin(inlineFile, blockSize, io);
        while (!preparation.isComplete())
        {
            preparation.advance(range, folios.writeBytes(range), followed);
        }
        final BlockFile.Prepared file = preparation.complete();
        try
        {
            final PreparedBlock block = withTables(file, blockCount + 1);
            preparedInline++;
            return block;
        }
        catch (final RuntimeException | Error ex)
        {
            CloseHelper.close(ex::addSuppressed, file::discard);
            throw ex;
        }
    }

    /**
     * @return {@code file} with the tables a roll takes over, sized by the appender's latest hints: a block array for
     * a store of {@code blocksThen} blocks once the roll that takes it is done.
     */
    private PreparedBlock withTables(final BlockFile.Prepared file, final int blocksThen)
    {
        return new PreparedBlock(file, SequenceTable.allocate(expectedSequences), new MessageBlock[blocksThen],
            new BlockSubjects(false, expectedSubjects + expectedSubjects / 4));
    }

    /**
     * @return how many blocks the appender prepared itself because the agent was far from done. Appending thread.
     */
    public long preparedInline()
    {
        return preparedInline;
    }

    /**
     * A roll succeeded, moving past a block that held {@code previousBytes} bytes of records: what the folio policy
     * measures the stream's rate by. Under the append lock.
     */
    public void onRolled(final long previousBytes)
    {
        folios.onRoll(System.nanoTime(), previousBytes);
    }

    /**
     * Hand over the writable mapping of the block the appender just rolled past, detached from it
     * ({@link MessageBlock#detachWriter()}), for the agent to unmap; unmapped now when no agent runs or too many wait.
     * Under the append lock; the agent is woken by the {@link #prepareNext()} that follows every roll.
     *
     * @param writable the mapping, or null for none.
     */
    public void retireWriter(final MappedByteBuffer writable)
    {
        retiredWriters.retire(writable, started && !stopped && !closed);
    }

    /**
     * @return the writable mappings handed over by {@link #retireWriter} and not unmapped yet, for the flusher to unmap
     * before it forces.
     */
    public RetiredMappings retiredWriters()
    {
        return retiredWriters;
    }

    /**
     * @return the calling thread's CPU time, so a step is charged what it cost and not the time the scheduler kept the
     * agent off a core (two cores, an appender and a tailer spinning); wall time where the JVM does not measure it.
     */
    private static long cpuNanos()
    {
        return THREAD_CPU_TIME ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /**
     * Wait until block {@code next} is published, while the agent runs. Appending thread only.
     *
     * @return whether it is published (else the agent does not run, and the caller prepares it).
     */
    private boolean awaitPrepared(final long next)
    {
        if (preparedCount > next)
        {
            return true;
        }
        if (!started || stopped)
        {
            return false;
        }
        waiter = Thread.currentThread();
        boolean interrupted = false;
        // Dekker-style: the agent stores the count then reads the waiter; this stores the waiter then reads the count.
        // Both volatile, so either this sees the new count or the agent sees this thread to unpark.
        while (preparedCount <= next && !stopped)
        {
            LockSupport.park(this);
            // An interrupt would make every park return at once: keep waiting, and leave the flag as it was found.
            interrupted |= Thread.interrupted();
        }
        waiter = null;
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        return preparedCount > next;
    }

    /**
     * Wait until the agent has nothing left to do: {@code depth} blocks prepared, a failure waiting to be taken, or
     * the agent stopped. For tests; appending thread only.
     *
     * @return the state of the next block to take: {@code IDLE}, {@code READY} or {@code FAILED}.
     */
    public int awaitBackground()
    {
        final long next = takenCount;
        if (started)
        {
            while (!stopped && !failurePending && preparedCount - takenCount < depth)
            {
                LockSupport.parkNanos(this, 100_000L);
            }
        }
        if (preparedCount <= next)
        {
            return IDLE;
        }
        return null == failures[(int)(next % depth)] ? READY : FAILED;
    }

    /**
     * @return blocks prepared and not yet taken (failed ones included). For tests.
     */
    int preparedAhead()
    {
        return (int)(preparedCount - takenCount);
    }

    /**
     * One duty cycle: when fewer than {@code depth} blocks are ahead, prepare the next range of the next one, and
     * publish it, or why it failed, once it is complete. Between ranges it names a timer {@link #PAUSE_NANOS} ahead and
     * reports no work, so its thread idles and the cores go back to the appender and its readers — unless the appender
     * waits for this block in {@link #take()}.
     *
     * @return 1 when a range was prepared with no pause to follow, or a block was published or failed; else 0.
     */
    @Override
    public int doWork()
    {
        final int unmapped = unmapRetiredWriters();
        final long next = preparedCount;
        if (closed || failurePending || next - takenCount >= depth)
        {
            return unmapped;
        }
        final int slot = (int)(next % depth);
        try
        {
            final boolean followed = followers.any();
            if (null == preparing || followed)
            {
                // Chosen at the block's start; mid-block only ever made smaller (a tailer started following, the
                // stream slowed), to the block's end: going large mid-block could start off a 2 MiB boundary.
                final int chosen = folios.rangeBytes(followed);
                preparingRange = null == preparing ? chosen : Math.min(preparingRange, chosen);
            }
            if (null == preparing)
            {
                preparing = BlockPreparation.begin(files[(int)(next % files.length)], blockSize, io);
                preparingNanos = 0;
                preparingSmallFollowed = true;
            }
            preparingSmallFollowed &= followed && preparingRange == FolioPolicy.SMALL_RANGE;
            final long stepStart = cpuNanos();
            preparing.advance(preparingRange, folios.writeBytes(preparingRange), followed);
            preparingNanos += cpuNanos() - stepStart;
            if (!preparing.isComplete())
            {
                if (null != waiter)
                {
                    return 1;
                }
                wakeUp.wakeAt(System.nanoTime() + PAUSE_NANOS);
                return 0;
            }
            if (preparingSmallFollowed)
            {
                folios.onPreparedFollowed(preparingNanos);
            }
            final int blocksThen = blockCount + (int)(next - takenCount) + 1;
            // The preparation owns the file until the block holding it is in its slot: a failure before removes it.
            ready[slot] = withTables(preparing.complete(), blocksThen);
            preparing = null;
        }
        catch (final RuntimeException ex)
        {
            // Expected (a full disk) or not, the appender reports it at the roll that needs the block, and tries again.
            abandonPreparing(ex);
            failures[slot] = ex;
            failurePending = true;
        }
        catch (final Error ex)
        {
            // The runner ends the thread on an Error without onClose: no later roll may wait for this agent.
            abandonPreparing(ex);
            failures[slot] = ex;
            failurePending = true;
            stopped = true;
            preparedCount = next + 1;
            wakeWaiter();
            throw ex;
        }
        preparedCount = next + 1;
        wakeWaiter();
        return 1;
    }

    private int unmapRetiredWriters()
    {
        try
        {
            return retiredWriters.unmapRetired();
        }
        catch (final Error ex)
        {
            // The runner ends the thread on an Error without onClose: no later roll may wait for this agent.
            stopped = true;
            wakeWaiter();
            throw ex;
        }
    }

    /**
     * Remove the file of the preparation in hand, if any (one that failed in {@code begin} or {@code advance} has
     * removed it already; abandoning again only deletes by name), adding what fails to {@code cause}.
     */
    private void abandonPreparing(final Throwable cause)
    {
        final BlockPreparation unfinished = preparing;
        preparing = null;
        if (null != unfinished)
        {
            unfinished.abandon(cause);
        }
    }

    /**
     * Taken off its thread: blocks it prepared stay for {@link #close()} to discard, on the closing thread, which
     * reports a failure to delete them; a block it left half-made is removed here, on its own thread, so that a roll
     * after this (preparing on the append path, under the same name) never meets it.
     */
    @Override
    public void onClose()
    {
        // Removed before the appender may see the agent stopped and prepare under the same name on the append path.
        unfinishedFailure = discardUnfinished();
        retiredWriters.unmapRetired();
        stopped = true;
        wakeWaiter();
    }

    private void wakeWaiter()
    {
        final Thread parked = waiter;
        if (null != parked)
        {
            LockSupport.unpark(parked);
        }
    }

    /**
     * Stop the agent's thread (waiting for a preparation in flight), then close, unmap and delete every prepared file
     * nobody took. Every step runs whatever the one before threw; the first failure is thrown.
     *
     * @throws StoreException when an untaken file cannot be deleted, or a background attempt failed in a way no roll
     *                        expects (not a {@link StoreException}); it names the file.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        CloseHelper.closeAll(thread, this::discardUntaken);
    }

    /**
     * After the agent's thread stopped: nothing changes the counters any more.
     */
    private void discardUntaken()
    {
        // Handed over after the agent's last duty cycle, or while its thread ended on an Error.
        retiredWriters.unmapRetired();
        // Half-made and not removed by onClose (the agent's thread ended without it): nothing runs the agent now.
        final RuntimeException late = discardUnfinished();
        RuntimeException first = null == unfinishedFailure ? late : unfinishedFailure;
        for (long n = takenCount; n < preparedCount; n++)
        {
            try
            {
                discard(n);
            }
            catch (final RuntimeException ex)
            {
                if (null == first)
                {
                    first = ex;
                }
                else
                {
                    first.addSuppressed(ex);
                }
            }
        }
        takenCount = preparedCount;
        if (null != first)
        {
            throw first;
        }
    }

    /**
     * @return why the file of a preparation the agent left unfinished could not be removed, or null.
     */
    private RuntimeException discardUnfinished()
    {
        final BlockPreparation unfinished = preparing;
        if (null == unfinished)
        {
            return null;
        }
        final StoreIOException failure = new StoreIOException("discard unfinished prepared block file",
            unfinished.temp(), new IOException("closed while being prepared"));
        abandonPreparing(failure);
        return failure.getSuppressed().length == 0 ? null : failure;
    }

    private void discard(final long n)
    {
        final int slot = (int)(n % depth);
        final PreparedBlock untaken = ready[slot];
        final Throwable cause = failures[slot];
        ready[slot] = null;
        failures[slot] = null;
        if (null != untaken)
        {
            untaken.file().discard();
        }
        else if (null != cause)
        {
            final Path file = files[(int)(n % files.length)];
            if (!(cause instanceof StoreException))
            {
                throw new StoreException("prepare block file failed unexpectedly: " + cause, file, cause);
            }
            // Nobody needed the file; a full disk is the next roll's to report, after a reopen.
            LOG.info("background preparation of {}, which no roll took, failed: {}", file, cause.toString());
        }
    }
}
