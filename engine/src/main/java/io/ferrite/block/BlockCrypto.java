package io.ferrite.block;

import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;

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
}
