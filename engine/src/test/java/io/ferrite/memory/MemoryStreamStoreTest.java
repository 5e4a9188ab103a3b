package io.ferrite.memory;

import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamListener;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamTailer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only the memory store has to show; the contract it shares with the file store is held by
 * {@code StoreConformanceTest}, {@code StreamModelTest} and the store-neutral cases of the behavioural tests.
 */
class MemoryStreamStoreTest
{
    private static StreamConfig config()
    {
        return StreamConfig.builder("mem").maxMsgSize(1024).build();
    }

    @Test
    void aHandlerMayReadButNotWriteTheStoreItReads()
    {
        try (MemoryStreamStore store = MemoryStreamStore.create(config()))
        {
            store.append("a", null, new byte[] {1});
            final List<String> seen = new ArrayList<>();
            assertThat(store.read(1, (view) ->
            {
                seen.add(view.subject() + " " + store.load(1).seq());
                assertThatThrownBy(() -> store.append("a", null, new byte[] {2}))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("must not write");
                assertThatThrownBy(() -> store.remove(1))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("must not write");
            })).isTrue();
            assertThat(seen).containsExactly("a 1");
            assertThat(store.state().msgs()).isEqualTo(1);
            assertThat(store.append("a", null, new byte[] {2})).isEqualTo(2);
        }
    }

    @Test
    void aHandlerMayNotCloseTheStoreItReads()
    {
        try (MemoryStreamStore store = MemoryStreamStore.create(config()))
        {
            store.append("a", null, new byte[] {1});
            final StreamTailer tailer = store.createTailer(1);
            assertThat(tailer.poll((view) -> assertThatThrownBy(store::close)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("must not close"), 10)).isEqualTo(1);
            assertThat(store.append("a", null, new byte[] {2})).as("still open, lock free").isEqualTo(2);
        }
    }

    @Test
    void aThreadHoldingAClaimMayNotPollOrReadWithAHandler()
    {
        try (MemoryStreamStore store = MemoryStreamStore.create(config()))
        {
            store.append("a", null, new byte[] {1});
            final StreamTailer tailer = store.createTailer(1);
            final MessageClaim claim = new MessageClaim();
            store.tryClaim(store.subject("a"), 0, 1, claim);
            // A handler could commit the claim, inserting into the map the poll is walking.
            assertThatThrownBy(() -> tailer.poll((view) -> { }, 10)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("open claim for sequence 2");
            assertThatThrownBy(() -> store.read(1, (view) -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("open claim for sequence 2");
            assertThat(store.load(1)).as("plain loads are fine").isNotNull();
            claim.commit();
            assertThat(tailer.poll((view) -> { }, 10)).isEqualTo(2);
        }
    }

    @Test
    void theCallersArraysAreCopiedBothWays()
    {
        try (MemoryStreamStore store = MemoryStreamStore.create(config()))
        {
            final byte[] payload = {1, 2, 3};
            final byte[] headers = {9};
            store.append("a", headers, payload);
            payload[0] = 42;
            headers[0] = 42;
            final StoredMessage loaded = store.load(1);
            assertThat(loaded.payload()).containsExactly(1, 2, 3);
            assertThat(loaded.headers()).containsExactly(9);
            loaded.payload()[1] = 42;
            assertThat(store.load(1).payload()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void flushAndStateWritesAreImmediateAndCloseRefusesLaterCalls()
    {
        final MemoryStreamStore store = MemoryStreamStore.create(config());
        store.append("a", null, new byte[10]);
        store.writeFullState();
        assertThat(store.flush().join()).isEqualTo(1);
        assertThat(store.stats().durableSeq()).isEqualTo(1);
        assertThat(store.stats().blockFileOpens()).isZero();
        assertThat(store.recoveryReport().isClean()).isTrue();
        store.close();
        assertThatThrownBy(() -> store.load(1)).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(store::flush).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(store::writeFullState).isInstanceOf(StoreClosedException.class);
        assertThat(store.stats().durableSeq()).as("stats stay readable").isEqualTo(1);
    }

    /**
     * Readers race one appender: every message a reader finds is whole (its payload names its sequence), and the
     * totals a reader sees never run ahead of what was appended.
     */
    @Test
    void readersSeeOnlyWholeMessagesWhileOneThreadAppends() throws InterruptedException
    {
        final int count = 20_000;
        try (MemoryStreamStore store = MemoryStreamStore.create(config()))
        {
            final CountDownLatch start = new CountDownLatch(1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++)
            {
                final Thread reader = new Thread(() ->
                {
                    try
                    {
                        start.await();
                        long seen = 0;
                        while (seen < count)
                        {
                            final StreamState state = store.state();
                            assertThat(state.msgs()).isEqualTo(state.lastSeq());
                            for (long seq = seen + 1; seq <= state.lastSeq(); seq++)
                            {
                                final StoredMessage message = store.load(seq);
                                assertThat(ByteBuffer.wrap(message.payload()).getLong()).isEqualTo(seq);
                            }
                            seen = state.lastSeq();
                            final StoredMessage last = store.loadPrev(">", Long.MAX_VALUE >> 2);
                            assertThat(null == last || last.seq() >= seen).isTrue();
                        }
                    }
                    catch (final Throwable t)
                    {
                        failure.compareAndSet(null, t);
                    }
                }, "memory-reader-" + r);
                reader.start();
                readers.add(reader);
            }
            start.countDown();
            for (long seq = 1; seq <= count; seq++)
            {
                store.append("s." + (seq % 7), null, ByteBuffer.allocate(8).putLong(0, seq).array());
            }
            for (final Thread reader : readers)
            {
                reader.join();
            }
            assertThat(failure.get()).isNull();
            assertThat(store.state().msgs()).isEqualTo(count);
        }
    }

    /**
     * A truncation lowers the consumers and, before it returns, another thread updates one with a sequence the cut
     * took (here from within the truncation, on a thread of its own, so the moment is exact): the update must be
     * refused as beyond the last sequence, which the truncation published before lowering the consumers — not
     * accepted against the old last sequence and left above the cut.
     */
    @Test
    void anUpdateAfterATruncationLoweredTheConsumersSeesItsLastSequence() throws Exception
    {
        try (MemoryStreamStore store = MemoryStreamStore.create(config()))
        {
            for (int i = 0; i < 10; i++)
            {
                store.append("a", null, new byte[] {1});
            }
            final ConsumerStore consumer = store.consumer("c", ConsumerConfig.builder().build());
            consumer.updateDelivered(1, 1, 1, 1);
            final AtomicReference<Throwable> update = new AtomicReference<>();
            store.addListener(new StreamListener()
            {
                @Override
                public void onTruncated(final long seq)
                {
                    final Thread racer = new Thread(() ->
                    {
                        try
                        {
                            consumer.updateDelivered(2, 8, 1, 2);
                        }
                        catch (final Throwable ex)
                        {
                            update.set(ex);
                        }
                    }, "racing-update");
                    racer.start();
                    try
                    {
                        racer.join();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(ex);
                    }
                }
            });
            store.truncate(5);
            assertThat(update.get()).as("sequence 8 is beyond the published last sequence 5")
                .isInstanceOf(IllegalArgumentException.class);
            assertThat(consumer.state().delivered().stream()).isEqualTo(1);
        }
    }
}
