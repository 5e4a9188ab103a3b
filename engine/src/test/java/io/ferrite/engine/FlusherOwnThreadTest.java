package io.ferrite.engine;

import io.ferrite.engine.agent.AgentThread;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CompositeAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent that waits for a force (the reclaimer does) on the thread that runs the flusher would wait for good, since
 * the flusher runs only when that agent returns: the flusher refuses the wait at once, so a composite that groups them
 * fails loudly. The timeout only stops a hang.
 */
@Timeout(60)
class FlusherOwnThreadTest
{
    @TempDir
    Path dir;

    @Test
    void aWaitForAForceOnTheFlushersOwnThreadIsRefused() throws Exception
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.append("a");
            final CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            final Agent waiter = new Agent()
            {
                @Override
                public int doWork()
                {
                    if (!outcome.isDone())
                    {
                        try
                        {
                            parts.durability.flushAndWait();
                            outcome.complete(null);
                        }
                        catch (final RuntimeException ex)
                        {
                            outcome.complete(ex);
                        }
                        return 1;
                    }
                    return 0;
                }

                @Override
                public String roleName()
                {
                    return "waiter";
                }
            };
            final AgentThread thread = new AgentThread(LoggerFactory.getLogger(FlusherOwnThreadTest.class));
            thread.start(new CompositeAgent(parts.durability, waiter));
            final Throwable refused;
            try
            {
                refused = outcome.get();
            }
            finally
            {
                thread.close();
            }
            assertThat(refused).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("flusher's own thread");
            // Off that thread the same wait is served (the agent stopped: on the caller's thread).
            assertThat(parts.durability.flushAndWait()).isEqualTo(1L);
        }
    }
}
