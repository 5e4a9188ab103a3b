package io.ferrite.engine.block;

import io.ferrite.engine.agent.AgentHost;
import io.ferrite.engine.agent.Uninterruptibles;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The preallocator's agent keeps blocks prepared ahead of the appender, hands them to {@code take()} in order, falls
 * back to the append path when it could not, and leaves neither a file nor a thread behind at close. A directory that
 * is not empty where a file should be makes a preparation fail the same way on every machine (an unwritable directory
 * would not: the tests may run as root; an empty one would be deleted by the failed attempt). The timeout only stops
 * a hang.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockPreallocatorTest
{
    private static final int BLOCK_SIZE = 256 << 10;
    private static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(30);

    @TempDir
    Path blocks;
    private final List<BlockFile.Prepared> taken = new ArrayList<>();
    /** Files forced through {@link #io}, in order. */
    private final List<Path> forced = new CopyOnWriteArrayList<>();
    private final StorageIO io = preparingIo(forced::add);

    @AfterEach
    void releaseTaken() throws IOException
    {
        for (final BlockFile.Prepared prepared : taken)
        {
            prepared.channel().close();
            IoUtil.unmap(prepared.mapped());
            IoUtil.unmap(prepared.readMapped());
        }
    }

    @Test
    void blocksPreparedAheadAreTakenInOrderAndEachTakeIsReplaced() throws Exception
    {
        try (BlockPreallocator preallocator = preallocator(2, "take"))
        {
            preallocator.prepareNext(5000, 0, 0);
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            assertThat(preallocator.preparedAhead()).isEqualTo(2);
            assertThat(thread("take")).as("the agent's daemon thread").isNotNull()
                .satisfies((thread) -> assertThat(thread.isDaemon()).isTrue());
            assertThat(forced).as("each file forced before it was handed over")
                .containsExactly(file(0), file(1));

            final PreparedBlock first = take(preallocator);
            assertPrepared(first, 0);
            assertThat(first.sequenceOffsets().capacity()).as("5000 entries of an int").isEqualTo(5000 * Integer.BYTES);
            assertThat(first.sequenceOffsets().byteArray()).as("off the heap").isNull();
            for (int entry = 0; entry < 5000; entry++)
            {
                assertThat(first.sequenceOffsets().getInt(entry * Integer.BYTES)).isZero();
            }
            assertThat(first.blockArray()).hasSize(1);
            // What a roll does: the file becomes a block, then the agent is told to make up for it.
            Files.move(first.file().temp(), blocks.resolve("1.blk"));
            preallocator.prepareNext(6000, 0, 1);
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            assertThat(preallocator.preparedAhead()).isEqualTo(2);

            final PreparedBlock second = take(preallocator);
            assertPrepared(second, 1);
            assertThat(second.file().mapped()).isNotSameAs(first.file().mapped());
            // Made before the hints changed: sized by those it was prepared under (a block array of 0 + 1 ahead + 1).
            assertThat(second.blockArray()).hasSize(2);
            Files.move(second.file().temp(), blocks.resolve("2.blk"));
            preallocator.prepareNext(6000, 0, 2);

            final PreparedBlock third = take(preallocator);
            assertPrepared(third, 2);
            Files.move(third.file().temp(), blocks.resolve("3.blk"));
            preallocator.prepareNext(6000, 0, 3);
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            // The names cycle: the fourth takes the first's name, free since its rename.
            assertPrepared(take(preallocator), 0);
        }
    }

    @Test
    void aRollThatFindsTheAgentFarFromDonePreparesABlockItselfAndTakesTheAgentsNext() throws Exception
    {
        final CountDownLatch forcing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        // The agent is held at the start of its block (its size force): it has made none of it.
        final StorageIO held = preparingIo((file) ->
        {
            forced.add(file);
            if (file.equals(file(0)))
            {
                forcing.countDown();
                Uninterruptibles.await(release);
            }
        });
        try (BlockPreallocator preallocator = new BlockPreallocator(blocks, BLOCK_SIZE, 1, held, "inline"))
        {
            preallocator.prepareNext(5000, 8, 2);
            forcing.await();

            final PreparedBlock inline = take(preallocator);

            assertPrepared(inline, 2);
            assertThat(forced).as("its size forced like the agent's").containsExactly(file(0), file(2));
            assertThat(inline.sequenceOffsets().capacity()).as("5000 entries of an int")
                .isEqualTo(5000 * Integer.BYTES);
            assertThat(inline.sequenceOffsets().byteArray()).as("off the heap").isNull();
            assertThat(inline.blockArray()).as("one longer than the store's 2").hasSize(3);
            assertThat(inline.subjects()).isNotNull();
            assertThat(preallocator.preparedInline()).isEqualTo(1);
            assertThat(preallocator.preparedAhead()).as("the agent's block is still to come").isZero();
            Files.move(inline.file().temp(), blocks.resolve("1.blk"));

            release.countDown();
            preallocator.prepareNext(5000, 8, 3);
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            assertPrepared(take(preallocator), 0);
            assertThat(preallocator.preparedInline()).as("the agent's block was waited for, not made again")
                .isEqualTo(1);
        }
        finally
        {
            release.countDown();
        }
    }

    @Test
    void aRollWhoseOwnPreparationFailsWaitsForTheAgentsBlock() throws Exception
    {
        final CountDownLatch forcing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final StorageIO held = preparingIo((file) ->
        {
            forcing.countDown();
            Uninterruptibles.await(release);
        });
        try (BlockPreallocator preallocator = new BlockPreallocator(blocks, BLOCK_SIZE, 1, held, "inline-fails"))
        {
            blockWith(file(2));
            preallocator.prepareNext();
            forcing.await();
            // The agent is let go once the roll, its own preparation failed, waits for the agent's block.
            releaseOnceWaiting(Thread.currentThread(), release);

            assertPrepared(take(preallocator), 0);
            assertThat(preallocator.preparedInline()).isZero();
            unblock(file(2));
        }
        finally
        {
            release.countDown();
        }
    }

    @Test
    void anInterruptedRollWaitsForTheAgentsBlockInsteadOfPreparingOneOnItsThread() throws Exception
    {
        final CountDownLatch forcing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        // The agent is held at the start of its block: it has made none of it.
        final StorageIO held = preparingIo((file) ->
        {
            if (file.equals(file(0)))
            {
                forcing.countDown();
                Uninterruptibles.await(release);
            }
        });
        try (BlockPreallocator preallocator = new BlockPreallocator(blocks, BLOCK_SIZE, 1, held, "interrupted"))
        {
            preallocator.prepareNext(100, 1, 1);
            forcing.await();
            // Its channel calls would fail with ClosedByInterruptException: the roll waits, and the agent is let go
            // once it does.
            releaseOnceWaiting(Thread.currentThread(), release);
            Thread.currentThread().interrupt();
            final PreparedBlock block;
            try
            {
                block = take(preallocator);
            }
            finally
            {
                assertThat(Thread.interrupted()).as("the flag left as it was found").isTrue();
                release.countDown();
            }
            assertPrepared(block, 0);
            assertThat(preallocator.preparedInline()).isZero();
        }
        finally
        {
            release.countDown();
        }
    }

    /**
     * Count {@code release} down once {@code roll} waits in {@code take()} for the agent's block.
     */
    private static void releaseOnceWaiting(final Thread roll, final CountDownLatch release)
    {
        final Thread releaser = new Thread(() ->
        {
            while (Arrays.stream(roll.getStackTrace())
                .noneMatch((frame) -> frame.getMethodName().equals("awaitPrepared")))
            {
                Thread.onSpinWait();
            }
            release.countDown();
        }, "releaser");
        releaser.setDaemon(true);
        releaser.start();
    }

    @Test
    void aRollPreparesItselfOnlyWhileTheAgentIsShortOfHalfTheBlock()
    {
        final int blockSize = 8 << 20;
        assertThat(BlockPreallocator.worthPreparingInline(0, blockSize)).isTrue();
        assertThat(BlockPreallocator.worthPreparingInline(blockSize / 2 - 4096, blockSize)).isTrue();
        assertThat(BlockPreallocator.worthPreparingInline(blockSize / 2, blockSize)).isFalse();
        assertThat(BlockPreallocator.worthPreparingInline(blockSize, blockSize)).isFalse();
    }

    @Test
    void theAgentPreparesInTheRangesItsFolioPolicyChooses() throws Exception
    {
        final int blockSize = 2 * FolioPolicy.LARGE_RANGE;
        final FolioPolicy fast = fastStreamWhereLargeFoliosMap(blockSize);
        try (BlockPreallocator preallocator = withAgent(blockSize, "folios", new FollowerCount(), fast))
        {
            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            final PreparedBlock prepared = take(preallocator);
            // Whole folios when memory allows; one is proof enough that the zeros went in 2 MiB writes.
            assertThat(ProcessMappings.pmdMappedKiB(prepared.file().mapped(), prepared.file().temp()))
                .as("large folios").isPositive();
        }
    }

    @Test
    void theAgentTouchesTheReadersMappingOnlyWhileATailerFollows() throws Exception
    {
        assumeTrue(ProcessMappings.AVAILABLE, ProcessMappings.UNAVAILABLE);
        final FollowerCount followers = new FollowerCount();
        try (BlockPreallocator preallocator = withAgent(BLOCK_SIZE, "followers", followers, FolioPolicy.small()))
        {
            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            // The tailer comes before the take: the take lets the agent start the next block at once, and every step
            // of it must see the tailer.
            followers.opened();
            final PreparedBlock unfollowed = take(preallocator);
            assertThat(ProcessMappings.residentKiB(unfollowed.file().readMapped(), unfollowed.file().temp()))
                .as("prepared with no tailer: readers' pages left alone").isZero();
            Files.move(unfollowed.file().temp(), blocks.resolve("1.blk"));

            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            final PreparedBlock followed = take(preallocator);
            assertThat(ProcessMappings.residentKiB(followed.file().readMapped(), followed.file().temp()))
                .as("a tailer follows: every page touched for it").isEqualTo(BLOCK_SIZE / 1024);
        }
    }

    @Test
    void aBlockPreparedInSmallStepsForAFollowerIsTimedAndTheNextOfAFastStreamGetsLargeFolios() throws Exception
    {
        final int blockSize = 2 * FolioPolicy.LARGE_RANGE;
        // A block filled in a nanosecond: whatever time the agent spends on a block is more than half of that.
        final FolioPolicy folios = fastStreamWhereLargeFoliosMap(blockSize);
        final FollowerCount followers = new FollowerCount();
        followers.opened();
        try (BlockPreallocator preallocator = withAgent(blockSize, "timed", followers, folios))
        {
            assertThat(folios.rangeBytes(true)).as("no block prepared for a follower yet").isEqualTo(
                FolioPolicy.SMALL_RANGE);
            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            final PreparedBlock small = take(preallocator);
            assertThat(ProcessMappings.pmdMappedKiB(small.file().mapped(), small.file().temp()))
                .as("small folios").isZero();
            assertThat(ProcessMappings.residentKiB(small.file().readMapped(), small.file().temp()))
                .as("touched for the tailer").isEqualTo(blockSize / 1024);
            final long reported = folios.followedBlockNanos();
            assertThat(reported).as("its time was reported").isPositive();
            assertThat(folios.rangeBytes(true)).isEqualTo(FolioPolicy.LARGE_RANGE);
            Files.move(small.file().temp(), blocks.resolve("1.blk"));

            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            final PreparedBlock large = take(preallocator);
            assertThat(ProcessMappings.pmdMappedKiB(large.file().mapped(), large.file().temp()))
                .as("large folios, though followed").isPositive();
            assertThat(ProcessMappings.residentKiB(large.file().readMapped(), large.file().temp()))
                .as("touched for the tailer").isEqualTo(blockSize / 1024);
            assertThat(folios.followedBlockNanos()).as("a block made in large steps reports no time")
                .isEqualTo(reported);
        }
    }

    @Test
    void theAgentUnmapsAWriterRetiredAtARollAndWithoutAnAgentTheRollUnmapsIt() throws Exception
    {
        assumeTrue(ProcessMappings.AVAILABLE, ProcessMappings.UNAVAILABLE);
        try (BlockPreallocator preallocator = preallocator(1, "retire"))
        {
            final PreparedBlock notStarted = take(preallocator);
            final Path notStartedFile = notStarted.file().temp();
            preallocator.retireWriter(notStarted.file().mapped());
            assertThat(ProcessMappings.residentKiB(notStarted.file().mapped(), notStartedFile))
                .as("no agent yet: unmapped at once").isEqualTo(-1);
            Files.move(notStartedFile, blocks.resolve("0.blk"));

            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            final PreparedBlock first = take(preallocator);
            final Path firstFile = Files.move(first.file().temp(), blocks.resolve("1.blk"));
            preallocator.retireWriter(first.file().mapped());
            // What a roll does next: wake the agent, which unmaps before anything else.
            preallocator.prepareNext();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ProcessMappings.residentKiB(first.file().mapped(), firstFile) != -1 && System.nanoTime() < deadline)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            assertThat(ProcessMappings.residentKiB(first.file().mapped(), firstFile)).as("unmapped by the agent")
                .isEqualTo(-1);
            assertThat(ProcessMappings.residentKiB(first.file().readMapped(), firstFile))
                .as("the readers' mapping stays").isNotEqualTo(-1);
        }
    }

    @Test
    void closeDeletesEveryPreparedFileNobodyTookAndStopsTheThread() throws Exception
    {
        final BlockPreallocator preallocator = preallocator(3, "untaken");
        preallocator.prepareNext();
        assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
        assertThat(preparedFiles()).hasSize(3);
        final Thread thread = thread("untaken");
        assertThat(thread).isNotNull();

        preallocator.close();

        assertThat(preparedFiles()).isEmpty();
        thread.join(JOIN_MILLIS);
        assertThat(thread.isAlive()).as("%s after close", thread.getName()).isFalse();
        assertThat(thread("untaken")).isNull();
    }

    @Test
    void closeWhileBlocksAreBeingPreparedLeavesNoFileAndNoThread() throws Exception
    {
        final BlockPreallocator preallocator = preallocator(4, "asked");
        preallocator.prepareNext();
        final Thread thread = thread("asked");

        // Whether the agent prepared none, some or all of them, close leaves nothing behind.
        preallocator.close();

        assertThat(preparedFiles()).isEmpty();
        assertThat(thread).isNotNull();
        thread.join(JOIN_MILLIS);
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void closeWhileABlockIsHalfPreparedRemovesItsFile() throws Exception
    {
        final CountDownLatch forcing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final StorageIO held = preparingIo((file) ->
        {
            forcing.countDown();
            Uninterruptibles.await(release);
        });
        // Many ranges: after the held force returns, the agent prepares one range and then sees the close.
        final int blockSize = 64 * FolioPolicy.SMALL_RANGE;
        final BlockPreallocator preallocator = new BlockPreallocator(blocks, blockSize, 1, held, "half");
        preallocator.prepareNext();
        forcing.await();
        assertThat(preparedFiles()).containsExactly(file(0));

        final Thread closer = new Thread(preallocator::close, "closer");
        closer.start();
        // close() marks the preallocator closed before it waits for the agent's thread to stop.
        while (closer.getState() != Thread.State.WAITING && closer.getState() != Thread.State.TIMED_WAITING)
        {
            Thread.onSpinWait();
        }
        release.countDown();
        closer.join(JOIN_MILLIS);

        assertThat(closer.isAlive()).isFalse();
        assertThat(preparedFiles()).as("the unfinished file").isEmpty();
        assertThat(preallocator.preparedAhead()).isZero();
    }

    @Test
    void aFailureAfterTheFileIsCompleteStillRemovesIt() throws Exception
    {
        final BlockPreallocator preallocator = preallocator(1, "arrays");
        // A block count no array can have: the file is complete, then making the block array fails.
        preallocator.prepareNext(1000, 0, -10);
        assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.FAILED);
        assertThat(forced).as("the file was made before the failure").containsExactly(file(0));
        assertThat(preparedFiles()).as("and removed with it").isEmpty();

        assertThatThrownBy(preallocator::close).isInstanceOf(StoreException.class)
            .hasMessageContaining("failed unexpectedly").hasMessageContaining(file(0).toString());
        assertThat(preparedFiles()).isEmpty();
    }

    @Test
    void aFailedBackgroundAttemptIsMadeAgainOnTheAppendPathAndTheAgentCarriesOn() throws Exception
    {
        try (BlockPreallocator preallocator = preallocator(2, "fallback"))
        {
            blockWith(file(0));
            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.FAILED);
            assertThat(preallocator.preparedAhead()).as("nothing more prepared behind a failure").isEqualTo(1);
            unblock(file(0));

            final PreparedBlock prepared = take(preallocator);

            assertPrepared(prepared, 0);
            assertThat(prepared.sequenceOffsets()).as("made on the append path").isNull();
            Files.move(prepared.file().temp(), blocks.resolve("1.blk"));
            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            assertPrepared(take(preallocator), 1);
        }
    }

    @Test
    void whenTheAppendPathFailsTooTheErrorNamesTheFile() throws Exception
    {
        try (BlockPreallocator preallocator = preallocator(1, "failing"))
        {
            blockWith(file(0));
            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.FAILED);

            assertThatThrownBy(preallocator::take).isInstanceOf(StoreIOException.class)
                .hasMessageContaining("allocate block file").hasMessageContaining(file(0).toString());

            // The failure was handed over: the agent prepares the next block as usual, under the next name.
            preallocator.prepareNext();
            assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.READY);
            assertPrepared(take(preallocator), 1);
        }
    }

    @Test
    void closeAfterAFailureNobodyTookReportsNothingTheNextRollWouldNot() throws Exception
    {
        final BlockPreallocator preallocator = preallocator(2, "failedUntaken");
        blockWith(file(0));
        preallocator.prepareNext();
        assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.FAILED);

        // A StoreException the background met is the next roll's to report; with no roll, close logs it.
        preallocator.close();

        assertThat(file(0)).isDirectory();
        assertThat(thread("failedUntaken")).isNull();
    }

    @Test
    void closeThrowsABackgroundFailureNoRollExpectsNamingTheFile() throws Exception
    {
        // A length no file can be mapped with: an IllegalArgumentException, not a StoreException a roll would expect.
        final BlockPreallocator preallocator = new BlockPreallocator(blocks, -1, 2, io, "unexpected");
        preallocator.prepareNext();
        assertThat(preallocator.awaitBackground()).isEqualTo(BlockPreallocator.FAILED);
        final Thread thread = thread("unexpected");

        assertThatThrownBy(preallocator::close).isInstanceOf(StoreException.class)
            .hasMessageContaining(file(0).toString()).hasCauseInstanceOf(IllegalArgumentException.class);

        assertThat(preparedFiles()).isEmpty();
        assertThat(thread).isNotNull();
        thread.join(JOIN_MILLIS);
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void filesACrashLeftPreparedAreRemovedAtStart() throws Exception
    {
        final Path first = Files.write(file(0), new byte[100]);
        final Path other = Files.write(blocks.resolve("00000000000000000007.blk.creating"), new byte[100]);
        try (BlockPreallocator ignored = preallocator(2, "leftover"))
        {
            assertThat(first).doesNotExist();
            assertThat(other).doesNotExist();
        }
    }

    @Test
    void depthMustBePositive()
    {
        assertThatThrownBy(() -> new BlockPreallocator(blocks, BLOCK_SIZE, 0, io, "zero"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("depth");
    }

    /**
     * What a preparation may ask of its {@link StorageIO}: forcing the file, after {@code beforeForce} saw it; never a
     * block range, never a directory.
     */
    private static StorageIO preparingIo(final Consumer<Path> beforeForce)
    {
        return new StorageIO()
        {
            @Override
            public void forceBlock(final Path file, final FileChannel channel, final MappedByteBuffer mapped,
                final int from, final int to, final boolean metadata)
            {
                throw new AssertionError("a preparation forces files, not block ranges");
            }

            @Override
            public void forceFile(final Path file, final FileChannel channel) throws IOException
            {
                beforeForce.accept(file);
                StorageIO.standard().forceFile(file, channel);
            }

            @Override
            public void syncDirectory(final Path dir)
            {
                throw new AssertionError("a preparation syncs no directory");
            }
        };
    }

    /**
     * @return the folio policy of a stream that filled a block of {@code blockSize} in a nanosecond, after skipping the
     * test unless this machine maps a 2 MiB page-cache folio with one entry and shows it in {@code /proc/self/smaps}.
     */
    private FolioPolicy fastStreamWhereLargeFoliosMap(final int blockSize) throws IOException
    {
        assumeTrue(ProcessMappings.AVAILABLE, ProcessMappings.UNAVAILABLE);
        assumeTrue(BlockPreparationTest.rawLargeFolioIsPmdMapped(blocks.resolve("raw"), blockSize),
            "this kernel or file system does not map a 2 MiB page-cache folio with one entry");
        final FolioPolicy fast = FolioPolicy.of(StreamConfig.builder("folios").syncMode(SyncMode.NONE)
            .blockSize(blockSize).build());
        fast.onRoll(0, 0);
        fast.onRoll(1, blockSize);
        return fast;
    }

    private BlockPreallocator preallocator(final int depth, final String stream)
    {
        return new BlockPreallocator(blocks, BLOCK_SIZE, depth, io, stream);
    }

    /**
     * @return a preallocator of depth 1 whose agent runs on a thread of its own.
     */
    private BlockPreallocator withAgent(
        final int blockSize, final String stream, final FollowerCount followers, final FolioPolicy folios)
    {
        return new BlockPreallocator(blocks, blockSize, 1, io, stream,
            AgentHost.dedicated(LoggerFactory.getLogger(BlockPreallocatorTest.class)), followers, folios);
    }

    private Path file(final int index)
    {
        return blocks.resolve(BlockPreallocator.preparedFileName(index));
    }

    private List<Path> preparedFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(blocks))
        {
            return files.filter((path) -> path.getFileName().toString().endsWith(BlockFile.TEMP_SUFFIX)).toList();
        }
    }

    /**
     * Make every preparation of {@code file} fail: a directory that is not empty can neither be opened as a file nor
     * deleted.
     */
    private static void blockWith(final Path file) throws IOException
    {
        Files.write(Files.createDirectory(file).resolve("occupied"), new byte[1]);
    }

    private static void unblock(final Path file) throws IOException
    {
        Files.delete(file.resolve("occupied"));
        Files.delete(file);
    }

    private PreparedBlock take(final BlockPreallocator preallocator)
    {
        final PreparedBlock prepared = preallocator.take();
        taken.add(prepared.file());
        return prepared;
    }

    private void assertPrepared(final PreparedBlock prepared, final int fileIndex) throws IOException
    {
        assertThat(prepared.file().temp()).isEqualTo(file(fileIndex));
        assertThat(prepared.file().channel().size()).isEqualTo(BLOCK_SIZE);
        assertThat(prepared.file().mapped().capacity()).isEqualTo(BLOCK_SIZE);
        assertThat(prepared.file().sizeForced()).isTrue();
    }

    /**
     * @return the live thread of the preallocator of stream {@code stream}, or null.
     */
    private static Thread thread(final String stream)
    {
        final String name = "ferrite-preallocator-" + stream;
        return Thread.getAllStackTraces().keySet().stream()
            .filter((thread) -> thread.getName().equals(name) && thread.isAlive()).findFirst().orElse(null);
    }
}
