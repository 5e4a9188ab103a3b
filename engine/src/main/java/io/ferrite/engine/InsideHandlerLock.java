package io.ferrite.engine;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The append lock asked for from inside one of the store's read or tailer handlers (an append, a claim, a removal or
 * a query the handler makes in its own store). The handler's thread stays counted in the read gate by its read for as
 * long as the handler runs, and a truncation holds the append lock while it waits for the readers inside to leave,
 * before it zeroes what it cut ({@link StreamTruncation}): queued for the lock, the thread would hold that wait up
 * until its bound ran out, and every append of the store with it, and the truncation would then zero the records the
 * handler holds. So from inside a handler the lock is not queued for but tried, and the call refused, having done
 * nothing, once such a wait may be waiting for this handler ({@link ReadGate#mayBeAwaitedHoldingAppendLock()}).
 * <p>
 * {@link AppendLock} asks only once the lock turned out not to be free: the lookup of the thread's read context is
 * not on the path of an uncontended append.
 * <p>
 * Threading: any thread.
 */
final class InsideHandlerLock
{
    /** How often a caller inside a handler tries the lock again: the flusher's capture holds it for less. */
    private static final long POLL_NANOS = 20_000;

    private final ReadGate readGate;
    private final StreamReader reader;
    private final String streamName;

    InsideHandlerLock(final ReadGate readGate, final StreamReader reader, final String streamName)
    {
        this.readGate = readGate;
        this.reader = reader;
        this.streamName = streamName;
    }

    /**
     * @return whether this thread is inside one of the store's read or tailer handlers (or a snapshot's channel).
     */
    boolean insideHandler()
    {
        return reader.threadContext().insideHandlers > 0;
    }

    /**
     * Take {@code lock} from inside a handler: try it until it is free, never queued behind a truncation.
     *
     * @param operation the caller's call, named by the refusal.
     * @throws IllegalStateException once a truncation is seen waiting for the readers with the lock held; the lock is
     *                               not held then.
     */
    void lockInsideHandler(final ReentrantLock lock, final String operation)
    {
        while (!lock.tryLock())
        {
            if (readGate.mayBeAwaitedHoldingAppendLock())
            {
                throw new IllegalStateException("stream '" + streamName + "': " + operation + " from inside one of " +
                    "its read or tailer handlers needs the append lock, which a truncation holds while it waits for " +
                    "this handler to return; refused, nothing done: call it after the handler returned (or on a " +
                    "thread the handler does not wait for)");
            }
            LockSupport.parkNanos(this, POLL_NANOS);
        }
    }
}
