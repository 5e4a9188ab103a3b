package io.ferrite.engine.block;

import io.ferrite.crypto.BlockKey;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockHeaderCheck;
import io.ferrite.format.TombstoneEpochSlots;
import io.ferrite.store.CorruptFileException;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes and validates the header described by {@link BlockDescriptor}.
 */
public final class BlockHeader
{
    private BlockHeader()
    {
    }

    static void write(
        final BlockFile.Mapping mapping,
        final long blockId,
        final long baseSeq,
        final int length,
        final long createdNanos,
        final long prevLastSeq,
        final BlockKey key)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(mapping.mapped(), 0, BlockDescriptor.HEADER_LENGTH);
        buffer.putLong(BlockDescriptor.MAGIC_OFFSET, BlockDescriptor.MAGIC);
        buffer.putInt(BlockDescriptor.VERSION_OFFSET, BlockDescriptor.VERSION);
        buffer.putInt(BlockDescriptor.FLAGS_OFFSET, null == key ? 0 : BlockDescriptor.FLAG_ENCRYPTED);
        if (null != key)
        {
            buffer.putBytes(BlockDescriptor.SALT_OFFSET, key.salt());
            buffer.putLong(BlockDescriptor.KEY_ID_OFFSET, key.keyId());
        }
        buffer.putLong(BlockDescriptor.BLOCK_ID_OFFSET, blockId);
        buffer.putLong(BlockDescriptor.BASE_SEQ_OFFSET, baseSeq);
        buffer.putLong(BlockDescriptor.CREATED_OFFSET, createdNanos);
        buffer.putLong(BlockDescriptor.PREV_LAST_SEQ_OFFSET, prevLastSeq);
        buffer.putInt(BlockDescriptor.BLOCK_LENGTH_OFFSET, length);
        buffer.putInt(BlockDescriptor.DATA_OFFSET_OFFSET, BlockDescriptor.DATA_OFFSET);
        TombstoneEpochSlots.initialise(buffer, blockId);
        buffer.putInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET, BlockDescriptor.headerChecksum(mapping.mapped()));
    }

    /**
     * @return the block length the header declares.
     */
    public static int validate(
        final Path file, final ByteBuffer header, final long expectedBlockId, final boolean encrypted)
    {
        require(file, BlockHeaderCheck.magic(header), BlockDescriptor.MAGIC_OFFSET);
        require(file, BlockHeaderCheck.version(header), BlockDescriptor.VERSION_OFFSET);
        require(file, BlockHeaderCheck.checksum(header), BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        require(file, BlockHeaderCheck.blockId(header, expectedBlockId), BlockDescriptor.BLOCK_ID_OFFSET);
        require(file, BlockHeaderCheck.baseSeq(header), BlockDescriptor.BASE_SEQ_OFFSET);
        require(file, BlockHeaderCheck.length(header), BlockDescriptor.BLOCK_LENGTH_OFFSET);
        require(file, BlockHeaderCheck.dataOffset(header), BlockDescriptor.DATA_OFFSET_OFFSET);
        require(file, BlockHeaderCheck.encryption(header, encrypted), BlockDescriptor.FLAGS_OFFSET);
        return header.getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET);
    }

    private static void require(final Path file, final String problem, final int offset)
    {
        if (null != problem)
        {
            throw new CorruptFileException(problem, file, offset);
        }
    }
}
