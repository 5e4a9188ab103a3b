package io.ferrite.engine.state;

import io.ferrite.crypto.AuthenticationFailedException;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.store.CorruptFileException;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Seals the subject section of an encrypted stream's {@code state.db}: subjects must never reach the disk in
 * plaintext. The totals and block entries before it stay plaintext (tools read them without the key, like block
 * footers) and are authenticated as the frame's associated data, so altering them fails like altering the ciphertext
 * — GHASH over them costs a fraction of hashing them separately. Every write uses a fresh random salt, hence a fresh
 * key, so the single GCM nonce per key never repeats.
 * <p>
 * Not thread-safe: the state writer serializes its calls.
 */
public final class StateCipher
{
    private final BlockCrypto crypto;
    private final FrameCipher cipher = new FrameCipher();

    public StateCipher(final BlockCrypto crypto)
    {
        this.crypto = crypto;
    }

    /**
     * Seal {@code length} bytes at {@code offset} in place (the tag follows them), authenticating
     * {@code [contextOffset, offset)} of the same buffer as associated data.
     *
     * @param saltOut receives the salt to store in the header.
     * @return the sealed length.
     */
    public int seal(
        final ByteBuffer buffer, final int contextOffset, final int offset, final int length, final byte[] saltOut)
    {
        final ByteBuffer context = buffer.duplicate().clear();
        context.limit(offset).position(contextOffset);
        return seal(buffer, context, offset, length, saltOut);
    }

    /**
     * As {@link #seal(ByteBuffer, int, int, int, byte[])}, authenticating {@code context} (position to limit) as the
     * associated data: for files whose associated data is not the bytes before the sealed section (a consumer's
     * state binds its name and a context string of its own).
     */
    public int seal(
        final ByteBuffer buffer, final ByteBuffer context, final int offset, final int length, final byte[] saltOut)
    {
        final BlockKey key = crypto.newKey();
        System.arraycopy(key.salt(), 0, saltOut, 0, BlockKeys.SALT_LENGTH);
        return cipher.seal(key, 0, 0, context, buffer.duplicate().clear(), offset, length, buffer.duplicate().clear(),
            offset);
    }

    /**
     * @return the plaintext subject section.
     * @throws CorruptFileException when the sealed section or the plaintext before it does not authenticate.
     */
    public byte[] open(
        final Path file, final byte[] state, final int contextOffset, final int offset, final int length,
        final byte[] salt)
    {
        return open(file, state, ByteBuffer.wrap(state, contextOffset, offset - contextOffset), offset, length, salt);
    }

    /**
     * As {@link #open(Path, byte[], int, int, int, byte[])}, with {@code context} as the associated data (see
     * {@link #seal(ByteBuffer, ByteBuffer, int, int, byte[])}).
     */
    public byte[] open(
        final Path file, final byte[] state, final ByteBuffer context, final int offset, final int length,
        final byte[] salt)
    {
        final byte[] plain = new byte[length - FrameCipher.TAG_LENGTH];
        try
        {
            cipher.open(crypto.keyFor(salt), 0, 0, context, ByteBuffer.wrap(state), offset, length,
                ByteBuffer.wrap(plain), 0);
        }
        catch (final AuthenticationFailedException ex)
        {
            throw new CorruptFileException("state does not authenticate (tampered or another key)", file, offset);
        }
        return plain;
    }
}
