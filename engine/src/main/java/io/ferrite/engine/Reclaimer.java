package io.ferrite.engine;

import io.ferrite.engine.agent.AgentWakeUp;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Gives disk space back, as an Agrona {@link Agent} on a thread other than the appenders' and the flusher's, so
 * appenders never wait for it: a pass expires messages past {@code maxAge}, deletes the files of blocks whose messages
 * were all removed ({@link EmptiedBlockDeletion}) and rewrites a sparse block compactly ({@link SparseBlockRewrite});
 * {@link ReclaimPolicy} says which blocks and when.
 * <p>
 * Crash safety: a block file goes (or is replaced) only after the tombstones it holds for older blocks were written
 * again at the end of the stream and forced, and with {@code state.db} set aside for the moment the files change, so
 * recovery never trusts a state that describes files that are gone (see
 * {@link io.ferrite.engine.state.FullStateWriter#whileReplacingBlocks}). With {@code state.db} gone, recovery knows of
 * a removal only from its tombstone, so a block also goes (or loses removed records to a rewrite) only once the
 * tombstones that removed its messages are forced ({@link io.ferrite.engine.block.BlockContents#removalWritten()}
 * against {@link AsyncFlusher#forcedWritten()}): in {@code INTERVAL} and {@code NONE} a purge returns before its
 * tombstone is forced, and deleting its blocks first let a power cut apply it in part — blocks gone, the rest of its
 * range back, unreported.
 * <p>
 * A failed pass never stops reclaiming: it is recorded ({@link ReclaimFailures}, {@code stats()}) and retried after a
 * growing delay.
 * <p>
 * A pass waits for the flusher's forces, so this agent must never run on the thread (or in the composite) that runs
 * the flusher: {@link AsyncFlusher} refuses such a wait. Between passes it never parks: it names its next timer (a
 * retry, the age check) to the thread's {@link AgentWakeUp} and returns.
 * <p>
 * Threading: {@link #doWork} on the running thread; {@link #onBlockEmptied()} and {@link #onRemoval(int)} under the
 * append lock; {@link #wake()} from any thread; {@link #reclaim} on the running thread or a purge's caller.
 * {@link #maintenanceLock()} serializes a pass with truncation and erasure, which also change files.
 */
final class Reclaimer implements Agent
{
    private final String roleName;
    private final StreamWriter writer;
    private final AsyncFlusher durability;
    private final Retention retention;
    private final ReclaimPolicy policy;
    private final EmptiedBlockDeletion deletion;
    private final SparseBlockRewrite rewrite;
    private final ReclaimFailures failures;
    private final AgentWakeUp wakeUp;
    private final ReentrantLock appendLock;
    private final ReentrantLock maintenance = new ReentrantLock();
    private final EpochNanoClock clock = new OffsetEpochNanoClock();
    private volatile Thread agentThread;
    private volatile boolean signalled;

    // Running thread only.
    private long nextAgeCheck = System.nanoTime();
    /** Set by {@link #limitsChanged}: the next age check follows the new period from now, not the old one. */
    private volatile boolean ageChanged;
    /** A pass owed at {@link #dueAt} whatever signals come: a retry of blocks not yet settled, or of a failed pass. */
    private boolean due;
    private long dueAt;
    /**
     * After a failure, signals and the age timer wait for {@link #dueAt} too, so a fault that persists costs one pass
     * per delay, not one per append that removes something.
     */
    private boolean backingOff;
    /** The store closed under a pass: nothing more to do. */
    private boolean finished;

    Reclaimer(
        final String name, final StreamWriter writer, final AsyncFlusher durability, final Retention retention,
        final ReclaimPolicy policy, final EmptiedBlockDeletion deletion, final SparseBlockRewrite rewrite,
        final ReclaimFailures failures, final AgentWakeUp wakeUp)
    {
        this.roleName = "ferrite-reclaim-" + name;
        this.writer = writer;
        this.appendLock = writer.lock();
        this.durability = durability;
        this.retention = retention;
        this.policy = policy;
        this.deletion = deletion;
        this.rewrite = rewrite;
        this.failures = failures;
        this.wakeUp = wakeUp;
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    ReentrantLock maintenanceLock()
    {
        return maintenance;
    }

    /**
     * A block lost its last message. Called under the append lock: it only wakes the agent.
     */
    void onBlockEmptied()
    {
        signal();
    }

    /**
     * A message of the block at {@code position} was removed. Called under the append lock.
     */
    void onRemoval(final int position)
    {
        if (policy.wakesOnRemoval(position))
        {
            signal();
        }
    }

    /**
     * The limits changed ({@code updateLimits}): follow a new {@code maxAge} and run a pass soon.
     */
    void limitsChanged()
    {
        policy.maxAge(retention.limits().maxAge().toNanos());
        ageChanged = true;
        signal();
    }

    /**
     * Run a pass soon, on the agent's thread: a purge or compaction's force completed.
     */
    void wake()
    {
        signal();
    }

    private void signal()
    {
        signalled = true;
        wakeUp.signal();
    }

    @Override
    public void onStart()
    {
        agentThread = Thread.currentThread();
        nextAgeCheck = System.nanoTime();
    }

    /**
     * One duty cycle: a pass when signalled, when the age check is due or when a retry is due (only the retry while
     * backing off after a failure); then name the next timer.
     *
     * @return 1 when a pass ran, else 0.
     */
    @Override
    public int doWork()
    {
        if (finished)
        {
            return 0;
        }
        final long now = System.nanoTime();
        if (ageChanged)
        {
            ageChanged = false;
            nextAgeCheck = now;
        }
        final boolean retryDue = due && now - dueAt >= 0;
        final long ageCheckNanos = policy.ageCheckNanos();
        final boolean ageDue = ageCheckNanos > 0 && now - nextAgeCheck >= 0;
        int work = 0;
        if (backingOff ? retryDue : signalled || ageDue || retryDue)
        {
            work = 1;
            signalled = false;
            due = false;
            backingOff = false;
            if (ageDue)
            {
                nextAgeCheck = now + ageCheckNanos;
            }
            try
            {
                if (!reclaim(ageDue))
                {
                    due = true;
                    dueAt = System.nanoTime() + ReclaimPolicy.RETRY_NANOS;
                }
            }
            catch (final StoreClosedException ex)
            {
                finished = true;
                return work;
            }
            catch (final RuntimeException | Error ex)
            {
                // Recorded and logged by reclaim(); the agent lives on, or no purge would free space until a reopen.
                due = true;
                backingOff = true;
                dueAt = System.nanoTime() + failures.backoffNanos();
            }
        }
        if (due)
        {
            wakeUp.wakeAt(dueAt);
        }
        if (ageCheckNanos > 0 && !backingOff)
        {
            wakeUp.wakeAt(nextAgeCheck);
        }
        return work;
    }

    /**
     * One pass: expire, delete emptied blocks, rewrite sparse ones. Also run by {@code purge} and {@code compact} on
     * the caller's thread in {@code ALWAYS} mode, so the space is back when they return (in the other modes the agent
     * runs it once their force completed).
     *
     * @return false when something could not be reclaimed yet and the pass should be retried soon.
     * @throws StoreException (or any other failure) after recording it in the stats and the log; the agent retries
     *                        the pass later.
     */
    boolean reclaim(final boolean expire)
    {
        maintenance.lock();
        try
        {
            final boolean done = pass(expire);
            failures.succeeded();
            return done;
        }
        catch (final StoreClosedException ex)
        {
            throw ex;
        }
        catch (final RuntimeException | Error ex)
        {
            failures.failed(ex);
            if (Thread.currentThread() != agentThread)
            {
                // Failed on a purge's caller (ALWAYS), who gets the exception: the agent still retries it.
                signal();
            }
            throw ex;
        }
        finally
        {
            maintenance.unlock();
        }
    }

    private boolean pass(final boolean expire)
    {
        // After a failed force nothing written since is durable, the tombstones that emptied blocks included.
        durability.checkUsable();
        if (expire)
        {
            appendLock.lock();
            try
            {
                writer.ensureOpenForMaintenance();
                retention.expire(clock.nanoTime());
            }
            finally
            {
                appendLock.unlock();
            }
        }
        final boolean deleted = deletion.run();
        final boolean rewritten = rewrite.run();
        return deleted && rewritten;
    }
}
