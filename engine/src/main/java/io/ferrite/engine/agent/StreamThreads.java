package io.ferrite.engine.agent;

import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * The hosts a stream's three background agents run on: the flusher (forces), the reclaimer (deletes and rewrites
 * emptied blocks; it waits for forces, so never on the flusher's thread) and the block preparer (makes the next block
 * file ahead of a roll).
 *
 * @param flusher  runs the stream's {@link io.ferrite.engine.flush.AsyncFlusher}.
 * @param reclaimer runs the stream's reclaimer.
 * @param preparer runs the stream's {@link io.ferrite.engine.block.BlockPreallocator}.
 */
public record StreamThreads(AgentHost flusher, AgentHost reclaimer, AgentHost preparer)
{
    /**
     * @throws NullPointerException naming the host that is null.
     */
    public StreamThreads
    {
        Objects.requireNonNull(flusher, "flusher");
        Objects.requireNonNull(reclaimer, "reclaimer");
        Objects.requireNonNull(preparer, "preparer");
    }

    /**
     * @return hosts that give each agent of the stream a thread of its own (a standalone stream).
     */
    public static StreamThreads dedicated()
    {
        return new StreamThreads(
            AgentHost.dedicated(LoggerFactory.getLogger("io.ferrite.engine.flush.AsyncFlusher")),
            AgentHost.dedicated(LoggerFactory.getLogger("io.ferrite.engine.Reclaimer")),
            AgentHost.dedicated(LoggerFactory.getLogger("io.ferrite.engine.block.BlockPreallocator")));
    }
}
