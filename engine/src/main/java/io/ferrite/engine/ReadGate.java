package io.ferrite.engine;

import io.ferrite.store.StoreClosedException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts the callers inside a read of a store's block mappings, so that what a reader may hold is given back or
 * changed only once no reader can hold it: a read that touched an unmapped page would crash the JVM (a SIGSEGV is not
 * turned into an exception), a handler reading a record an erase zeroed under it would get bytes that no longer
 * verify, and a mapping left for the garbage collector keeps a deleted block's disk space and page-cache memory until
 * some collection, which a process appending through the allocation-free API may not run for hours.
 * <p>
 * Each reader {@link #enter()}s before it touches a mapping (or the block array, or a sequence table) and
 * {@link #exit(int)}s after its last touch, in a {@code finally}: one atomic add on each side, on a counter picked by
 * the thread ({@link #CELLS} cells) and by the phase, each counter on cache lines of its own, so readers on different
 * threads do not share a line.
 * <p>
 * <b>Grace periods.</b> Something that left the readers' reach (a block that left the index, a message dropped from
 * its sequence table) may be let go of once every reader inside when it left has gone: a reader entering later cannot
 * find it. Waiting for no reader at all to be inside would wait for ever while readers overlap, so the counters come
 * in two phases, as in RCU and left-right: a reader counts itself in the current phase; a grace period flips the phase
 * and waits for the old phase's counters to drain. Readers entering after the flip count in the new phase and never
 * hold it up; only the readers inside before the flip are waited for. The reader's side is Dekker's handshake against
 * the flip: it reads {@link #state}, adds to that phase's counter, and reads {@link #state} again; when a flip came in
 * between it takes its add back and counts again in the new phase. The flipper writes {@link #state} and then reads
 * the counters. All of these are synchronization actions, so either the reader's second read sees the flip (it is a
 * reader of the new phase, and everything before the flip happened-before what it reads next) or the flipper's read
 * of its counter sees its add (it is waited for).
 * <p>
 * A grace period is asked for with {@link #startGrace()}, after the thing left the readers' reach, and is over when
 * {@link #pollGrace} (which never blocks: the flusher's cycle polls it) or {@link #awaitGrace} says so. One runs at a
 * time: the phase flips again only once the old phase drained, so a phase never holds readers of two generations, and
 * a wait is held up only by readers that entered before its flip, never by a stream of later ones. Tickets of several
 * callers share the same flips.
 * <p>
 * {@link #close(long)} is the same handshake with the closing flag, which lives in {@link #state} too, so a reader's
 * two reads see both: either the reader sees the flag (and leaves before touching anything) or the closer sees the
 * reader counted and waits for it. A reader may stay inside as long as its handler runs, or call {@code close()} from
 * inside a handler: the close waits a bounded time, and when readers remain it says so and the mappings are left for
 * the garbage collector, as before — slower to release, never unsafe. A reader must not wait for a grace period from
 * inside (it would wait for itself): the store refuses or defers such calls (see {@link StreamRemovals}).
 * <p>
 * Threading: any thread.
 */
final class ReadGate
{
    /** Counters per phase, a power of two: more than the readers of a store on a small machine usually are. */
    static final int CELLS = 8;
    /** Longs between two counters: 128 bytes, two cache lines, so the adjacent-line prefetcher shares none. */
    private static final int STRIDE = 16;
    private static final long WAIT_STEP_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /**
     * The longest step of a grace period's wait, which may last as long as a handler: polling every 50 µs cost the
     * waiting thread 15 % of a core. A millisecond more than the handler is nothing next to the forces an erase waits
     * for.
     */
    private static final long MAX_GRACE_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** The low bit of {@link #state}; the generation (how many flips) is in the bits above it. */
    private static final long CLOSING = 1;
    private static final long ONE_FLIP = 2;
    private static final VarHandle STATE;
    private static final VarHandle PASSED;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(ReadGate.class, "state", long.class);
            PASSED = lookup.findVarHandle(ReadGate.class, "passed", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /**
     * Cell c's counter of phase p at {@code (1 + 2c + p) * STRIDE}: a cell's two phases are used by the same threads
     * but are each on lines of their own too, so the flipper's reads of one phase do not pull the other's lines.
     * Padded at both ends: other objects' fields sit out of the first and last counters' lines.
     */
    private final AtomicLongArray counts = new AtomicLongArray((2 * CELLS + 1) * STRIDE);
    private final String streamName;
    /**
     * {@link #CLOSING}, and the generation times {@link #ONE_FLIP}: readers count in the generation's low bit, the
     * phase. Changed only by compare-and-set and atomic or, so a flip never loses the closing flag.
     */
    private volatile long state;
    /**
     * The highest generation whose flip is over: every reader that entered before it has left. At most one behind
     * the generation: a flip waits for the one before it to be over.
     */
    private volatile long passed;

    /**
     * @param streamName named by the {@link StoreClosedException} a reader gets once the store closes.
     */
    ReadGate(final String streamName)
    {
        this.streamName = streamName;
    }

    /** The ticket {@link #awaitGraceHoldingAppendLock} waits for while it does, else 0 (tickets start at 1). */
    private volatile long awaitedTicket;

    /**
     * Count this thread in, unless the store closes.
     *
     * @return the counter to give back to {@link #exit(int)}.
     * @throws StoreClosedException when {@link #close(long)} began: the mappings may be gone.
     */
    int enter()
    {
        final int cell = cell();
        while (true)
        {
            final int index = enter(cell, state);
            if (index > 0)
            {
                return index;
            }
        }
    }

    /**
     * One attempt of {@link #enter()}, apart for tests that put a flip between its reads: count in the phase of
     * {@code observed}, a value of {@link #state} read before.
     *
     * @return the counter to give back to {@link #exit(int)}, or 0 when a flip came since {@code observed}: this
     * thread is not counted then, and counts again in the new phase.
     * @throws StoreClosedException when {@link #close(long)} began: the mappings may be gone.
     */
    int enter(final int cell, final long observed)
    {
        final int index = counter(cell, observed >>> 1);
        counts.getAndIncrement(index);
        final long now = state;
        if (now == observed && (now & CLOSING) == 0)
        {
            return index;
        }
        counts.getAndDecrement(index);
        if ((now & CLOSING) != 0)
        {
            throw new StoreClosedException(streamName);
        }
        return 0;
    }

    /**
     * @return what a reader reads first: for tests that put a flip between a reader's two reads.
     */
    long state()
    {
        return state;
    }

    /**
     * Count this thread out.
     *
     * @param index what {@link #enter()} returned: it names the phase too.
     */
    void exit(final int index)
    {
        counts.getAndDecrement(index);
    }

    /**
     * Ask for a grace period: call it once whatever readers must no longer hold left their reach (left the index,
     * dropped from its table), so a reader counting in after the flip to come finds it gone.
     * <p>
     * An atomic add of nothing rather than a read: the flip that ends this ticket's wait may be another thread's, one
     * this thread's read of the generation would not be ordered before; the add is a write every later flip reads, so
     * what this thread did before happened-before the flip, and so before every read of a reader counted after it.
     *
     * @return the ticket for {@link #pollGrace} and {@link #awaitGrace}: the generation whose flip comes after now.
     */
    long startGrace()
    {
        return ((long)STATE.getAndAdd(this, 0L) >>> 1) + 1;
    }

    /**
     * Move the grace periods on as far as the readers let them, without waiting: flip when none is running, note a
     * flip over when its old phase drained.
     *
     * @param ticket from {@link #startGrace()}.
     * @return whether every reader inside when the ticket was taken has left.
     */
    boolean pollGrace(final long ticket)
    {
        while (true)
        {
            final long over = passed;
            if (over >= ticket)
            {
                return true;
            }
            final long current = state;
            final long generation = current >>> 1;
            if (generation == over)
            {
                // None running: flip. Failing means another flip or the close came first; look again.
                STATE.compareAndSet(this, current, current + ONE_FLIP);
            }
            else if (generation == over + 1)
            {
                if (!drained(generation - 1))
                {
                    return false;
                }
                PASSED.compareAndSet(this, over, generation);
            }
            // Otherwise another thread ended a flip and began the next between the two reads: look again.
        }
    }

    /**
     * Wait until the grace period of {@code ticket} is over, or {@code timeoutNanos} passed. Never from inside the
     * gate: it would wait for this thread. An interrupt does not end the wait (the caller has begun something that
     * must finish); it is kept for the caller.
     *
     * @param timeoutNanos {@code Long.MAX_VALUE} for as long as it takes.
     * @return whether it is over.
     */
    boolean awaitGrace(final long ticket, final long timeoutNanos)
    {
        final long deadline = System.nanoTime() + timeoutNanos;
        long step = WAIT_STEP_NANOS;
        boolean interrupted = false;
        try
        {
            while (!pollGrace(ticket))
            {
                if (System.nanoTime() - deadline >= 0)
                {
                    return false;
                }
                LockSupport.parkNanos(this, step);
                step = Math.min(2 * step, MAX_GRACE_STEP_NANOS);
                // Cleared, or the park would return at once from here on and the wait would spin.
                interrupted |= Thread.interrupted();
            }
            return true;
        }
        finally
        {
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * As {@link #awaitGrace}, for a caller that holds the store's append lock meanwhile (a truncation, which must let
     * nothing be appended over what it waits to zero): a reader inside that then asks for the lock would hold the wait
     * up for its whole bound, so while it lasts {@link #mayBeAwaitedHoldingAppendLock()} tells such a reader to give
     * up.
     */
    boolean awaitGraceHoldingAppendLock(final long ticket, final long timeoutNanos)
    {
        awaitedTicket = ticket;
        try
        {
            return awaitGrace(ticket, timeoutNanos);
        }
        finally
        {
            awaitedTicket = 0;
        }
    }

    /**
     * For a reader inside the gate that cannot take the append lock: whether a grace period waited for by the lock's
     * holder may be waiting for this reader, so that it would wait for the lock until that wait's bound ran out. Yes
     * while the wait's flip has not come (everyone inside now will be waited for); after it, yes only when a reader
     * of the phase before it counts in this thread's cell, which a reader counted in after the flip finds only when
     * it shares the cell with a reader waited for (then it is told yes too: wrongly, but never the other way round).
     */
    boolean mayBeAwaitedHoldingAppendLock()
    {
        final long ticket = awaitedTicket;
        if (0 == ticket)
        {
            return false;
        }
        final long generation = state >>> 1;
        if (generation != ticket)
        {
            // Before the wait's flip, or after the wait ended (its ticket is passed, the field not cleared yet).
            return generation < ticket;
        }
        return counts.get(counter(cell(), ticket - 1)) != 0;
    }

    /**
     * @return the calling thread's cell: the counters it counts itself in.
     */
    private static int cell()
    {
        return (int)Thread.currentThread().getId() & (CELLS - 1);
    }

    /**
     * Let no reader in from now on, and wait up to {@code timeoutNanos} for those inside to leave.
     *
     * @return whether none is inside: the mappings may be unmapped. Once true, it stays true.
     */
    boolean close(final long timeoutNanos)
    {
        STATE.getAndBitwiseOr(this, CLOSING);
        final long deadline = System.nanoTime() + timeoutNanos;
        while (inside() > 0)
        {
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            LockSupport.parkNanos(this, WAIT_STEP_NANOS);
        }
        return true;
    }

    /**
     * @return the readers inside now, in both phases.
     */
    long inside()
    {
        long inside = 0;
        for (int cell = 0; cell < CELLS; cell++)
        {
            inside += counts.get(counter(cell, 0)) + counts.get(counter(cell, 1));
        }
        return inside;
    }

    /**
     * @return whether no reader counts in the phase of {@code generation}.
     */
    private boolean drained(final long generation)
    {
        for (int cell = 0; cell < CELLS; cell++)
        {
            if (counts.get(counter(cell, generation)) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static int counter(final int cell, final long generation)
    {
        return (1 + 2 * cell + (int)(generation & 1)) * STRIDE;
    }
}
