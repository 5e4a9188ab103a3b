package io.ferrite.engine;

import io.ferrite.store.MessageView;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link FileStreamStore#close()} unmaps the block files once no reader is inside them ({@link ReadGate}), so a closed
 * store holds none of their page-cache memory, nor the disk space of files deleted after the close; a reader still
 * inside keeps them mapped (left to the garbage collector), and readers racing the close get
 * {@link StoreClosedException}, never a fault. The mappings are read from {@code /proc/self/maps}.
 */
class CloseUnmapTest
{
    private static final Path MAPS = Path.of("/proc/self/maps");
    private static final int MESSAGES = 600;

    @TempDir
    Path dir;

    @BeforeEach
    void needsMaps()
    {
        assumeTrue(Files.isReadable(MAPS), "needs /proc/self/maps (Linux) to see which files the process maps");
    }

    @Test
    void closeUnmapsEveryBlockTheStoreMappedForWritingOrReading() throws IOException
    {
        for (final SyncMode mode : SyncMode.values())
        {
            final Path streamDir = Files.createDirectory(dir.resolve(mode.name()));
            try (FileStreamStore store = FileStreamStore.open(streamDir, config(mode)))
            {
                fill(store);
                assertThat(store.index().blocks().length).as("several blocks").isGreaterThan(3);
                for (long seq = 1; seq <= MESSAGES; seq += 50)
                {
                    assertThat(store.load(seq)).isNotNull();
                }
                try (StreamTailer tailer = store.createTailer(1))
                {
                    assertThat(tailer.poll(message -> { }, MESSAGES)).isEqualTo(MESSAGES);
                }
                assertThat(blockMappings(streamDir)).as("%s: mapped while open", mode).isNotEmpty();
            }
            assertThat(blockMappings(streamDir)).as("%s: nothing of the blocks stays mapped after close", mode)
                .isEmpty();
        }
    }

    @Test
    void aStoreReopenedAfterCloseReadsEverythingAgain()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            fill(store);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                assertThat(new String(store.load(seq).payload(), StandardCharsets.US_ASCII)).isEqualTo("m" + seq);
            }
        }
        assertThat(blockMappings(dir)).isEmpty();
    }

    @Test
    void aReaderThatStaysInsideItsHandlerKeepsTheMappingsAndReadsOnAfterTheClose() throws Exception
    {
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
        fill(store);
        store.unmapWait(TimeUnit.MILLISECONDS.toNanos(20));
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final AtomicReference<String> readAfterClose = new AtomicReference<>();
        final Thread reader = new Thread(() -> store.read(7, (MessageView message) ->
        {
            inside.countDown();
            awaitUninterruptibly(closed);
            readAfterClose.set(new String(message.payload(), StandardCharsets.US_ASCII));
        }), "reader-inside");
        reader.start();
        awaitUninterruptibly(inside);
        store.close();
        assertThat(blockMappings(dir)).as("left for the collector while a reader is inside").isNotEmpty();
        closed.countDown();
        reader.join();
        assertThat(readAfterClose.get()).as("the flyweight still reads the mapping").isEqualTo("m7");
        assertThatThrownBy(() -> store.load(7)).isInstanceOf(StoreClosedException.class);
    }

    @Test
    void aReaderThatLeavesWhileTheCloseWaitsLetsItUnmap() throws Exception
    {
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
        fill(store);
        store.unmapWait(TimeUnit.MINUTES.toNanos(5));
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final StreamTailer tailer = store.createTailer(1);
        final Thread reader = new Thread(() -> tailer.poll(message ->
        {
            inside.countDown();
            awaitUninterruptibly(leave);
        }, 1), "poll-inside");
        reader.start();
        awaitUninterruptibly(inside);
        final Thread closer = new Thread(store::close, "closer");
        closer.start();
        // The close has begun once it marked the store closed; it then waits at the gate for the poll.
        while (!store.isClosed())
        {
            Thread.onSpinWait();
        }
        assertThat(closer.isAlive()).as("the close waits for the poll inside").isTrue();
        leave.countDown();
        reader.join();
        closer.join();
        assertThat(blockMappings(dir)).isEmpty();
        assertThatThrownBy(() -> tailer.poll(message -> { }, 1)).isInstanceOf(StoreClosedException.class);
    }

    @Test
    void readersRacingTheCloseGetStoreClosedExceptionAndNeverAFault() throws Exception
    {
        final Random random = new Random(20261207L);
        for (int round = 0; round < 20; round++)
        {
            final Path streamDir = Files.createDirectory(dir.resolve("round-" + round));
            final FileStreamStore store = FileStreamStore.open(streamDir, config(SyncMode.INTERVAL));
            fill(store);
            final int readers = 3;
            final CyclicBarrier started = new CyclicBarrier(readers + 1);
            final List<Thread> threads = new ArrayList<>();
            final List<Throwable> endings = new ArrayList<>();
            final AtomicLong reads = new AtomicLong();
            for (int r = 0; r < readers; r++)
            {
                final long seed = random.nextLong();
                final boolean tails = r == 0;
                threads.add(new Thread(() ->
                {
                    final Random seqs = new Random(seed);
                    try
                    {
                        started.await();
                        final StreamTailer tailer = store.createTailer(1);
                        while (true)
                        {
                            if (tails)
                            {
                                if (tailer.poll(this::check, 16) == 0)
                                {
                                    tailer.seek(1);
                                }
                            }
                            else
                            {
                                store.read(1 + seqs.nextInt(MESSAGES), this::check);
                            }
                            reads.incrementAndGet();
                        }
                    }
                    catch (final Throwable ex)
                    {
                        synchronized (endings)
                        {
                            endings.add(ex);
                        }
                    }
                }, "racing-reader-" + r));
            }
            threads.forEach(Thread::start);
            started.await();
            // Close while every reader is well into its loop, and some reads are in flight.
            final long wanted = 100L * readers + random.nextInt(1000);
            while (reads.get() < wanted)
            {
                Thread.onSpinWait();
            }
            store.close();
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertThat(endings).as("round %d: each reader ended by the close", round).hasSize(readers)
                .allSatisfy(ex -> assertThat(ex).isInstanceOf(StoreClosedException.class));
            assertThat(blockMappings(streamDir)).as("round %d", round).isEmpty();
        }
    }

    private void check(final MessageView message)
    {
        final String payload = new String(message.payload(), StandardCharsets.US_ASCII);
        if (!payload.equals("m" + message.seq()))
        {
            throw new AssertionError("seq " + message.seq() + " read as " + payload);
        }
    }

    private static void fill(final FileStreamStore store)
    {
        for (int i = 1; i <= MESSAGES; i++)
        {
            store.append("close.unmap", null, ("m" + i).getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("unmap").blockSize(8192).maxMsgSize(512).syncMode(mode).build();
    }

    /**
     * @return the lines of {@code /proc/self/maps} that map a file under {@code streamDir}'s {@code blocks}.
     */
    private static List<String> blockMappings(final Path streamDir)
    {
        final String blocks = streamDir.resolve("blocks").toString();
        try
        {
            return Files.readAllLines(MAPS).stream().filter(line -> line.contains(blocks))
                .collect(Collectors.toList());
        }
        catch (final IOException ex)
        {
            throw new AssertionError("cannot read " + MAPS, ex);
        }
    }

    private static void awaitUninterruptibly(final CountDownLatch latch)
    {
        try
        {
            if (!latch.await(5, TimeUnit.MINUTES))
            {
                throw new AssertionError("timed out waiting for a latch");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }
}
