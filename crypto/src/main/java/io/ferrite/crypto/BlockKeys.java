package io.ferrite.crypto;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;

/**
 * Derives a block's keys from the stream key and a random per-block salt, with HKDF-SHA256.
 * <p>
 * One extract, four expands, each with its own versioned {@code info} label so the outputs are
 * independent (learning the public key id or nonce prefix says nothing about the AES or HMAC key):
 * <pre>
 *   PRK = HKDF-Extract(salt = block salt (16 B), IKM = stream key (32 B))
 *
 *   data key     32 B = HKDF-Expand(PRK, "ferrite/v1/block-data",         32)  AES-256-GCM frames
 *   MAC key      32 B = HKDF-Expand(PRK, "ferrite/v1/block-mac",          32)  HMAC-SHA256 footer
 *   key id        8 B = HKDF-Expand(PRK, "ferrite/v1/block-key-id",        8)  public, little-endian long
 *   nonce prefix  4 B = HKDF-Expand(PRK, "ferrite/v1/block-nonce-prefix",  4)  public, little-endian int
 * </pre>
 * A fresh key per block is what makes GCM safe across crashes, truncation and rewrites: the engine
 * never has to remember which (key, nonce) pairs a dead process used, it only has to start a new
 * block, with a new salt, instead of writing more frames under a recovered block's key. The
 * {@code v1} in the labels is the format version: a future format changes the labels, and so every
 * key, rather than reinterpreting old ones.
 * <p>
 * Thread-safe: no shared mutable state ({@link SecureRandom} is itself thread-safe).
 */
public final class BlockKeys
{
    /**
     * Length of a stream key, the HKDF input keying material.
     */
    public static final int STREAM_KEY_LENGTH = 32;

    /**
     * Length of a block salt. 128 random bits: with 2^32 blocks ever created under one stream key
     * the chance of any two sharing a salt (and so a key) stays below 2^-64.
     */
    public static final int SALT_LENGTH = 16;

    static final byte[] DATA_KEY_INFO = ascii("ferrite/v1/block-data");
    static final byte[] MAC_KEY_INFO = ascii("ferrite/v1/block-mac");
    static final byte[] KEY_ID_INFO = ascii("ferrite/v1/block-key-id");
    static final byte[] NONCE_PREFIX_INFO = ascii("ferrite/v1/block-nonce-prefix");

    static final int DATA_KEY_LENGTH = 32;
    static final int MAC_KEY_LENGTH = 32;
    static final int KEY_ID_LENGTH = 8;
    static final int NONCE_PREFIX_LENGTH = 4;

    private static final SecureRandom RANDOM = new SecureRandom();

    private BlockKeys()
    {
    }

    /**
     * @return 16 fresh bytes from {@link SecureRandom}, for a new block.
     */
    public static byte[] newSalt()
    {
        final byte[] salt = new byte[SALT_LENGTH];
        RANDOM.nextBytes(salt);
        return salt;
    }

    /**
     * Derives the keys of one block. Deterministic: the same stream key and salt always give the
     * same keys, which is how a reader recovers them from the salt in the block header.
     *
     * @param streamKey the stream key from {@link StreamKeyFile}, exactly 32 bytes; not retained.
     * @param salt16    the block's salt, exactly 16 bytes; copied.
     * @return the block's keys.
     * @throws IllegalArgumentException if either array has the wrong length.
     */
    public static BlockKey derive(final byte[] streamKey, final byte[] salt16)
    {
        Arguments.requireLength(streamKey, STREAM_KEY_LENGTH, "streamKey");
        Arguments.requireLength(salt16, SALT_LENGTH, "salt16");

        final byte[] prk = Hkdf.extract(salt16, streamKey);
        final byte[] dataKey = Hkdf.expand(prk, DATA_KEY_INFO, DATA_KEY_LENGTH);
        final byte[] macKey = Hkdf.expand(prk, MAC_KEY_INFO, MAC_KEY_LENGTH);
        final byte[] publicBytes = new byte[KEY_ID_LENGTH + NONCE_PREFIX_LENGTH];
        Hkdf.expand(prk, KEY_ID_INFO, publicBytes, 0, KEY_ID_LENGTH);
        Hkdf.expand(prk, NONCE_PREFIX_INFO, publicBytes, KEY_ID_LENGTH, NONCE_PREFIX_LENGTH);
        try
        {
            return new BlockKey(
                salt16,
                new SecretKeySpec(dataKey, "AES"),
                new SecretKeySpec(macKey, "HmacSHA256"),
                LittleEndian.getLong(publicBytes, 0),
                LittleEndian.getInt(publicBytes, KEY_ID_LENGTH));
        }
        finally
        {
            // SecretKeySpec took its own copies; leave no stray copies of ours behind.
            Arrays.fill(prk, (byte)0);
            Arrays.fill(dataKey, (byte)0);
            Arrays.fill(macKey, (byte)0);
        }
    }

    private static byte[] ascii(final String label)
    {
        return label.getBytes(StandardCharsets.US_ASCII);
    }
}
