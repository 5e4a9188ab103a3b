package io.ferrite.engine.testing;

import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;
import io.ferrite.crypto.StreamKeyFile;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Test-side view of an encrypted stream's files with the caller's key in hand: the stream key, each block's key
 * re-derived from the salt in its header, its footer, and every record frame whose header was (at least partly)
 * written — the raw material of nonce audits and footer checks.
 */
public final class EncryptedBlocks
{
    private EncryptedBlocks()
    {
    }

    /**
     * One encrypted message record as found in a block file, complete or torn.
     *
     * @param keyId    the block key id from the block header.
     * @param complete whether the record's checksum verifies (a record in flight when a process died does not).
     */
    public record SealedRecord(Path file, int offset, int frameLength, long keyId, long seq, boolean complete,
        byte[] bytes)
    {
    }

    /**
     * @return the stream key unwrapped from {@code stream.key} with the caller's key.
     */
    public static byte[] streamKey(final Path streamDir, final byte[] callerKey, final String streamName)
    {
        try
        {
            return StreamKeyFile.open(streamDir.resolve("stream.key"), callerKey, streamName);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public static long headerKeyId(final byte[] block)
    {
        return ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).getLong(BlockDescriptor.KEY_ID_OFFSET);
    }

    public static long blockId(final byte[] block)
    {
        return ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).getLong(BlockDescriptor.BLOCK_ID_OFFSET);
    }

    public static int declaredLength(final byte[] block)
    {
        return ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET);
    }

    public static int footerOffset(final byte[] block)
    {
        return declaredLength(block) - BlockFooterCodec.FOOTER_LENGTH;
    }

    /**
     * @return the block's key, re-derived from the salt in its header.
     */
    public static BlockKey blockKey(final byte[] block, final byte[] streamKey)
    {
        return BlockKeys.derive(streamKey, Arrays.copyOfRange(block, BlockDescriptor.SALT_OFFSET,
            BlockDescriptor.SALT_OFFSET + BlockDescriptor.SALT_LENGTH));
    }

    /**
     * Decode (and so authenticate) the footer of a sealed block.
     *
     * @throws io.ferrite.crypto.CryptoException when it does not authenticate.
     */
    public static BlockFooter footer(final byte[] block, final byte[] streamKey)
    {
        final int at = footerOffset(block);
        return new BlockFooterCodec().decode(
            blockKey(block, streamKey), blockId(block), ByteBuffer.wrap(block), at, at);
    }

    /**
     * Walk every record frame of a block file whose header has its frame length and sequence written, torn or not,
     * from the data offset to the first zero word or implausible length. Damage is not expected here: this is for
     * files written by the engine and left by a crash.
     */
    public static List<SealedRecord> sealedRecords(final Path blockFile)
    {
        final byte[] block = BlockFiles.readAll(blockFile);
        final List<SealedRecord> records = new ArrayList<>();
        if (block.length < BlockDescriptor.HEADER_LENGTH)
        {
            return records;
        }
        final ByteBuffer bytes = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        final long keyId = headerKeyId(block);
        final int limit = Math.min(block.length, footerOffset(block));
        final CRC32C crc = new CRC32C();
        int offset = BlockDescriptor.DATA_OFFSET;
        while (offset + RecordDescriptor.HEADER_LENGTH <= limit)
        {
            final int frameLength = bytes.getInt(offset + RecordDescriptor.FRAME_LENGTH_OFFSET);
            if (frameLength < RecordDescriptor.MIN_FRAME_LENGTH || (frameLength & 7) != 0 ||
                offset + frameLength > limit)
            {
                break;
            }
            final long seq = bytes.getLong(offset + RecordDescriptor.SEQUENCE_OFFSET);
            final boolean sealed = (bytes.get(offset + RecordDescriptor.FLAGS_OFFSET) &
                RecordDescriptor.FLAG_ENCRYPTED) != 0;
            if (seq != 0 && sealed && bytes.get(offset + RecordDescriptor.TYPE_OFFSET) == RecordDescriptor.TYPE_MESSAGE)
            {
                crc.reset();
                crc.update(block, offset, frameLength - RecordDescriptor.CHECKSUM_LENGTH);
                final boolean complete =
                    (int)crc.getValue() == bytes.getInt(offset + frameLength - RecordDescriptor.CHECKSUM_LENGTH);
                records.add(new SealedRecord(blockFile, offset, frameLength, keyId, seq, complete,
                    Arrays.copyOfRange(block, offset, offset + frameLength)));
            }
            offset += frameLength;
        }
        return records;
    }
}
