package io.ferrite.engine.block;

import io.ferrite.format.BlockDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The block header's tombstone epoch slots ({@link BlockDescriptor}): each new epoch is above every one recorded, a
 * torn slot write loses nothing that was used, and a header written before the slots existed checks as before.
 */
class TombstoneEpochSlotsTest
{
    private static final long BLOCK_ID = 42;

    @Test
    void aHeaderWithEmptySlotsChecksAsCrcOfItsFirst124Bytes()
    {
        final byte[] header = randomHeader(1);
        final CRC32C crc = new CRC32C();
        crc.update(header, 0, BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        assertThat(BlockDescriptor.headerChecksum(ByteBuffer.wrap(header))).isEqualTo((int)crc.getValue());
    }

    @Test
    void recordingAnEpochLeavesTheHeaderChecksumValid()
    {
        final byte[] header = randomHeader(2);
        final int before = BlockDescriptor.headerChecksum(ByteBuffer.wrap(header));
        final UnsafeBuffer buffer = new UnsafeBuffer(header);
        for (int epoch = 1; epoch <= 5; epoch++)
        {
            BlockDescriptor.putTombstoneEpoch(buffer, BLOCK_ID, epoch);
            assertThat(BlockDescriptor.tombstoneEpoch(buffer, BLOCK_ID)).isEqualTo(epoch);
            assertThat(BlockDescriptor.headerChecksum(ByteBuffer.wrap(header))).isEqualTo(before);
        }
    }

    @Test
    void aTornSlotFallsBackToTheEpochBeforeIt()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(randomHeader(3));
        BlockDescriptor.putTombstoneEpoch(buffer, BLOCK_ID, 1);
        BlockDescriptor.putTombstoneEpoch(buffer, BLOCK_ID, 2);
        // Epoch 3 goes to slot 1, over epoch 1; the power cut leaves its epoch written and its checksum not.
        final int slot1 = BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET + BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH;
        buffer.putInt(slot1, 3);
        assertThat(BlockDescriptor.tombstoneEpoch(buffer, BLOCK_ID))
            .as("epoch 3 was never forced, so never used: the next one may be 3 again").isEqualTo(2);
    }

    @Test
    void slotsOfAnotherBlockOrBothDamagedMeanUnknown()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(randomHeader(4));
        BlockDescriptor.putTombstoneEpoch(buffer, BLOCK_ID, 1);
        BlockDescriptor.putTombstoneEpoch(buffer, BLOCK_ID, 2);
        assertThat(BlockDescriptor.tombstoneEpoch(buffer,
            BLOCK_ID + 1)).as("checksums bind the block id").isEqualTo(-1);
        buffer.putInt(BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET + 4, 0x5a5a5a5a);
        buffer.putInt(BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET + BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH + 4,
            7);
        assertThat(BlockDescriptor.tombstoneEpoch(buffer, BLOCK_ID)).isEqualTo(-1);
    }

    @Test
    void aNegativeSlotIsDamageAndEpochsMustBePositive()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(randomHeader(5));
        buffer.putInt(BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET, -1);
        assertThat(BlockDescriptor.tombstoneEpoch(buffer, BLOCK_ID)).as("slot 1 still empty").isZero();
        assertThatThrownBy(() -> BlockDescriptor.putTombstoneEpoch(buffer, BLOCK_ID, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be > 0");
    }

    /**
     * @return a header of random bytes with empty epoch slots, as a block created before the slots existed has.
     */
    private static byte[] randomHeader(final long seed)
    {
        final byte[] header = new byte[BlockDescriptor.HEADER_LENGTH];
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < header.length; i++)
        {
            header[i] = (byte)random.nextInt(256);
        }
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET, 0)
            .putLong(BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET + BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH, 0);
        return header;
    }
}
