package io.ferrite.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * HKDF-SHA256 (RFC 5869) split into its two steps, over BouncyCastle's {@link HKDFBytesGenerator}
 * (the JDK 17 has no HKDF).
 * <p>
 * Split because every key Ferrite derives comes in a family — one extract, several expands with
 * different {@code info} strings — and extracting once per family halves the HMAC work and makes
 * the family structure visible at the call site.
 */
final class Hkdf
{
    /**
     * Length of a pseudorandom key from {@link #extract}: one SHA-256 output.
     */
    static final int PRK_LENGTH = 32;

    private Hkdf()
    {
    }

    /**
     * HKDF-Extract: {@code PRK = HMAC-SHA256(salt, ikm)}.
     *
     * @param salt non-secret randomness; may be empty (RFC 5869 then uses 32 zero bytes).
     * @param ikm  input keying material.
     * @return a fresh 32-byte pseudorandom key, owned by the caller (zero it when done).
     */
    static byte[] extract(final byte[] salt, final byte[] ikm)
    {
        return new HKDFBytesGenerator(new SHA256Digest()).extractPRK(salt, ikm);
    }

    /**
     * HKDF-Expand: {@code length} bytes of output keying material for one {@code info} label.
     *
     * @param prk    pseudorandom key from {@link #extract}.
     * @param info   context label; distinct labels give independent outputs.
     * @param out    destination.
     * @param offset where in {@code out} to write.
     * @param length how many bytes, at most 255 * 32.
     */
    static void expand(final byte[] prk, final byte[] info, final byte[] out, final int offset, final int length)
    {
        final HKDFBytesGenerator generator = new HKDFBytesGenerator(new SHA256Digest());
        generator.init(HKDFParameters.skipExtractParameters(prk, info));
        generator.generateBytes(out, offset, length);
    }

    /**
     * HKDF-Expand into a new array.
     *
     * @param prk    pseudorandom key from {@link #extract}.
     * @param info   context label.
     * @param length how many bytes.
     * @return the output keying material, owned by the caller.
     */
    static byte[] expand(final byte[] prk, final byte[] info, final int length)
    {
        final byte[] out = new byte[length];
        expand(prk, info, out, 0, length);
        return out;
    }
}
