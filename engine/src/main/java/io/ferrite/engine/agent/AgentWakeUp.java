package io.ferrite.engine.agent;

/**
 * How an agent tells the thread running it that it has work: {@link #signal()} when work arrives from another thread,
 * {@link #wakeAt} for its next timer. The agent never parks; the thread it runs on (its own {@link AgentThread} or a
 * {@link SharedAgentThread} with other streams' agents) idles until one of the two is due.
 * <p>
 * Threading: {@link #signal()} from any thread; {@link #wakeAt} from the agent's duty cycle only.
 */
public interface AgentWakeUp
{
    /**
     * Work arrived for the agent: run its duty cycle soon.
     */
    void signal();

    /**
     * Run the agent's next duty cycle no later than {@code nanoTime} ({@link System#nanoTime()} time). Timers are
     * forgotten once the agent runs; it names its own every cycle.
     */
    void wakeAt(long nanoTime);
}
