package io.ferrite.tools;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StreamConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A block file's header, checked the way the engine's (package-private) {@code BlockHeader} checks it, but reporting
 * instead of throwing, so {@code verify} can go on to scan the records of a block whose header is damaged.
 *
 * @param trusted  the header checksum verified and its fields are plausible: base sequence and length can be used.
 * @param salt     the block key's salt (all zeros for a plaintext block); meaningful only when trusted.
 * @param keyId    the block key's id (zero for a plaintext block); meaningful only when trusted.
 * @param problem  what is wrong, or null.
 * @param offset   where in the header the problem is.
 */
record BlockHeaderCheck(boolean trusted, long baseSeq, int declaredLength, boolean encrypted, int version,
    byte[] salt, long keyId, String problem, int offset)
{
    static BlockHeaderCheck of(final ByteBuffer header, final long expectedId)
    {
        header.order(ByteOrder.LITTLE_ENDIAN);
        final long magic = header.getLong(BlockDescriptor.MAGIC_OFFSET);
        final int version = header.getInt(BlockDescriptor.VERSION_OFFSET);
        final long baseSeq = header.getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        final int length = header.getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET);
        final boolean encrypted = (header.getInt(BlockDescriptor.FLAGS_OFFSET) & BlockDescriptor.FLAG_ENCRYPTED) != 0;
        final byte[] salt = new byte[BlockDescriptor.SALT_LENGTH];
        header.get(BlockDescriptor.SALT_OFFSET, salt);
        final long keyId = header.getLong(BlockDescriptor.KEY_ID_OFFSET);
        if (magic != BlockDescriptor.MAGIC)
        {
            return untrusted("not a Ferrite block header: magic is " + Long.toHexString(magic),
                BlockDescriptor.MAGIC_OFFSET);
        }
        if (BlockDescriptor.headerChecksum(header) != header.getInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET))
        {
            return untrusted("header checksum mismatch", BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        }
        if (length < BlockDescriptor.HEADER_LENGTH || length > StreamConfig.BLOCK_SIZE_MAX)
        {
            return untrusted("header declares an impossible length " + length, BlockDescriptor.BLOCK_LENGTH_OFFSET);
        }
        if (header.getInt(BlockDescriptor.DATA_OFFSET_OFFSET) != BlockDescriptor.DATA_OFFSET)
        {
            return untrusted("unexpected data offset " + header.getInt(BlockDescriptor.DATA_OFFSET_OFFSET),
                BlockDescriptor.DATA_OFFSET_OFFSET);
        }
        final long id = header.getLong(BlockDescriptor.BLOCK_ID_OFFSET);
        if (id != expectedId)
        {
            return new BlockHeaderCheck(true, baseSeq, length, encrypted, version, salt, keyId,
                "header says block id " + id + " but the file name says " + expectedId,
                    BlockDescriptor.BLOCK_ID_OFFSET);
        }
        return new BlockHeaderCheck(true, baseSeq, length, encrypted, version, salt, keyId, null, 0);
    }

    private static BlockHeaderCheck untrusted(final String problem, final int offset)
    {
        return new BlockHeaderCheck(false, 0, 0, false, 0, new byte[BlockDescriptor.SALT_LENGTH], 0, problem, offset);
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
        return version == BlockDescriptor.VERSION;
    }
}
