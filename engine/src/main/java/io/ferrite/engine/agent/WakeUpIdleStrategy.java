package io.ferrite.engine.agent;

import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * Idles the thread that runs a set of agents until one of them has work: {@link #signal()} from another thread (an
 * append past half the unforced bound, a removal that emptied a block) wakes it at once, and a timer an agent named
 * during its last duty cycle ({@link #wakeAt}) wakes it when due. With neither it parks until signalled, so an idle
 * store costs no wake-ups; a spin or back-off strategy would either burn a core or delay the wake-ups appenders wait
 * for.
 * <p>
 * Agents never park themselves: they do what is due, name their next timer and return, so several may share one
 * thread (a composite agent) and one idle strategy.
 * <p>
 * Threading: {@link #idle}, {@link #reset} and {@link #wakeAt} on the running thread (from the agents' duty cycles);
 * {@link #signal()} and {@link #terminate()} from any thread.
 */
public final class WakeUpIdleStrategy implements IdleStrategy, AgentWakeUp
{
    private volatile Thread runner;
    /** Set by a signal not yet seen by an idle: closes the gap before the running thread is known. */
    private volatile boolean signalled;
    private volatile boolean terminated;
    /** Running thread only: the soonest timer named since the last idle. */
    private long deadline;
    private boolean hasDeadline;

    /**
     * Work arrived for an agent of this thread: run a duty cycle now.
     */
    @Override
    public void signal()
    {
        signalled = true;
        final Thread thread = runner;
        if (null != thread)
        {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Called by an agent during its duty cycle: run the next one no later than {@code nanoTime}
     * ({@link System#nanoTime()} time). Timers are forgotten at each idle; an agent names its own every cycle.
     */
    @Override
    public void wakeAt(final long nanoTime)
    {
        if (!hasDeadline || nanoTime - deadline < 0)
        {
            deadline = nanoTime;
            hasDeadline = true;
        }
    }

    /**
     * Stop the thread: its next idle ends its run loop (the agents' {@code onClose} runs on it), instead of an
     * {@link org.agrona.concurrent.AgentRunner#close()} timeout that would interrupt the thread, which would close
     * the file channel a force in flight is using.
     */
    public void terminate()
    {
        terminated = true;
        signal();
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            hasDeadline = false;
            if (terminated)
            {
                throw new AgentTerminationException("terminated", true);
            }
            return;
        }
        idle();
    }

    @Override
    public void idle()
    {
        if (null == runner)
        {
            runner = Thread.currentThread();
        }
        if (terminated)
        {
            throw new AgentTerminationException("terminated", true);
        }
        if (signalled)
        {
            signalled = false;
        }
        else if (hasDeadline)
        {
            final long wait = deadline - System.nanoTime();
            if (wait > 0)
            {
                LockSupport.parkNanos(this, wait);
            }
        }
        else
        {
            LockSupport.park(this);
        }
        // A signal from here on is for the duty cycle that follows, which sees its work anyway.
        signalled = false;
        hasDeadline = false;
    }

    @Override
    public void reset()
    {
        hasDeadline = false;
    }

    @Override
    public String alias()
    {
        return "wake-up";
    }
}
