package io.ferrite.engine.testing;

import io.ferrite.store.StreamConfig;

import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * The two kinds of stream the recovery suites run against: plaintext, and encrypted under a fixed, seeded test key.
 * Suites parameterized over it must pass in both modes; where the encrypted engine legitimately behaves differently
 * (after a reopen it appends into a new block, never into the one it found) the suite asks {@link #encrypted()}.
 */
public enum StreamMode
{
    PLAINTEXT,
    ENCRYPTED;

    /** The caller key every encrypted test stream uses: 32 bytes derived from a fixed seed, so runs are repeatable. */
    public static final byte[] KEY = key(0xF3_4417_C0DEL);

    /** A second, different key: what a caller holding the wrong key passes. */
    public static final byte[] WRONG_KEY = key(0xBAD_C0DEL);

    public boolean encrypted()
    {
        return this == ENCRYPTED;
    }

    /**
     * @return the builder, with the test key when this mode is encrypted.
     */
    public StreamConfig.Builder apply(final StreamConfig.Builder builder)
    {
        return encrypted() ? builder.encryptionKey(KEY) : builder;
    }

    public StreamConfig config(final StreamConfig.Builder builder)
    {
        return apply(builder).build();
    }

    /**
     * @return the caller key in hex for a child JVM's command line, or "-" for a plaintext stream.
     */
    public String keyArgument()
    {
        return encrypted() ? HexFormat.of().formatHex(KEY) : "-";
    }

    public static byte[] key(final long seed)
    {
        final byte[] key = new byte[32];
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < key.length; i++)
        {
            key[i] = (byte)random.nextInt(256);
        }
        return key;
    }

    @Override
    public String toString()
    {
        return encrypted() ? "encrypted" : "plaintext";
    }
}
