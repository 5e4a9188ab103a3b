package io.ferrite.engine;

import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.engine.testing.FileForceHook;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A query made from inside a read's handler, on a thread other than the truncating one, while a truncation holds the
 * append lock: the handler's thread stays counted in the read gate by its read, so the truncation, waiting for readers
 * with the lock held, would wait its whole 10 s bound for it (every append with it) and then zero the records the
 * handler holds. The query is refused instead ({@code IllegalStateException}), the handler's message stays whole and
 * the truncation goes on. The time bound checked is a hang guard, half the wait's bound, not a measurement.
 */
class TruncateGraceHandlerQueryTest
{
    private static final byte FILL = 0x5A;

    @TempDir
    Path dir;

    @Test
    void aQueryFromInsideAHandlerNeitherStallsATruncationNorSeesTheHandlersMessageZeroed() throws Exception
    {
        final StreamConfig config = StreamMode.PLAINTEXT.config(StreamConfig.builder("stall").blockSize(4096)
            .maxMsgSize(512));
        // The truncation forces truncation.removals under the append lock, before the cut and its grace.
        final FileForceHook io = new FileForceHook();
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            final byte[] payload = new byte[100];
            Arrays.fill(payload, FILL);
            for (int i = 1; i <= 40; i++)
            {
                store.append("stall.a", null, payload);
            }
            assertThat(store.remove(5)).isTrue();
            store.flush().join();

            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch query = new CountDownLatch(1);
            final byte[][] seen = new byte[2][];
            final long[] pending = new long[1];
            final AtomicReference<IllegalStateException> refused = new AtomicReference<>();
            final Thread reader = new Thread(() -> store.read(40, (view) ->
            {
                seen[0] = view.payload();
                inside.countDown();
                awaitUninterruptibly(query);
                try
                {
                    pending[0] = store.numPending(1, "stall.a");
                }
                catch (final IllegalStateException expected)
                {
                    refused.set(expected);
                }
                seen[1] = view.payload();
            }), "handler-with-query");
            io.beforeNamed(TruncationRemovalsFile.FILE_NAME, () ->
            {
                // On the truncating thread, holding the append lock: the handler's query queues for it.
                query.countDown();
                // Trying the lock from inside the handler, or (were it not refused) queued for it.
                awaitTryingAppendLock(store, reader);
            });
            reader.start();
            inside.await();
            final long start = System.nanoTime();
            store.truncate(38);
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            reader.join();
            assertThat(store.lastSeq()).isEqualTo(38);
            assertThat(seen[0]).as("the handler's message before the query").containsOnly(FILL);
            assertThat(seen[1]).as("the handler's message after its query returned (truncate took %d ms)", tookMs)
                .containsOnly(FILL);
            assertThat(tookMs).as("truncate(38) with a query inside a handler on another thread").isLessThan(5_000);
            assertThat(refused.get()).as("the handler's query, refused").isNotNull()
                .hasMessageContaining("truncation holds");
            assertThat(store.numPending(1, "stall.a")).as("outside the handler").isEqualTo(37);
        }
    }

    private static void awaitUninterruptibly(final CountDownLatch latch)
    {
        while (true)
        {
            try
            {
                latch.await();
                return;
            }
            catch (final InterruptedException ignored)
            {
                // Keep waiting.
            }
        }
    }

    /**
     * Spin until {@code reader} tries the append lock from inside its handler, or (were it not refused) is queued for
     * it: on the truncating thread, holding the lock.
     */
    static void awaitTryingAppendLock(final FileStreamStore store, final Thread reader)
    {
        while (!store.appendLock().hasQueuedThread(reader) && Arrays.stream(reader.getStackTrace())
            .noneMatch((frame) -> frame.getMethodName().equals("lockInsideHandler")))
        {
            Thread.onSpinWait();
        }
    }
}
