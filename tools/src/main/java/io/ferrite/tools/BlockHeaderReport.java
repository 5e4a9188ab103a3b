package io.ferrite.tools;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockHeaderCheck;
import io.ferrite.format.TombstoneEpochSlots;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A block file's header, checked field by field with the engine's own checks ({@link BlockHeaderCheck}), reported
 * instead of thrown, so {@code verify} can go on to scan the records of a block whose header is damaged.
 *
 * @param trusted  the header checksum verified and its fields are plausible: base sequence and length can be used.
 * @param version  the block format version: {@link BlockDescriptor#VERSION}, or
 *                 {@link BlockDescriptor#VERSION_WITHOUT_EPOCH_SLOTS} for a block written before the tombstone epoch
 *                 slots (same layout, those bytes zero); another is refused by {@link #supportedVersion()}.
 * @param salt     the block key's salt (all zeros for a plaintext block); meaningful only when trusted.
 * @param keyId    the block key's id (zero for a plaintext block); meaningful only when trusted.
 * @param problem  what is wrong, or null.
 * @param offset   where in the header the problem is.
 * @param damagedEpochSlots the tombstone epoch slots (0, 1) of a trusted version-2 header whose checksum does not
 *                 verify: outside the header checksum, each checked on its own ({@link TombstoneEpochSlots}).
 */
record BlockHeaderReport(boolean trusted, long baseSeq, int declaredLength, boolean encrypted, int version,
    byte[] salt, long keyId, String problem, int offset, List<Integer> damagedEpochSlots)
{
    static BlockHeaderReport of(final ByteBuffer header, final long expectedId)
    {
        header.order(ByteOrder.LITTLE_ENDIAN);
        final int version = header.getInt(BlockDescriptor.VERSION_OFFSET);
        final long baseSeq = header.getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        final int length = header.getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET);
        final boolean encrypted = (header.getInt(BlockDescriptor.FLAGS_OFFSET) & BlockDescriptor.FLAG_ENCRYPTED) != 0;
        final byte[] salt = new byte[BlockDescriptor.SALT_LENGTH];
        header.get(BlockDescriptor.SALT_OFFSET, salt);
        final long keyId = header.getLong(BlockDescriptor.KEY_ID_OFFSET);
        // Fields are usable once these hold; the version is reported apart ({@link #supportedVersion()}), and a
        // wrong id only means the file was renamed.
        if (null != BlockHeaderCheck.magic(header))
        {
            return untrusted(BlockHeaderCheck.magic(header), BlockDescriptor.MAGIC_OFFSET);
        }
        if (null != BlockHeaderCheck.checksum(header))
        {
            return untrusted(BlockHeaderCheck.checksum(header), BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        }
        if (null != BlockHeaderCheck.length(header))
        {
            return untrusted(BlockHeaderCheck.length(header), BlockDescriptor.BLOCK_LENGTH_OFFSET);
        }
        if (null != BlockHeaderCheck.dataOffset(header))
        {
            return untrusted(BlockHeaderCheck.dataOffset(header), BlockDescriptor.DATA_OFFSET_OFFSET);
        }
        final long id = header.getLong(BlockDescriptor.BLOCK_ID_OFFSET);
        // Bound to the id the header was written with: a renamed file is reported once, below, not as slot damage.
        final List<Integer> damagedSlots = damagedEpochSlots(header, version, id);
        final String idProblem = BlockHeaderCheck.blockId(header, expectedId);
        if (null != idProblem)
        {
            return new BlockHeaderReport(true, baseSeq, length, encrypted, version, salt, keyId, idProblem,
                BlockDescriptor.BLOCK_ID_OFFSET, damagedSlots);
        }
        return new BlockHeaderReport(true, baseSeq, length, encrypted, version, salt, keyId, null, 0, damagedSlots);
    }

    private static List<Integer> damagedEpochSlots(final ByteBuffer header, final int version, final long blockId)
    {
        if (!BlockDescriptor.hasTombstoneEpochSlots(version))
        {
            return List.of();
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(header, 0, BlockDescriptor.HEADER_LENGTH);
        final List<Integer> damaged = new ArrayList<>();
        for (int slot = 0; slot < BlockDescriptor.TOMBSTONE_EPOCH_SLOT_COUNT; slot++)
        {
            if (TombstoneEpochSlots.epoch(buffer, blockId, slot) == TombstoneEpochSlots.DAMAGED)
            {
                damaged.add(slot);
            }
        }
        return List.copyOf(damaged);
    }

    private static BlockHeaderReport untrusted(final String problem, final int offset)
    {
        return new BlockHeaderReport(false, 0, 0, false, 0, new byte[BlockDescriptor.SALT_LENGTH], 0, problem, offset,
            List.of());
    }

    /**
     * @return where an encrypted block's footer starts: its last {@link BlockFooterCodec#FOOTER_LENGTH} bytes, as
     * the header declares its length; -1 when that leaves no room for records before it.
     */
    long footerOffset()
    {
        final long at = (long)declaredLength - BlockFooterCodec.FOOTER_LENGTH;
        return trusted && at >= BlockDescriptor.DATA_OFFSET ? at : -1;
    }

    boolean supportedVersion()
    {
        return BlockDescriptor.isReadable(version);
    }
}
