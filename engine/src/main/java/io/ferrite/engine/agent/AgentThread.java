package io.ferrite.engine.agent;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.slf4j.Logger;

import java.util.concurrent.CountDownLatch;

/**
 * One daemon thread running an agent (or a composite of several) through an {@link AgentRunner}, idling with a
 * {@link WakeUpIdleStrategy} its agents signal. Closing waits for the agents' {@code onClose} however long it takes
 * (the flusher's last force), and never interrupts the thread: an interrupt during a force would close the block's
 * file channel.
 * <p>
 * Threading: {@link #start} and {@link #close} by the owner; {@link #wakeUp()} handed to the agents.
 */
public final class AgentThread implements AgentSlot
{
    private final WakeUpIdleStrategy wakeUp = new WakeUpIdleStrategy();
    private final Logger log;
    private AgentRunner runner;
    private Thread thread;

    /**
     * @param log where an agent's unexpected failure is logged (each agent handles the failures it expects).
     */
    public AgentThread(final Logger log)
    {
        this.log = log;
    }

    /**
     * @return the idle strategy of this thread, for the agents to signal and name their timers to.
     */
    @Override
    public WakeUpIdleStrategy wakeUp()
    {
        return wakeUp;
    }

    /**
     * Run {@code agent} on a new daemon thread named after its role, and return once its {@code onStart} ran (or
     * failed), as a {@link SharedAgentThread} member's start does: a stream's open then ends with its agents running,
     * so nothing its caller does next — a {@code flush()} — finds the flusher not yet started and does the agent's work
     * on the caller's thread instead (where a force may take as long as the disk does).
     */
    @Override
    public void start(final Agent agent)
    {
        if (null != runner)
        {
            throw new IllegalStateException("already started: " + runner.agent().roleName());
        }
        final CountDownLatch started = new CountDownLatch(1);
        runner = new AgentRunner(wakeUp, (failure) -> log.error("{} failed", agent.roleName(), failure), null,
            new Starting(agent, started));
        thread = AgentRunner.startOnThread(runner, (runnable) ->
        {
            final Thread daemon = new Thread(runnable);
            daemon.setDaemon(true);
            return daemon;
        });
        Uninterruptibles.await(started);
    }

    /**
     * The agent, telling its starter once {@code onStart} returned or threw (the runner then goes on to the run loop
     * or to {@code onClose}, as it would without this).
     */
    private static final class Starting implements Agent
    {
        private final Agent agent;
        private final CountDownLatch started;

        Starting(final Agent agent, final CountDownLatch started)
        {
            this.agent = agent;
            this.started = started;
        }

        @Override
        public void onStart()
        {
            try
            {
                agent.onStart();
            }
            finally
            {
                started.countDown();
            }
        }

        @Override
        public int doWork() throws Exception
        {
            return agent.doWork();
        }

        @Override
        public void onClose()
        {
            agent.onClose();
        }

        @Override
        public String roleName()
        {
            return agent.roleName();
        }
    }

    /**
     * Stop the thread after its current duty cycle and the agents' {@code onClose}, and wait for it.
     */
    @Override
    public void close()
    {
        if (null == runner)
        {
            return;
        }
        wakeUp.terminate();
        Uninterruptibles.join(thread);
        // The thread has ended: this only marks the runner closed.
        runner.close();
    }
}
