package io.ferrite.format;

import java.nio.ByteBuffer;

/**
 * The checks a block header ({@link BlockDescriptor}) must pass, one per field, each reporting what is wrong (or null)
 * instead of throwing: the engine turns a report into a {@code CorruptFileException} and refuses the block, while
 * {@code ferrite verify} records it and goes on to scan the records behind a damaged header. One wording and one rule
 * per field, whoever asks. Each report belongs to the field at the offset {@link BlockDescriptor} names for it.
 * <p>
 * {@code header} is read little-endian with absolute gets; its position and limit are not used.
 */
public final class BlockHeaderCheck
{
    private BlockHeaderCheck()
    {
    }

    /**
     * @return what is wrong with the magic ({@link BlockDescriptor#MAGIC_OFFSET}), or null.
     */
    public static String magic(final ByteBuffer header)
    {
        final long magic = header.getLong(BlockDescriptor.MAGIC_OFFSET);
        return magic == BlockDescriptor.MAGIC ? null : "not a Ferrite block file: magic is " + Long.toHexString(magic);
    }

    /**
     * @return what is wrong with the format version ({@link BlockDescriptor#VERSION_OFFSET}), or null.
     */
    public static String version(final ByteBuffer header)
    {
        final int version = header.getInt(BlockDescriptor.VERSION_OFFSET);
        return BlockDescriptor.isReadable(version) ? null : "unsupported block format version " + version +
            " (this build reads " + BlockDescriptor.VERSION_WITHOUT_EPOCH_SLOTS + " and " + BlockDescriptor.VERSION +
            ")";
    }

    /**
     * @return what is wrong with the header checksum ({@link BlockDescriptor#HEADER_CHECKSUM_OFFSET}), or null.
     */
    public static String checksum(final ByteBuffer header)
    {
        return BlockDescriptor.headerChecksum(header) == header.getInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET) ?
            null : "header checksum mismatch";
    }

    /**
     * @return what is wrong with the block id ({@link BlockDescriptor#BLOCK_ID_OFFSET}) of a block found in the file
     * named for {@code expectedId}, or null.
     */
    public static String blockId(final ByteBuffer header, final long expectedId)
    {
        final long blockId = header.getLong(BlockDescriptor.BLOCK_ID_OFFSET);
        return blockId == expectedId ? null : "block header says id " + blockId + " but the file name says " +
            expectedId;
    }

    /**
     * @return what is wrong with the base sequence ({@link BlockDescriptor#BASE_SEQ_OFFSET}), or null.
     */
    public static String baseSeq(final ByteBuffer header)
    {
        final long baseSeq = header.getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        // The sequence before a block's base counts as assigned: a base past the ceiling was never written.
        return baseSeq >= 0 && baseSeq <= RecordDescriptor.MAX_SEQUENCE + 1 ? null : "block header base sequence " +
            baseSeq + " is outside [0, " + RecordDescriptor.MAX_SEQUENCE + " + 1], the sequences a stream may assign";
    }

    /**
     * @return what is wrong with the declared block length ({@link BlockDescriptor#BLOCK_LENGTH_OFFSET}), or null.
     */
    public static String length(final ByteBuffer header)
    {
        final int length = header.getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET);
        return length >= BlockDescriptor.HEADER_LENGTH && length <= BlockDescriptor.MAX_BLOCK_LENGTH ? null :
            "block header claims an impossible length " + length;
    }

    /**
     * @return what is wrong with the data offset ({@link BlockDescriptor#DATA_OFFSET_OFFSET}), or null.
     */
    public static String dataOffset(final ByteBuffer header)
    {
        final int dataOffset = header.getInt(BlockDescriptor.DATA_OFFSET_OFFSET);
        return dataOffset == BlockDescriptor.DATA_OFFSET ? null : "unexpected data offset " + dataOffset;
    }

    /**
     * @return what is wrong with the encryption flag ({@link BlockDescriptor#FLAGS_OFFSET}) of a block in a stream
     * that is, or is not, {@code encrypted}; or null.
     */
    public static String encryption(final ByteBuffer header, final boolean encrypted)
    {
        final boolean blockEncrypted =
            (header.getInt(BlockDescriptor.FLAGS_OFFSET) & BlockDescriptor.FLAG_ENCRYPTED) != 0;
        if (blockEncrypted == encrypted)
        {
            return null;
        }
        return blockEncrypted ? "block is encrypted but the stream is not" :
            "block is plaintext but the stream is encrypted";
    }
}
