package io.ferrite.bench;

import java.util.SplittableRandom;

/**
 * Payload bytes for benchmarks. Random rather than zero so that nothing in the path (a checksum with a
 * zero shortcut, a compressing file system, a sparse-aware copy) can treat the data as special; seeded so
 * two runs write the same bytes.
 */
public final class Payloads
{
    /** Fixed seed: the content is irrelevant to every algorithm measured here, reproducibility is not. */
    public static final long SEED = 0x5EED_F3E1L;

    private Payloads()
    {
    }

    /**
     * @param length of the payload in bytes.
     * @return a new array of {@code length} pseudo-random bytes, the same for every call with that length.
     */
    public static byte[] random(final int length)
    {
        if (length < 0)
        {
            throw new IllegalArgumentException("length must be >= 0: " + length);
        }

        final byte[] payload = new byte[length];
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)random.nextInt();
        }

        return payload;
    }
}
