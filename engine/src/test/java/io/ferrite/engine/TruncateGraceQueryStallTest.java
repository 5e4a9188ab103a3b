package io.ferrite.engine;

import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.engine.testing.FileForceHook;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A truncation waits, holding the append lock, for the readers inside the read gate to leave before it zeroes what it
 * cut. A query ({@code numPending}, {@code subjects}, {@code filteredState}, {@code sequenceAt}) on another thread that
 * arrives meanwhile queues for that lock; counted in the gate while it waited, it held the truncation, and every
 * append, until the wait's 10 s bound ran out. The query now counts itself out while it waits for the lock. The
 * bound checked here is half that one: a hang guard, not a measurement.
 */
class TruncateGraceQueryStallTest
{
    @TempDir
    Path dir;

    @Test
    void aQueryOnAnotherThreadDoesNotStallATruncationForTheWholeGracePeriod() throws Exception
    {
        final StreamConfig config = StreamMode.PLAINTEXT.config(StreamConfig.builder("stall").blockSize(4096)
            .maxMsgSize(512));
        // The truncation forces truncation.removals under the append lock, before the cut and its grace.
        final FileForceHook io = new FileForceHook();
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            for (int i = 1; i <= 40; i++)
            {
                store.append("stall.a", null, new byte[100]);
            }
            // A removal below the cut: the truncation then records it in truncation.removals, whose force is the hook.
            assertThat(store.remove(5)).isTrue();
            store.flush().join();
            final long[] pending = new long[1];
            final Thread query = new Thread(() -> pending[0] = store.numPending(1, "stall.a"), "monitor-query");
            io.beforeNamed(TruncationRemovalsFile.FILE_NAME, () ->
            {
                // On the truncating thread, holding the append lock: a query on another thread enters the read gate
                // and queues for the lock.
                query.start();
                while (!store.appendLock().hasQueuedThread(query))
                {
                    LockSupport.parkNanos(100_000);
                }
            });
            final long start = System.nanoTime();
            store.truncate(38);
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            query.join();
            assertThat(store.lastSeq()).isEqualTo(38);
            assertThat(pending[0]).as("counted before or after the cut").isIn(39L, 37L);
            assertThat(tookMs).as("truncate(38) with one numPending() on another thread took %d ms", tookMs)
                .isLessThan(5_000);
        }
    }
}
