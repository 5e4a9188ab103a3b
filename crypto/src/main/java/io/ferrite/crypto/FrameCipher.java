package io.ferrite.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens one bounded frame of a block with AES-256-GCM under the block's data key.
 * <p>
 * Frames bound what a reader must authenticate to return one message: at most one frame, so at
 * most {@link #MAX_FRAME_PLAINTEXT} bytes plus the frame of one oversized record. Every plaintext
 * byte handed out has passed the tag check of the frame it came from.
 *
 * <h2>Layouts</h2>
 * A sealed frame, as stored in the block file at {@code frameOffset}:
 * <pre>
 *   0                                   n                     n + 16
 *   +-----------------------------------+---------------------+
 *   |  ciphertext (n = plaintext length) |  GCM tag (16 bytes) |
 *   +-----------------------------------+---------------------+
 * </pre>
 * The 96-bit nonce, never stored: recomputed from the block key and the frame counter.
 * <pre>
 *   0               4                                         12
 *   +---------------+-----------------------------------------+
 *   | nonce prefix  |  frame counter (unsigned 64-bit, LE)     |
 *   +---------------+-----------------------------------------+
 * </pre>
 * The associated data, never stored: it binds the frame to its key, its counter and its place.
 * <pre>
 *   0                        8                        16                       24
 *   +------------------------+------------------------+------------------------+
 *   |  block key id (LE)     |  frame counter (LE)     |  frame offset (LE)     |
 *   +------------------------+------------------------+------------------------+
 * </pre>
 * A frame copied to another block fails (other key); one moved to another offset or presented
 * under another counter fails (other nonce and associated data); one truncated or extended fails
 * (GCM authenticates the ciphertext length). The key id is redundant with the key itself and the
 * counter with the nonce; both are bound anyway because it costs nothing and keeps the frame's
 * identity in one authenticated place.
 *
 * <h2>Nonce contract — read this before calling {@link #seal}</h2>
 * <strong>A (block key, frame counter) pair must be sealed at most once, ever</strong> — across
 * threads, processes, crashes and restarts. GCM with a repeated nonce leaks the XOR of the two
 * plaintexts and lets an attacker forge tags for that key. This class cannot enforce the contract
 * (it does not know what a previous process sealed); the engine does, by numbering a block's
 * frames 0, 1, 2, … as it seals them and by never sealing another frame under a block key after a
 * restart: a recovered unsealed block is closed and appends continue in a new block with a new
 * salt, and so a new key. As a last line of defence the JDK refuses to seal twice in a row with
 * the same key and nonce on one instance; that surfaces here as {@link IllegalStateException}.
 *
 * <h2>Implementation choice</h2>
 * The JDK's {@code AES/GCM/NoPadding} from the {@code SunJCE} provider, pinned by name. It runs
 * on the AES-NI and CLMUL intrinsics (measured on JDK 17 here at 1.0–1.5 GB/s for 1–64 KiB
 * buffers, against about 0.07 GB/s for BouncyCastle's pure-Java GCM). The provider is pinned by
 * name so that no other provider installed ahead of SunJCE takes the data path unnoticed. A failed
 * {@link #open} leaves the destination untouched by construction: the provider decrypts into this
 * instance's own array, and only a frame whose tag verified is copied out (a test pins this down,
 * including for frames larger than {@link #MAX_FRAME_PLAINTEXT}).
 *
 * <h2>Per-frame cost</h2>
 * GCM needs a new nonce per frame, and the JCE offers no way to change it other than
 * {@link Cipher#init}, which builds the provider's per-operation state (hash subkey, counter and
 * GHASH objects, the AAD buffer). What this class controls is everything around it: the provider
 * works on arrays and copies a direct buffer through freshly allocated chunks (about 2 KiB of
 * garbage and two extra passes for a 1 KiB frame), so a direct source or destination is copied once
 * into arrays this instance keeps instead, and a heap buffer is handed over as it is. Measured in
 * {@code EncryptedAppendBenchmark}.
 *
 * <h2>Threading and allocation</h2>
 * Not thread-safe: one instance owns one {@link Cipher} and its scratch arrays (grown to the
 * largest frame seen, never shrunk). Use one per writer and one per reader thread. The nonce and
 * associated data are built in reused arrays; what still allocates on each call is what the JCE
 * forces — the {@link GCMParameterSpec} and the provider's per-operation GCM state created by
 * {@link Cipher#init}, under 1 KiB whatever the frame length.
 * <p>
 * Buffers are addressed by absolute index, heap or direct alike; their position, limit and mark
 * are neither read nor changed. A buffer must not be used by another thread during the call.
 */
public final class FrameCipher
{
    /**
     * Bytes of GCM tag after each frame's ciphertext: the full 128 bits.
     */
    public static final int TAG_LENGTH = 16;

    /**
     * Bytes of GCM nonce: 96 bits, the length GCM uses without an extra GHASH pass.
     */
    public static final int NONCE_LENGTH = 12;

    /**
     * Bytes of associated data bound to each frame; see the class diagram.
     */
    public static final int AAD_LENGTH = 24;

    /**
     * Recommended largest plaintext of one frame: 64 KiB. Small enough that reading one message
     * decrypts at most about 64 KiB; large enough that the 16-byte tag and the per-call cipher set-up
     * are noise (0.02 % overhead) and that the JDK GCM intrinsics run at full speed. A single record
     * larger than this is not split: it gets a frame of its own, as large as the record.
     */
    public static final int MAX_FRAME_PLAINTEXT = 64 * 1024;

    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final String PROVIDER = "SunJCE";
    private static final int TAG_BITS = TAG_LENGTH * Byte.SIZE;

    private static final int AAD_KEY_ID_OFFSET = 0;
    private static final int AAD_COUNTER_OFFSET = 8;
    private static final int AAD_FRAME_OFFSET_OFFSET = 16;
    private static final int NONCE_COUNTER_OFFSET = 4;
    private static final int INITIAL_SCRATCH = 4096;

    private final Cipher cipher;
    private final byte[] nonce = new byte[NONCE_LENGTH];
    private final byte[] aad = new byte[AAD_LENGTH];
    private byte[] input = new byte[INITIAL_SCRATCH];
    private byte[] output = new byte[INITIAL_SCRATCH];

    /**
     * Creates a frame cipher with its own JDK {@link Cipher} instance.
     *
     * @throws CryptoException if this JVM has no SunJCE AES/GCM (a stripped or FIPS-only runtime).
     */
    public FrameCipher()
    {
        cipher = newAesGcm();
    }

    /**
     * @param plaintextLength bytes of plaintext in a frame.
     * @return bytes the frame occupies once sealed.
     */
    public static int sealedLength(final int plaintextLength)
    {
        return plaintextLength + TAG_LENGTH;
    }

    /**
     * Writes the 12-byte nonce used for a frame, for tools and tests that audit nonce uniqueness.
     *
     * @param key          the block key.
     * @param frameCounter the frame's counter.
     * @param dst          destination.
     * @param offset       where in {@code dst} to write {@link #NONCE_LENGTH} bytes.
     */
    public static void nonce(final BlockKey key, final long frameCounter, final byte[] dst, final int offset)
    {
        Objects.checkFromIndexSize(offset, NONCE_LENGTH, dst.length);
        LittleEndian.putInt(dst, offset, key.noncePrefix());
        LittleEndian.putLong(dst, offset + NONCE_COUNTER_OFFSET, frameCounter);
    }

    /**
     * Encrypts and authenticates one frame.
     * <p>
     * <strong>The caller guarantees that {@code frameCounter} has never been sealed under
     * {@code key} before, by any process</strong>; see the class documentation.
     *
     * @param key          the block key.
     * @param frameCounter the frame's number within the block, {@code >= 0}, never reused with this key.
     * @param frameOffset  where the sealed frame will sit in the block file, {@code >= 0}.
     * @param src          the plaintext's buffer.
     * @param srcIndex     absolute index of the plaintext in {@code src}.
     * @param length       plaintext bytes, within {@code src}'s limit.
     * @param dst          where to write the sealed frame; a different buffer object from {@code src}
     *                     (a {@code duplicate()} of it is fine, even overlapping).
     * @param dstIndex     absolute index in {@code dst}; {@link #sealedLength(int)} bytes must fit
     *                     before its limit.
     * @return bytes written to {@code dst}: {@code length + TAG_LENGTH}.
     * @throws IllegalStateException if this instance just sealed the same key and counter (nonce reuse).
     */
    public int seal(
        final BlockKey key,
        final long frameCounter,
        final long frameOffset,
        final ByteBuffer src,
        final int srcIndex,
        final int length,
        final ByteBuffer dst,
        final int dstIndex)
    {
        return seal(key, frameCounter, frameOffset, null, src, srcIndex, length, dst, dstIndex);
    }

    /**
     * As {@link #seal(BlockKey, long, long, ByteBuffer, int, int, ByteBuffer, int)}, also authenticating
     * {@code context} (its bytes from position to limit) as associated data: plaintext that travels beside the frame
     * and must not be altered. The same context must be passed to {@code open}.
     */
    public int seal(
        final BlockKey key,
        final long frameCounter,
        final long frameOffset,
        final ByteBuffer context,
        final ByteBuffer src,
        final int srcIndex,
        final int length,
        final ByteBuffer dst,
        final int dstIndex)
    {
        checkBuffers(src, dst);
        Objects.checkFromIndexSize(srcIndex, length, src.limit());
        final int sealedLength = sealedLength(length);
        Objects.checkFromIndexSize(dstIndex, sealedLength, dst.limit());
        init(Cipher.ENCRYPT_MODE, key, frameCounter, frameOffset, context);

        // The provider runs on arrays: it copies a direct buffer through fresh arrays in chunks, so the copy is
        // made here once, into arrays this instance keeps (EncryptedAppendBenchmark: rawSeal against rawSealDirect).
        final byte[] in;
        final int inOffset;
        if (src.hasArray())
        {
            in = src.array();
            inOffset = src.arrayOffset() + srcIndex;
        }
        else
        {
            in = input(length);
            inOffset = 0;
            src.get(srcIndex, in, 0, length);
        }
        final boolean dstArray = dst.hasArray();
        final byte[] out = dstArray ? dst.array() : output(sealedLength);
        final int outOffset = dstArray ? dst.arrayOffset() + dstIndex : 0;
        try
        {
            final int written = cipher.doFinal(in, inOffset, length, out, outOffset);
            if (!dstArray)
            {
                dst.put(dstIndex, out, 0, written);
            }
            return written;
        }
        catch (final GeneralSecurityException ex)
        {
            // Bounds were checked above and GCM encryption has no padding to get wrong, so this is a
            // provider fault, not bad input: report it rather than write a frame we cannot vouch for.
            throw new CryptoException(
                "AES-GCM seal of frame " + frameCounter + " of block key " + BlockKey.keyIdHex(key.keyId()) +
                " failed in the provider", ex);
        }
    }

    /**
     * Verifies and decrypts one sealed frame. On success the plaintext is in {@code dst}; on failure
     * nothing has been written to {@code dst}.
     *
     * @param key          the block key.
     * @param frameCounter the counter the frame was sealed with.
     * @param frameOffset  the block-file offset the frame was sealed for (and read from).
     * @param src          the sealed frame's buffer (e.g. the mapped block).
     * @param srcIndex     absolute index of the sealed frame in {@code src}.
     * @param sealedLength bytes of ciphertext plus tag, within {@code src}'s limit.
     * @param dst          where to write the plaintext; a different buffer object from {@code src}.
     * @param dstIndex     absolute index in {@code dst}; {@code sealedLength - TAG_LENGTH} bytes must
     *                     fit before its limit.
     * @return plaintext bytes written: {@code sealedLength - TAG_LENGTH}.
     * @throws AuthenticationFailedException if the tag does not verify (tampered, truncated, moved,
     *                                       or another key), naming the frame and its offset.
     */
    public int open(
        final BlockKey key,
        final long frameCounter,
        final long frameOffset,
        final ByteBuffer src,
        final int srcIndex,
        final int sealedLength,
        final ByteBuffer dst,
        final int dstIndex)
    {
        return open(key, frameCounter, frameOffset, null, src, srcIndex, sealedLength, dst, dstIndex);
    }

    /**
     * As {@link #open(BlockKey, long, long, ByteBuffer, int, int, ByteBuffer, int)}, with the {@code context} the
     * frame was sealed with authenticated too: an altered context fails like an altered frame.
     */
    public int open(
        final BlockKey key,
        final long frameCounter,
        final long frameOffset,
        final ByteBuffer context,
        final ByteBuffer src,
        final int srcIndex,
        final int sealedLength,
        final ByteBuffer dst,
        final int dstIndex)
    {
        checkBuffers(src, dst);
        Objects.checkFromIndexSize(srcIndex, sealedLength, src.limit());
        if (sealedLength < TAG_LENGTH)
        {
            // Shorter than a tag: no key could have produced it, so it is damage, not a caller error.
            throw new AuthenticationFailedException(frameName(key, frameCounter) + " (" + sealedLength +
                " bytes, shorter than its " + TAG_LENGTH + "-byte tag)", frameOffset);
        }
        final int plaintextLength = sealedLength - TAG_LENGTH;
        Objects.checkFromIndexSize(dstIndex, plaintextLength, dst.limit());
        init(Cipher.DECRYPT_MODE, key, frameCounter, frameOffset, context);

        final byte[] in;
        final int inOffset;
        if (src.hasArray())
        {
            in = src.array();
            inOffset = src.arrayOffset() + srcIndex;
        }
        else
        {
            in = input(sealedLength);
            inOffset = 0;
            src.get(srcIndex, in, 0, sealedLength);
        }
        // Always into this instance's array, copied to dst only once the tag has verified: that no plaintext
        // reaches dst on failure then rests on this class, not on the order in which the provider checks.
        final byte[] out = output(plaintextLength);
        final int opened;
        try
        {
            opened = cipher.doFinal(in, inOffset, sealedLength, out, 0);
        }
        catch (final AEADBadTagException ex)
        {
            throw new AuthenticationFailedException(frameName(key, frameCounter), frameOffset, ex);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CryptoException(
                "AES-GCM open of " + frameName(key, frameCounter) + " at offset " + frameOffset +
                " failed in the provider", ex);
        }
        dst.put(dstIndex, out, 0, opened);
        return opened;
    }

    private byte[] input(final int length)
    {
        if (length > input.length)
        {
            input = new byte[length];
        }
        return input;
    }

    private byte[] output(final int length)
    {
        if (length > output.length)
        {
            output = new byte[length];
        }
        return output;
    }

    private void init(
        final int mode, final BlockKey key, final long frameCounter, final long frameOffset, final ByteBuffer context)
    {
        Arguments.requireNonNegative(frameCounter, "frameCounter");
        Arguments.requireNonNegative(frameOffset, "frameOffset");
        nonce(key, frameCounter, nonce, 0);
        LittleEndian.putLong(aad, AAD_KEY_ID_OFFSET, key.keyId());
        LittleEndian.putLong(aad, AAD_COUNTER_OFFSET, frameCounter);
        LittleEndian.putLong(aad, AAD_FRAME_OFFSET_OFFSET, frameOffset);
        try
        {
            // GCMParameterSpec copies the nonce, so the scratch array is free for the next call.
            cipher.init(mode, key.dataKey(), new GCMParameterSpec(TAG_BITS, nonce));
        }
        catch (final InvalidAlgorithmParameterException ex)
        {
            if (Cipher.ENCRYPT_MODE == mode)
            {
                // SunJCE's only objection to a valid 96-bit nonce and 128-bit tag: the same key and
                // nonce as this instance's previous encryption.
                throw new IllegalStateException(
                    "refusing to reuse a GCM nonce: " + frameName(key, frameCounter) +
                    " was already sealed by this FrameCipher; frame counters must never repeat under one block key",
                        ex);
            }
            throw new CryptoException("AES-GCM rejected the parameters of " + frameName(key, frameCounter), ex);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CryptoException("AES-GCM rejected the key of " + frameName(key, frameCounter), ex);
        }
        cipher.updateAAD(aad, 0, AAD_LENGTH);
        if (null != context)
        {
            cipher.updateAAD(context.duplicate());
        }
    }

    private static void checkBuffers(final ByteBuffer src, final ByteBuffer dst)
    {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        if (src == dst)
        {
            throw new IllegalArgumentException(
                "src and dst must be different ByteBuffer objects; pass dst.duplicate() to work in place");
        }
        if (dst.isReadOnly())
        {
            throw new IllegalArgumentException("dst must be writable, was a read-only buffer");
        }
    }

    private static String frameName(final BlockKey key, final long frameCounter)
    {
        return "frame " + frameCounter + " of block key " + BlockKey.keyIdHex(key.keyId());
    }

    static Cipher newAesGcm()
    {
        try
        {
            return Cipher.getInstance(TRANSFORMATION, PROVIDER);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CryptoException(
                "this JVM has no " + PROVIDER + " " + TRANSFORMATION + "; Ferrite needs the JDK's own AES-GCM", ex);
        }
    }
}
