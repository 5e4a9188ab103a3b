package io.ferrite.engine;

import io.ferrite.engine.EraseWhileReadingTest.Reader;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.StreamTailer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.ferrite.engine.EraseWhileReadingTest.await;
import static io.ferrite.engine.EraseWhileReadingTest.awaitCondition;
import static io.ferrite.engine.EraseWhileReadingTest.config;
import static io.ferrite.engine.EraseWhileReadingTest.fill;
import static io.ferrite.engine.EraseWhileReadingTest.marker;
import static io.ferrite.engine.EraseWhileReadingTest.markerOnDisk;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code truncate(seq)} zeroes the cut records of the block it cuts, and a read or a tailer hands its handler a
 * flyweight over that very mapping: the zeros wait until every reader that may hold a cut record — inside the read
 * gate before the cut left the index — has left, so no handler reads zeros where its message was.
 */
class TruncateWhileReadingTest
{
    /** The last message, cut by {@code truncate(LAST - 1)} from the tail block, which the cut keeps. */
    private static final int LAST = 20;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Reader.class)
    void aTruncationZeroesOnlyOnceTheHandlerReadingACutMessageReturned(final Reader kind) throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            fill(store);
            final CountDownLatch inside = new CountDownLatch(1);
            final AtomicReference<byte[]> readInside = new AtomicReference<>();
            final Thread truncator = new Thread(() -> store.truncate(LAST - 1), "truncator");
            final Thread reader = new Thread(() -> readLast(kind, store, message ->
            {
                inside.countDown();
                // The truncation cut the message and now waits at the gate for this handler (or, without the wait,
                // it already zeroed the bytes and returned): only then is the payload read.
                awaitCondition(() -> LockSupport.getBlocker(truncator) instanceof ReadGate ||
                    truncator.getState() == Thread.State.TERMINATED);
                readInside.set(message.payload());
            }), "reader-inside");
            reader.start();
            await(inside);
            truncator.start();
            reader.join();
            truncator.join();

            assertThat(readInside.get()).as("the payload the handler read while the truncation waited")
                .isEqualTo(marker(LAST));
            assertThat(store.state().lastSeq()).isEqualTo(LAST - 1);
            assertThat(store.load(LAST)).isNull();
            assertThat(markerOnDisk(dir, LAST)).as("zeroed once the handler returned").isFalse();
            assertThat(markerOnDisk(dir, LAST - 1)).as("the control").isTrue();
            assertThat(store.append("erase.reading", null, marker(LAST + 1))).isEqualTo(LAST);
            assertThat(store.load(LAST).payload()).isEqualTo(marker(LAST + 1));
        }
    }

    /**
     * A truncation from inside a handler of the same store would wait for its own handler: it is refused, naming why,
     * before anything changed; the same truncation after the handler returned goes through.
     */
    @ParameterizedTest
    @EnumSource(Reader.class)
    void aTruncationFromInsideAHandlerOfTheStoreIsRefusedAndChangesNothing(final Reader kind)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            fill(store);
            final AtomicReference<Throwable> refused = new AtomicReference<>();
            final AtomicReference<byte[]> readAfter = new AtomicReference<>();
            readLast(kind, store, message ->
            {
                try
                {
                    store.truncate(LAST - 1);
                }
                catch (final Throwable ex)
                {
                    refused.set(ex);
                }
                readAfter.set(message.payload());
            });
            assertThat(refused.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("erase-reading").hasMessageContaining("truncate(" + (LAST - 1) + ")")
                .hasMessageContaining("handler");
            assertThat(readAfter.get()).isEqualTo(marker(LAST));
            assertThat(store.state().lastSeq()).as("nothing changed").isEqualTo(LAST);
            assertThat(store.load(LAST).payload()).isEqualTo(marker(LAST));

            store.truncate(LAST - 1);
            assertThat(store.state().lastSeq()).as("after the handler returned").isEqualTo(LAST - 1);
            assertThat(markerOnDisk(dir, LAST)).isFalse();
        }
    }

    private static void readLast(final Reader kind, final FileStreamStore store,
        final MessageHandler handler)
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
}
