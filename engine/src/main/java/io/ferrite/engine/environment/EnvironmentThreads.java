package io.ferrite.engine.environment;

import io.ferrite.engine.agent.SharedAgentThread;
import io.ferrite.engine.agent.StreamThreads;
import org.agrona.CloseHelper;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadFactory;

/**
 * An environment's three shared threads, one per role, whatever the number of streams: every stream's flusher on
 * one, every reclaimer on another (a reclaim waits for a force, so never on the flusher's thread), every block
 * preparer on the third. Each thread is made on its role's first agent.
 * <p>
 * A consequence to know: a stream whose force stalls delays the forces of the streams after it in the flusher's
 * cycle, and a reclaim waiting for that force delays the other streams' reclaims; appends, reads, state reads and
 * the catalog snapshot never wait for either.
 */
public final class EnvironmentThreads implements AutoCloseable
{
    private final SharedAgentThread flusher;
    private final SharedAgentThread reclaimer;
    private final SharedAgentThread preparer;
    private final StreamThreads streamThreads;

    /**
     * @param factory makes the threads.
     * @param prefix  their name prefix: {@code <prefix>flusher}, {@code <prefix>reclaimer}, {@code <prefix>preparer}.
     */
    public EnvironmentThreads(final ThreadFactory factory, final String prefix)
    {
        this.flusher = new SharedAgentThread(prefix + "flusher", factory,
            LoggerFactory.getLogger("io.ferrite.engine.flush.AsyncFlusher"));
        this.reclaimer = new SharedAgentThread(prefix + "reclaimer", factory,
            LoggerFactory.getLogger("io.ferrite.engine.Reclaimer"));
        this.preparer = new SharedAgentThread(prefix + "preparer", factory,
            LoggerFactory.getLogger("io.ferrite.engine.block.BlockPreallocator"));
        this.streamThreads = new StreamThreads(flusher, reclaimer, preparer);
    }

    /**
     * @return the hosts every stream of the environment runs its agents on.
     */
    public StreamThreads streamThreads()
    {
        return streamThreads;
    }

    /**
     * @return the agents on the three threads now, for tests and gauges: a closed or failed stream leaves none.
     */
    public int agentCount()
    {
        return flusher.memberCount() + reclaimer.memberCount() + preparer.memberCount();
    }

    /**
     * Stop the three threads, after the streams were closed (any agent still on them has its {@code onClose} run).
     */
    @Override
    public void close()
    {
        CloseHelper.closeAll(flusher, reclaimer, preparer);
    }
}
