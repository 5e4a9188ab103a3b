package io.ferrite.engine.flush;

import com.sun.management.ThreadMXBean;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code maxUnforcedBytes} (issue 12): in {@code INTERVAL} mode the flusher starts a force once half the bound is
 * written and not forced, appends wait once the whole bound is, with the append lock released, and a wait ends when a
 * force completes, fails, or the store closes — never by itself. Forces are held on a latch
 * ({@link ControllableStorageIO}) and the interval is an hour, so only the bound can start a force and nothing here
 * depends on timing: every wait below is for a state the test can name, with a deadline only against a hang.
 */
class IntervalBoundTest
{
    private static final int BOUND = 16 * 1024;
    private static final int PAYLOAD = 1000;
    private static final String SUBJECT = "bound";
    /** Bytes each append writes into the block: the unit the bound counts in. */
    private static final int FRAME = (int)RecordDescriptor.frameLengthForContent(SUBJECT.length() + PAYLOAD, false);
    private static final int APPENDS = 200;
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    Path tmp;

    @Test
    void appendsWaitPastTheBoundWhileAForceIsHeldAndResumeWhenItCompletes() throws Throwable
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        try (FileStreamStore store = FileStreamStore.open(tmp, config(SyncMode.INTERVAL, BOUND), io))
        {
            io.stallBlockForces();
            final Appender appender = new Appender(store, APPENDS);
            appender.start();

            // With an hour's interval, only half the bound written can have started this force.
            io.awaitStalled();
            awaitWaiting(appender);
            final long written = appender.appended() * FRAME;
            assertThat(written).as("appends went on until the bound, not one frame past it")
                .isGreaterThan(BOUND).isLessThanOrEqualTo(BOUND + FRAME);
            assertThat(store.stats().backPressureWaits()).isEqualTo(1);
            assertThat(store.stats().durableSeq()).as("nothing is durable while the force is held").isZero();
            // Readers and state queries take the append lock: a waiting appender must not be holding it.
            assertThat(store.state().lastSeq()).isEqualTo(appender.appended());
            assertThat(store.load(1)).isNotNull();

            io.releaseStall();
            appender.join();
            assertThat(appender.appended()).isEqualTo(APPENDS);
            assertThat(store.flush().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(APPENDS);
            assertThat(store.stats().histogram("backPressure").getTotalCount())
                .isEqualTo(store.stats().backPressureWaits()).isPositive();
            assertThat(store.stats().forceBytesPerSecond()).as("measured from the forces that ran").isPositive();
        }
    }

    @Test
    void aForceStartsOnceHalfTheBoundIsUnforcedNotAtTheNextTick() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        try (FileStreamStore store = FileStreamStore.open(tmp, config(SyncMode.INTERVAL, BOUND), io))
        {
            // The last of these finds more than half the bound written before it, and asks.
            final int appends = BOUND / 2 / FRAME + 2;
            for (int i = 0; i < appends; i++)
            {
                store.append(SUBJECT, null, new byte[PAYLOAD]);
            }
            // No flush() and an hour to the next tick: only that request can have started a force.
            awaitCondition(() -> store.stats().durableSeq() == appends, "the early force made every append durable");
            assertThat(store.stats().backPressureWaits()).isZero();
        }
    }

    @Test
    void aForceThatFailsEndsTheWaitWithAStoreException() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final FileStreamStore store = FileStreamStore.open(tmp, config(SyncMode.INTERVAL, BOUND), io);
        io.stallBlockForces();
        final Appender appender = new Appender(store, APPENDS);
        appender.start();
        io.awaitStalled();
        awaitWaiting(appender);
        final long before = appender.appended();

        io.failBlockForces("injected EIO");
        io.releaseStall();
        assertThatThrownBy(appender::join)
            .isInstanceOf(StoreIOException.class)
            .hasMessageContaining("maxUnforcedBytes")
            .hasMessageContaining("injected EIO");
        assertThat(((StoreException)appender.failure()).file().toString()).endsWith(".blk");
        assertThat(appender.appended()).as("the refused append wrote nothing").isEqualTo(before);
        assertThat(store.state().lastSeq()).isEqualTo(before);
        assertThatThrownBy(store::close).isInstanceOf(StoreException.class);
    }

    @Test
    void closingTheStoreEndsTheWaitAtOnceEvenWithTheForceStillHeld() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final FileStreamStore store = FileStreamStore.open(tmp, config(SyncMode.INTERVAL, BOUND), io);
        io.stallBlockForces();
        final Appender appender = new Appender(store, APPENDS);
        appender.start();
        io.awaitStalled();
        awaitWaiting(appender);
        final long acknowledged = appender.appended();

        // close() waits for the held force (it never abandons one), but the waiting append must not.
        final CompletableFuture<Void> closed = CompletableFuture.runAsync(store::close);
        assertThatThrownBy(appender::join).isInstanceOf(StoreClosedException.class);
        assertThat(closed).as("close is still waiting for the held force").isNotDone();

        io.releaseStall();
        closed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try (FileStreamStore reopened = FileStreamStore.open(tmp, config(SyncMode.INTERVAL, BOUND)))
        {
            assertThat(reopened.state().lastSeq()).isEqualTo(acknowledged);
        }
    }

    @Test
    void noneModeAndAnUnboundedIntervalNeverWaitForAForce() throws Throwable
    {
        final StreamConfig[] configs = {
            config(SyncMode.NONE, StreamConfig.MAX_UNFORCED_BYTES_MIN),
            config(SyncMode.INTERVAL, StreamConfig.UNBOUNDED) };
        for (int i = 0; i < configs.length; i++)
        {
            final ControllableStorageIO io = new ControllableStorageIO();
            final FileStreamStore store = FileStreamStore.open(tmp.resolve("s" + i), configs[i], io);
            io.stallBlockForces();
            final Appender appender = new Appender(store, APPENDS);
            appender.start();
            appender.join();
            assertThat(appender.appended()).as("%s", configs[i]).isEqualTo(APPENDS);
            assertThat(store.stats().backPressureWaits()).isZero();
            io.releaseStall();
            store.close();
        }
    }

    @Test
    void anAppendUnderTheBoundAllocatesNothing()
    {
        final ThreadMXBean threads =
            (ThreadMXBean)ManagementFactory.getThreadMXBean();
        final StreamConfig config = StreamConfig.builder("bound").blockSize(16 << 20).maxMsgSize(PAYLOAD)
            .syncMode(SyncMode.INTERVAL).syncInterval(Duration.ofHours(1)).maxUnforcedBytes(1L << 40).build();
        try (FileStreamStore store = FileStreamStore.open(tmp, config))
        {
            final byte[] payload = new byte[100];
            // Past 32,768 sequences before measuring: the block's sequence table then has room for 65,536, so the
            // measured appends cross no doubling of it (an amortised allocation of the append path, not per append).
            for (int i = 0; i < 34_000; i++)
            {
                store.append(SUBJECT, null, payload);
            }
            // Rounds, not one total: a round now and then catches an allocation of the JVM or of a lock hand-over
            // (a few hundred bytes). An allocation per append would show in every round, thousands of times over.
            long fewest = Long.MAX_VALUE;
            for (int round = 0; round < 10; round++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 3_000; i++)
                {
                    store.append(SUBJECT, null, payload);
                }
                fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertThat(fewest).as("bytes allocated by the cleanest round of 3,000 appends under the bound").isZero();
            assertThat(store.stats().blocksCreated()).as("no roll during the test").isEqualTo(1);
        }
    }

    @Test
    void theBoundIsValidatedAndNamedInTheError()
    {
        final StreamConfig defaults = StreamConfig.builder("d").build();
        assertThat(defaults.maxUnforcedBytes()).isEqualTo(StreamConfig.MAX_UNFORCED_BYTES_DEFAULT).isEqualTo(64L << 20);
        assertThatThrownBy(() -> StreamConfig.builder("d").maxUnforcedBytes(4095))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("maxUnforcedBytes").hasMessageContaining(">= 4096").hasMessageContaining("4095");
        assertThatThrownBy(() -> StreamConfig.builder("d").maxUnforcedBytes(-2))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxUnforcedBytes");
        assertThat(StreamConfig.builder("d").maxUnforcedBytes(-1).build().maxUnforcedBytes())
            .isEqualTo(StreamConfig.UNBOUNDED);
        assertThat(StreamConfig.builder("d").maxUnforcedBytes(1 << 20).build().toBuilder().build().maxUnforcedBytes())
            .isEqualTo(1 << 20);
    }

    /**
     * Wait until the appender is parked for room: it counted its wait and its thread is waiting on a condition.
     */
    private static void awaitWaiting(final Appender appender)
    {
        awaitCondition(() -> appender.store.stats().backPressureWaits() == 1 &&
            appender.thread.getState() == Thread.State.WAITING && !appender.isDone(),
            "the appender parked waiting for room");
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + TIMEOUT_SECONDS + " s: " + what);
            }
            Thread.onSpinWait();
        }
    }

    private static StreamConfig config(final SyncMode mode, final long bound)
    {
        // One block holds every append: no roll, so every force is the one the bound asked for.
        return StreamConfig.builder("bound").blockSize(1 << 20).maxMsgSize(PAYLOAD).syncMode(mode)
            .syncInterval(Duration.ofHours(1)).maxUnforcedBytes(bound).build();
    }

    /**
     * One thread appending {@code count} messages of {@value #PAYLOAD} bytes, counting those that returned.
     */
    private static final class Appender
    {
        private final FileStreamStore store;
        private final AtomicLong appended = new AtomicLong();
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final Thread thread;

        Appender(final FileStreamStore store, final int count)
        {
            this.store = store;
            thread = new Thread(() ->
            {
                try
                {
                    final byte[] payload = new byte[PAYLOAD];
                    for (int i = 0; i < count; i++)
                    {
                        store.append(SUBJECT, null, payload);
                        appended.incrementAndGet();
                    }
                    done.complete(null);
                }
                catch (final Throwable ex)
                {
                    done.completeExceptionally(ex);
                }
            }, "bound-appender");
            thread.setDaemon(true);
        }

        void start()
        {
            thread.start();
        }

        long appended()
        {
            return appended.get();
        }

        boolean isDone()
        {
            return done.isDone();
        }

        /**
         * @throws Throwable what the appends threw, as thrown.
         */
        void join() throws Throwable
        {
            try
            {
                done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            catch (final ExecutionException ex)
            {
                throw ex.getCause();
            }
        }

        Throwable failure()
        {
            return done.handle((ok, ex) -> ex).join();
        }
    }
}
