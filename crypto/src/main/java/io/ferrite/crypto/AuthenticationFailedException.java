package io.ferrite.crypto;

/**
 * A GCM tag or an HMAC did not verify: the bytes were altered, moved, truncated, or belong to
 * another key. Nothing derived from them has been handed out.
 * <p>
 * Carries {@link #what()} was being verified (a frame, a footer, a wrapped key) and the
 * {@link #offset()} it was read from, so the engine can report the file and position without
 * re-deriving them.
 */
public final class AuthenticationFailedException extends CryptoException
{
    private static final long serialVersionUID = 1L;

    private final String what;
    private final long offset;

    /**
     * @param what   what was being verified, e.g. {@code "frame 7 of block key 1f2e…"}.
     * @param offset byte offset the verified bytes were read from.
     */
    public AuthenticationFailedException(final String what, final long offset)
    {
        super(message(what, offset));
        this.what = what;
        this.offset = offset;
    }

    /**
     * @param what   what was being verified, e.g. {@code "frame 7 of block key 1f2e…"}.
     * @param offset byte offset the verified bytes were read from.
     * @param cause  the provider exception underneath (e.g. {@code AEADBadTagException}).
     */
    public AuthenticationFailedException(final String what, final long offset, final Throwable cause)
    {
        super(message(what, offset), cause);
        this.what = what;
        this.offset = offset;
    }

    /**
     * @return what was being verified.
     */
    public String what()
    {
        return what;
    }

    /**
     * @return byte offset the verified bytes were read from.
     */
    public long offset()
    {
        return offset;
    }

    private static String message(final String what, final long offset)
    {
        return "authentication failed for " + what + " at offset " + offset;
    }
}
