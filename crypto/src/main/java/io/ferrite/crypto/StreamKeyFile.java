package io.ferrite.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Creates and opens a stream's key file: a random 32-byte stream key, wrapped (encrypted and
 * authenticated) under a key derived from the caller's key.
 *
 * <h2>Layout</h2>
 * All integers little-endian; {@code n} is the stream name's UTF-8 length.
 * <pre>
 *   offset   size  field
 *   +-------+-----+---------------------------------------------------------------+
 *   |     0 |   4 | magic 'F' 'R' 'S' 'K'                                         |
 *   |     4 |   2 | version = 1                                                   |
 *   |     6 |   2 | n, stream name length in bytes (1 .. 1024)                    |
 *   |     8 |   n | stream name, UTF-8                                            |
 *   |   8+n |  16 | salt, random                                                  |
 *   |  24+n |  16 | key check value                                               |
 *   |  40+n |  12 | GCM nonce, random                                             |
 *   |  52+n |  32 | wrapped stream key (AES-256-GCM ciphertext)                   |
 *   |  84+n |  16 | GCM tag; associated data = bytes [0, 52+n)                    |
 *   | 100+n |   4 | CRC32C of bytes [0, 100+n)                                    |
 *   +-------+-----+---------------------------------------------------------------+
 *   104+n bytes
 * </pre>
 * Keys, all derived with HKDF-SHA256 from one extract:
 * <pre>
 *   PRK          = HKDF-Extract(salt, caller key)
 *   key check    = HKDF-Expand(PRK, "ferrite/v1/keyfile-check", 16)   stored
 *   wrapping key = HKDF-Expand(PRK, "ferrite/v1/keyfile-wrap",  32)   never stored
 * </pre>
 *
 * <h2>Why this construction</h2>
 * <ul>
 * <li><b>AES-256-GCM rather than AES-KWP plus a MAC.</b> GCM authenticates the header (magic,
 * version, stream name, salt, key check, nonce) as associated data in the same pass, with the
 * JDK's own cipher and one key; KWP carries only a 32-bit integrity check, cannot bind a header,
 * and would need a second key and a second primitive to do what GCM does alone. GCM's weakness,
 * nonce reuse, cannot arise here: the wrapping key is fresh for every file (new random salt), so
 * even a repeated random nonce would not repeat a (key, nonce) pair.</li>
 * <li><b>A derived wrapping key, not the caller's key.</b> Embedders may use one caller key for
 * many streams or for other purposes; domain-separated HKDF outputs keep Ferrite's use of it
 * independent of theirs, and of the key check value.</li>
 * <li><b>A key check value.</b> GCM cannot tell "wrong key" from "altered ciphertext": both are a
 * tag failure. The check value can, so a wrong key is reported as {@link KeyMismatchException}
 * ("key does not match stream &lt;name&gt;") before any decryption. It also commits the file to one
 * caller key, which GCM alone does not. It is an HKDF output under a 256-bit key and reveals
 * nothing useful; like the rest of the scheme it assumes the caller's key is a random key, not a
 * password (a password needs a slow KDF first, which is the embedder's job).</li>
 * <li><b>A CRC32C trailer.</b> Not for security — GCM and the check value provide that — but so
 * that disk damage reads as "key file damaged" rather than as a wrong key, which would send an
 * operator hunting for the wrong problem. CRC32C detects every burst error of up to 32 bits.</li>
 * <li><b>The stream name stored in clear.</b> It is not secret (the stream's directory and
 * {@code stream.json} already name it) and it turns "this key file belongs to another stream"
 * into a plain message instead of a tag failure. It is authenticated as associated data.</li>
 * </ul>
 *
 * <h2>Durability and permissions</h2>
 * {@link #create} publishes the file through {@code OwnerOnlyFile}: a temporary file created
 * owner-only ({@code rw-------}) by the same system call that creates it — there is never a moment
 * when the wrapped key sits in a more permissive file — then fsynced, renamed over the target name
 * atomically, and the directory fsynced, so after a crash the key file is either absent or complete.
 * <p>
 * Thread-safe: no shared mutable state.
 */
public final class StreamKeyFile
{
    /**
     * Length of the caller's key and of the stream key.
     */
    public static final int KEY_LENGTH = 32;

    /**
     * Longest stream name a key file records, in UTF-8 bytes.
     */
    public static final int MAX_STREAM_NAME_BYTES = 1024;

    /**
     * Key file magic, the ASCII bytes "FRSK" read as a little-endian int.
     */
    public static final int MAGIC = 'F' | 'R' << 8 | 'S' << 16 | 'K' << 24;

    /**
     * Key file format version this class writes and reads.
     */
    public static final int VERSION = 1;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int NAME_LENGTH_OFFSET = 6;
    static final int NAME_OFFSET = 8;

    static final int SALT_LENGTH = 16;
    static final int CHECK_LENGTH = 16;
    static final int NONCE_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    static final int CRC_LENGTH = 4;

    /**
     * Bytes of a key file besides the stream name.
     */
    static final int FIXED_LENGTH = NAME_OFFSET + SALT_LENGTH + CHECK_LENGTH + NONCE_LENGTH + KEY_LENGTH + TAG_LENGTH +
        CRC_LENGTH;

    static final byte[] CHECK_INFO = "ferrite/v1/keyfile-check".getBytes(StandardCharsets.US_ASCII);
    static final byte[] WRAP_INFO = "ferrite/v1/keyfile-wrap".getBytes(StandardCharsets.US_ASCII);

    private static final int TAG_BITS = TAG_LENGTH * Byte.SIZE;
    private static final SecureRandom RANDOM = new SecureRandom();

    private StreamKeyFile()
    {
    }

    /**
     * @param nameLength stream name length in bytes.
     * @return offset of the salt.
     */
    static int saltOffset(final int nameLength)
    {
        return NAME_OFFSET + nameLength;
    }

    /**
     * @param nameLength stream name length in bytes.
     * @return offset of the key check value.
     */
    static int checkOffset(final int nameLength)
    {
        return saltOffset(nameLength) + SALT_LENGTH;
    }

    /**
     * @param nameLength stream name length in bytes.
     * @return offset of the GCM nonce.
     */
    static int nonceOffset(final int nameLength)
    {
        return checkOffset(nameLength) + CHECK_LENGTH;
    }

    /**
     * @param nameLength stream name length in bytes.
     * @return offset of the wrapped stream key; everything before it is associated data.
     */
    static int wrappedKeyOffset(final int nameLength)
    {
        return nonceOffset(nameLength) + NONCE_LENGTH;
    }

    /**
     * @param nameLength stream name length in bytes.
     * @return offset of the GCM tag.
     */
    static int tagOffset(final int nameLength)
    {
        return wrappedKeyOffset(nameLength) + KEY_LENGTH;
    }

    /**
     * @param nameLength stream name length in bytes.
     * @return offset of the CRC32C trailer.
     */
    static int crcOffset(final int nameLength)
    {
        return tagOffset(nameLength) + TAG_LENGTH;
    }

    /**
     * @param nameLength stream name length in bytes.
     * @return total length of the key file.
     */
    static int fileLength(final int nameLength)
    {
        return FIXED_LENGTH + nameLength;
    }

    /**
     * Generates a new stream key and writes it, wrapped under the caller's key, to {@code file}.
     *
     * @param file        the key file to create; it must not exist (replacing a stream's key would
     *                    orphan every block encrypted under it). Creation is not guarded against a
     *                    concurrent creator of the same file: the engine serialises stream creation.
     * @param callerKey32 the caller's key, exactly 32 bytes; not retained.
     * @param streamName  the stream the key belongs to, bound into the file.
     * @return the new 32-byte stream key, owned by the caller.
     * @throws FileAlreadyExistsException if {@code file} exists.
     * @throws IOException                if the file or its directory cannot be written or synced.
     */
    public static byte[] create(final Path file, final byte[] callerKey32, final String streamName) throws IOException
    {
        Arguments.requireLength(callerKey32, KEY_LENGTH, "callerKey32");
        final byte[] name = encodeName(streamName);
        final Path target = file.toAbsolutePath();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS))
        {
            throw new FileAlreadyExistsException(
                target.toString(), null, "refusing to replace a stream key file: its blocks would become unreadable");
        }

        final byte[] streamKey = new byte[KEY_LENGTH];
        RANDOM.nextBytes(streamKey);
        final byte[] image = encode(callerKey32, name, streamKey);
        OwnerOnlyFile.createAtomically(target, image);
        return streamKey;
    }

    /**
     * Reads the stream key from {@code file}, unwrapping it with the caller's key.
     *
     * @param file        the key file.
     * @param callerKey32 the caller's key, exactly 32 bytes; not retained.
     * @param streamName  the stream the key file must belong to.
     * @return the 32-byte stream key, owned by the caller.
     * @throws KeyMismatchException           if the caller's key is not the one the file was created
     *                                        with: "key does not match stream &lt;name&gt;".
     * @throws KeyFileException               if the file is truncated, damaged, of an unknown format
     *                                        or for another stream, naming the file and offset.
     * @throws AuthenticationFailedException  if the file was altered and its checksum forged to
     *                                        match, naming the file.
     * @throws IOException                    if the file cannot be read.
     */
    public static byte[] open(final Path file, final byte[] callerKey32, final String streamName) throws IOException
    {
        Arguments.requireLength(callerKey32, KEY_LENGTH, "callerKey32");
        final byte[] name = encodeName(streamName);

        final long size = Files.size(file);
        if (size > fileLength(MAX_STREAM_NAME_BYTES))
        {
            throw new KeyFileException(file, fileLength(MAX_STREAM_NAME_BYTES),
                "is " + size + " bytes, longer than any stream key file (" + fileLength(MAX_STREAM_NAME_BYTES) + ")");
        }
        return decode(file, Files.readAllBytes(file), callerKey32, streamName, name);
    }

    private static byte[] encode(final byte[] callerKey, final byte[] name, final byte[] streamKey)
    {
        final int n = name.length;
        final byte[] image = new byte[fileLength(n)];
        LittleEndian.putInt(image, MAGIC_OFFSET, MAGIC);
        LittleEndian.putShort(image, VERSION_OFFSET, VERSION);
        LittleEndian.putShort(image, NAME_LENGTH_OFFSET, n);
        System.arraycopy(name, 0, image, NAME_OFFSET, n);

        final byte[] salt = new byte[SALT_LENGTH];
        RANDOM.nextBytes(salt);
        System.arraycopy(salt, 0, image, saltOffset(n), SALT_LENGTH);
        final byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        System.arraycopy(nonce, 0, image, nonceOffset(n), NONCE_LENGTH);

        final byte[] prk = Hkdf.extract(salt, callerKey);
        final byte[] wrappingKey = Hkdf.expand(prk, WRAP_INFO, KEY_LENGTH);
        try
        {
            Hkdf.expand(prk, CHECK_INFO, image, checkOffset(n), CHECK_LENGTH);
            final Cipher cipher = FrameCipher.newAesGcm();
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(wrappingKey, "AES"), new GCMParameterSpec(TAG_BITS,
                nonce));
            cipher.updateAAD(image, 0, wrappedKeyOffset(n));
            final int written = cipher.doFinal(streamKey, 0, KEY_LENGTH, image, wrappedKeyOffset(n));
            if (KEY_LENGTH + TAG_LENGTH != written)
            {
                throw new CryptoException("AES-GCM wrote " + written + " bytes wrapping a " + KEY_LENGTH + "-byte key");
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CryptoException("AES-GCM failed to wrap a stream key", ex);
        }
        finally
        {
            Arrays.fill(prk, (byte)0);
            Arrays.fill(wrappingKey, (byte)0);
        }

        LittleEndian.putInt(image, crcOffset(n), crc32c(image, crcOffset(n)));
        return image;
    }

    private static byte[] decode(
        final Path file, final byte[] image, final byte[] callerKey, final String streamName, final byte[] name)
    {
        // Structure first, cheapest and most specific message first; nothing here is trusted yet.
        if (image.length < FIXED_LENGTH)
        {
            throw new KeyFileException(file, image.length,
                "truncated: " + image.length + " bytes, a key file holds at least " + (FIXED_LENGTH + 1));
        }
        final int magic = LittleEndian.getInt(image, MAGIC_OFFSET);
        if (MAGIC != magic)
        {
            throw new KeyFileException(file, MAGIC_OFFSET,
                "not a Ferrite stream key file (magic " + Integer.toHexString(magic) + ")");
        }
        final int version = LittleEndian.getUnsignedShort(image, VERSION_OFFSET);
        if (VERSION != version)
        {
            throw new KeyFileException(file, VERSION_OFFSET,
                "unsupported format version " + version + ", this reader knows " + VERSION);
        }
        final int n = LittleEndian.getUnsignedShort(image, NAME_LENGTH_OFFSET);
        if (n == 0 || n > MAX_STREAM_NAME_BYTES)
        {
            throw new KeyFileException(file, NAME_LENGTH_OFFSET,
                "stream name length " + n + " outside 1.." + MAX_STREAM_NAME_BYTES);
        }
        if (image.length != fileLength(n))
        {
            throw new KeyFileException(file, Math.min(image.length, fileLength(n)),
                (image.length < fileLength(n) ? "truncated: " : "trailing bytes: ") + image.length +
                " bytes where a key file for a " + n + "-byte stream name holds " + fileLength(n));
        }
        final int storedCrc = LittleEndian.getInt(image, crcOffset(n));
        if (storedCrc != crc32c(image, crcOffset(n)))
        {
            throw new KeyFileException(file, crcOffset(n), "checksum mismatch, the file is damaged");
        }
        if (!Arrays.equals(image, NAME_OFFSET, NAME_OFFSET + n, name, 0, name.length))
        {
            throw new KeyFileException(file, NAME_OFFSET, "belongs to stream '" +
                new String(image, NAME_OFFSET, n, StandardCharsets.UTF_8) + "', not '" + streamName + "'");
        }

        final byte[] salt = Arrays.copyOfRange(image, saltOffset(n), saltOffset(n) + SALT_LENGTH);
        final byte[] prk = Hkdf.extract(salt, callerKey);
        final byte[] check = Hkdf.expand(prk, CHECK_INFO, CHECK_LENGTH);
        final byte[] wrappingKey = Hkdf.expand(prk, WRAP_INFO, KEY_LENGTH);
        try
        {
            if (!MessageDigest.isEqual(check, Arrays.copyOfRange(image, checkOffset(n), checkOffset(n) + CHECK_LENGTH)))
            {
                throw new KeyMismatchException(streamName);
            }
            return unwrap(file, image, n, wrappingKey);
        }
        finally
        {
            Arrays.fill(prk, (byte)0);
            Arrays.fill(wrappingKey, (byte)0);
        }
    }

    private static byte[] unwrap(final Path file, final byte[] image, final int n, final byte[] wrappingKey)
    {
        final Cipher cipher = FrameCipher.newAesGcm();
        try
        {
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(wrappingKey, "AES"),
                new GCMParameterSpec(TAG_BITS, image, nonceOffset(n), NONCE_LENGTH));
            cipher.updateAAD(image, 0, wrappedKeyOffset(n));
            final byte[] streamKey = cipher.doFinal(image, wrappedKeyOffset(n), KEY_LENGTH + TAG_LENGTH);
            if (KEY_LENGTH != streamKey.length)
            {
                throw new CryptoException("AES-GCM unwrapped " + streamKey.length + " bytes from " + file +
                    ", expected " + KEY_LENGTH);
            }
            return streamKey;
        }
        catch (final AEADBadTagException ex)
        {
            // Checksum and key check both passed, so this is deliberate alteration, not damage.
            throw new AuthenticationFailedException("wrapped stream key in " + file, wrappedKeyOffset(n), ex);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new CryptoException("AES-GCM failed to unwrap the stream key in " + file, ex);
        }
    }

    private static byte[] encodeName(final String streamName)
    {
        if (null == streamName)
        {
            throw new NullPointerException("streamName must not be null");
        }
        final byte[] name = streamName.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > MAX_STREAM_NAME_BYTES)
        {
            throw new IllegalArgumentException(
                "streamName must be 1.." + MAX_STREAM_NAME_BYTES + " bytes of UTF-8, was " + name.length);
        }
        return name;
    }

    private static int crc32c(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }
}
