package io.ferrite.engine;

import io.ferrite.engine.EraseWhileReadingTest.Reader;
import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.engine.testing.FileForceHook;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.Discard;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SubjectHandle;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.ferrite.engine.EraseWhileReadingTest.await;
import static io.ferrite.engine.EraseWhileReadingTest.awaitCondition;
import static io.ferrite.engine.TruncateGraceHandlerQueryTest.awaitTryingAppendLock;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An append — or another call that takes the append lock: a claim, {@code appendAt}, a skip, a removal, a purge, a
 * compaction, a limits update — made from inside a read's or a tailer's handler, on a thread other than the
 * truncating one, while that truncation waits for the handler holding the append lock: queued for the lock, the call
 * held the truncation up for its whole 10 s bound (and every append of the store with it), and the truncation then
 * zeroed the record under the handler's flyweight. The call is refused instead ({@code IllegalStateException}), having
 * done nothing; the handler's message stays whole and the truncation goes on. The time bounds checked are hang
 * guards, half the wait's bound, not measurements.
 */
class TruncateGraceHandlerAppendTest
{
    private static final byte FILL = 0x5A;
    private static final String SUBJECT = "stall.a";
    /** The message the handler holds, cut by the truncation to {@link #CUT}. */
    private static final int LAST = 40;
    private static final int CUT = 38;
    /** Half of {@link StreamTruncation#GRACE_NANOS}. */
    private static final long BOUND_MILLIS = TimeUnit.NANOSECONDS.toMillis(StreamTruncation.GRACE_NANOS / 2);

    @TempDir
    Path dir;

    /** The calls of a handler's store that take its append lock, and are allowed from a handler otherwise. */
    enum Call
    {
        APPEND("append"),
        APPEND_BUFFERS("append"),
        CLAIM("tryClaim"),
        APPEND_AT("appendAt"),
        SKIP("skip"),
        REMOVE("remove"),
        PURGE("purge"),
        COMPACT("compact"),
        UPDATE_LIMITS("updateLimits");

        private final String named;

        Call(final String named)
        {
            this.named = named;
        }

        void run(final FileStreamStore store, final SubjectHandle subject)
        {
            final byte[] payload = new byte[100];
            switch (this)
            {
                case APPEND -> store.append(SUBJECT, null, payload);
                case APPEND_BUFFERS -> store.append(subject, null, 0, 0, new UnsafeBuffer(payload), 0, payload.length);
                case CLAIM ->
                {
                    final MessageClaim claim = new MessageClaim();
                    store.tryClaim(subject, 0, payload.length, claim);
                    claim.abort();
                }
                case APPEND_AT -> store.appendAt(LAST + 10, System.currentTimeMillis() * 1_000_000L, SUBJECT, null,
                    payload);
                case SKIP -> store.skip();
                case REMOVE -> store.remove(1);
                case PURGE -> store.purge();
                case COMPACT -> store.compact(10);
                case UPDATE_LIMITS -> store.updateLimits(new StreamLimits(10, StreamLimits.UNLIMITED, Duration.ZERO,
                    StreamLimits.UNLIMITED, Discard.OLD));
                default -> throw new AssertionError(this);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Reader.class)
    void anAppendFromInsideAHandlerTheTruncationWaitsForIsRefusedPromptly(final Reader kind) throws Exception
    {
        refusedWhileTheTruncationWaits(kind, Call.APPEND);
    }

    @ParameterizedTest
    @EnumSource(Call.class)
    void everyCallTakingTheAppendLockFromInsideAHandlerIsRefusedTheSame(final Call call) throws Exception
    {
        refusedWhileTheTruncationWaits(Reader.READ, call);
    }

    /**
     * A handler whose read began after the truncation's flip is not waited for by it: its append is not refused, but
     * waits for the truncation to end (which waits for the other handler only) and then goes through. The two handler
     * threads are made to count in different cells of the read gate: a reader sharing its cell with one waited for is
     * refused too (see {@link ReadGate#mayBeAwaitedHoldingAppendLock()}).
     */
    @Test
    void anAppendFromAHandlerTheTruncationDoesNotWaitForWaitsAndGoesThrough() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir,
            StreamMode.PLAINTEXT.config(StreamConfig.builder("stall").blockSize(4096).maxMsgSize(512))))
        {
            final byte[] payload = new byte[100];
            Arrays.fill(payload, FILL);
            for (int i = 1; i <= LAST; i++)
            {
                store.append(SUBJECT, null, payload);
            }
            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final Thread waitedFor = new Thread(() -> store.read(LAST, (view) ->
            {
                inside.countDown();
                try
                {
                    await(release);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }), "waited-for-handler");
            final Throwable[] thrown = new Throwable[1];
            final long[] appended = { -1 };
            final byte[] seen = new byte[1];
            Thread later;
            do
            {
                later = new Thread(() -> store.read(1, (view) ->
                {
                    try
                    {
                        appended[0] = store.append(SUBJECT, null, payload);
                    }
                    catch (final Throwable ex)
                    {
                        thrown[0] = ex;
                    }
                    seen[0] = view.payload()[0];
                }), "later-handler");
            }
            while (cell(later) == cell(waitedFor));
            waitedFor.start();
            await(inside);
            final Thread truncator = new Thread(() -> store.truncate(CUT), "truncator");
            truncator.start();
            awaitCondition(() -> LockSupport.getBlocker(truncator) instanceof ReadGate);

            later.start();
            final Thread handler = later;
            // Not refused: it tries the lock, which the truncation holds, for as long as the truncation waits (a
            // refused handler returns at once, and the assertions below say why).
            awaitCondition(() -> LockSupport.getBlocker(handler) instanceof InsideHandlerLock || !handler.isAlive());
            release.countDown();
            later.join();
            waitedFor.join();
            truncator.join();

            assertThat(thrown[0]).as("an append from a handler the truncation never waited for").isNull();
            assertThat(appended[0]).isEqualTo(CUT + 1);
            assertThat(seen[0]).isEqualTo(FILL);
            assertThat(store.lastSeq()).isEqualTo(CUT + 1);
        }
    }

    private static int cell(final Thread thread)
    {
        return (int)thread.getId() & (ReadGate.CELLS - 1);
    }

    /**
     * The append is made while the truncation holds the append lock but before it began to wait for readers: it tries
     * the lock until it sees that wait, and is refused then.
     */
    @Test
    void anAppendTryingTheLockBeforeTheTruncationWaitsIsRefusedOnceItDoes() throws Exception
    {
        // The truncation forces truncation.removals under the append lock, before the cut and its grace.
        final FileForceHook io = new FileForceHook();
        try (FileStreamStore store = FileStreamStore.open(dir, config(), io))
        {
            fill(store);
            // A removal below the cut: the truncation then records it in truncation.removals, whose force is the hook.
            assertThat(store.remove(5)).isTrue();
            store.flush().join();
            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch append = new CountDownLatch(1);
            final Outcome outcome = new Outcome();
            final Thread reader = new Thread(() -> read(Reader.READ, store, (view) ->
            {
                outcome.before = view.payload();
                inside.countDown();
                awaitUninterruptibly(append);
                outcome.call(() -> Call.APPEND.run(store, null));
                outcome.after = view.payload();
            }), "handler-appending");
            io.beforeNamed(TruncationRemovalsFile.FILE_NAME, () ->
            {
                // On the truncating thread, holding the append lock: the handler's append asks for it.
                append.countDown();
                // Trying the lock from inside the handler, or (were it not refused) queued for it.
                awaitTryingAppendLock(store, reader);
            });
            reader.start();
            await(inside);
            final long start = System.nanoTime();
            store.truncate(CUT);
            final long truncateMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            reader.join();

            outcome.assertRefused(Call.APPEND, truncateMillis);
            assertThat(store.state().msgs()).as("nothing appended, the one removal kept").isEqualTo(CUT - 1);
            assertAppendsGoOn(store);
        }
    }

    private void refusedWhileTheTruncationWaits(final Reader kind, final Call call) throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            fill(store);
            final SubjectHandle subject = store.subject(SUBJECT);
            final StreamLimits limits = store.limits();
            final CountDownLatch inside = new CountDownLatch(1);
            final Outcome outcome = new Outcome();
            final long[] truncateNanos = new long[1];
            final Thread truncator = new Thread(() ->
            {
                final long start = System.nanoTime();
                store.truncate(CUT);
                truncateNanos[0] = System.nanoTime() - start;
            }, "truncator");
            final Thread reader = new Thread(() -> read(kind, store, (view) ->
            {
                outcome.before = view.payload();
                inside.countDown();
                // The truncation cut the message and now waits at the gate for this handler, holding the append lock.
                awaitCondition(() -> LockSupport.getBlocker(truncator) instanceof ReadGate ||
                    truncator.getState() == Thread.State.TERMINATED);
                outcome.call(() -> call.run(store, subject));
                outcome.after = view.payload();
            }), "handler-" + call);
            reader.start();
            await(inside);
            truncator.start();
            reader.join();
            truncator.join();

            outcome.assertRefused(call, TimeUnit.NANOSECONDS.toMillis(truncateNanos[0]));
            assertThat(store.state().msgs()).as("nothing appended, removed or purged").isEqualTo(CUT);
            assertThat(store.limits()).as("the limits as they were").isEqualTo(limits);
            assertAppendsGoOn(store);
        }
    }

    /**
     * The truncation point is the last sequence; an append after it takes the next, and an append from inside a
     * handler, with no truncation waiting, goes through as before.
     */
    private static void assertAppendsGoOn(final FileStreamStore store)
    {
        assertThat(store.lastSeq()).as("the truncation point").isEqualTo(CUT);
        assertThat(store.load(LAST)).isNull();
        final byte[] next = new byte[100];
        Arrays.fill(next, (byte)1);
        assertThat(store.append(SUBJECT, null, next)).isEqualTo(CUT + 1);
        assertThat(store.load(CUT + 1).payload()).isEqualTo(next);
        final long[] fromHandler = new long[1];
        assertThat(store.read(1, (view) -> fromHandler[0] = store.append(SUBJECT, null, next))).isTrue();
        assertThat(fromHandler[0]).as("an append from inside a handler, no truncation waiting").isEqualTo(CUT + 2);
        assertThat(store.numPending(1, SUBJECT)).isEqualTo(store.state().msgs());
    }

    private static StreamConfig config()
    {
        return StreamMode.PLAINTEXT.config(StreamConfig.builder("stall").blockSize(4096).maxMsgSize(512));
    }

    private static void fill(final FileStreamStore store)
    {
        final byte[] payload = new byte[100];
        Arrays.fill(payload, FILL);
        for (int i = 1; i <= LAST; i++)
        {
            store.append(SUBJECT, null, payload);
        }
    }

    private static void read(final Reader kind, final FileStreamStore store, final MessageHandler handler)
    {
        if (kind == Reader.READ)
        {
            assertThat(store.read(LAST, handler)).isTrue();
            return;
        }
        try (StreamTailer tailer = store.createTailer(LAST))
        {
            assertThat(tailer.poll(handler, 1)).isEqualTo(1);
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

    /** What the handler saw and what its call did. */
    private static final class Outcome
    {
        private byte[] before;
        private byte[] after;
        private Throwable thrown;
        private long callMillis;

        void call(final Runnable call)
        {
            final long start = System.nanoTime();
            try
            {
                call.run();
            }
            catch (final Throwable ex)
            {
                thrown = ex;
            }
            callMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }

        void assertRefused(final Call call, final long truncateMillis)
        {
            assertThat(before).as("the handler's message before its call").containsOnly(FILL);
            assertThat(after).as("the handler's message after its call returned (in %d ms; truncate took %d ms)",
                callMillis, truncateMillis).containsOnly(FILL);
            assertThat(callMillis).as("%s from inside the handler", call).isLessThan(BOUND_MILLIS);
            assertThat(truncateMillis).as("truncate(%d) with %s inside a handler", CUT, call)
                .isLessThan(BOUND_MILLIS);
            assertThat(thrown).as("%s from inside the handler, refused", call)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(call.named)
                .hasMessageContaining("truncation holds").hasMessageContaining("handler returned");
        }
    }
}
