package io.ferrite.state;

import io.ferrite.block.BlockCrypto;
import io.ferrite.crypto.AuthenticationFailedException;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.store.CorruptFileException;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Encrypts the body of an encrypted stream's {@code state.db}: it holds subjects, which must never reach the disk in
 * plaintext. Every write uses a fresh random salt, hence a fresh key, so the single GCM nonce per key never repeats.
 * The cost is one HKDF and one AES-GCM pass over a state that is 64 bytes per block: small next to the fsync.
 * <p>
 * Not thread-safe: the state writer serializes its calls.
 */
public final class StateCipher
{
    /** A SHA-256 of the plaintext part of the body leads the sealed part, authenticating it. */
    public static final int DIGEST_LENGTH = 32;

    private final BlockCrypto crypto;
    private final FrameCipher cipher = new FrameCipher();

    public StateCipher(final BlockCrypto crypto)
    {
        this.crypto = crypto;
    }

    /**
     * Write the SHA-256 of {@code length} bytes at {@code offset} to {@code digestAt}.
     */
    public void digest(final ByteBuffer buffer, final int offset, final int length, final int digestAt)
    {
        final ByteBuffer source = buffer.duplicate().clear();
        source.limit(offset + length).position(offset);
        final byte[] digest = sha256().digest(toArray(source));
        final ByteBuffer target = buffer.duplicate().clear();
        target.position(digestAt);
        target.put(digest);
    }

    /**
     * @return whether {@code expected} is the SHA-256 of the given bytes (constant time).
     */
    public static boolean digestMatches(final byte[] bytes, final int offset, final int length, final byte[] digest)
    {
        final MessageDigest sha = sha256();
        sha.update(bytes, offset, length);
        return MessageDigest.isEqual(sha.digest(), digest);
    }

    private static byte[] toArray(final ByteBuffer source)
    {
        final byte[] bytes = new byte[source.remaining()];
        source.get(bytes);
        return bytes;
    }

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("the JDK lacks SHA-256", ex);
        }
    }

    /**
     * Seal {@code length} bytes at {@code offset} in place; the tag follows them.
     *
     * @param saltOut receives the salt to store in the header.
     * @return the sealed length.
     */
    public int seal(final ByteBuffer buffer, final int offset, final int length, final byte[] saltOut)
    {
        final BlockKey key = crypto.newKey();
        System.arraycopy(key.salt(), 0, saltOut, 0, BlockKeys.SALT_LENGTH);
        final ByteBuffer source = buffer.duplicate().clear();
        return cipher.seal(key, 0, 0, source, offset, length, buffer.duplicate().clear(), offset);
    }

    /**
     * @return the plaintext body.
     * @throws CorruptFileException when the body does not authenticate.
     */
    public byte[] open(final Path file, final byte[] sealed, final int offset, final int length, final byte[] salt)
    {
        final byte[] plain = new byte[length - FrameCipher.TAG_LENGTH];
        try
        {
            cipher.open(crypto.keyFor(salt), 0, 0, ByteBuffer.wrap(sealed), offset, length, ByteBuffer.wrap(plain), 0);
        }
        catch (final AuthenticationFailedException ex)
        {
            throw new CorruptFileException("state body does not authenticate (tampered or another key)", file, offset);
        }
        return plain;
    }
}
