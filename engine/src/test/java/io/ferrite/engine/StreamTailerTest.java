package io.ferrite.engine;

import io.ferrite.engine.flush.ControllableStorageIO;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamListener;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamTruncatedException;
import io.ferrite.store.SyncMode;
import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What one tailer does, deterministically: order, what it passes over, seeking, truncation, durable-only, bad
 * arguments, the lock-free positions, listeners, and no allocation per poll. {@link TailerRaceTest} races one against
 * a writer.
 */
class StreamTailerTest
{
    @TempDir
    Path dir;

    private final List<Long> seen = new ArrayList<>();

    @Test
    void theStoreCountsTheTailersThatFollowItOnceEachSoTheBlockPreparerKnowsWhetherToTouchReadersPages()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            assertThat(store.index().followers().any()).isFalse();
            final StreamTailer first = store.createTailer(1);
            final StreamTailer named = store.createTailer("named");
            assertThat(store.index().followers().any()).isTrue();

            first.close();
            first.close();
            assertThat(store.index().followers().any()).as("a second close counts nothing").isTrue();
            named.close();
            assertThat(store.index().followers().any()).isFalse();
            assertThatThrownBy(() -> store.createTailer(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(store.index().followers().any()).as("a tailer that failed to open is not counted").isFalse();
        }
    }

    @Test
    void handsOverMessagesInOrderUpToTheLimitAndZeroWhenNothingIsNew()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
            StreamTailer tailer = store.createTailer(1))
        {
            assertThat(tailer.poll(this::record, 10)).isZero();
            for (int i = 1; i <= 10; i++)
            {
                store.append("t.a", null, payload(i));
            }
            assertThat(tailer.poll(this::record, 3)).isEqualTo(3);
            assertThat(tailer.nextSeq()).isEqualTo(4);
            assertThat(tailer.poll(this::record, 100)).isEqualTo(7);
            assertThat(tailer.poll(this::record, 100)).isZero();
            assertThat(seen).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(tailer.nextSeq()).isEqualTo(11);
            assertThat(tailer.isDurableOnly()).isFalse();
        }
    }

    @Test
    void passesOverRemovedSkippedAndNeverAssignedSequencesAcrossBlocks()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            final List<Long> expected = new ArrayList<>();
            for (int i = 1; i <= 400; i++)
            {
                final long seq = store.append("t.b", null, payload(i));
                if (i % 7 == 0)
                {
                    store.remove(seq);
                }
                else
                {
                    expected.add(seq);
                }
                if (i % 50 == 0)
                {
                    store.skip();
                }
            }
            final long jump = store.lastSeq() + 5_000;
            store.appendAt(jump, store.state().lastTime() + 1, "t.b", null, payload(1));
            expected.add(jump);
            assertThat(store.stats().blocksCreated()).as("small blocks rolled").isGreaterThan(3);
            try (StreamTailer tailer = store.createTailer(1))
            {
                while (tailer.poll(this::record, 16) > 0)
                {
                    // drain
                }
                assertThat(seen).containsExactlyElementsOf(expected);
                assertThat(tailer.nextSeq()).isEqualTo(jump + 1);
            }
        }
    }

    @Test
    void seeksBySequenceAndByTime()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            final long base = 1_000_000_000_000_000_000L;
            for (int i = 1; i <= 20; i++)
            {
                store.appendAt(i, base + i * 1_000L, "t.c", null, payload(i));
            }
            try (StreamTailer tailer = store.createTailer(5))
            {
                tailer.poll(this::record, 1);
                assertThat(seen).containsExactly(5L);
                tailer.seek(Instant.ofEpochSecond(0, base + 12_000L));
                assertThat(tailer.nextSeq()).isEqualTo(12);
                tailer.seek(Instant.ofEpochSecond(0, base + 11_500L));
                assertThat(tailer.nextSeq()).isEqualTo(12);
                tailer.seek(Instant.ofEpochSecond(0, base + 99_000L));
                assertThat(tailer.nextSeq()).isEqualTo(21);
                tailer.seek(2);
                tailer.poll(this::record, 2);
                assertThat(seen).containsExactly(5L, 2L, 3L);
                tailer.seek(21);
                assertThat(tailer.poll(this::record, 2)).isZero();
            }
        }
    }

    @Test
    void aTruncationBelowWhatWasDeliveredIsReportedOnceAndTheTailerFollowsTheNewTimeline()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
            StreamTailer ahead = store.createTailer(1);
            StreamTailer behind = store.createTailer(1))
        {
            for (int i = 1; i <= 10; i++)
            {
                store.append("t.d", null, payload(i));
            }
            assertThat(ahead.poll(this::record, 100)).isEqualTo(10);
            assertThat(behind.poll(m -> { }, 4)).isEqualTo(4);
            store.truncate(6);
            store.append("t.d", null, payload(70));

            assertThatThrownBy(() -> ahead.poll(this::record, 100))
                .isInstanceOf(StreamTruncatedException.class)
                .hasMessageContaining("truncated to sequence 6")
                .satisfies(ex ->
                {
                    assertThat(((StreamTruncatedException)ex).truncatedTo()).isEqualTo(6);
                    assertThat(((StreamTruncatedException)ex).tailerSeq()).isEqualTo(11);
                });
            assertThat(ahead.nextSeq()).isEqualTo(7);
            seen.clear();
            final List<byte[]> payloads = new ArrayList<>();
            assertThat(ahead.poll(m -> payloads.add(m.payload()), 100)).isEqualTo(1);
            assertThat(payloads.get(0)).isEqualTo(payload(70));
            assertThat(ahead.poll(this::record, 100)).isZero();

            // Behind the cut: nothing it delivered was cut, so nothing to report.
            assertThat(behind.poll(this::record, 100)).isEqualTo(3);
            assertThat(seen).containsExactly(5L, 6L, 7L);
        }
    }

    @Test
    void aDurableOnlyTailerSeesNothingBeyondTheDurableSequence()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE));
            StreamTailer durable = store.createTailer(1, true);
            StreamTailer eager = store.createTailer(1))
        {
            for (int i = 1; i <= 5; i++)
            {
                store.append("t.e", null, payload(i));
            }
            assertThat(store.durableSeq()).as("NONE forces nothing until flush").isZero();
            assertThat(durable.isDurableOnly()).isTrue();
            assertThat(durable.poll(this::record, 100)).isZero();
            assertThat(eager.poll(m -> { }, 100)).isEqualTo(5);
            assertThat(store.flush().join()).isEqualTo(5);
            assertThat(store.durableSeq()).isEqualTo(5);
            assertThat(durable.poll(this::record, 100)).isEqualTo(5);
            store.append("t.e", null, payload(6));
            assertThat(durable.poll(this::record, 100)).isZero();
            assertThat(seen).containsExactly(1L, 2L, 3L, 4L, 5L);
        }
    }

    /**
     * A truncation, and appends that are not forced, between a durable-only poll's look at the durable sequence and
     * its handing over: the records it then finds in the tables are the new timeline's. Made by another thread once
     * the poll's handler has the first message: the truncation cuts the tables and then waits for that poll to return
     * before it zeroes (a truncation from inside the handler itself is refused), and the appends follow it.
     */
    @Test
    void aDurableOnlyPollStopsAtATruncationMadeDuringItAndHandsOverNothingNotDurable() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE));
            StreamTailer durable = store.createTailer(1, true))
        {
            for (int i = 1; i <= 10; i++)
            {
                store.append("t.d", null, payload(i));
            }
            assertThat(store.flush().join()).isEqualTo(10);
            final List<String> handed = new ArrayList<>();
            final Thread truncator = new Thread(() ->
            {
                store.truncate(3);
                for (int i = 4; i <= 10; i++)
                {
                    store.append("t.d", null, ("new-" + i).getBytes(StandardCharsets.UTF_8));
                }
            }, "truncator");
            final MessageHandler truncatingAtTheFirst = (message) ->
            {
                handed.add(message.seq() + " " + new String(message.payload(), StandardCharsets.UTF_8));
                if (message.seq() == 1)
                {
                    truncator.start();
                    EraseWhileReadingTest.awaitCondition(() ->
                        LockSupport.getBlocker(truncator) instanceof ReadGate);
                }
            };

            // The poll was inside before the cut: what it hands over after the first is the old timeline (the kept
            // 2 and 3, and the cut records when it had found them before the cut), whose zeros wait for it; a later
            // poll may be told of the truncation, and the new timeline is not durable.
            assertThat(durable.poll(truncatingAtTheFirst, 100)).isIn(3, 10);
            truncator.join();
            try
            {
                assertThat(durable.poll(truncatingAtTheFirst, 100)).isZero();
            }
            catch (final StreamTruncatedException expected)
            {
                assertThat(expected.getMessage()).contains("truncated to sequence 3");
            }
            assertThat(durable.poll(truncatingAtTheFirst, 100)).isZero();

            assertThat(store.durableSeq()).isEqualTo(3);
            assertThat(handed).startsWith("1 payload-1", "2 payload-2", "3 payload-3")
                .noneMatch((text) -> text.contains("new-"));
        }
    }

    /**
     * A named tailer's resume point is read with the truncation count before it: a truncation that lands after the
     * resume point was chosen, before the tailer exists, is reported by its first poll and moves it back.
     */
    @Test
    void aTailerResumingAsOfAnOlderTruncationCountIsToldOfTheTruncationsSince()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            for (int i = 1; i <= 10; i++)
            {
                store.append("t.r", null, payload(i));
            }
            final long countBefore = store.index().positions().truncations();
            store.truncate(4);
            for (int i = 5; i <= 12; i++)
            {
                store.append("t.r", null, ("new-" + i).getBytes(StandardCharsets.UTF_8));
            }
            try (StreamTailer resumed = new StreamFollower(store, store.index(), 9, countBefore, false))
            {
                assertThatThrownBy(() -> resumed.poll(this::record, 100))
                    .isInstanceOfSatisfying(StreamTruncatedException.class, (ex) ->
                    {
                        assertThat(ex.truncatedTo()).isEqualTo(4);
                        assertThat(ex.tailerSeq()).isEqualTo(9);
                    });
                assertThat(resumed.poll(this::record, 100)).isEqualTo(8);
                assertThat(seen).containsExactly(5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
            }
        }
    }

    @Test
    void badArgumentsAndClosedTailersOrStoresFailClearly()
    {
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
        store.append("t.f", null, payload(1));
        store.append("t.f", null, payload(2));
        assertThatThrownBy(() -> store.createTailer(0)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("seq must be in [1, lastSeq + 1 = 3]").hasMessageContaining(": 0");
        assertThatThrownBy(() -> store.createTailer(-4)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(": -4");
        assertThatThrownBy(() -> store.createTailer(4)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("seq must be in [1, lastSeq + 1 = 3]").hasMessageContaining(": 4");
        final StreamTailer tailer = store.createTailer(3);
        assertThatThrownBy(() -> tailer.seek(5)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("lastSeq + 1 = 3");
        assertThatThrownBy(() -> tailer.poll(null, 1)).isInstanceOf(NullPointerException.class)
            .hasMessageContaining("handler");
        assertThatThrownBy(() -> tailer.poll(m -> { }, 0)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("limit must be >= 1: 0");
        assertThatThrownBy(() -> tailer.seek((Instant)null)).isInstanceOf(NullPointerException.class);
        tailer.close();
        tailer.close();
        assertThatThrownBy(() -> tailer.poll(m -> { }, 1)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("tailer of stream tail is closed");
        assertThatThrownBy(() -> tailer.seek(1)).isInstanceOf(IllegalStateException.class);

        final StreamTailer open = store.createTailer(1);
        store.close();
        assertThatThrownBy(() -> open.poll(m -> { }, 1)).isInstanceOf(StoreClosedException.class)
            .hasMessageContaining("stream tail is closed");
        assertThatThrownBy(() -> store.createTailer(1)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(store::lastSeq).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.addListener(new StreamListener()
        {
        })).isInstanceOf(StoreClosedException.class);
    }

    @Test
    void positionsAndStateAreReadWithoutTheAppendLock() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE)))
        {
            assertThat(store.lastSeq()).isZero();
            assertThat(store.firstSeq()).isEqualTo(1);
            for (int i = 1; i <= 30; i++)
            {
                store.append("t.g", null, payload(i));
            }
            store.remove(1);
            store.remove(2);
            assertThat(store.firstSeq()).isEqualTo(3);
            assertThat(store.lastSeq()).isEqualTo(30);
            store.compact(10);
            assertThat(store.firstSeq()).isEqualTo(10);
            final StreamState state = store.state();
            assertThat(state.firstSeq()).isEqualTo(10);
            assertThat(state.lastSeq()).isEqualTo(30);
            assertThat(state.msgs()).isEqualTo(21);
            assertThat(state.numSubjects()).isEqualTo(1);
            store.purge();
            assertThat(store.firstSeq()).isEqualTo(31);
            assertThat(store.state().msgs()).isZero();
            store.flush().join();
            assertThat(store.durableSeq()).isEqualTo(30);

            // state() while another thread holds the append lock: it does not wait for it.
            final Thread holder = Thread.currentThread();
            final StreamState[] read = new StreamState[1];
            final Thread reader = new Thread(() -> read[0] = store.state());
            final ReentrantLock lock = store.appendLock();
            lock.lock();
            try
            {
                reader.start();
                reader.join(30_000);
                assertThat(reader.isAlive()).as("state() waited for the append lock held by %s", holder).isFalse();
            }
            finally
            {
                lock.unlock();
            }
            assertThat(read[0].lastSeq()).isEqualTo(30);
        }
    }

    @Test
    void listenersAreToldOfAppendsRemovalsTruncationsAndDurability() throws Exception
    {
        final List<String> events = new CopyOnWriteArrayList<>();
        final StreamListener listener = new StreamListener()
        {
            @Override
            public void onAppended(final long seq, final int bytes)
            {
                events.add("appended " + seq + " " + bytes);
            }

            @Override
            public void onRemoved(final long seq)
            {
                events.add("removed " + seq);
            }

            @Override
            public void onRemovedRange(final long fromSeq, final long toSeq)
            {
                events.add("removed " + fromSeq + ".." + toSeq);
            }

            @Override
            public void onTruncated(final long seq)
            {
                events.add("truncated " + seq);
            }

            @Override
            public void onDurable(final long seq)
            {
                events.add("durable " + seq);
            }
        };
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE)))
        {
            final AutoCloseable registration = store.addListener(listener);
            final AutoCloseable thrower = store.addListener(new StreamListener()
            {
                @Override
                public void onAppended(final long seq, final int bytes)
                {
                    throw new IllegalStateException("a listener's bug, logged by the store");
                }
            });
            for (int i = 1; i <= 6; i++)
            {
                store.append("t.h", new byte[2], new byte[10]);
            }
            store.remove(2);
            store.compact(4);
            store.flush().join();
            store.truncate(5);
            store.purge();
            store.flush().join();
            thrower.close();
            registration.close();
            store.append("t.h", null, new byte[1]);
            store.flush().join();
            assertThat(events).containsExactly("appended 1 15", "appended 2 15", "appended 3 15", "appended 4 15",
                "appended 5 15", "appended 6 15", "removed 2", "removed 1..3", "durable 6", "truncated 5",
                "removed 4..5");
        }
    }

    @Test
    void listenersAreToldOfAFailedForce()
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final List<StoreException> failures = new CopyOnWriteArrayList<>();
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE), io);
        store.addListener(new StreamListener()
        {
            @Override
            public void onFailure(final StoreException failure)
            {
                failures.add(failure);
            }
        });
        store.append("t.i", null, new byte[8]);
        io.failBlockForces("injected force failure");
        assertThatThrownBy(() -> store.flush().join()).hasMessageContaining("injected force failure");
        assertThat(failures).hasSize(1);
        assertThat(failures.get(0)).hasMessageContaining("injected force failure");
        assertThatThrownBy(store::close).isInstanceOf(StoreException.class);
    }

    @Test
    void aPollAllocatesNothing()
    {
        final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("tail").blockSize(256 * 1024)
            .maxMsgSize(1024).build()))
        {
            final int messages = 100_000;
            final byte[] payload = new byte[128];
            for (int i = 0; i < messages; i++)
            {
                store.append("t.j", null, payload);
            }
            final long[] sum = new long[1];
            final MessageHandler handler = m -> sum[0] += m.payloadLength();
            try (StreamTailer tailer = store.createTailer(1))
            {
                // Warm up: tables, the verifier, the JIT.
                for (int round = 0; round < 5; round++)
                {
                    tailer.seek(1);
                    while (tailer.poll(handler, 64) > 0)
                    {
                        // drain
                    }
                }
                tailer.seek(1);
                final long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
                long delivered = 0;
                int polls = 0;
                int n;
                while ((n = tailer.poll(handler, 64)) > 0)
                {
                    delivered += n;
                    polls++;
                }
                final long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
                assertThat(delivered).isEqualTo(messages);
                assertThat(polls).isGreaterThan(1_000);
                // Nothing per message or per poll. Entering a block costs one small object (the checksum's view of
                // the block's mapping, Crc32c), so the bound is per block, far below a byte per message.
                final long blocks = store.stats().blocksCreated();
                assertThat(allocated).as("bytes allocated over %d polls of %d messages in %d blocks", polls, messages,
                    blocks).isLessThan(1_024 + 128 * blocks).isLessThan(messages / 10);
            }
            assertThat(sum[0]).isEqualTo(6L * messages * 128);
        }
    }

    private void record(final MessageView message)
    {
        seen.add(message.seq());
    }

    private StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("tail").blockSize(4096).maxMsgSize(512).syncMode(mode).build();
    }

    private static byte[] payload(final int i)
    {
        return ("payload-" + i).getBytes(StandardCharsets.UTF_8);
    }
}
