package io.ferrite.engine.agent;

import org.agrona.concurrent.Agent;

import java.util.concurrent.CountDownLatch;

/**
 * One agent's place on a {@link SharedAgentThread}: its own signal and timer, so the thread runs only the agents that
 * have work (signalled, still busy, or a timer due) rather than every stream's agents on every wake-up.
 * <p>
 * Threading: {@link #start} (returns once the agent's {@code onStart} ran, so a stream's open ends with its agents
 * running) and {@link #close} by the agent's owner; {@link #signal()} from any thread; the rest on the
 * shared thread, which alone changes {@link #state}.
 */
final class SharedAgentMember implements AgentSlot, AgentWakeUp
{
    /** Created; not yet asked to start. */
    static final int NEW = 0;
    /** Start asked; the thread has not run {@code onStart} yet. */
    static final int JOINING = 1;
    static final int RUNNING = 2;
    /** Off the thread for good: closed, failed, or never started. */
    static final int LEFT = 3;

    private final SharedAgentThread thread;
    private final CountDownLatch left = new CountDownLatch(1);
    /** Counted down once the agent runs or is off the thread: {@link #start} returns then. */
    private final CountDownLatch settled = new CountDownLatch(1);
    private Agent agent;
    private volatile int state = NEW;
    private volatile boolean leaveAsked;
    private volatile boolean signalled;
    /** Shared thread only. */
    private boolean busy;
    private boolean hasDeadline;
    private long deadline;

    SharedAgentMember(final SharedAgentThread thread)
    {
        this.thread = thread;
    }

    @Override
    public AgentWakeUp wakeUp()
    {
        return this;
    }

    @Override
    public void start(final Agent agent)
    {
        if (null != this.agent)
        {
            throw new IllegalStateException("slot already started: " + this.agent.roleName());
        }
        this.agent = agent;
        state = JOINING;
        // Its first duty cycle names its timers.
        signalled = true;
        thread.join(this);
        Uninterruptibles.await(settled);
    }

    @Override
    public void close()
    {
        if (null == agent || leaveAsked)
        {
            awaitLeft();
            return;
        }
        leaveAsked = true;
        thread.leave(this);
        awaitLeft();
    }

    @Override
    public void signal()
    {
        signalled = true;
        thread.signal();
    }

    @Override
    public void wakeAt(final long nanoTime)
    {
        if (!hasDeadline || nanoTime - deadline < 0)
        {
            deadline = nanoTime;
            hasDeadline = true;
        }
    }

    Agent agent()
    {
        return agent;
    }

    int state()
    {
        return state;
    }

    boolean leaveAsked()
    {
        return leaveAsked;
    }

    void running()
    {
        state = RUNNING;
        thread.countMembers(1);
        settled.countDown();
    }

    /**
     * Off the thread: whoever waits in {@link #close()} returns.
     */
    void markLeft()
    {
        if (state == RUNNING)
        {
            thread.countMembers(-1);
        }
        state = LEFT;
        settled.countDown();
        left.countDown();
    }

    /**
     * @return whether the agent has work now: signalled, busy after its last cycle, or its timer due at {@code now}.
     */
    boolean isDue(final long now)
    {
        return signalled || busy || (hasDeadline && now - deadline >= 0);
    }

    /**
     * Before its duty cycle: the signal and timer are consumed (a signal arriving from here on runs it again).
     */
    void beforeRun()
    {
        signalled = false;
        hasDeadline = false;
    }

    void afterRun(final int work)
    {
        busy = work > 0;
    }

    boolean hasDeadline()
    {
        return hasDeadline;
    }

    long deadline()
    {
        return deadline;
    }

    private void awaitLeft()
    {
        if (null == agent)
        {
            return;
        }
        // Like AgentThread.close(): never give up on an onClose in flight (the flusher's last force).
        Uninterruptibles.await(left);
    }
}
