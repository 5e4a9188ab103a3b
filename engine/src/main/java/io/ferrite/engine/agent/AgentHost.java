package io.ferrite.engine.agent;

import org.slf4j.Logger;

/**
 * Where a stream's background agents run: each {@link #newSlot()} is a place for one agent. A standalone stream gets
 * a thread of its own per agent ({@link #dedicated}); the streams of an environment share one
 * {@link SharedAgentThread} per role, so many streams cost a few threads.
 */
@FunctionalInterface
public interface AgentHost
{
    /**
     * @return a new slot for one agent.
     */
    AgentSlot newSlot();

    /**
     * @param log where an agent's unexpected failure is logged.
     * @return a host that gives every agent a daemon thread of its own.
     */
    static AgentHost dedicated(final Logger log)
    {
        return () -> new AgentThread(log);
    }
}
