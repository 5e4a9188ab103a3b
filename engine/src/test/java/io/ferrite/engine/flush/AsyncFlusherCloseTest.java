package io.ferrite.engine.flush;

import io.ferrite.engine.agent.WakeUpIdleStrategy;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code flush()} against the flusher's {@link AsyncFlusher#onClose()}, on real collaborators over an empty stream.
 * The agent's callbacks run on a thread of their own, as a runner's would; the race is made deterministic by the
 * {@link AsyncFlusher#beforeQueueing} seam, which runs the whole {@code onClose()} after {@code flush()} saw the agent
 * running and before it queues its request: the request arrives after the last look {@code onClose()} takes at the
 * queue, and no duty cycle follows.
 */
class AsyncFlusherCloseTest
{
    private static final long TIMEOUT_SECONDS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(AsyncFlusherCloseTest.class);

    @TempDir
    Path tmp;

    private final ExecutorService agentThread = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopAgentThread()
    {
        agentThread.shutdownNow();
    }

    @Test
    void flushQueuedAfterOnCloseLastLookedAtTheQueueCompletes() throws Exception
    {
        final AsyncFlusher flusher = flusher(new BlockFlusher(new StreamIndex(), new ReentrantLock(), tmp,
            StorageIO.standard(), window()));
        onAgentThread(flusher::onStart);
        closeBeforeQueueing(flusher);

        final CompletableFuture<Long> flushed = flusher.flush();

        assertThat(flushed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isZero();
        // Served by a whole-stream force cycle, not merely completed.
        assertThat(flusher.forcedWritten()).isZero();
    }

    @Test
    void flushQueuedAfterOnCloseOfAFailedFlusherFailsNamingTheFile() throws Exception
    {
        final BlockFlusher blocks = new BlockFlusher(new StreamIndex(), new ReentrantLock(), tmp,
            failingDirectorySync(), window());
        final AsyncFlusher flusher = flusher(blocks);
        onAgentThread(flusher::onStart);
        // The next cycle syncs the blocks directory, which fails: onClose() runs it for the first flush.
        blocks.forceRecoveredOnce(0);
        final CompletableFuture<Long> first = flusher.flush();
        closeBeforeQueueing(flusher);

        final CompletableFuture<Long> second = flusher.flush();

        for (final CompletableFuture<Long> flushed : List.of(first, second))
        {
            assertThatThrownBy(() -> flushed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(StoreIOException.class, ex -> assertThat(ex.file()).isEqualTo(tmp));
        }
    }

    @Test
    void flushAfterOnCloseCompletes() throws Exception
    {
        final AsyncFlusher flusher = flusher(new BlockFlusher(new StreamIndex(), new ReentrantLock(), tmp,
            StorageIO.standard(), window()));
        onAgentThread(flusher::onStart);
        onAgentThread(flusher::onClose);

        assertThat(flusher.flush().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isZero();
        assertThat(flusher.flushAndWait()).isZero();
    }

    /**
     * An {@code Error} in a duty cycle ends the agent's thread without {@code onClose()} (the runner rethrows it): a
     * {@code flush()} that saw the agent running and queued its request just after is served on its own thread.
     */
    @Test
    void flushQueuedJustAfterAnErrorStoppedTheAgentCompletes() throws Exception
    {
        final AsyncFlusher flusher = new AsyncFlusher("error-race", new BlockFlusher(new StreamIndex(),
            new ReentrantLock(), tmp, StorageIO.standard(), window()), SyncMode.INTERVAL, 1, 0,
            new StoreMetrics(Long.MAX_VALUE, LOG), null, new WakeUpIdleStrategy());
        flusher.intervalListener((seq) ->
        {
            throw new StackOverflowError("injected");
        });
        onAgentThread(flusher::onStart);
        flusher.beforeQueueing(() ->
        {
            flusher.beforeQueueing(null);
            final Future<Integer> cycle = agentThread.submit(flusher::doWork);
            assertThatThrownBy(() -> cycle.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(StackOverflowError.class);
        });

        final CompletableFuture<Long> flushed = flusher.flush();

        assertThat(flushed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isZero();
    }

    /**
     * A flush queued while a duty cycle ran that then dies of an {@code Error} (here in the interval listener, after
     * its force): no cycle will serve it, so it fails, naming the error, rather than leave its caller waiting for ever.
     */
    @Test
    void aFlushStrandedByAnErrorInADutyCycleFails() throws Exception
    {
        final AsyncFlusher flusher = new AsyncFlusher("error-stranded", new BlockFlusher(new StreamIndex(),
            new ReentrantLock(), tmp, StorageIO.standard(), window()), SyncMode.INTERVAL, 1, 0,
            new StoreMetrics(Long.MAX_VALUE, LOG), null, new WakeUpIdleStrategy());
        final AtomicReference<CompletableFuture<Long>> queuedDuringCycle = new AtomicReference<>();
        flusher.intervalListener((seq) ->
        {
            queuedDuringCycle.set(flusher.flush());
            throw new StackOverflowError("injected");
        });
        onAgentThread(flusher::onStart);

        final Future<Integer> cycle = agentThread.submit(flusher::doWork);
        assertThatThrownBy(() -> cycle.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(StackOverflowError.class);

        assertThatThrownBy(() -> queuedDuringCycle.get().get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOf(StoreException.class)
            .hasMessageContaining("the flusher's thread stopped")
            .hasMessageContaining("injected");
    }

    private static AsyncFlusher flusher(final BlockFlusher blocks)
    {
        return new AsyncFlusher("close-race", blocks, SyncMode.NONE, Long.MAX_VALUE, 0,
            new StoreMetrics(Long.MAX_VALUE, LOG), null, new WakeUpIdleStrategy());
    }

    private static UnforcedWindow window()
    {
        return new UnforcedWindow("close-race", UnforcedWindow.UNBOUNDED, new StoreMetrics(Long.MAX_VALUE, LOG), LOG);
    }

    /**
     * The next {@code flush()} that finds the agent running runs the agent's whole {@code onClose()} before it queues.
     */
    private void closeBeforeQueueing(final AsyncFlusher flusher)
    {
        flusher.beforeQueueing(() ->
        {
            flusher.beforeQueueing(null);
            onAgentThread(flusher::onClose);
        });
    }

    private void onAgentThread(final Runnable callback)
    {
        try
        {
            agentThread.submit(callback).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new AssertionError("agent callback failed or did not return", ex);
        }
    }

    private static StorageIO failingDirectorySync()
    {
        final StorageIO standard = StorageIO.standard();
        return new StorageIO()
        {
            @Override
            public void forceBlock(
                final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from,
                final int to, final boolean metadata) throws IOException
            {
                standard.forceBlock(file, channel, mapped, from, to, metadata);
            }

            @Override
            public void forceFile(final Path file, final FileChannel channel) throws IOException
            {
                standard.forceFile(file, channel);
            }

            @Override
            public void syncDirectory(final Path dir) throws IOException
            {
                throw new IOException("injected directory sync failure");
            }
        };
    }
}
