package io.ferrite.engine.block;

import io.ferrite.crypto.BlockKey;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.TombstoneEpochSlots;
import io.ferrite.store.CorruptFileException;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes and validates the header described by {@link BlockDescriptor}.
 */
final class BlockHeader
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
    static int validate(
        final Path file, final ByteBuffer header, final long expectedBlockId, final boolean encrypted)
    {
        final long magic = header.getLong(BlockDescriptor.MAGIC_OFFSET);
        if (magic != BlockDescriptor.MAGIC)
        {
            throw new CorruptFileException(
                "not a Ferrite block file: magic is " + Long.toHexString(magic), file, BlockDescriptor.MAGIC_OFFSET);
        }
        final int version = header.getInt(BlockDescriptor.VERSION_OFFSET);
        if (!BlockDescriptor.isReadable(version))
        {
            throw new CorruptFileException("unsupported block format version " + version + " (this build reads " +
                BlockDescriptor.VERSION_WITHOUT_EPOCH_SLOTS + " and " + BlockDescriptor.VERSION + ")", file,
                BlockDescriptor.VERSION_OFFSET);
        }
        final int expected = header.getInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        final int actual = BlockDescriptor.headerChecksum(header);
        if (expected != actual)
        {
            throw new CorruptFileException("block header checksum mismatch", file,
                BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        }
        final long blockId = header.getLong(BlockDescriptor.BLOCK_ID_OFFSET);
        if (blockId != expectedBlockId)
        {
            throw new CorruptFileException("block header says id " + blockId + " but the file name says " +
                expectedBlockId, file, BlockDescriptor.BLOCK_ID_OFFSET);
        }
        final long baseSeq = header.getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        if (baseSeq < 0 || baseSeq > RecordDescriptor.MAX_SEQUENCE + 1)
        {
            // The sequence before a block's base counts as assigned: a base past the ceiling was never written.
            throw new CorruptFileException("block header base sequence " + baseSeq + " is above the highest a stream " +
                "may assign, " + RecordDescriptor.MAX_SEQUENCE + ", plus one", file, BlockDescriptor.BASE_SEQ_OFFSET);
        }
        final int length = header.getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET);
        if (length < BlockDescriptor.HEADER_LENGTH)
        {
            throw new CorruptFileException("block header claims an impossible length " + length, file,
                BlockDescriptor.BLOCK_LENGTH_OFFSET);
        }
        final int dataOffset = header.getInt(BlockDescriptor.DATA_OFFSET_OFFSET);
        if (dataOffset != BlockDescriptor.DATA_OFFSET)
        {
            throw new CorruptFileException("unexpected data offset " + dataOffset, file,
                BlockDescriptor.DATA_OFFSET_OFFSET);
        }
        final boolean blockEncrypted =
            (header.getInt(BlockDescriptor.FLAGS_OFFSET) & BlockDescriptor.FLAG_ENCRYPTED) != 0;
        if (blockEncrypted != encrypted)
        {
            throw new CorruptFileException(blockEncrypted ? "block is encrypted but the stream is not" :
                "block is plaintext but the stream is encrypted", file, BlockDescriptor.FLAGS_OFFSET);
        }
        return length;
    }
}
