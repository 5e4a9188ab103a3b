package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The flusher under a disk that stalls or fails ({@link ControllableStorageIO}): appenders and readers never wait on
 * it, failures are never reported as durability, and close waits for a force in flight rather than abandoning it.
 */
class FlusherFaultTest
{
    private static final int BLOCK_SIZE = 64 * 1024;
    private static final int MAX_PAYLOAD = 500;
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    Path tmp;

    private final TestMessages messages = new TestMessages(MAX_PAYLOAD);

    @Test
    void intervalAppendsAndReadsCarryOnWhileAForceIsStalled() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        try (FileStreamStore store = FileStreamStore.open(tmp, config(SyncMode.INTERVAL), io))
        {
            // Stalled before the append: with a 1 ms interval a tick could otherwise force it first, leaving the
            // flush below nothing to force and nothing to stall.
            io.stallBlockForces();
            final long first = messages.appendNext(store);
            final CompletableFuture<Long> flushed = store.flush();
            io.awaitStalled();

            // The flusher is inside a force and will stay there: appends across several blocks and reads of each
            // message must all complete on this thread.
            for (int i = 0; i < 2_000; i++)
            {
                final long seq = messages.appendNext(store);
                assertThat(messages.mismatch(store.load(seq), seq)).isNull();
            }
            assertThat(store.state().lastSeq()).isEqualTo(first + 2_000);
            assertThat(store.stats().blocksCreated()).as("the appends rolled blocks during the stall").isGreaterThan(1);
            assertThat(flushed).as("nothing is reported durable while the force is stalled").isNotDone();

            io.releaseStall();
            assertThat(flushed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(first);
            assertThat(store.flush().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(first + 2_000);
        }
    }

    @Test
    void aFailedForceFailsFlushAndAlwaysAppendsNamingTheFileAndNeverSucceedsSilentlyAfter() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final Path dir = tmp.resolve("stream");
        final long acknowledged;
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS), io);
        acknowledged = appendMessages(store, 20);

        io.failBlockForces("injected EIO");
        assertThatThrownBy(() -> messages.appendNext(store))
            .isInstanceOf(StoreException.class)
            .hasMessageContaining("injected EIO")
            .hasMessageContaining(".blk");
        final CompletableFuture<Long> flushed = store.flush();
        assertThatThrownBy(flushed::get).isInstanceOf(ExecutionException.class)
            .cause().isInstanceOf(StoreException.class).hasMessageContaining(".blk");

        // The disk "recovers": the store must still not claim durability it may have lost (Linux can drop the dirty
        // pages of a failed fsync and report the next one as a success).
        io.failBlockForces(null);
        assertThatThrownBy(() -> messages.appendNext(store)).isInstanceOf(StoreException.class)
            .hasMessageContaining("earlier force failed").hasMessageContaining(".blk");
        assertThatThrownBy(() -> store.flush().join()).isInstanceOf(CompletionException.class);
        assertThatThrownBy(store::close).isInstanceOf(StoreException.class);

        try (FileStreamStore reopened = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            for (long seq = 1; seq <= acknowledged; seq++)
            {
                assertThat(messages.mismatch(reopened.load(seq), seq)).isNull();
            }
            final long next = messages.appendNext(reopened);
            assertThat(reopened.stats().durableSeq()).as("durable again after reopening").isGreaterThanOrEqualTo(next);
        }
    }

    @Test
    void closeDuringAStalledForceWaitsForItAndLosesNothingAcknowledged() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final Path dir = tmp.resolve("stream");
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS), io);
        appendMessages(store, 10);

        io.stallBlockForces();
        final AtomicLong committed = new AtomicLong();
        final AtomicReference<Throwable> appendFailure = new AtomicReference<>();
        final Thread appender = new Thread(() ->
        {
            try
            {
                committed.set(messages.appendNext(store));
            }
            catch (final Throwable ex)
            {
                appendFailure.set(ex);
            }
        }, "always-appender");
        appender.start();
        io.awaitStalled();

        final AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        final Thread closer = new Thread(() ->
        {
            try
            {
                store.close();
            }
            catch (final Throwable ex)
            {
                closeFailure.set(ex);
            }
        }, "closer");
        closer.start();
        assertThat(committed.get()).as("the ALWAYS append is not acknowledged while its force is stalled").isZero();

        io.releaseStall();
        closer.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        appender.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        assertThat(closer.isAlive()).as("close completed once the force returned").isFalse();
        assertThat(appender.isAlive()).isFalse();
        assertThat(closeFailure.get()).isNull();
        assertThat(appendFailure.get()).isNull();
        assertThat(committed.get()).isEqualTo(11);

        try (FileStreamStore reopened = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            assertThat(reopened.state().lastSeq()).isEqualTo(11);
            for (long seq = 1; seq <= 11; seq++)
            {
                assertThat(messages.mismatch(reopened.load(seq), seq)).isNull();
            }
        }
    }

    @Test
    void concurrentAlwaysAppendersShareOneForce() throws Exception
    {
        final int threads = 8;
        final ControllableStorageIO io = new ControllableStorageIO();
        try (FileStreamStore store = FileStreamStore.open(tmp, config(SyncMode.ALWAYS), io))
        {
            appendMessages(store, 1);
            io.stallBlockForces();
            final List<Thread> appenders = new ArrayList<>();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < threads; t++)
            {
                final Thread appender = new Thread(() ->
                {
                    try
                    {
                        store.append("group.commit", null, new byte[100]);
                    }
                    catch (final Throwable ex)
                    {
                        failure.set(ex);
                    }
                }, "appender-" + t);
                appenders.add(appender);
                appender.start();
            }
            io.awaitStalled();
            final int forcesBefore = io.blockForces();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (store.state().lastSeq() < 1 + threads && System.nanoTime() < deadline)
            {
                Thread.onSpinWait(); // every appender has written its record and is waiting for durability
            }
            assertThat(store.state().lastSeq()).isEqualTo(1 + threads);

            io.releaseStall();
            for (final Thread appender : appenders)
            {
                appender.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            }
            assertThat(failure.get()).isNull();
            assertThat(io.blockForces() - forcesBefore)
                .as("%d commits: the stalled force, then one force for everyone who queued behind it", threads)
                .isLessThanOrEqualTo(2);
            assertThat(store.stats().histogram("groupCommit").getMaxValue()).isGreaterThan(1);
        }
    }

    private long appendMessages(final FileStreamStore store, final int count)
    {
        long last = 0;
        for (int i = 0; i < count; i++)
        {
            last = messages.appendNext(store);
        }
        return last;
    }

    private static StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("faults").blockSize(BLOCK_SIZE).maxMsgSize(MAX_PAYLOAD + 64).syncMode(mode)
            .syncInterval(Duration.ofMillis(1)).build();
    }
}
