package io.ferrite.engine.block;

import io.ferrite.store.StreamState;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link StreamIndex#state()} counts, readers can load: a message's totals and its published sequence change
 * together, the publication inside the totals' change. {@code ConcurrentReadersTest} races readers against a whole
 * appender for the same promise; this races a reader against {@link StreamIndex#onMessage} alone.
 */
class StreamIndexTest
{
    private static final int MESSAGES = 2_000_000;

    @Test
    void aMessageCountedInTheTotalsIsAlreadyPublished()
    {
        final StreamIndex index = new StreamIndex();
        for (long seq = 1; seq <= 3; seq++)
        {
            index.onMessage(seq, 1_000 + seq, 10);
            final StreamState state = index.state();
            assertThat(state.lastSeq()).isEqualTo(seq);
            assertThat(index.publishedLastSeq()).as("published with the totals that count %d", seq)
                .isEqualTo(state.lastSeq());
        }
        assertThat(index.state().msgs()).isEqualTo(3);
    }

    /**
     * A reader that takes {@code state()} and then the published last sequence never finds the second behind the
     * first while messages and skips are counted. With the publication after the change, as it was, the reader on the
     * other core lands between them within a few hundred thousand messages here.
     */
    @Test
    void aReaderNeverSeesAStateAheadOfThePublishedLastSequence() throws InterruptedException
    {
        final StreamIndex index = new StreamIndex();
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicReference<String> ahead = new AtomicReference<>();
        final AtomicLong lookedMidway = new AtomicLong();
        final CountDownLatch reading = new CountDownLatch(1);
        final Thread reader = new Thread(() ->
        {
            reading.countDown();
            while (!done.get() && null == ahead.get())
            {
                final long counted = index.state().lastSeq();
                final long published = index.publishedLastSeq();
                if (counted > published)
                {
                    ahead.set("state() counted up to " + counted + " while the published last sequence was " +
                        published);
                }
                if (counted > 0 && counted < MESSAGES)
                {
                    lookedMidway.incrementAndGet();
                }
            }
        }, "state-reader");
        reader.start();
        reading.await();
        for (long seq = 1; seq <= MESSAGES && null == ahead.get(); seq++)
        {
            if (seq % 3 == 0)
            {
                index.onSkip(seq);
            }
            else
            {
                index.onMessage(seq, seq, 10);
            }
        }
        done.set(true);
        reader.join();
        assertThat(ahead.get()).isNull();
        assertThat(lookedMidway.get()).as("looks while messages were counted").isPositive();
    }
}
