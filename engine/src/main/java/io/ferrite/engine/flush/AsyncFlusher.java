package io.ferrite.engine.flush;

import io.ferrite.engine.metrics.HistogramLog;
import io.ferrite.engine.metrics.OperationTimer;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.CommitOutcomeUnknownException;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.SyncMode;
import io.ferrite.engine.agent.AgentWakeUp;
import org.agrona.concurrent.Agent;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * The store's flusher, an Agrona {@link Agent} ({@code ferrite-flusher-<stream>}): every force of block data goes
 * through it. Appenders and {@code flush()} callers hand it requests through a JCTools MPSC queue and wake its thread
 * ({@link AgentWakeUp#signal()}); each duty cycle drains them all, captures
 * what to force under the append lock (a few field reads, see {@link BlockFlusher}), releases the lock, forces through
 * {@link StorageIO}, and only then publishes the new durable sequence and resolves every request it drained. Requests
 * that arrive while a force is in flight wait for the next one, so concurrent {@code ALWAYS} appenders share forces
 * (group commit) and N writers cost about one force per disk round trip.
 * <ul>
 *   <li>{@link SyncMode#ALWAYS}: {@link #afterAppend} parks the appender until its sequence is durable, and readers
 *   see nothing beyond {@link #durableSeq()}, so a commit that fails was never shown to anyone.</li>
 *   <li>{@link SyncMode#INTERVAL}: a cycle runs every sync interval, and as soon as half of
 *   {@code maxUnforcedBytes} is written and not yet forced; appenders wait only once the whole bound is
 *   ({@link UnforcedWindow}).</li>
 *   <li>{@link SyncMode#NONE}: cycles run only for {@code flush()}, state writes, close, and block rolls (to release
 *   the sealed block's descriptor).</li>
 * </ul>
 * Never report durability we do not have: {@link #durableSeq()} only moves after a force returned normally. After a
 * force fails the flusher is failed for good (after a failed {@code fsync} Linux may drop the dirty pages and report
 * the next {@code fsync} as a success, so retrying could claim durability that was lost): every later durability
 * request and every append fails with the original error, which names the file, until the store is reopened.
 * <p>
 * Threading: {@link #afterAppend}, {@link #flush}, {@link #flushAndWait}, {@link #awaitDurable} and {@link
 * #checkUsable} from any thread but the one running this agent (waiting there for a force would never return, so
 * an agent that waits for forces, such as the reclaimer, runs on another thread); {@link #doWork} on the running
 * thread, the only one that forces while the agent runs. Before it runs, and from {@link #onClose()} on, a
 * {@code flush()} forces on its caller's thread, under this object's monitor. The flusher holds no lock that appenders
 * or readers take while it waits on the disk, and never parks its thread: it may share it with other streams'
 * flushers.
 */
public final class AsyncFlusher implements Agent, AutoCloseable
{
    /** Not run yet (or never): a {@code flush()} forces on its caller's thread. */
    private static final int NOT_RUN = 0;
    private static final int RUNNING = 1;
    /** {@link #onClose()} ran: what was queued before was served; a {@code flush()} forces on its caller's thread. */
    private static final int STOPPED = 2;

    private static final Logger LOG = LoggerFactory.getLogger(AsyncFlusher.class);

    /** Queue chunk: 256 requests, so a burst of that many commits costs no allocation in the queue. */
    private static final int QUEUE_CHUNK_SIZE = 256;
    /** How long a committing appender parks before it re-checks that the flusher is still alive. */
    private static final long WAITER_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final Runnable NO_HOOK = () ->
    {
    };

    private final BlockFlusher blocks;
    private final UnforcedWindow window;
    private final SyncMode mode;
    private final long intervalNanos;
    private final StoreMetrics metrics;
    private final OperationTimer timer;
    private final HistogramLog histogramLog;
    private final MpscUnboundedXaddArrayQueue<Object> requests = new MpscUnboundedXaddArrayQueue<>(QUEUE_CHUNK_SIZE);
    private final ThreadLocal<CommitWaiter> waiters = ThreadLocal.withInitial(CommitWaiter::new);
    private final String roleName;
    private final AgentWakeUp wakeUp;

    // Under this object's monitor: the running thread, or a caller while the agent does not run.
    private final BlockFlusher.Batch batch = new BlockFlusher.Batch();
    private final List<CommitWaiter> drainedWaiters = new ArrayList<>();
    private final List<CompletableFuture<Long>> drainedFlushes = new ArrayList<>();
    /** Running thread only: when the next {@code INTERVAL} cycle is due. */
    private long nextTick;

    private volatile long durableSeq;
    /**
     * {@link UnforcedWindow#written()} as captured by the newest whole-stream cycle whose forces and directory sync
     * returned; -1 before the first, so what recovery found (counted as 0) waits for this process's first force.
     */
    private volatile long forcedWritten = -1;
    /** Orders a truncation against a force's update of {@link #durableSeq}. */
    private final Object truncation = new Object();
    private volatile StoreException failure;
    private volatile int phase = NOT_RUN;
    /**
     * Set by {@link #onClose()} before it serves the queue for the last time (and when a duty cycle dies of an
     * {@code Error}, after which no cycle runs): a {@code flush()} that saw the agent running and queued its request
     * too late for that serves the queue itself.
     */
    private volatile boolean closing;
    /** Test seam: run by {@link #flush()} after it saw the agent running and before it queues its request. */
    private volatile Runnable beforeQueueing = NO_HOOK;
    /** The thread running this agent, to refuse waiting for a force on it. */
    private volatile Thread agentThread;
    private volatile boolean nudged;
    /** Guarded by {@link #truncation}. */
    private DurabilityListener durabilityListener = DurabilityListener.NONE;
    /** Told the durable sequence after each {@code INTERVAL} tick's cycle, on the running thread; set before start. */
    private LongConsumer intervalListener;

    /**
     * @param durableSeq   the sequence known durable at start (what recovery found after a clean close).
     * @param histogramLog written every period on the running thread, or null.
     * @param wakeUp       the idle strategy of the thread that will run this agent.
     */
    public AsyncFlusher(
        final String streamName, final BlockFlusher blocks, final SyncMode mode, final long intervalNanos,
        final long durableSeq, final StoreMetrics metrics, final HistogramLog histogramLog,
        final AgentWakeUp wakeUp)
    {
        this.blocks = blocks;
        this.window = blocks.window();
        this.mode = mode;
        this.intervalNanos = intervalNanos;
        this.durableSeq = durableSeq;
        this.metrics = metrics;
        this.timer = metrics.flush();
        this.histogramLog = histogramLog;
        metrics.onDurable(durableSeq, System.nanoTime(), false);
        this.roleName = "ferrite-flusher-" + streamName;
        this.wakeUp = wakeUp;
        this.nextTick = mode == SyncMode.INTERVAL ? System.nanoTime() + intervalNanos : Long.MAX_VALUE;
        blocks.onDirectoryChange(this::nudge);
        window.flusherWakeUp(wakeUp::signal);
    }

    /**
     * Tell {@code listener} the durable sequence now and every change of it from now on, and every force failure. Set
     * before the agent's thread starts.
     */
    public void durabilityListener(final DurabilityListener listener)
    {
        synchronized (truncation)
        {
            durabilityListener = listener;
            listener.onDurableSeq(durableSeq);
        }
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /**
     * Called under the append lock once the stream was truncated to {@code seq}: sequences above it will be assigned
     * again, and nothing about them is durable.
     */
    public void onTruncated(final long seq)
    {
        synchronized (truncation)
        {
            blocks.onTruncated();
            durableSeq = Math.min(durableSeq, seq);
            durabilityListener.onDurableSeq(durableSeq);
        }
    }

    /**
     * @return the highest sequence whose record, and everything before it, a completed force made durable. Written
     * (volatile) only after the force returned, so a reader that reads it also sees every record up to it: in
     * {@code ALWAYS} mode it is the readers' horizon.
     */
    public long durableSeq()
    {
        return durableSeq;
    }

    /**
     * @return the count of frames written ({@link UnforcedWindow#written()}) that completed forces have made durable,
     * directory entries included: every frame written before the count reached this value survives a power cut. -1
     * before this process's first whole-stream force.
     */
    public long forcedWritten()
    {
        return forcedWritten;
    }

    /**
     * Called under the append lock: is everything written so far already durable, with no force failed? Then a
     * state captured now describes only what the disk holds, without waiting for anything.
     */
    public boolean isSettled()
    {
        return null == failure && blocks.isSettled();
    }

    /**
     * @throws StoreIOException when an earlier force failed: nothing appended from now on could be made durable.
     */
    public void checkUsable()
    {
        final StoreException failed = failure;
        if (null != failed)
        {
            throw refused("append refused: an earlier force failed, reopen the store", failed);
        }
    }

    /**
     * Called by an appender after its append returned {@code seq}, outside the append lock. In {@code ALWAYS} mode it
     * parks until {@code seq} is durable; otherwise it returns at once.
     *
     * @param operation what was committed, for the error: "append" or "skip".
     * @throws CommitOutcomeUnknownException when the force covering {@code seq} failed, or the store closed before it
     *                                       ran: the record was written and may or may not survive a reopen.
     */
    public void afterAppend(final long seq, final String operation)
    {
        if (mode == SyncMode.ALWAYS)
        {
            awaitDurable(seq, operation);
        }
    }

    /**
     * Park until {@code seq} is durable, sharing a force with every other waiter.
     *
     * @param operation what was committed, for the error.
     * @throws CommitOutcomeUnknownException when the force covering {@code seq} failed, or the store closed before it
     *                                       ran.
     */
    public void awaitDurable(final long seq, final String operation)
    {
        if (durableSeq >= seq)
        {
            return;
        }
        refuseOnAgentThread();
        final CommitWaiter waiter = waiters.get();
        waiter.arm(seq, System.nanoTime());
        requests.offer(waiter);
        wakeUp.signal();
        while (waiter.state == CommitWaiter.WAITING)
        {
            if (phase == STOPPED && waiter.state == CommitWaiter.WAITING)
            {
                // The flusher stopped before it drained this waiter (an append that raced with close()): close()
                // forced everything appended before it, so the durable sequence answers. (One not run yet drains
                // it once it runs.)
                resolveAfterStop(waiter);
                break;
            }
            LockSupport.parkNanos(this, WAITER_RECHECK_NANOS);
        }
        if (waiter.state == CommitWaiter.FAILED)
        {
            final StoreException cause = waiter.failure;
            throw new CommitOutcomeUnknownException(operation, seq, cause.file(), cause);
        }
    }

    /**
     * Make everything appended before this call durable and wait for it: {@link #flush()} for the store's own
     * operations, which must report a failure as a {@link StoreException}, never as the future's
     * {@link CompletionException}.
     *
     * @return the durable sequence.
     * @throws StoreException when the force failed, or an earlier one had; it names the file.
     */
    public long flushAndWait()
    {
        return await(flush());
    }

    /**
     * Wait for a future of {@link #flush()}, reporting its failure as the {@link StoreException} it carries.
     *
     * @throws StoreException the future's failure.
     */
    public long await(final CompletableFuture<Long> flush)
    {
        refuseOnAgentThread();
        try
        {
            return flush.join();
        }
        catch (final CompletionException | CancellationException ex)
        {
            final Throwable cause = ex instanceof CompletionException && null != ex.getCause() ? ex.getCause() : ex;
            if (cause instanceof StoreException failure)
            {
                // A fresh exception per caller (refused() or failDrained() made it for this future): rethrown as is,
                // with the caller's own trace added, so its type (StoreIOException) and file survive.
                failure.addSuppressed(new StoreException("waited for here", null, StoreException.UNKNOWN,
                    StoreException.UNKNOWN));
                throw failure;
            }
            throw new StoreException("flush failed: " + cause, null, cause);
        }
    }

    /**
     * @throws IllegalStateException on the thread running this agent: the force waited for would never run.
     */
    private void refuseOnAgentThread()
    {
        if (Thread.currentThread() == agentThread)
        {
            throw new IllegalStateException(roleName + ": waiting for a force on the flusher's own thread would " +
                "never return; run agents that wait for forces on another thread");
        }
    }

    private void resolveAfterStop(final CommitWaiter waiter)
    {
        if (durableSeq >= waiter.seq)
        {
            waiter.state = CommitWaiter.DURABLE;
        }
        else
        {
            waiter.failure = null != failure ? failure :
                new StoreException("store closed before the append was made durable", null, StoreException.UNKNOWN,
                waiter.seq);
            waiter.state = CommitWaiter.FAILED;
        }
    }

    /**
     * Make everything appended before this call durable.
     *
     * @return a future completed with the durable sequence after a force, or failed with the force's error.
     */
    public CompletableFuture<Long> flush()
    {
        final StoreException failed = failure;
        if (null != failed)
        {
            return CompletableFuture.failedFuture(refused("flush failed: an earlier force failed", failed));
        }
        final CompletableFuture<Long> future = new CompletableFuture<>();
        if (phase != RUNNING)
        {
            // Not run yet, or stopped: force on the caller's thread.
            synchronized (this)
            {
                drainedFlushes.add(future);
                cycle(false);
            }
            return future;
        }
        beforeQueueing.run();
        requests.offer(future);
        if (closing)
        {
            // onClose() may have made its last check of the queue before this offer, and no duty cycle follows it.
            // Offer then read the flag here, set the flag then read the queue there: at least one side sees the
            // other, and drain() takes each request once, so it is served exactly once.
            synchronized (this)
            {
                serveQueued();
            }
        }
        else
        {
            wakeUp.signal();
        }
        return future;
    }

    /**
     * Test seam: {@code hook} runs on the caller's thread each time {@link #flush()} found the agent running and is
     * about to queue its request; null for none.
     */
    void beforeQueueing(final Runnable hook)
    {
        beforeQueueing = null == hook ? NO_HOOK : hook;
    }

    /**
     * Call {@code listener} with the durable sequence after each {@link SyncMode#INTERVAL} tick's force cycle, on the
     * thread running this agent and outside its monitor: for small writes that follow the interval (the named tailers'
     * cursors). Never called in the other modes. Set before the agent's thread starts.
     */
    public void intervalListener(final LongConsumer listener)
    {
        intervalListener = listener;
    }

    private void nudge()
    {
        nudged = true;
        wakeUp.signal();
    }

    @Override
    public void onStart()
    {
        agentThread = Thread.currentThread();
        phase = RUNNING;
    }

    /**
     * One duty cycle: drain the requests, run a force cycle when one is asked for or due, write the histogram log
     * when due, and name the next timer. Never parks: the thread's idle strategy waits.
     *
     * @return the requests drained and cycles run.
     */
    @Override
    public int doWork()
    {
        try
        {
            return dutyCycle();
        }
        catch (final Error ex)
        {
            // The runner ends the thread on an Error without onClose: appenders must not wait for a force that will
            // never come, neither for room in the window nor for a commit, and a flush() that saw the agent running
            // and queues its request now serves it itself, as after onClose().
            closing = true;
            phase = STOPPED;
            window.close();
            failStranded(ex);
            throw ex;
        }
    }

    /**
     * After an {@code Error} ended a duty cycle: fail the requests it had drained and those queued, which no cycle
     * will serve now, rather than leave their callers waiting for ever. Whether a drained request's force happened is
     * not known, so a commit among them fails as of unknown outcome. Requests queued from now on are served by their
     * callers ({@link #closing}).
     */
    private void failStranded(final Error error)
    {
        try
        {
            synchronized (this)
            {
                drain();
                failDrained(new StoreException("the flusher's thread stopped: " + error, null, error));
            }
        }
        catch (final RuntimeException | Error another)
        {
            error.addSuppressed(another);
        }
    }

    private int dutyCycle()
    {
        long now;
        int work;
        final boolean due;
        synchronized (this)
        {
            work = drain();
            now = System.nanoTime();
            due = now - nextTick >= 0;
            final boolean wasNudged = nudged;
            if (wasNudged)
            {
                nudged = false;
            }
            // Appenders found half of maxUnforcedBytes unforced: force now, not at the next tick.
            final boolean windowAsked = window.takeCycleRequest();
            final boolean asked = due || windowAsked || !drainedWaiters.isEmpty() || !drainedFlushes.isEmpty();
            if (asked || wasNudged)
            {
                cycle(!asked);
                work++;
                now = System.nanoTime();
                if (due)
                {
                    nextTick = now + intervalNanos;
                }
            }
        }
        if (due && null != intervalListener)
        {
            intervalListener.accept(durableSeq);
        }
        if (null != histogramLog)
        {
            histogramLog.maybeWrite(now);
            wakeUp.wakeAt(histogramLog.nextWriteNanos());
        }
        if (nextTick != Long.MAX_VALUE)
        {
            wakeUp.wakeAt(nextTick);
        }
        if (!requests.isEmpty() || nudged || window.isCycleAsked())
        {
            work++;
        }
        return work;
    }

    /**
     * Taken off its thread (the thread stops, or leaves a composite): serve every request already queued, then stop.
     * Does not force otherwise: the store's {@code close()} flushes first.
     */
    @Override
    public void onClose()
    {
        try
        {
            synchronized (this)
            {
                // Before the last look at the queue, and STOPPED only after it: awaitDurable() takes STOPPED to mean
                // that nothing more will be forced, and would fail waiters this loop is about to serve.
                closing = true;
                try
                {
                    serveQueued();
                }
                finally
                {
                    phase = STOPPED;
                }
            }
        }
        finally
        {
            // Normally the store closed the window already; should the agent stop any other way, appenders waiting
            // for room must not wait for a force that will never come.
            window.close();
        }
    }

    /**
     * Release the histogram log; after the thread running this agent stopped.
     */
    @Override
    public void close()
    {
        if (null != histogramLog)
        {
            histogramLog.close();
        }
    }

    /**
     * Under this object's monitor: serve every request queued, until none is left. A producer that took its slot but
     * has not stored its request yet stops {@link #drain()} there while the queue is not empty: loop until it has.
     */
    private void serveQueued()
    {
        do
        {
            drain();
            if (!drainedWaiters.isEmpty() || !drainedFlushes.isEmpty())
            {
                cycle(false);
            }
        }
        while (!requests.isEmpty());
    }

    private int drain()
    {
        int drained = 0;
        for (Object request = requests.relaxedPoll(); null != request; request = requests.relaxedPoll())
        {
            drained++;
            if (request instanceof CommitWaiter waiter)
            {
                if (durableSeq >= waiter.seq)
                {
                    metrics.onAppendDurable(System.nanoTime() - waiter.appendedNanos);
                    waiter.complete();
                }
                else
                {
                    drainedWaiters.add(waiter);
                }
            }
            else
            {
                @SuppressWarnings("unchecked")
                final CompletableFuture<Long> future = (CompletableFuture<Long>)request;
                drainedFlushes.add(future);
            }
        }
        return drained;
    }

    /**
     * One force: capture under the append lock, force outside it, then publish and resolve what was drained.
     * Serialized by this object's monitor (the running thread, or a caller while the agent does not run).
     */
    private void cycle(final boolean sealedOnly)
    {
        final StoreException failed = failure;
        if (null != failed)
        {
            failDrained(failed);
            return;
        }
        final OperationTimer.Run run = timer.start();
        try
        {
            blocks.capture(batch, sealedOnly, !drainedFlushes.isEmpty());
            run.endPhase(StoreMetrics.FLUSH_CAPTURE);
            if (!batch.isEmpty())
            {
                blocks.force(batch, run);
            }
        }
        catch (final StoreException ex)
        {
            fail(ex, run);
            blocks.cycleDone();
            return;
        }
        catch (final RuntimeException | Error ex)
        {
            fail(new StoreException("flusher failed: " + ex, null, ex), run);
            blocks.cycleDone();
            return;
        }
        final long durable;
        final boolean sameTimeline;
        final DurabilityListener listener;
        synchronized (truncation)
        {
            // A truncation since the capture lowered the durable sequence: this force proves nothing after it.
            sameTimeline = batch.epoch() == blocks.epoch();
            durable = sameTimeline ? Math.max(durableSeq, batch.seq()) : durableSeq;
            durableSeq = durable;
            listener = durabilityListener;
            listener.onDurableSeq(durable);
        }
        // Outside the monitor: a listener that reads the store may wait for the append lock a truncation holds while
        // it waits for the monitor.
        listener.afterDurableSeq(durable);
        if (!sealedOnly && sameTimeline)
        {
            // Before any flush() caller is released: one that waited for this cycle finds its state image published.
            blocks.captureListener().onDurable();
        }
        blocks.cycleDone();
        if (!sealedOnly)
        {
            // Whatever the timeline: what was captured is forced now, or was cut away by a truncation (which writes
            // the cut tombstones again and forces them before it lets a reclaim run).
            window.onForced(batch.written());
            forcedWritten = Math.max(forcedWritten, batch.written());
        }
        metrics.onForced(batch.bytesForced(), batch.forceNanos());
        final int commits = drainedWaiters.size() + drainedFlushes.size();
        final long now = System.nanoTime();
        // Before any waiter is released, so a caller that saw its commit complete also sees it in stats().
        metrics.onDurable(durable, now, mode != SyncMode.ALWAYS);
        for (int i = 0; i < drainedWaiters.size(); i++)
        {
            final CommitWaiter waiter = drainedWaiters.get(i);
            metrics.onAppendDurable(now - waiter.appendedNanos);
            waiter.complete();
        }
        drainedWaiters.clear();
        for (int i = 0; i < drainedFlushes.size(); i++)
        {
            drainedFlushes.get(i).complete(durable);
        }
        drainedFlushes.clear();
        if (!batch.isEmpty())
        {
            metrics.onForceCycle(commits);
            run.finish(batch.blocksForced() + " blocks, " + commits + " commits, durable seq " + durable);
        }
    }

    private void fail(final StoreException ex, final OperationTimer.Run run)
    {
        failure = ex;
        LOG.error("flusher: a force failed; no further append can be made durable until the store is reopened: {}",
            ex.getMessage());
        final DurabilityListener listener;
        synchronized (truncation)
        {
            listener = durabilityListener;
        }
        listener.onForceFailed(ex);
        run.finish("failed: " + ex.getMessage());
        failDrained(ex);
        window.onFailed(ex);
    }

    private void failDrained(final StoreException cause)
    {
        for (int i = 0; i < drainedWaiters.size(); i++)
        {
            drainedWaiters.get(i).fail(cause);
        }
        drainedWaiters.clear();
        for (int i = 0; i < drainedFlushes.size(); i++)
        {
            drainedFlushes.get(i).completeExceptionally(refused("flush failed", cause));
        }
        drainedFlushes.clear();
    }

    /**
     * A new exception for this caller (its own stack trace) that names the file of the original failure.
     */
    static StoreException refused(final String what, final StoreException cause)
    {
        final IOException io = cause.getCause() instanceof IOException ioCause ? ioCause : null;
        final StoreException refused = null != io ?
            new StoreIOException(what, cause.file(), io) :
            new StoreException(what + ": " + cause.getMessage(), cause.file(), cause);
        if (null != io)
        {
            refused.addSuppressed(cause);
        }
        return refused;
    }
}
