package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamTailer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code erase(seq)} overwrites a plaintext record in place, and a read or a tailer hands its handler a flyweight over
 * that very mapping: the overwrite waits until every reader that may hold the record — inside the read gate before
 * the erase dropped it from the index — has left, so no handler reads zeros where its message was.
 */
class EraseWhileReadingTest
{
    private static final int COUNT = 20;
    private static final long HANG_GUARD_MILLIS = TimeUnit.MINUTES.toMillis(5);

    /** The two ways a handler gets a flyweight over a block mapping. */
    enum Reader
    {
        READ,
        TAILER;

        void readFirst(final FileStreamStore store, final MessageHandler handler)
        {
            if (this == READ)
            {
                assertThat(store.read(1, handler)).isTrue();
                return;
            }
            try (StreamTailer tailer = store.createTailer(1))
            {
                assertThat(tailer.poll(handler, 1)).isEqualTo(1);
            }
        }
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Reader.class)
    void anEraseOverwritesOnlyOnceTheHandlerReadingTheMessageReturned(final Reader kind) throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            fill(store);
            final CountDownLatch inside = new CountDownLatch(1);
            final AtomicReference<byte[]> readInside = new AtomicReference<>();
            final AtomicBoolean erased = new AtomicBoolean();
            final Thread eraser = new Thread(() -> erased.set(store.erase(1)), "eraser");
            final Thread reader = new Thread(() -> kind.readFirst(store, message ->
            {
                inside.countDown();
                // The erase dropped the message and now waits at the gate for this handler (or, without the wait, it
                // already overwrote the bytes and returned): only then is the payload read.
                awaitCondition(() -> LockSupport.getBlocker(eraser) instanceof ReadGate ||
                    eraser.getState() == Thread.State.TERMINATED);
                readInside.set(message.payload());
            }), "reader-inside");
            reader.start();
            await(inside);
            eraser.start();
            reader.join();
            eraser.join();

            assertThat(readInside.get()).as("the payload the handler read while the erase waited")
                .isEqualTo(marker(1));
            assertThat(erased).isTrue();
            assertThat(store.load(1)).isNull();
            assertThat(markerOnDisk(dir, 1)).as("overwritten once the handler returned").isFalse();
            assertThat(markerOnDisk(dir, 2)).as("the control").isTrue();
        }
    }

    /**
     * The handler waited for takes the maintenance lock ({@code whileQuiescent}, as a snapshot does) while the erase
     * waits for it: the erase waits holding no lock, so both go through. (A truncation from inside a handler is
     * refused: it would wait for the handler itself, see {@code TruncateWhileReadingTest}.)
     */
    @Test
    void aHandlerTheEraseWaitsForMayTakeTheMaintenanceLock() throws Exception
    {
        // Not closed on a failure: a close would wait for the maintenance lock the deadlocked eraser holds.
        final FileStreamStore store = FileStreamStore.open(dir, config());
        fill(store);
        final CountDownLatch inside = new CountDownLatch(1);
        final AtomicReference<byte[]> readInside = new AtomicReference<>();
        final AtomicBoolean erased = new AtomicBoolean();
        final AtomicBoolean quiescent = new AtomicBoolean();
        final Thread eraser = new Thread(() -> erased.set(store.erase(1)), "eraser");
        final Thread reader = new Thread(() -> store.read(1, message ->
        {
            inside.countDown();
            awaitCondition(() -> LockSupport.getBlocker(eraser) instanceof ReadGate);
            store.whileQuiescent(() -> quiescent.set(true));
            readInside.set(message.payload());
        }), "reader-inside");
        reader.start();
        await(inside);
        eraser.start();
        reader.join(HANG_GUARD_MILLIS);
        eraser.join(HANG_GUARD_MILLIS);
        assertThat(reader.isAlive() || eraser.isAlive()).as("neither waits for the other for ever").isFalse();

        assertThat(readInside.get()).isEqualTo(marker(1));
        assertThat(erased).isTrue();
        assertThat(store.load(1)).isNull();
        assertThat(quiescent).isTrue();
        assertThat(markerOnDisk(dir, 1)).isFalse();
        assertThat(markerOnDisk(dir, 2)).isTrue();
        store.close();
    }

    /**
     * An erase from inside a handler of the same store would wait for its own handler: it is refused, naming why,
     * before anything changed; the same erase after the handler returned goes through.
     */
    @ParameterizedTest
    @EnumSource(Reader.class)
    void anEraseFromInsideAHandlerOfTheStoreIsRefusedAndChangesNothing(final Reader kind)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            fill(store);
            final AtomicReference<Throwable> refused = new AtomicReference<>();
            final AtomicReference<byte[]> readAfter = new AtomicReference<>();
            kind.readFirst(store, message ->
            {
                try
                {
                    store.erase(message.seq());
                }
                catch (final Throwable ex)
                {
                    refused.set(ex);
                }
                // Nothing else needs the gate's grace: a state write from inside finishes no erasure, and returns.
                store.writeFullState();
                readAfter.set(message.payload());
            });
            assertThat(refused.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("erase-reading").hasMessageContaining("erase(1)").hasMessageContaining("handler");
            assertThat(readAfter.get()).isEqualTo(marker(1));
            assertThat(store.load(1).payload()).as("nothing changed").isEqualTo(marker(1));
            assertThat(store.state().msgs()).isEqualTo(COUNT);

            assertThat(store.erase(1)).as("after the handler returned").isTrue();
            assertThat(store.load(1)).isNull();
            assertThat(markerOnDisk(dir, 1)).isFalse();
        }
    }

    /**
     * A read made inside a handler takes the flyweights of a deeper context, while the count of handlers the thread is
     * inside stays in its own: an erase from a nested handler is refused, and so is one from a tailer's handler after
     * that tailer's first poll on the thread was made inside a read's handler (a tailer keeps the context it looked up
     * for its thread; had it kept the deeper one, its later polls would count nowhere the erase looks, and the erase
     * would wait for its own handler).
     */
    @Test
    void anEraseFromAHandlerNestedInAnotherOrFromATailerFirstPolledInsideOneIsRefused() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config()))
        {
            fill(store);
            final List<Throwable> refusals = new ArrayList<>();
            final Thread reader = new Thread(() ->
            {
                try (StreamTailer tailer = store.createTailer(1))
                {
                    assertThat(store.read(1, (outer) ->
                    {
                        assertThat(store.read(2, (inner) -> refusals.add(eraseRefusal(store, inner.seq())))).isTrue();
                        assertThat(tailer.poll((polled) -> refusals.add(eraseRefusal(store, polled.seq())), 1))
                            .isEqualTo(1);
                    })).isTrue();
                    assertThat(tailer.poll((polled) -> refusals.add(eraseRefusal(store, polled.seq())), 1))
                        .isEqualTo(1);
                }
            }, "nested-reader");
            reader.start();
            reader.join(HANG_GUARD_MILLIS);
            assertThat(reader.isAlive()).as("an erase waited for its own handler").isFalse();
            assertThat(refusals).hasSize(3).allSatisfy((refusal) ->
                assertThat(refusal).isInstanceOf(IllegalStateException.class).hasMessageContaining("handler"));
            assertThat(store.state().msgs()).as("nothing erased").isEqualTo(COUNT);
        }
    }

    private static Throwable eraseRefusal(final FileStreamStore store, final long seq)
    {
        try
        {
            store.erase(seq);
            return null;
        }
        catch (final IllegalStateException ex)
        {
            return ex;
        }
    }

    /**
     * The check is per store: a handler of one store erasing in another waits only for that one's readers.
     */
    @Test
    void aHandlerOfAnotherStoreMayErase()
    {
        try (FileStreamStore store = FileStreamStore.open(dir.resolve("read"), config());
            FileStreamStore other = FileStreamStore.open(dir.resolve("erased"), config()))
        {
            fill(store);
            fill(other);
            final AtomicBoolean erased = new AtomicBoolean();
            assertThat(store.read(1, message -> erased.set(other.erase(1)))).isTrue();
            assertThat(erased).isTrue();
            assertThat(other.load(1)).isNull();
            assertThat(markerOnDisk(dir.resolve("erased"), 1)).isFalse();
            assertThat(store.load(1).payload()).isEqualTo(marker(1));
        }
    }

    static StreamConfig config()
    {
        return StreamMode.PLAINTEXT.config(StreamConfig.builder("erase-reading").blockSize(4096).maxMsgSize(512));
    }

    static void fill(final FileStreamStore store)
    {
        for (int i = 1; i <= COUNT; i++)
        {
            assertThat(store.append("erase.reading", null, marker(i))).isEqualTo(i);
        }
        store.flush().join();
    }

    /** 64 bytes unlike anything else on disk. */
    static byte[] marker(final int i)
    {
        final StringBuilder text = new StringBuilder(String.format("READ-ERASE-MARKER-%04d-", i));
        while (text.length() < 64)
        {
            text.append((char)('A' + i % 26));
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @return whether marker {@code i} is in some file under {@code dir}.
     */
    static boolean markerOnDisk(final Path dir, final int i)
    {
        final String marker = new String(marker(i), StandardCharsets.ISO_8859_1);
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.filter(Files::isRegularFile).toList())
            {
                if (new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1).contains(marker))
                {
                    return true;
                }
            }
            return false;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Waits, with a deadline that only guards against a hang, until {@code condition} holds.
     */
    static void awaitCondition(final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting for a condition");
            }
            LockSupport.parkNanos(100_000);
        }
    }

    static void await(final CountDownLatch latch) throws InterruptedException
    {
        assertThat(latch.await(5, TimeUnit.MINUTES)).as("latch counted down before the hang guard").isTrue();
    }
}
