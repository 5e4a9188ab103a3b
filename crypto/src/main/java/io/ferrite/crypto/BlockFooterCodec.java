package io.ferrite.crypto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Objects;
import javax.crypto.Mac;

/**
 * Encodes and decodes the plaintext footer that ends a sealed encrypted block, authenticated with
 * HMAC-SHA256 under the block's MAC key.
 * <p>
 * The footer is what lets state writes, recovery and {@code inspect} skip the ciphertext entirely
 * (the incident Ferrite exists to avoid was decrypting megabytes to learn 8 bytes). It is
 * plaintext on purpose — counts, sequences and a checksum are not secret — and authenticated so
 * that trusting it is safe: any altered byte, or a footer moved from another block, fails.
 *
 * <h2>Layout</h2>
 * Fixed width, {@link #FOOTER_LENGTH} bytes, all integers little-endian:
 * <pre>
 *   offset  size  field
 *   +------+-----+-------------------------------------------------------------+
 *   |    0 |   4 | magic 'F' 'R' 'F' 'T'                                       |
 *   |    4 |   2 | version = 1                                                 |
 *   |    6 |   2 | reserved = 0 (keeps the longs 8-aligned)                    |
 *   |    8 |   8 | block key id (BlockKey.keyId)                               |
 *   |   16 |   8 | last record checksum                                        |
 *   |   24 |   8 | first sequence                                              |
 *   |   32 |   8 | last sequence                                               |
 *   |   40 |   8 | first time (epoch ns)                                       |
 *   |   48 |   8 | last time (epoch ns)                                        |
 *   |   56 |   8 | message count                                               |
 *   |   64 |   8 | byte count                                                  |
 *   |   72 |   8 | data end offset                                             |
 *   |   80 |   8 | frame count                                                 |
 *   |   88 |  32 | HMAC-SHA256(MAC key, bytes [0, 88) || block id || salt)     |
 *   +------+-----+-------------------------------------------------------------+
 *   120 bytes
 * </pre>
 * The MAC also covers two values that are not stored in the footer: the block id (8 bytes, LE)
 * and the block's 16-byte salt. The block id stops a whole block file, footer and all, from being
 * passed off under another id; the salt is already implied by the MAC key (derived from it) and is
 * bound explicitly so that the footer's context is complete on its face.
 *
 * <h2>Decoding</h2>
 * {@link #decode} verifies the MAC first, in constant time ({@link MessageDigest#isEqual}), and
 * only then looks at any field: an unauthenticated byte never influences what the engine does.
 * The engine learns whether a block was sealed from its own block header; {@link #looksLikeFooter}
 * is only an unauthenticated hint for tools.
 *
 * <h2>Threading</h2>
 * Not thread-safe: one instance owns a {@link Mac} and scratch arrays. Footers are encoded once per
 * sealed block and decoded once per block at recovery, so one instance per owning thread is plenty.
 */
public final class BlockFooterCodec
{
    /**
     * Footer magic, the ASCII bytes "FRFT" read as a little-endian int.
     */
    public static final int MAGIC = 'F' | 'R' << 8 | 'F' << 16 | 'T' << 24;

    /**
     * Footer format version this codec writes and reads.
     */
    public static final int VERSION = 1;

    /**
     * Bytes of HMAC-SHA256 at the end of the footer.
     */
    public static final int MAC_LENGTH = 32;

    /**
     * Total bytes of a footer.
     */
    public static final int FOOTER_LENGTH = 120;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int RESERVED_OFFSET = 6;
    static final int KEY_ID_OFFSET = 8;
    static final int LAST_CHECKSUM_OFFSET = 16;
    static final int FIRST_SEQ_OFFSET = 24;
    static final int LAST_SEQ_OFFSET = 32;
    static final int FIRST_TIME_OFFSET = 40;
    static final int LAST_TIME_OFFSET = 48;
    static final int MESSAGE_COUNT_OFFSET = 56;
    static final int BYTE_COUNT_OFFSET = 64;
    static final int DATA_END_OFFSET_OFFSET = 72;
    static final int FRAME_COUNT_OFFSET = 80;
    static final int MAC_OFFSET = 88;

    private static final String MAC_ALGORITHM = "HmacSHA256";
    private static final int CONTEXT_LENGTH = Long.BYTES + BlockKeys.SALT_LENGTH;

    private final Mac mac;
    private final byte[] footer = new byte[FOOTER_LENGTH];
    private final byte[] context = new byte[CONTEXT_LENGTH];
    private final byte[] storedMac = new byte[MAC_LENGTH];
    private final byte[] computedMac = new byte[MAC_LENGTH];

    /**
     * Creates a codec with its own {@link Mac} instance.
     *
     * @throws CryptoException if this JVM has no HmacSHA256.
     */
    public BlockFooterCodec()
    {
        try
        {
            mac = Mac.getInstance(MAC_ALGORITHM);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CryptoException("this JVM has no " + MAC_ALGORITHM, ex);
        }
    }

    /**
     * Writes the authenticated footer of a sealed block.
     *
     * @param key     the block's keys.
     * @param blockId the block's id, bound into the MAC.
     * @param values  what the footer records.
     * @param dst     destination buffer, heap or direct; position and limit are not used or changed.
     * @param index   absolute index in {@code dst} of the footer's first byte.
     */
    public void encode(final BlockKey key, final long blockId, final BlockFooter values, final ByteBuffer dst,
        final int index)
    {
        Objects.requireNonNull(values, "values");
        Objects.checkFromIndexSize(index, FOOTER_LENGTH, dst.limit());

        LittleEndian.putInt(footer, MAGIC_OFFSET, MAGIC);
        LittleEndian.putShort(footer, VERSION_OFFSET, VERSION);
        LittleEndian.putShort(footer, RESERVED_OFFSET, 0);
        LittleEndian.putLong(footer, KEY_ID_OFFSET, key.keyId());
        LittleEndian.putLong(footer, LAST_CHECKSUM_OFFSET, values.lastChecksum());
        LittleEndian.putLong(footer, FIRST_SEQ_OFFSET, values.firstSeq());
        LittleEndian.putLong(footer, LAST_SEQ_OFFSET, values.lastSeq());
        LittleEndian.putLong(footer, FIRST_TIME_OFFSET, values.firstTime());
        LittleEndian.putLong(footer, LAST_TIME_OFFSET, values.lastTime());
        LittleEndian.putLong(footer, MESSAGE_COUNT_OFFSET, values.messageCount());
        LittleEndian.putLong(footer, BYTE_COUNT_OFFSET, values.byteCount());
        LittleEndian.putLong(footer, DATA_END_OFFSET_OFFSET, values.dataEndOffset());
        LittleEndian.putLong(footer, FRAME_COUNT_OFFSET, values.frameCount());
        computeMac(key, blockId, footer, MAC_OFFSET);

        dst.put(index, footer, 0, FOOTER_LENGTH);
    }

    /**
     * Verifies and reads the footer of a sealed block.
     *
     * @param key        the block's keys (derived from the salt in its header).
     * @param blockId    the block's id, as the engine knows it from the file name or index.
     * @param src        buffer holding the footer, heap or direct; position and limit are not used.
     * @param index      absolute index in {@code src} of the footer's first byte.
     * @param fileOffset where the footer sits in the block file, reported on failure (the buffer may
     *                   hold only the footer, so {@code index} need not be the file offset).
     * @return the footer's values, every one of them authenticated.
     * @throws AuthenticationFailedException if the MAC does not verify, naming the block and offset.
     * @throws CryptoException               if an authenticated footer is of a format this codec
     *                                       does not read (a newer version).
     */
    public BlockFooter decode(final BlockKey key, final long blockId, final ByteBuffer src, final int index,
        final long fileOffset)
    {
        Objects.checkFromIndexSize(index, FOOTER_LENGTH, src.limit());
        src.get(index, footer, 0, FOOTER_LENGTH);

        computeMac(key, blockId, computedMac, 0);
        System.arraycopy(footer, MAC_OFFSET, storedMac, 0, MAC_LENGTH);
        if (!MessageDigest.isEqual(computedMac, storedMac))
        {
            throw new AuthenticationFailedException("footer of block " + blockId, fileOffset);
        }

        // Authenticated from here on. A mismatch below is a format we do not know, or a bug, never damage.
        final int magic = LittleEndian.getInt(footer, MAGIC_OFFSET);
        final int version = LittleEndian.getUnsignedShort(footer, VERSION_OFFSET);
        final int reserved = LittleEndian.getUnsignedShort(footer, RESERVED_OFFSET);
        if (MAGIC != magic || VERSION != version || 0 != reserved)
        {
            throw new CryptoException("footer of block " + blockId + " at offset " + fileOffset +
                " is authentic but of an unsupported format (magic " + Integer.toHexString(magic) +
                ", version " + version + ", reserved " + reserved + "); this reader knows version " + VERSION);
        }
        final long keyId = LittleEndian.getLong(footer, KEY_ID_OFFSET);
        if (keyId != key.keyId())
        {
            throw new CryptoException("footer of block " + blockId + " at offset " + fileOffset +
                " names block key " + BlockKey.keyIdHex(keyId) + " but verified under " + key);
        }

        return new BlockFooter(
            LittleEndian.getLong(footer, LAST_CHECKSUM_OFFSET),
            LittleEndian.getLong(footer, FIRST_SEQ_OFFSET),
            LittleEndian.getLong(footer, LAST_SEQ_OFFSET),
            LittleEndian.getLong(footer, FIRST_TIME_OFFSET),
            LittleEndian.getLong(footer, LAST_TIME_OFFSET),
            LittleEndian.getLong(footer, MESSAGE_COUNT_OFFSET),
            LittleEndian.getLong(footer, BYTE_COUNT_OFFSET),
            LittleEndian.getLong(footer, DATA_END_OFFSET_OFFSET),
            LittleEndian.getLong(footer, FRAME_COUNT_OFFSET));
    }

    /**
     * Unauthenticated hint that a footer was written at {@code index}: the magic and version match.
     * Good for a tool deciding what to report; never a reason to trust the bytes — use
     * {@link #decode} for that.
     *
     * @param src   buffer to look in.
     * @param index absolute index of the would-be footer.
     * @return whether the footer's first six bytes are this format's magic and version.
     */
    public static boolean looksLikeFooter(final ByteBuffer src, final int index)
    {
        Objects.checkFromIndexSize(index, FOOTER_LENGTH, src.limit());
        final int magic = src.get(index) & 0xFF |
            (src.get(index + 1) & 0xFF) << 8 |
            (src.get(index + 2) & 0xFF) << 16 |
            (src.get(index + 3) & 0xFF) << 24;
        final int version = src.get(index + VERSION_OFFSET) & 0xFF | (src.get(index + VERSION_OFFSET + 1) & 0xFF) << 8;
        return MAGIC == magic && VERSION == version;
    }

    /**
     * Reads a footer's fields as they stand, without its key: for tools reporting on a block they cannot
     * authenticate. Never a reason to trust the values — use {@link #decode} for that.
     *
     * @param src   buffer holding the footer, heap or direct; position, limit and byte order are not used.
     * @param index absolute index in {@code src} of the footer's first byte.
     * @return the fields, unauthenticated.
     * @throws IllegalArgumentException when a count or offset is negative, as no writer of this format writes one.
     */
    public static BlockFooter peekUnverified(final ByteBuffer src, final int index)
    {
        Objects.checkFromIndexSize(index, FOOTER_LENGTH, src.limit());
        final ByteBuffer le = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return new BlockFooter(
            le.getLong(index + LAST_CHECKSUM_OFFSET),
            le.getLong(index + FIRST_SEQ_OFFSET),
            le.getLong(index + LAST_SEQ_OFFSET),
            le.getLong(index + FIRST_TIME_OFFSET),
            le.getLong(index + LAST_TIME_OFFSET),
            le.getLong(index + MESSAGE_COUNT_OFFSET),
            le.getLong(index + BYTE_COUNT_OFFSET),
            le.getLong(index + DATA_END_OFFSET_OFFSET),
            le.getLong(index + FRAME_COUNT_OFFSET));
    }

    /**
     * @param src   buffer holding the footer.
     * @param index absolute index in {@code src} of the footer's first byte.
     * @return the block key id the footer names, unauthenticated.
     */
    public static long peekKeyId(final ByteBuffer src, final int index)
    {
        Objects.checkFromIndexSize(index, FOOTER_LENGTH, src.limit());
        return src.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(index + KEY_ID_OFFSET);
    }

    /**
     * HMAC over the footer's first {@link #MAC_OFFSET} bytes, then the block id and salt.
     */
    private void computeMac(final BlockKey key, final long blockId, final byte[] out, final int outOffset)
    {
        LittleEndian.putLong(context, 0, blockId);
        key.copySalt(context, Long.BYTES);
        try
        {
            mac.init(key.macKey());
            mac.update(footer, 0, MAC_OFFSET);
            mac.update(context, 0, CONTEXT_LENGTH);
            mac.doFinal(out, outOffset);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CryptoException("HmacSHA256 rejected the MAC key of " + key, ex);
        }
    }
}
