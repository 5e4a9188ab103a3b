package io.ferrite.engine.block;

import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.CorruptFileException;
import org.agrona.DirectBuffer;

import java.nio.file.Path;

/**
 * The stream key of an encrypted stream, and the per-block keys derived from it (HKDF-SHA256 over a random 16-byte
 * salt kept in each block's header). A fresh salt for every new block means a fresh key, so a block's AES-GCM nonces
 * (the record sequence as counter) can never repeat across blocks, rewrites or crashes.
 */
public final class BlockCrypto
{
    private final byte[] streamKey;

    public BlockCrypto(final byte[] streamKey)
    {
        this.streamKey = streamKey.clone();
    }

    /**
     * @return a key for a new block, under a new random salt.
     */
    public BlockKey newKey()
    {
        return BlockKeys.derive(streamKey, BlockKeys.newSalt());
    }

    /**
     * @return the key of the block whose header holds {@code salt}.
     */
    public BlockKey keyFor(final byte[] salt)
    {
        return BlockKeys.derive(streamKey, salt);
    }

    /**
     * @return the key of the block whose header is in {@code header}, checked against the key id the header records.
     * @throws CorruptFileException when they differ: the header was altered, or the block belongs to another stream
     * key.
     */
    public BlockKey keyFor(final DirectBuffer header, final Path file)
    {
        final byte[] salt = new byte[BlockDescriptor.SALT_LENGTH];
        header.getBytes(BlockDescriptor.SALT_OFFSET, salt);
        final BlockKey derived = keyFor(salt);
        if (derived.keyId() != header.getLong(BlockDescriptor.KEY_ID_OFFSET))
        {
            throw new CorruptFileException("block key id does not match the one derived from its salt: the header " +
                "was altered or the block belongs to another stream key", file, BlockDescriptor.KEY_ID_OFFSET);
        }
        return derived;
    }
}
