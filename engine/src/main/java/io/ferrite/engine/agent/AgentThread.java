package io.ferrite.engine.agent;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.slf4j.Logger;

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
     * Run {@code agent} on a new daemon thread named after its role.
     */
    @Override
    public void start(final Agent agent)
    {
        if (null != runner)
        {
            throw new IllegalStateException("already started: " + runner.agent().roleName());
        }
        runner = new AgentRunner(wakeUp, (failure) -> log.error("{} failed", agent.roleName(), failure), null, agent);
        thread = AgentRunner.startOnThread(runner, (runnable) ->
        {
            final Thread daemon = new Thread(runnable);
            daemon.setDaemon(true);
            return daemon;
        });
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
