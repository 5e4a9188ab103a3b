package io.ferrite.engine.agent;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One thread running the agents of many streams (one role: every flusher, or every reclaimer, or every block
 * preparer of an environment), so N streams cost a few threads rather than 3N. Agents join ({@link AgentSlot#start})
 * and leave ({@link AgentSlot#close}) while it runs; each duty cycle runs only the agents that have work (signalled,
 * busy after their last cycle, or a timer due), so an idle stream costs no CPU.
 * <p>
 * One agent's failure does not stop the others: a {@link RuntimeException} from its duty cycle is logged and it keeps
 * its place (it runs again when signalled or its timer is due, as on its own thread); an {@link Error} or
 * {@link AgentTerminationException} takes it off the thread after its {@code onClose} ran (an agent that failed still
 * releases what it holds, and whoever waits in its slot's close returns) and the others keep running. A failed
 * {@code onStart} or {@code onClose} is logged and the agent is off the thread. Should the thread itself die, joins
 * are refused from then on rather than left waiting for a thread that will never take them.
 * <p>
 * The thread is made by the given {@link ThreadFactory} on the first join and named after the role. Closing takes
 * every agent still on it off (their {@code onClose} runs) and waits however long that takes; the thread is never
 * interrupted (an interrupt during a force would close the block's file channel).
 * <p>
 * Threading: {@link #newSlot()}, {@link #close()} from any thread; a slot closed from this thread itself (an agent's
 * callback closing its stream) leaves at once, on this thread. {@link #close()} from this thread itself cannot wait
 * for the thread to stop: it asks it to stop and returns, and the thread closes its agents when its cycle returns.
 * {@link #onSharedThread()} tells code that must not wait on these threads (a close that waits for another shared
 * thread, which may be waiting for this one) where it runs.
 */
public final class SharedAgentThread implements AgentHost, AutoCloseable
{
    /** From a member's duty cycle: it is off the thread. */
    private static final int OFF_THREAD = -1;
    /** Marks every shared agent thread, whatever its role or environment. */
    private static final ThreadLocal<Boolean> SHARED_THREAD = new ThreadLocal<>();

    private final WakeUpIdleStrategy idle = new WakeUpIdleStrategy();
    private final String roleName;
    private final ThreadFactory threadFactory;
    private final Logger log;
    private final Queue<SharedAgentMember> changes = new ConcurrentLinkedQueue<>();
    /** The running thread only. */
    private final ArrayList<SharedAgentMember> members = new ArrayList<>();
    private final Object lifecycle = new Object();
    /** Guarded by {@link #lifecycle}. */
    private AgentRunner runner;
    private Thread thread;
    private boolean closed;
    /** Guarded by {@link #lifecycle}: the thread took its last changes; it starts or closes no member any more. */
    private boolean drained;
    private volatile Thread runningThread;
    private final AtomicInteger memberCount = new AtomicInteger();

    /**
     * @param roleName      the thread's name, e.g. {@code ferrite-env-flusher}.
     * @param threadFactory makes the thread (once, on the first join).
     * @param log           where agents' failures are logged.
     */
    public SharedAgentThread(final String roleName, final ThreadFactory threadFactory, final Logger log)
    {
        this.roleName = roleName;
        this.threadFactory = threadFactory;
        this.log = log;
    }

    /**
     * @return whether the calling thread is a shared agent thread (of any environment): it must not wait for an agent
     * of another shared thread to leave, which may be waiting for it.
     */
    public static boolean onSharedThread()
    {
        return Boolean.TRUE.equals(SHARED_THREAD.get());
    }

    @Override
    public AgentSlot newSlot()
    {
        return new SharedAgentMember(this);
    }

    /**
     * @return the agents on the thread now: started and not yet off it.
     */
    public int memberCount()
    {
        return memberCount.get();
    }

    void countMembers(final int delta)
    {
        memberCount.addAndGet(delta);
    }

    /**
     * @return whether the thread was made (the first agent joined).
     */
    public boolean started()
    {
        synchronized (lifecycle)
        {
            return null != thread;
        }
    }

    void signal()
    {
        idle.signal();
    }

    void join(final SharedAgentMember member)
    {
        if (Thread.currentThread() == runningThread)
        {
            // From an agent's own callback (a stream opened there): start it now, it runs from the next cycle.
            startMember(member);
            return;
        }
        synchronized (lifecycle)
        {
            if (closed || drained)
            {
                // Drained without a close: the thread died (an Error out of its loop); nothing would take the join.
                member.markLeft();
                throw new IllegalStateException(roleName + (closed ? " is closed: " : " has stopped: ") +
                    member.agent().roleName() + " cannot join it");
            }
            changes.offer(member);
            if (null == runner)
            {
                runner = new AgentRunner(idle, (failure) -> log.error("{} failed", roleName, failure), null,
                    new Loop());
                thread = AgentRunner.startOnThread(runner, threadFactory);
            }
        }
        idle.signal();
    }

    void leave(final SharedAgentMember member)
    {
        if (Thread.currentThread() == runningThread)
        {
            // From an agent's own callback: leave now; the duty cycle drops it from the list when it comes to it.
            closeMember(member);
            return;
        }
        synchronized (lifecycle)
        {
            if (drained)
            {
                // The thread's close took every member off already.
                return;
            }
            changes.offer(member);
        }
        idle.signal();
    }

    /**
     * Take every agent off (their {@code onClose} runs on the thread) and stop the thread; joins fail from now on.
     */
    @Override
    public void close()
    {
        final Thread running;
        synchronized (lifecycle)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            if (null == runner)
            {
                drained = true;
                return;
            }
            running = thread;
        }
        idle.terminate();
        if (Thread.currentThread() == running)
        {
            // Closed from an agent's callback: joining itself would never return. The loop stops when this cycle
            // returns and its onClose takes every agent off; the runner's resources go with the thread.
            return;
        }
        Uninterruptibles.join(running);
        runner.close();
    }

    private int applyChanges()
    {
        int work = 0;
        for (SharedAgentMember member = changes.poll(); null != member; member = changes.poll())
        {
            work++;
            if (member.state() == SharedAgentMember.JOINING)
            {
                startMember(member);
            }
            if (member.leaveAsked() && member.state() == SharedAgentMember.RUNNING)
            {
                closeMember(member);
            }
        }
        return work;
    }

    private void startMember(final SharedAgentMember member)
    {
        try
        {
            member.agent().onStart();
            member.running();
            members.add(member);
        }
        catch (final Throwable ex)
        {
            log.error("{} failed to start on {}; it does not run", member.agent().roleName(), roleName, ex);
            member.markLeft();
        }
    }

    private void closeMember(final SharedAgentMember member)
    {
        if (member.state() == SharedAgentMember.LEFT)
        {
            // It left already (closed from its own cycle, then failed): its onClose ran once.
            return;
        }
        try
        {
            member.agent().onClose();
        }
        catch (final Throwable ex)
        {
            log.error("{} failed to close on {}", member.agent().roleName(), roleName, ex);
        }
        finally
        {
            member.markLeft();
        }
    }

    /**
     * The composite agent the thread runs.
     */
    private final class Loop implements Agent
    {
        @Override
        public void onStart()
        {
            SHARED_THREAD.set(Boolean.TRUE);
            runningThread = Thread.currentThread();
        }

        @Override
        public int doWork()
        {
            int work = applyChanges();
            final long now = System.nanoTime();
            boolean timed = false;
            long soonest = 0;
            int i = 0;
            while (i < members.size())
            {
                final SharedAgentMember member = members.get(i);
                final int done = member.state() == SharedAgentMember.LEFT ? OFF_THREAD : runMember(member, now);
                if (done == OFF_THREAD)
                {
                    members.remove(i);
                    continue;
                }
                work += done;
                if (member.hasDeadline() && (!timed || member.deadline() - soonest < 0))
                {
                    soonest = member.deadline();
                    timed = true;
                }
                i++;
            }
            if (timed)
            {
                idle.wakeAt(soonest);
            }
            // Work done keeps the idle strategy from parking, so a member still busy runs again at once.
            return work;
        }

        /**
         * @return the work the member did, or {@link #OFF_THREAD} when it is off the thread now.
         */
        private int runMember(final SharedAgentMember member, final long now)
        {
            if (!member.isDue(now))
            {
                return 0;
            }
            member.beforeRun();
            try
            {
                final int work = member.agent().doWork();
                member.afterRun(work);
                return member.state() == SharedAgentMember.LEFT ? OFF_THREAD : Math.max(0, work);
            }
            catch (final AgentTerminationException ex)
            {
                closeMember(member);
                return OFF_THREAD;
            }
            catch (final Error ex)
            {
                log.error("{} failed on {}: closed and taken off the thread, the other agents keep running",
                    member.agent().roleName(), roleName, ex);
                member.afterRun(0);
                closeMember(member);
                return OFF_THREAD;
            }
            catch (final Throwable ex)
            {
                log.error("{} failed on {}; it keeps running", member.agent().roleName(), roleName, ex);
                member.afterRun(0);
                return 0;
            }
        }

        /**
         * The thread stops: every agent still on it, or waiting to join, leaves.
         */
        @Override
        public void onClose()
        {
            synchronized (lifecycle)
            {
                drained = true;
            }
            for (SharedAgentMember member = changes.poll(); null != member; member = changes.poll())
            {
                if (member.state() == SharedAgentMember.JOINING)
                {
                    member.markLeft();
                }
            }
            for (int i = 0; i < members.size(); i++)
            {
                final SharedAgentMember member = members.get(i);
                if (member.state() != SharedAgentMember.LEFT)
                {
                    closeMember(member);
                }
            }
            members.clear();
        }

        @Override
        public String roleName()
        {
            return roleName;
        }
    }
}
