package io.ferrite.crypto;

/**
 * Root of every failure raised by ferrite-crypto: a key that does not fit, bytes that fail
 * authentication, a damaged key file.
 * <p>
 * Unchecked, because none of these can be retried into success by the code that sees them: the
 * engine catches them at its boundary and rethrows its own {@code StoreException} types with the
 * stream, file and sequence attached. I/O failures are deliberately <em>not</em> wrapped into this
 * hierarchy: they stay {@link java.io.IOException}s so a caller can still tell a full disk from a
 * tampered file.
 */
public class CryptoException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, naming the file, offset or stream involved where there is one.
     */
    public CryptoException(final String message)
    {
        super(message);
    }

    /**
     * @param message what failed, naming the file, offset or stream involved where there is one.
     * @param cause   the provider exception underneath.
     */
    public CryptoException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
