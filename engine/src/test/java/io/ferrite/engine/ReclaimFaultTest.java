package io.ferrite.engine;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static io.ferrite.engine.PurgeCompactTruncateTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A reclaim pass that fails does not stop reclaiming (before, the reclaim thread ended at the first failure, and in
 * {@code INTERVAL} and {@code NONE} no purge gave space back until the next open). A fault is injected where a pass
 * deletes emptied blocks (the sync of the stream directory after {@code state.db} is set aside) or rewrites a sparse
 * one (the force of the rewrite): the failure must show in {@code stats()}, naming the file, the pass must be retried,
 * and once the fault clears the space must come back without a reopen, with nothing lost.
 */
class ReclaimFaultTest
{
    private static final int BLOCK_SIZE = 16 << 10;
    private static final String INJECTED = "injected: I/O error";

    @TempDir
    Path root;

    enum Fault
    {
        /** Deleting emptied blocks: the stream directory's sync after state.db was set aside fails. */
        DELETE,
        /** Rewriting a sparse block: the force of the rewritten file fails. */
        REWRITE
    }

    static Stream<Arguments> faults()
    {
        return Arrays.stream(Fault.values()).flatMap((fault) -> Arrays.stream(SyncMode.values())
            .map((mode) -> Arguments.of(fault, mode)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("faults")
    void aFailedPassIsRetriedAndTheSpaceComesBackOnceTheFaultClears(final Fault fault, final SyncMode mode)
    {
        final Path dir = root.resolve("s");
        final FaultyIO io = new FaultyIO(dir, fault);
        final StreamConfig config = StreamConfig.builder("faults").blockSize(BLOCK_SIZE).maxMsgSize(1024)
            .syncMode(mode).syncInterval(Duration.ofMillis(20)).build();
        final SplittableRandom random = new SplittableRandom(0x5EC1A1L);
        final long kept;
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            for (int i = 0; i < 200; i++)
            {
                store.append("m." + (i % 4), null, new byte[300 + random.nextInt(200)]);
            }
            store.flush().join();
            final Map<Path, Long> before = blockSizes(dir);
            assertThat(before).hasSizeGreaterThan(4);

            io.failing(true);
            removeWhileFailing(store, fault, mode);
            await("a reclaim pass failed, and its retry too (" + fault + ", " + mode + ")",
                () -> store.stats().reclaimFailures() >= 2);
            final StoreStats failed = store.stats();
            assertThat(failed.reclaimFailure()).as("the failure in stats: %s", failed).isPresent();
            assertThat(failed.reclaimFailure().get()).contains(INJECTED).contains(io.failingPath().toString());
            assertThat(blockSizes(dir)).as("no space back while the fault lasts").containsAllEntriesOf(before);

            io.failing(false);
            await("space back once the fault cleared (" + fault + ", " + mode + ")", () ->
                !blockSizes(dir).entrySet().containsAll(before.entrySet()) &&
                store.stats().reclaimFailure().isEmpty());
            final long failures = store.stats().reclaimFailures();
            assertThat(io.failures()).as("injected faults hit").isEqualTo((int)failures);

            // Reclaiming works as before: a later purge's blocks go too, with no new failure.
            for (int i = 0; i < 100; i++)
            {
                store.append("m.late", null, new byte[400]);
            }
            store.purge("m.late", 0, 0);
            store.compact(store.state().lastSeq() + 1);
            await("a later compaction's blocks deleted", () -> blockFiles(dir) == 1);
            assertThat(store.stats().reclaimFailures()).isEqualTo(failures);
            kept = store.append("m.last", null, new byte[10]);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).isEmpty();
            assertThat(store.state().msgs()).isEqualTo(1);
            assertThat(store.load(kept)).isNotNull();
        }
    }

    /**
     * DELETE: a purge empties every block; REWRITE: removals thin the second block out to a few messages. In
     * {@code ALWAYS} the purge reclaims on the caller's thread, so the caller gets the failure as well.
     */
    private static void removeWhileFailing(final FileStreamStore store, final Fault fault, final SyncMode mode)
    {
        if (fault == Fault.DELETE)
        {
            if (mode == SyncMode.ALWAYS)
            {
                assertThatThrownBy(store::purge).isInstanceOf(StoreIOException.class).hasMessageContaining(INJECTED);
            }
            else
            {
                assertThat(store.purge()).isEqualTo(200);
            }
            return;
        }
        final long second = firstSeqOfBlock(store, 1);
        final long third = firstSeqOfBlock(store, 2);
        for (long seq = second; seq < third - 3; seq++)
        {
            assertThat(store.remove(seq)).isTrue();
        }
    }

    /**
     * @return the base sequence of the block file at {@code position} in id order, from its header.
     */
    private static long firstSeqOfBlock(final FileStreamStore store, final int position)
    {
        try (Stream<Path> files = Files.list(store.directory().resolve("blocks")))
        {
            final Path block = files.filter((p) -> p.toString().endsWith(BlockDescriptor.FILE_SUFFIX)).sorted()
                .toList().get(position);
            return ByteBuffer.wrap(Files.readAllBytes(block)).order(ByteOrder.LITTLE_ENDIAN)
                .getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static long blockFiles(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((p) -> p.toString().endsWith(BlockDescriptor.FILE_SUFFIX)).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @return each block file's length, by path.
     */
    private static Map<Path, Long> blockSizes(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            final Map<Path, Long> sizes = new TreeMap<>();
            for (final Path file : files.filter((p) -> p.toString().endsWith(BlockDescriptor.FILE_SUFFIX)).toList())
            {
                try
                {
                    sizes.put(file, Files.size(file));
                }
                catch (final NoSuchFileException ex)
                {
                    // The reclaimer deleted it between the listing and here: it is gone, so it has no size.
                }
            }
            return sizes;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The disk, with one fault that only a reclaim pass meets, so the flusher (whose failures are for good) never
     * sees it: the sync of the stream directory (the flusher syncs only {@code blocks}; the test writes no state while
     * failing), or the force of a {@code .rewrite} file (the flusher forces only block files in the index).
     */
    private static final class FaultyIO implements StorageIO
    {
        private final StorageIO disk = StorageIO.standard();
        private final Path streamDir;
        private final Fault fault;
        private final AtomicInteger failures = new AtomicInteger();
        private volatile boolean failing;
        private volatile Path failingPath;

        FaultyIO(final Path streamDir, final Fault fault)
        {
            this.streamDir = streamDir.toAbsolutePath().normalize();
            this.fault = fault;
            this.failingPath = this.streamDir;
        }

        void failing(final boolean on)
        {
            failing = on;
        }

        Path failingPath()
        {
            return failingPath;
        }

        int failures()
        {
            return failures.get();
        }

        @Override
        public void forceBlock(
            final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
            final boolean metadata) throws IOException
        {
            if (failing && fault == Fault.REWRITE && file.getFileName().toString().endsWith(".rewrite"))
            {
                failingPath = file;
                failures.incrementAndGet();
                throw new IOException(INJECTED);
            }
            disk.forceBlock(file, channel, mapped, from, to, metadata);
        }

        @Override
        public void forceFile(final Path file, final FileChannel channel) throws IOException
        {
            disk.forceFile(file, channel);
        }

        @Override
        public void syncDirectory(final Path dir) throws IOException
        {
            if (failing && fault == Fault.DELETE && dir.toAbsolutePath().normalize().equals(streamDir))
            {
                failures.incrementAndGet();
                throw new IOException(INJECTED);
            }
            disk.syncDirectory(dir);
        }
    }
}
