package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Block files are unmapped as soon as no reader can read them, not at some garbage collection, so a closed store, or a
 * block deleted by reclaim or a truncation, holds no page-cache memory and no disk space:
 * {@link FileStreamStore#close()} unmaps every block once no reader is inside ({@link ReadGate}); the flusher unmaps
 * the blocks that left the index once every reader inside when they left has gone, however many came in since, and a
 * block reclaim rewrote is then mapped only by its replacement; a read-only view unmaps the blocks it lets go of, and
 * all of them at its close. A reader still inside keeps them mapped, and readers racing the close get
 * {@link StoreClosedException}, never a fault. The mappings are read from {@code /proc/self/maps}.
 */
class BlockUnmapTest
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
            final List<SequenceTable> tables;
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
                tables = tablesOf(store.index().blocks());
                assertThat(tables).as("%s", mode).noneMatch(BlockUnmapTest::freed);
            }
            assertThat(blockMappings(streamDir)).as("%s: nothing of the blocks stays mapped after close", mode)
                .isEmpty();
            assertThat(tables).as("%s: every sequence table freed at close", mode).allMatch(BlockUnmapTest::freed);
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

    @Test
    void blocksReclaimDeletesAreUnmappedByTheNextFlushOnceNoReaderIsInside() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL));
            StreamTailer tailer = store.createTailer(1))
        {
            fill(store);
            assertThat(tailer.poll(this::check, MESSAGES)).as("every block mapped and followed").isEqualTo(MESSAGES);
            final List<Path> doomed = blockFilesBelow(store, 400);
            assertThat(doomed).as("blocks wholly below 400").hasSizeGreaterThan(2);
            final StreamTailer early = store.createTailer(1);
            assertThat(early.poll(this::check, 10)).as("holds the first block between polls").isEqualTo(10);

            // A reader inside (its handler waits) holds the gate: the deleted files stay mapped for it.
            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch leave = new CountDownLatch(1);
            final AtomicReference<String> readLate = new AtomicReference<>();
            final Thread reader = new Thread(() -> store.read(3, (MessageView message) ->
            {
                inside.countDown();
                awaitUninterruptibly(leave);
                readLate.set(new String(message.payload(), StandardCharsets.US_ASCII));
            }), "reader-inside");
            reader.start();
            awaitUninterruptibly(inside);
            final List<SequenceTable> doomedTables = tablesOf(blocksOf(store, doomed));
            store.compact(400);
            awaitDeleted(doomed);
            store.flush().join();
            store.flush().join();
            assertThat(deletedMappings(dir)).as("deleted, and still mapped for the reader inside").isNotEmpty();
            assertThat(doomedTables).as("not freed under the reader inside").noneMatch(BlockUnmapTest::freed);

            leave.countDown();
            reader.join();
            assertThat(readLate.get()).as("the reader inside read its deleted block's mapping").isEqualTo("m3");
            awaitUnmapped(store);
            // The cycle that unmapped frees the tables after; the next one starts once it ended.
            store.flush().join();
            assertThat(doomedTables).as("the deleted blocks' tables freed with their mappings")
                .allMatch(BlockUnmapTest::freed);
            assertThat(tablesOf(store.index().blocks())).as("the blocks still there").noneMatch(BlockUnmapTest::freed);

            // The tailer held a deleted block between polls: it carries on from the blocks still there.
            for (int i = MESSAGES + 1; i <= MESSAGES + 50; i++)
            {
                store.append("close.unmap", null, ("m" + i).getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(tailer.poll(this::check, 100)).isEqualTo(50);
            final List<Long> fromEarly = new ArrayList<>();
            assertThat(early.poll(message -> fromEarly.add(message.seq()), 1)).isEqualTo(1);
            assertThat(fromEarly).as("the tailer whose block was deleted and unmapped goes on after the cut")
                .containsExactly(400L);
            early.close();
            assertThat(store.load(400).seq()).isEqualTo(400);
            assertThat(store.load(399)).isNull();
        }
    }

    /**
     * Two readers whose handlers overlap keep the gate from ever showing nobody inside — what two threads reading with
     * 3 ms handlers did — on blocks that stay: the blocks a compaction deleted are unmapped and their tables freed all
     * the same, once each read that was inside when they left has returned. The overlap is made certain rather than
     * likely: a handler returns only once the other reader has entered a newer read.
     */
    @Test
    void readersWhoseHandlersOverlapDoNotKeepDeletedBlocksMapped() throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            fill(store);
            final List<Path> doomed = blockFilesBelow(store, 400);
            assertThat(doomed).as("blocks wholly below 400").hasSizeGreaterThan(2);
            final List<SequenceTable> doomedTables = tablesOf(blocksOf(store, doomed));

            final AtomicLong entries = new AtomicLong();
            final AtomicBoolean stop = new AtomicBoolean();
            final List<Throwable> failures = new ArrayList<>();
            final List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++)
            {
                final long seq = 500 + r;
                readers.add(new Thread(() ->
                {
                    try
                    {
                        while (!stop.get())
                        {
                            store.read(seq, (MessageView message) ->
                            {
                                final long entry = entries.incrementAndGet();
                                awaitCondition(() -> entries.get() > entry || stop.get());
                                check(message);
                            });
                        }
                    }
                    catch (final Throwable ex)
                    {
                        synchronized (failures)
                        {
                            failures.add(ex);
                        }
                    }
                }, "overlapping-reader-" + r));
            }
            readers.forEach(Thread::start);
            // From the second entry on, one reader is always inside: the other returns only after it entered.
            awaitCondition(() -> entries.get() >= 2);

            store.compact(400);
            awaitDeleted(doomed);
            awaitUnmapped(store);
            store.flush().join();
            assertThat(doomedTables).as("the deleted blocks' tables freed with their mappings")
                .allMatch(BlockUnmapTest::freed);
            assertThat(tablesOf(store.index().blocks())).as("the blocks still there").noneMatch(BlockUnmapTest::freed);
            final long entriesAtUnmap = entries.get();
            awaitCondition(() -> entries.get() > entriesAtUnmap + 2);
            assertThat(failures).as("the readers read on, inside throughout").isEmpty();

            stop.set(true);
            for (final Thread reader : readers)
            {
                reader.join();
            }
            assertThat(failures).isEmpty();
            assertThat(store.load(500).seq()).isEqualTo(500);
        }
    }

    @Test
    void aBlockReclaimRewroteIsMappedOnlyByItsReplacementAndReadsEveryKeptMessage()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL)))
        {
            final CountDownLatch rewritten = new CountDownLatch(1);
            store.reclaimSteps(step ->
            {
                if (step == ReclaimStep.REWRITE_STATE_WRITTEN)
                {
                    rewritten.countDown();
                }
            });
            fill(store);
            final MessageBlock sparse = store.index().blocks()[1];
            final long first = sparse.baseSeq();
            final long next = store.index().blocks()[2].baseSeq();
            final List<Long> kept = new ArrayList<>();
            for (long seq = first; seq < next; seq++)
            {
                if ((seq - first) % 20 == 0)
                {
                    kept.add(seq);
                }
                else
                {
                    assertThat(store.remove(seq)).isTrue();
                }
            }
            awaitUninterruptibly(rewritten);
            assertThat(store.index().blocks()[1]).as("the block was rewritten").isNotSameAs(sparse);
            awaitUnmapped(store);

            for (long seq = first; seq < next; seq++)
            {
                if (kept.contains(seq))
                {
                    assertThat(new String(store.load(seq).payload(), StandardCharsets.US_ASCII)).isEqualTo("m" + seq);
                }
                else
                {
                    assertThat(store.load(seq)).as("removed seq %d", seq).isNull();
                }
            }
            // The copy the rewrite was written into maps the same file, under its name since the rename.
            final String file = " " + sparse.file().toAbsolutePath();
            assertThat(blockMappings(dir)).filteredOn(line -> line.endsWith(file))
                .as("only the replacement, opened by the reads, maps the rewritten file").hasSize(1);
            assertThat(blockMappings(dir)).noneMatch(line -> line.contains(BlockRewriter.REWRITE_SUFFIX));
        }
        assertThat(blockMappings(dir)).isEmpty();
    }

    @Test
    void aTruncationsDeletedAndCutBlocksAreUnmappedAndAppendsCarryOn() throws Exception
    {
        for (final SyncMode mode : List.of(SyncMode.INTERVAL, SyncMode.NONE))
        {
            final Path streamDir = Files.createDirectory(dir.resolve(mode.name()));
            try (FileStreamStore store = FileStreamStore.open(streamDir, config(mode)))
            {
                fill(store);
                for (long seq = 1; seq <= MESSAGES; seq += 10)
                {
                    assertThat(store.load(seq)).isNotNull();
                }
                final List<Path> above = blockFilesAbove(store, 250);
                final List<MessageBlock> before = List.of(store.index().blocks());
                final List<SequenceTable> tablesBefore = tablesOf(store.index().blocks());
                store.truncate(250);
                awaitDeleted(above);
                awaitUnmapped(store);
                store.flush().join();
                final List<MessageBlock> after = List.of(store.index().blocks());
                for (int i = 0; i < before.size(); i++)
                {
                    assertThat(freed(tablesBefore.get(i))).as("%s: block %s's table freed once it left", mode,
                        before.get(i).file()).isEqualTo(!after.contains(before.get(i)));
                }
                assertThat(before.stream().filter(block -> !after.contains(block)).count())
                    .as("%s: the deleted blocks left, and the cut one if it was rewritten", mode)
                    .isGreaterThanOrEqualTo(above.size()).isPositive();
                for (int i = 251; i <= 400; i++)
                {
                    assertThat(store.append("close.unmap", null, ("m" + i).getBytes(StandardCharsets.US_ASCII)))
                        .isEqualTo(i);
                }
                for (long seq = 1; seq <= 400; seq++)
                {
                    assertThat(new String(store.load(seq).payload(), StandardCharsets.US_ASCII)).isEqualTo("m" + seq);
                }
            }
            assertThat(blockMappings(streamDir)).isEmpty();
        }
    }

    @Test
    void aViewUnmapsTheBlocksItLetsGoOfAndEveryBlockAtItsClose() throws Exception
    {
        final Path writerDir = Files.createDirectory(dir.resolve("followed"));
        try (FileStreamStore store = FileStreamStore.open(writerDir, config(SyncMode.INTERVAL)))
        {
            fill(store);
            final List<Path> doomed = blockFilesBelow(store, 400);
            try (StreamView view = FileStreamStore.openReadOnly(writerDir);
                StreamTailer tailer = view.createTailer(1))
            {
                assertThat(tailer.poll(this::check, MESSAGES)).isEqualTo(MESSAGES);
                store.compact(400);
                awaitDeleted(doomed);
                // The view lets go of its mappings at its next look; the writer of its own at its next flush.
                assertThat(view.load(450).seq()).isEqualTo(450);
                awaitUnmapped(store);
                assertThat(deletedMappings(writerDir)).as("neither the writer nor the view maps a deleted block")
                    .isEmpty();
            }
        }
        assertThat(blockMappings(writerDir)).as("closed writer and closed view").isEmpty();

        // Closed from inside a handler: the mappings go once the read that ran the handler returned.
        final StreamView view = FileStreamStore.openReadOnly(writerDir);
        final AtomicReference<String> readAfterClose = new AtomicReference<>();
        assertThat(view.read(450, message ->
        {
            view.close();
            readAfterClose.set(new String(message.payload(), StandardCharsets.US_ASCII));
        })).isTrue();
        assertThat(readAfterClose.get()).isEqualTo("m450");
        assertThat(blockMappings(writerDir)).as("unmapped when the read returned").isEmpty();
        assertThatThrownBy(() -> view.load(450)).isInstanceOf(StoreClosedException.class);
    }

    private static MessageBlock[] blocksOf(final FileStreamStore store, final List<Path> files)
    {
        return Arrays.stream(store.index().blocks()).filter(block -> files.contains(block.file()))
            .toArray(MessageBlock[]::new);
    }

    private static List<SequenceTable> tablesOf(final MessageBlock[] blocks)
    {
        final List<SequenceTable> tables = new ArrayList<>();
        for (final MessageBlock block : blocks)
        {
            tables.add(block.table());
        }
        return tables;
    }

    /**
     * @return whether the table's memory went back: a freed table holds no entry at all.
     */
    private static boolean freed(final SequenceTable table)
    {
        return table.endSeq() == table.baseSeq();
    }

    private static List<Path> blockFilesBelow(final FileStreamStore store, final long seq)
    {
        final List<Path> files = new ArrayList<>();
        final MessageBlock[] blocks = store.index().blocks();
        for (int i = 0; i + 1 < blocks.length && blocks[i + 1].baseSeq() <= seq; i++)
        {
            files.add(blocks[i].file());
        }
        return files;
    }

    private static List<Path> blockFilesAbove(final FileStreamStore store, final long seq)
    {
        final List<Path> files = new ArrayList<>();
        for (final MessageBlock block : store.index().blocks())
        {
            if (block.baseSeq() > seq)
            {
                files.add(block.file());
            }
        }
        return files;
    }

    /**
     * Waits, with a deadline, until every file of {@code files} is gone (the reclaimer deletes them on its thread).
     */
    private static void awaitDeleted(final List<Path> files)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (files.stream().anyMatch(Files::exists))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not deleted in time: " + files.stream().filter(Files::exists)
                    .collect(Collectors.toList()));
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Flushes until no deleted block file is mapped, with a deadline: a flush whose cycle met the reclaimer still in
     * its pass (holding the maintenance lock) leaves them for the next.
     */
    private static void awaitUnmapped(final FileStreamStore store)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!deletedMappings(store.directory()).isEmpty())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("still mapped: " + deletedMappings(store.directory()));
            }
            store.flush().join();
        }
    }

    private static List<String> deletedMappings(final Path streamDir)
    {
        return blockMappings(streamDir).stream().filter(line -> line.endsWith("(deleted)"))
            .collect(Collectors.toList());
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

    /**
     * Waits, with a deadline that only guards against a hang, until {@code condition} holds.
     */
    private static void awaitCondition(final BooleanSupplier condition)
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
