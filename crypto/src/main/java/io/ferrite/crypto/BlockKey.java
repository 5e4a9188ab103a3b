package io.ferrite.crypto;

import javax.crypto.SecretKey;

/**
 * The keys of one block, derived by {@link BlockKeys#derive} from the stream key and the block's
 * salt. Immutable and safe to share between threads; the ciphers that use it are not.
 * <p>
 * Only the non-secret parts are public: the {@link #keyId()}, the {@link #noncePrefix()} and the
 * {@link #salt()}. The AES and HMAC keys are reachable only from this package, through
 * {@link FrameCipher} and {@link BlockFooterCodec}, so engine code cannot log or persist them by
 * accident. {@link #toString()} prints the key id only.
 * <p>
 * The JDK's {@code SecretKeySpec} cannot be wiped, so the secret keys live until the garbage
 * collector reclaims them; do not keep {@code BlockKey}s for blocks that are no longer open.
 */
public final class BlockKey
{
    private final byte[] salt;
    private final SecretKey dataKey;
    private final SecretKey macKey;
    private final long keyId;
    private final int noncePrefix;

    BlockKey(final byte[] salt, final SecretKey dataKey, final SecretKey macKey, final long keyId,
        final int noncePrefix)
    {
        this.salt = salt.clone();
        this.dataKey = dataKey;
        this.macKey = macKey;
        this.keyId = keyId;
        this.noncePrefix = noncePrefix;
    }

    /**
     * Non-secret 64-bit identifier of this block's data key. Two blocks share a key id only if they
     * share a salt (and so every key), which is what makes {@code (keyId, nonce)} pairs collected
     * across files a sound check that no nonce was ever reused under one key.
     *
     * @return the key id; its little-endian bytes are the HKDF output bytes.
     */
    public long keyId()
    {
        return keyId;
    }

    /**
     * The first four bytes of every frame nonce under this key; see {@link FrameCipher}.
     *
     * @return the nonce prefix; its little-endian bytes are the HKDF output bytes.
     */
    public int noncePrefix()
    {
        return noncePrefix;
    }

    /**
     * @return a copy of the 16-byte salt this key was derived from (it belongs in the block header).
     */
    public byte[] salt()
    {
        return salt.clone();
    }

    /**
     * Copies the salt without allocating, for the footer MAC context.
     */
    void copySalt(final byte[] dst, final int offset)
    {
        System.arraycopy(salt, 0, dst, offset, salt.length);
    }

    /**
     * @return the AES-256 key that seals this block's frames.
     */
    SecretKey dataKey()
    {
        return dataKey;
    }

    /**
     * @return the HMAC-SHA256 key that authenticates this block's footer.
     */
    SecretKey macKey()
    {
        return macKey;
    }

    @Override
    public String toString()
    {
        return "BlockKey{keyId=" + keyIdHex(keyId) + '}';
    }

    /**
     * @param keyId a key id.
     * @return the key id as 16 hex digits, the form every message in this package uses.
     */
    public static String keyIdHex(final long keyId)
    {
        final String hex = Long.toHexString(keyId);
        return "0".repeat(16 - hex.length()) + hex;
    }
}
