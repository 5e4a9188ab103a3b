package io.ferrite.engine.block;

import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StorageIO;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Block preparation forces only the file's size (extended with {@code ftruncate}, then one {@code forceFile}), never
 * the zeros written after it; the block's forces are then range forces, and a block whose size was not forced keeps its
 * channel until its first force covers the whole file.
 */
class BlockPreparationTest
{
    private static final int BLOCK_SIZE = 64 << 10;
    private static final Path PROC_IO = Path.of("/proc/self/io");

    @TempDir
    Path tmp;

    private final List<String> calls = new ArrayList<>();
    private final StorageIO io = new StorageIO()
    {
        @Override
        public void forceBlock(final Path file, final FileChannel channel, final MappedByteBuffer mapped,
            final int from, final int to, final boolean metadata)
        {
            calls.add("forceBlock " + from + ".." + to + (metadata ? " metadata" : "") +
                (null == channel ? " no channel" : ""));
        }

        @Override
        public void forceFile(final Path file, final FileChannel channel) throws IOException
        {
            // What the force makes durable: the size the file has now, and nothing written after this call.
            calls.add("forceFile size " + channel.size() + " zeros written " + allZeroBytesWritten(file));
        }

        @Override
        public void syncDirectory(final Path dir)
        {
            calls.add("syncDirectory");
        }
    };

    @Test
    void preparedBytesCountsTheRangesMadeSoFarForAnAppenderJudgingHowFarTheAgentGot()
    {
        final BlockPreparation preparation = BlockPreparation.begin(tmp.resolve("p.creating"), BLOCK_SIZE, io);
        try
        {
            assertThat(preparation.preparedBytes()).isZero();
            preparation.advance(FolioPolicy.SMALL_RANGE, FolioPolicy.SMALL_RANGE, false);
            assertThat(preparation.preparedBytes()).isEqualTo(Math.min(BLOCK_SIZE, FolioPolicy.SMALL_RANGE));
        }
        finally
        {
            preparation.abandon(new IOException("test done"));
        }
    }

    @Test
    void preparingForcesTheSizeOnceBeforeTheZerosAreWrittenAndNeverForcesTheZeros() throws IOException
    {
        final BlockFile.Prepared prepared = BlockFile.prepare(tmp.resolve("a.creating"), BLOCK_SIZE, io);
        try
        {
            // At the force the file had its full size but was all a hole: the zeros came after, unforced.
            assertThat(calls).containsExactly("forceFile size " + BLOCK_SIZE + " zeros written false");
            assertThat(prepared.sizeForced()).isTrue();
            assertThat(prepared.channel().size()).isEqualTo(BLOCK_SIZE);
            assertThat(Files.readAllBytes(prepared.temp())).containsOnly(0);
            assertThat(allZeroBytesWritten(prepared.temp())).isTrue();
        }
        finally
        {
            prepared.discard();
        }
    }

    @Test
    void aPreparationInRangesWritesAndTouchesOneRangeAtATimeAndHandsTheFileOverOnlyWhenComplete() throws IOException
    {
        final Path temp = tmp.resolve("ranges.creating");
        final BlockPreparation preparation = BlockPreparation.begin(temp, BLOCK_SIZE, io);
        // Begun: the size is forced and the file mapped, no zero written.
        assertThat(calls).containsExactly("forceFile size " + BLOCK_SIZE + " zeros written false");
        assertThat(Files.size(temp)).isEqualTo(BLOCK_SIZE);
        assertThat(allocatedBytes(temp)).isLessThan(BLOCK_SIZE);

        preparation.advance(1, 4096, true);
        assertThat(preparation.isComplete()).isFalse();
        assertThat(allocatedBytes(temp)).as("a range is rounded up to a whole page").isGreaterThanOrEqualTo(4096)
            .isLessThan(BLOCK_SIZE);
        assertThatThrownBy(preparation::complete).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining(temp.toString()).hasMessageContaining("4096 of " + BLOCK_SIZE);

        int ranges = 1;
        while (!preparation.isComplete())
        {
            preparation.advance(16 << 10, 16 << 10, true);
            ranges++;
        }
        // One page, then 16 KiB at a time, the last range cut at the end.
        assertThat(ranges).isEqualTo(1 + (BLOCK_SIZE - 4096 + (16 << 10) - 1) / (16 << 10));
        final BlockFile.Prepared prepared = preparation.complete();
        try
        {
            assertThat(calls).as("no other force").hasSize(1);
            assertThat(prepared.sizeForced()).isTrue();
            assertThat(prepared.mapped().capacity()).isEqualTo(BLOCK_SIZE);
            assertThat(allZeroBytesWritten(temp)).isTrue();
            assertThat(Files.readAllBytes(temp)).containsOnly(0);
        }
        finally
        {
            prepared.discard();
        }
    }

    @Test
    void theReadOnlyMappingIsTouchedAheadOnlyWhenAskedForAReaderThatFollows() throws IOException
    {
        assumeTrue(ProcessMappings.AVAILABLE, ProcessMappings.UNAVAILABLE);
        final BlockFile.Prepared unfollowed = prepareInRanges("unfollowed.creating", false);
        final BlockFile.Prepared followed = prepareInRanges("followed.creating", true);
        try
        {
            assertThat(resident(unfollowed.mapped(), unfollowed)).as("every page touched for the appender")
                .isEqualTo(BLOCK_SIZE / 1024);
            assertThat(resident(unfollowed.readMapped(), unfollowed)).as("no entry made for readers").isZero();
            assertThat(resident(followed.mapped(), followed)).isEqualTo(BLOCK_SIZE / 1024);
            assertThat(resident(followed.readMapped(), followed)).as("every page touched for the follower")
                .isEqualTo(BLOCK_SIZE / 1024);
            assertThat(Files.readAllBytes(unfollowed.temp())).containsOnly(0);
        }
        finally
        {
            unfollowed.discard();
            followed.discard();
        }
    }

    private static long resident(final MappedByteBuffer mapping, final BlockFile.Prepared prepared)
        throws IOException
    {
        return ProcessMappings.residentKiB(mapping, prepared.temp());
    }

    private BlockFile.Prepared prepareInRanges(final String name, final boolean touchReadMapping)
    {
        final BlockPreparation preparation = BlockPreparation.begin(tmp.resolve(name), BLOCK_SIZE, io);
        while (!preparation.isComplete())
        {
            preparation.advance(16 << 10, 16 << 10, touchReadMapping);
        }
        return preparation.complete();
    }

    @Test
    void aBlockWriterDetachedAtTheRollIsUnmappedByWhoeverItIsHandedTo() throws IOException
    {
        assumeTrue(ProcessMappings.AVAILABLE, ProcessMappings.UNAVAILABLE);
        final MessageBlock block = block(BlockFile.prepare(tmp.resolve("g.creating"), BLOCK_SIZE, io), "g.blk");
        final MappedByteBuffer readMapping = block.mapped();

        final MappedByteBuffer writable = block.detachWriter();

        assertThat(writable).isNotNull().isNotSameAs(readMapping);
        assertThat(writable.isReadOnly()).isFalse();
        final Path file = tmp.resolve("g.blk");
        assertThat(ProcessMappings.residentKiB(writable, file)).as("still mapped until its new owner unmaps it")
            .isPositive();
        assertThatThrownBy(() -> block.discardPlaced(64)).as("the block itself writes no more")
            .isInstanceOf(NullPointerException.class);
        assertThat(block.detachWriter()).as("detached once").isNull();
        IoUtil.unmap(writable);
        assertThat(ProcessMappings.residentKiB(writable, file)).as("unmapped").isEqualTo(-1);
        assertThat(block.buffer().getLong(BlockDescriptor.BASE_SEQ_OFFSET)).as("still readable").isEqualTo(1);
        block.durability().releaseChannel();
        IoUtil.unmap(readMapping);
    }

    @Test
    void aLargeRangeMakesLargeFoliosWhereverThisMachineMapsThem() throws IOException
    {
        assumeTrue(ProcessMappings.AVAILABLE, ProcessMappings.UNAVAILABLE);
        final int length = 2 * FolioPolicy.LARGE_RANGE;
        assumeTrue(rawLargeFolioIsPmdMapped(tmp.resolve("raw"), length),
            "this kernel or file system does not map a 2 MiB page-cache folio with one entry (needs Linux 6.x and " +
            "large folios on the file system holding java.io.tmpdir)");
        final Path large = tmp.resolve("large.creating");
        final Path small = tmp.resolve("small.creating");
        final BlockFile.Prepared largeFolios = prepareInRanges(large, length, FolioPolicy.LARGE_RANGE);
        final BlockFile.Prepared smallFolios = prepareInRanges(small, length, FolioPolicy.SMALL_RANGE);
        try
        {
            // Whole folios when memory allows; one is proof enough that the zeros went in 2 MiB writes.
            assertThat(ProcessMappings.pmdMappedKiB(largeFolios.mapped(), large)).as("large folios").isPositive();
            assertThat(ProcessMappings.pmdMappedKiB(smallFolios.mapped(), small)).isZero();
            assertThat(Files.readAllBytes(large)).containsOnly(0);
        }
        finally
        {
            largeFolios.discard();
            smallFolios.discard();
        }
    }

    @Test
    void aZeroWriteThatIsNotAWholeNumberOfPagesIsRefusedNamingTheFile()
    {
        final Path temp = tmp.resolve("odd.creating");
        final BlockPreparation preparation = BlockPreparation.begin(temp, BLOCK_SIZE, io);
        try
        {
            assertThatThrownBy(() -> preparation.advance(FolioPolicy.SMALL_RANGE, 1000, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writeBytes")
                .hasMessageContaining("1000").hasMessageContaining(temp.toString());
            assertThatThrownBy(() -> preparation.advance(FolioPolicy.SMALL_RANGE, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writeBytes");
        }
        finally
        {
            final IllegalStateException cleanUp = new IllegalStateException("abandoning " + temp);
            preparation.abandon(cleanUp);
            assertThat(cleanUp.getSuppressed()).isEmpty();
        }
        assertThat(temp).doesNotExist();
    }

    private BlockFile.Prepared prepareInRanges(final Path temp, final int length, final int range)
    {
        return prepareInRanges(temp, length, range, range);
    }

    private BlockFile.Prepared prepareInRanges(final Path temp, final int length, final int range, final int writes)
    {
        final BlockPreparation preparation = BlockPreparation.begin(temp, length, io);
        while (!preparation.isComplete())
        {
            preparation.advance(range, writes, false);
        }
        return preparation.complete();
    }

    /**
     * @return whether zeros written to a fresh file in one aligned 2 MiB write, then touched through a mapping, end up
     * mapped by huge entries here: what the preparation's large ranges count on.
     */
    static boolean rawLargeFolioIsPmdMapped(final Path file, final int length) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE))
        {
            final ByteBuffer zeros = ByteBuffer.allocateDirect(length);
            while (zeros.hasRemaining())
            {
                channel.write(zeros, zeros.position());
            }
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
            try
            {
                mapped.put(0, (byte)0);
                return ProcessMappings.pmdMappedKiB(mapped, file) > 0;
            }
            finally
            {
                IoUtil.unmap(mapped);
            }
        }
    }

    @Test
    void pageSizedZeroWritesMakeAForceOfASmallRecordWriteOnePage() throws IOException
    {
        assumeTrue(Files.isReadable(PROC_IO), "needs /proc/self/io (Linux) to count the bytes a force writes");
        // The control first: where the page cache makes 128 KiB folios of 128 KiB writes and the file system charges
        // write-back to the process, such a force writes more than a page; elsewhere (small folios whatever the
        // write, tmpfs, no accounting) the figure below would prove nothing.
        final BlockFile.Prepared control = prepareInRanges(tmp.resolve("control.creating"), BLOCK_SIZE,
            FolioPolicy.SMALL_RANGE);
        final long controlBytes;
        try
        {
            controlBytes = dirtiedByOneSmallForce(control);
        }
        finally
        {
            control.discard();
        }
        assumeTrue(controlBytes > 2 * FolioPolicy.PAGE_FOLIO, "a force after 128 KiB zero writes dirtied " +
            controlBytes + " bytes here (small folios, or write-back not counted): nothing for page folios to save");
        final Path pages = tmp.resolve("pages.creating");
        final BlockFile.Prepared prepared = prepareInRanges(pages, BLOCK_SIZE, FolioPolicy.SMALL_RANGE,
            FolioPolicy.PAGE_FOLIO);
        try
        {
            assertThat(dirtiedByOneSmallForce(prepared)).as("one page where 128 KiB writes dirtied %d bytes",
                controlBytes).isLessThanOrEqualTo(2 * FolioPolicy.PAGE_FOLIO);
        }
        finally
        {
            prepared.discard();
        }
    }

    /**
     * @return the bytes the process dirtied (what write-back will write) by writing 512 bytes into a clean page of
     * {@code prepared} through its writable mapping and forcing them.
     */
    private static long dirtiedByOneSmallForce(final BlockFile.Prepared prepared) throws IOException
    {
        prepared.channel().force(true);
        final long before = writeBytes();
        final int offset = 3 * FolioPolicy.PAGE_FOLIO + 512;
        for (int i = 0; i < 512; i += 8)
        {
            prepared.mapped().putLong(offset + i, i + 1);
        }
        prepared.readMapped().force(offset, 512);
        return writeBytes() - before;
    }

    private static long writeBytes() throws IOException
    {
        for (final String line : Files.readAllLines(PROC_IO))
        {
            if (line.startsWith("write_bytes:"))
            {
                return Long.parseLong(line.substring("write_bytes:".length()).trim());
            }
        }
        throw new IOException("no write_bytes in " + PROC_IO);
    }

    @Test
    void anAbandonedPreparationLeavesNoFile() throws IOException
    {
        final Path temp = tmp.resolve("abandoned.creating");
        final BlockPreparation preparation = BlockPreparation.begin(temp, BLOCK_SIZE, io);
        preparation.advance(8192, 8192, true);
        final IOException cause = new IOException("closed while being prepared");

        preparation.abandon(cause);
        preparation.abandon(cause);

        assertThat(temp).doesNotExist();
        assertThat(cause.getSuppressed()).as("nothing failed").isEmpty();
    }

    @Test
    void withoutStorageIoNothingIsForcedAndTheSizeIsNotClaimedDurable() throws IOException
    {
        final BlockFile.Prepared prepared = BlockFile.prepare(tmp.resolve("b.creating"), BLOCK_SIZE);
        try
        {
            assertThat(calls).isEmpty();
            assertThat(prepared.sizeForced()).isFalse();
            assertThat(prepared.channel().size()).isEqualTo(BLOCK_SIZE);
        }
        finally
        {
            prepared.discard();
        }
    }

    @Test
    void aBlockWhoseSizeWasForcedIsMadeDurableByRangeForcesAlone()
    {
        final MessageBlock block = block(BlockFile.prepare(tmp.resolve("c.creating"), BLOCK_SIZE, io), "c.blk");
        calls.clear();
        final BlockDurability durability = block.durability();
        assertThat(durability.isNewFile()).isTrue();
        assertThat(durability.rangeForcesSuffice()).isTrue();
        assertThat(durability.needsChannelToForce()).isFalse();

        // Released before any force (NONE's roll): the mapping alone still makes the range durable.
        durability.releaseChannel();
        durability.force(BlockDescriptor.DATA_OFFSET, false, io);
        assertThat(calls).containsExactly("forceBlock 0.." + BlockDescriptor.DATA_OFFSET + " no channel");
        assertThat(durability.isDirty()).isFalse();
        IoUtil.unmap(block.detachWriter());
        IoUtil.unmap(block.mappedOrNull());
    }

    @Test
    void aBlockWhoseSizeWasNotForcedNeedsItsChannelForItsFirstForceOnly()
    {
        final MessageBlock block = block(BlockFile.prepare(tmp.resolve("d.creating"), BLOCK_SIZE), "d.blk");
        final BlockDurability durability = block.durability();
        assertThat(durability.rangeForcesSuffice()).isFalse();
        assertThat(durability.needsChannelToForce()).isTrue();

        durability.force(BlockDescriptor.DATA_OFFSET, false, io);
        assertThat(calls).containsExactly("forceBlock 0.." + BlockDescriptor.DATA_OFFSET + " metadata");
        assertThat(durability.rangeForcesSuffice()).isTrue();
        assertThat(durability.needsChannelToForce()).isFalse();
        durability.releaseChannel();
        IoUtil.unmap(block.detachWriter());
        IoUtil.unmap(block.mappedOrNull());
    }

    @Test
    void aBlockIsReadAndForcedThroughAReadOnlyMappingAndItsWriterIsReleasedAtTheRoll()
    {
        final MessageBlock block = block(BlockFile.prepare(tmp.resolve("e.creating"), BLOCK_SIZE, io), "e.blk");
        assertThat(block.mapped().isReadOnly()).as("readers' and forces' mapping").isTrue();
        assertThat(block.buffer().getLong(BlockDescriptor.BASE_SEQ_OFFSET)).as("the header written through the writer")
            .isEqualTo(1);

        IoUtil.unmap(block.detachWriter());

        assertThat(block.buffer().getLong(BlockDescriptor.BASE_SEQ_OFFSET)).as("still readable").isEqualTo(1);
        // A write after the release is an exception, never a write to unmapped memory.
        assertThatThrownBy(() -> block.discardPlaced(64)).isInstanceOf(NullPointerException.class);
        block.durability().force(BlockDescriptor.DATA_OFFSET, false, io);
        assertThat(calls).contains("forceBlock 0.." + BlockDescriptor.DATA_OFFSET);
        block.durability().releaseChannel();
        IoUtil.unmap(block.mappedOrNull());
    }

    private MessageBlock block(final BlockFile.Prepared prepared, final String name)
    {
        return MessageBlock.create(prepared, tmp.resolve(name), 1, 1, System.nanoTime(), 0,
            new StoreMetrics(Long.MAX_VALUE, LoggerFactory.getLogger(BlockPreparationTest.class)), null);
    }

    /**
     * @return whether every byte of the file was written (no hole left): holes take no disk blocks, so a file with
     * one is allocated less than its size ({@code du} reports the blocks allocated, delayed allocations included).
     */
    private static boolean allZeroBytesWritten(final Path file) throws IOException
    {
        return allocatedBytes(file) >= Files.size(file);
    }

    private static long allocatedBytes(final Path file) throws IOException
    {
        final Process du = new ProcessBuilder("du", "--block-size=1", file.toString()).redirectErrorStream(true)
            .start();
        try
        {
            final String out = new String(du.getInputStream().readAllBytes()).trim();
            du.waitFor();
            return Long.parseLong(out.split("\\s+")[0]);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("du interrupted", ex);
        }
    }
}
