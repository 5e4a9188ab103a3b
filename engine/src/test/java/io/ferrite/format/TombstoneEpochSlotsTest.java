package io.ferrite.format;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.BlockFile;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.metrics.StoreMetrics;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The block header's tombstone epoch slots ({@link TombstoneEpochSlots}): each new epoch is above every one a
 * tombstone used, whatever a failed force, a torn write, a crash or a damaged slot did in between; a damaged slot is
 * never read as an epoch; and a header of format version 1 (no slots) checks as before and starts no epoch.
 */
class TombstoneEpochSlotsTest
{
    private static final long BLOCK_ID = 42;
    private static final int SLOT_0 = BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET;
    private static final int SLOT_1 = SLOT_0 + BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH;
    private static final int SLOTS_END = SLOT_1 + BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH;

    @TempDir
    Path dir;

    @Test
    void aVersion1HeaderChecksAsCrcOfItsFirst124BytesAndStartsNoEpoch()
    {
        final byte[] header = randomHeader(1, BlockDescriptor.VERSION_WITHOUT_EPOCH_SLOTS);
        final CRC32C crc = new CRC32C();
        crc.update(header, 0, BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        assertThat(BlockDescriptor.headerChecksum(ByteBuffer.wrap(header))).isEqualTo((int)crc.getValue());
        final UnsafeBuffer buffer = new UnsafeBuffer(header);
        assertThat(TombstoneEpochSlots.highest(buffer, BLOCK_ID)).isEqualTo(TombstoneEpochSlots.DAMAGED);
        final TombstoneEpochSlots.Write refused = TombstoneEpochSlots.next(buffer, BLOCK_ID);
        assertThat(refused.isRefused()).isTrue();
        assertThat(refused.offset()).isEqualTo(BlockDescriptor.VERSION_OFFSET);
        assertThat(refused.refusal()).contains("format version 1");
    }

    @Test
    void aNewHeaderHoldsEpochZeroTwiceAndWritingSlotsLeavesItsChecksumValid()
    {
        final byte[] header = randomHeader(2, BlockDescriptor.VERSION);
        final UnsafeBuffer buffer = new UnsafeBuffer(header);
        final int before = BlockDescriptor.headerChecksum(ByteBuffer.wrap(header));
        TombstoneEpochSlots.initialise(buffer, BLOCK_ID);
        assertThat(TombstoneEpochSlots.epoch(buffer, BLOCK_ID, 0)).isZero();
        assertThat(TombstoneEpochSlots.epoch(buffer, BLOCK_ID, 1)).isZero();
        for (int epoch = 1; epoch <= 5; epoch++)
        {
            final TombstoneEpochSlots.Write write = TombstoneEpochSlots.next(buffer, BLOCK_ID);
            assertThat(write.usable()).isTrue();
            assertThat(write.epoch()).isEqualTo(epoch);
            assertThat(TombstoneEpochSlots.epoch(buffer, BLOCK_ID, write.slot()))
                .as("the new epoch goes over the lower slot, never the one holding the highest")
                .isEqualTo(epoch - 2 < 0 ? 0 : epoch - 2);
            TombstoneEpochSlots.put(buffer, BLOCK_ID, write.slot(), write.epoch());
            assertThat(TombstoneEpochSlots.highest(buffer, BLOCK_ID)).isEqualTo(epoch);
            assertThat(BlockDescriptor.headerChecksum(ByteBuffer.wrap(header))).isEqualTo(before);
        }
    }

    @Test
    void aTornWriteOfTheNextEpochLeavesTheOneBeforeAndIsRepairedBeforeANewOne()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(randomHeader(3, BlockDescriptor.VERSION));
        TombstoneEpochSlots.initialise(buffer, BLOCK_ID);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, 0, 1);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, 1, 2);
        // Epoch 3 goes over slot 0 (epoch 1); the power cut leaves its epoch written and its checksum not.
        buffer.putInt(SLOT_0, 3);
        assertThat(TombstoneEpochSlots.epoch(buffer, BLOCK_ID, 0)).isEqualTo(TombstoneEpochSlots.DAMAGED);
        final TombstoneEpochSlots.Write repair = TombstoneEpochSlots.next(buffer, BLOCK_ID);
        assertThat(repair.usable()).as("the damaged slot may have held 3 and had it used: rewritten, not used")
            .isFalse();
        assertThat(repair.slot()).isZero();
        assertThat(repair.epoch()).isEqualTo(3);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, repair.slot(), repair.epoch());
        final TombstoneEpochSlots.Write next = TombstoneEpochSlots.next(buffer, BLOCK_ID);
        assertThat(next.usable()).isTrue();
        assertThat(next.slot()).as("over epoch 2, keeping the repaired 3").isOne();
        assertThat(next.epoch()).isEqualTo(4);
    }

    /**
     * Review finding D5: epoch 1 recorded (and used) in one slot, the other still holding the new block's 0, then the
     * slot holding 1 damaged. Read as "empty, epoch 0" the next epoch would be 1 again — the same GCM counters.
     */
    @Test
    void aDamagedSlotIsNeverReadAsAnEpoch()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(randomHeader(4, BlockDescriptor.VERSION));
        TombstoneEpochSlots.initialise(buffer, BLOCK_ID);
        final TombstoneEpochSlots.Write first = TombstoneEpochSlots.next(buffer, BLOCK_ID);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, first.slot(), first.epoch());
        assertThat(first.epoch()).isOne();
        final int at = TombstoneEpochSlots.offset(first.slot());
        for (final Runnable damage : new Runnable[] {
            () -> buffer.putByte(at + 5, (byte)(buffer.getByte(at + 5) ^ 0x10)),
            () -> buffer.putLong(at, 0),
            () -> buffer.putInt(at, -1) })
        {
            TombstoneEpochSlots.put(buffer, BLOCK_ID, first.slot(), first.epoch());
            damage.run();
            assertThat(TombstoneEpochSlots.epoch(buffer, BLOCK_ID,
                first.slot())).isEqualTo(TombstoneEpochSlots.DAMAGED);
            assertThat(TombstoneEpochSlots.highest(buffer, BLOCK_ID)).as("only the other slot's 0 verifies").isZero();
            final TombstoneEpochSlots.Write repair = TombstoneEpochSlots.next(buffer, BLOCK_ID);
            assertThat(repair.usable()).isFalse();
            assertThat(repair.slot()).isEqualTo(first.slot());
            assertThat(repair.epoch()).isOne();
            final byte[] repaired = new byte[BlockDescriptor.HEADER_LENGTH];
            buffer.getBytes(0, repaired);
            final UnsafeBuffer after = new UnsafeBuffer(repaired);
            TombstoneEpochSlots.put(after, BLOCK_ID, repair.slot(), repair.epoch());
            final TombstoneEpochSlots.Write next = TombstoneEpochSlots.next(after, BLOCK_ID);
            assertThat(next.usable()).isTrue();
            assertThat(next.epoch()).as("above the epoch the damaged slot held").isEqualTo(2);
        }
    }

    @Test
    void bothSlotsDamagedOrOfAnotherBlockStartNoEpochAndSayWhere()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(randomHeader(5, BlockDescriptor.VERSION));
        TombstoneEpochSlots.initialise(buffer, BLOCK_ID);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, 0, 1);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, 1, 2);
        final TombstoneEpochSlots.Write foreign = TombstoneEpochSlots.next(buffer, BLOCK_ID + 1);
        assertThat(foreign.isRefused()).as("checksums bind the block id").isTrue();
        buffer.putInt(SLOT_0 + 4, 0x5a5a5a5a);
        buffer.putInt(SLOT_1 + 4, 7);
        final TombstoneEpochSlots.Write refused = TombstoneEpochSlots.next(buffer, BLOCK_ID);
        assertThat(refused.isRefused()).isTrue();
        assertThat(refused.offset()).isEqualTo(SLOT_0);
        assertThat(refused.refusal()).contains("neither tombstone epoch slot");
        assertThatThrownBy(() -> TombstoneEpochSlots.put(buffer, BLOCK_ID, 0, -1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be in [0, ");
    }

    @Test
    void usedUpEpochsStartNoMore()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(randomHeader(6, BlockDescriptor.VERSION));
        TombstoneEpochSlots.initialise(buffer, BLOCK_ID);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, 1, FrameCounters.MAX_EPOCH);
        assertThat(TombstoneEpochSlots.next(buffer, BLOCK_ID).refusal()).contains("used up");
        buffer.putInt(SLOT_0, 17);
        TombstoneEpochSlots.put(buffer, BLOCK_ID, 1, FrameCounters.MAX_EPOCH - 1);
        assertThat(TombstoneEpochSlots.next(buffer, BLOCK_ID).refusal()).as("no room for a repair and a new epoch")
            .contains("used up");
    }

    /**
     * Review finding D4: a retry after a failed force writes the same slot and epoch again. Advancing instead (epoch
     * 4 over the slot holding 2) would leave, should that write tear, neither slot holding the epoch last used.
     */
    @Test
    void aRetryAfterAFailedForceWritesTheSameSlotAndEpochAgain() throws IOException
    {
        final Path file = createBlock(dir.resolve(BlockDescriptor.fileName(BLOCK_ID)));
        final MessageBlock block = openBlock(file);
        try
        {
            for (int epoch = 1; epoch <= 2; epoch++)
            {
                final TombstoneEpochSlots.Write write = block.writeTombstoneEpochSlot();
                block.tombstoneEpochSlotForced(write);
                assertThat(block.tombstoneEpoch()).isEqualTo(epoch);
                block.truncateTo(BlockDescriptor.DATA_OFFSET, BlockDescriptor.DATA_OFFSET);
            }
            final TombstoneEpochSlots.Write pending = block.writeTombstoneEpochSlot();
            assertThat(pending.epoch()).isEqualTo(3);
            // The force failed. Whatever became of the page, the retry writes the same bytes again.
            BlockFiles.putLong(block.file(), pending.offset(), 0);
            final TombstoneEpochSlots.Write retry = block.writeTombstoneEpochSlot();
            assertThat(retry).isEqualTo(pending);
            assertThat(TombstoneEpochSlots.epoch(block.buffer(), BLOCK_ID, pending.slot())).isEqualTo(3);
            assertThat(TombstoneEpochSlots.epoch(block.buffer(), BLOCK_ID, 1 - pending.slot()))
                .as("the slot holding the epoch last used is untouched until 3 is durable").isEqualTo(2);
            assertThat(block.tombstoneEpoch()).as("not usable before its force").isNegative();
            assertThatThrownBy(() -> block.tombstoneEpochSlotForced(
                new TombstoneEpochSlots.Write(pending.slot(), 4, true, null, pending.offset())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(file.toString());
            block.tombstoneEpochSlotForced(retry);
            assertThat(block.tombstoneEpoch()).isEqualTo(3);
        }
        finally
        {
            block.durability().releaseChannel();
        }
    }

    /**
     * The slots against everything that can happen between a write and its use, at random (seeded): forces that
     * fail, forces that fail after tearing the write, crashes and power cuts that keep any subset of the unforced
     * bytes, a slot damaged at rest, truncations. The disk is modelled as the header image as of the last force (plus
     * whatever a failure or a cut let through); the process as a {@link MessageBlock} opened over it. Every epoch a
     * tombstone would be sealed under must be above every one sealed before in that block: that is what keeps each
     * GCM counter unique.
     */
    @Test
    void noEpochIsEverUsedTwiceWhateverHappensBetweenWriteAndUse() throws IOException
    {
        final SplittableRandom random = new SplittableRandom(0xE90C5L);
        long blockId = 1_000;
        int used = 0;
        Path file = createBlock(dir.resolve(BlockDescriptor.fileName(blockId)));
        byte[] disk = header(file);
        MessageBlock block = openBlock(file);
        int epochsStarted = 0;
        int repairs = 0;
        int refusals = 0;
        for (int step = 0; step < 3_000; step++)
        {
            final int action = random.nextInt(100);
            if (action < 55 && block.tombstoneEpoch() < 0)
            {
                final TombstoneEpochSlots.Write write = block.writeTombstoneEpochSlot();
                if (write.isRefused())
                {
                    refusals++;
                    assertThat(write.refusal()).contains("neither tombstone epoch slot");
                    // Start over with a new block: this one can never take a tombstone under a new epoch.
                    block.durability().releaseChannel();
                    blockId++;
                    used = 0;
                    file = createBlock(dir.resolve(BlockDescriptor.fileName(blockId)));
                    disk = header(file);
                    block = openBlock(file);
                    continue;
                }
                final int outcome = random.nextInt(10);
                if (outcome < 6)
                {
                    disk = header(file);
                    block.tombstoneEpochSlotForced(write);
                    if (write.usable())
                    {
                        assertThat(write.epoch()).as("step %d: epoch started in block %d", step, blockId)
                            .isGreaterThan(used);
                        used = write.epoch();
                        epochsStarted++;
                    }
                    else
                    {
                        repairs++;
                    }
                }
                else if (outcome < 8)
                {
                    disk = mix(disk, header(file), random);
                }
                // else: the force failed and nothing reached the disk
            }
            else if (action < 70)
            {
                block.truncateTo(BlockDescriptor.DATA_OFFSET, BlockDescriptor.DATA_OFFSET);
            }
            else if (action < 97)
            {
                block.durability().releaseChannel();
                disk = mix(disk, header(file), random);
                writeHeader(file, disk);
                block = openBlock(file);
            }
            else
            {
                block.durability().releaseChannel();
                final int at = SLOT_0 + random.nextInt(SLOTS_END - SLOT_0);
                disk[at] ^= (byte)(1 << random.nextInt(8));
                writeHeader(file, disk);
                block = openBlock(file);
            }
        }
        block.durability().releaseChannel();
        assertThat(epochsStarted).as("epochs started").isGreaterThan(300);
        assertThat(repairs).as("damaged slots repaired").isGreaterThan(10);
        assertThat(refusals).as("blocks whose two slots were both damaged").isGreaterThan(0);
    }

    /**
     * @return {@code before} with each slot byte taken from {@code after} or kept, at random: what a power cut or a
     *         failing device leaves of an unforced header write.
     */
    private static byte[] mix(final byte[] before, final byte[] after, final SplittableRandom random)
    {
        final byte[] mixed = before.clone();
        final int mode = random.nextInt(3);
        for (int i = SLOT_0; i < SLOTS_END; i++)
        {
            if (mode == 0 || mode == 2 && random.nextBoolean())
            {
                mixed[i] = after[i];
            }
        }
        assertThat(Arrays.equals(mixed, 0, SLOT_0, after, 0, SLOT_0)).as("only slots change").isTrue();
        return mixed;
    }

    private static Path createBlock(final Path file)
    {
        final BlockFile.Mapping mapping = BlockFile.create(file, BlockDescriptor.parseFileName(
            file.getFileName().toString()), 1, 4096, 0, 0, CRYPTO.newKey());
        try
        {
            mapping.channel().close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return file;
    }

    private static MessageBlock openBlock(final Path file)
    {
        return MessageBlock.open(file, BlockDescriptor.parseFileName(file.getFileName().toString()), -1, true,
            METRICS, CRYPTO);
    }

    private static byte[] header(final Path file) throws IOException
    {
        return Arrays.copyOf(Files.readAllBytes(file), BlockDescriptor.HEADER_LENGTH);
    }

    private static void writeHeader(final Path file, final byte[] header) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(header), 0);
        }
    }

    private static final BlockCrypto CRYPTO = new BlockCrypto(new byte[32]);
    private static final StoreMetrics METRICS = new StoreMetrics(Long.MAX_VALUE,
        LoggerFactory.getLogger(TombstoneEpochSlotsTest.class));

    /**
     * @return a header of random bytes of {@code version}, its slots zero, as a version-1 block has them.
     */
    private static byte[] randomHeader(final long seed, final int version)
    {
        final byte[] header = new byte[BlockDescriptor.HEADER_LENGTH];
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < header.length; i++)
        {
            header[i] = (byte)random.nextInt(256);
        }
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(BlockDescriptor.VERSION_OFFSET, version)
            .putLong(SLOT_0, 0)
            .putLong(SLOT_1, 0);
        return header;
    }
}
