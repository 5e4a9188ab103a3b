package io.ferrite.engine.agent;

import org.agrona.concurrent.Agent;

/**
 * A place on a thread for one agent: the agent is built with the slot's {@link #wakeUp()}, then {@link #start}ed;
 * {@link #close()} takes it off the thread after its {@code onClose}, and returns only once that ran (or the agent
 * failed for good, or never started).
 * <p>
 * Threading: {@link #start} and {@link #close} by the agent's owner (the stream); {@link #wakeUp()} handed to the
 * agent.
 */
public interface AgentSlot extends AutoCloseable
{
    /**
     * @return what the agent signals and names its timers to.
     */
    AgentWakeUp wakeUp();

    /**
     * Run {@code agent} in this slot; at most once.
     *
     * @throws IllegalStateException when the slot already ran an agent, or its thread was closed.
     */
    void start(Agent agent);

    /**
     * Take the agent off its thread (its {@code onClose} runs there) and wait for that; nothing when never started.
     */
    @Override
    void close();
}
