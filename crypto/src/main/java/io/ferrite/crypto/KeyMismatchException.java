package io.ferrite.crypto;

/**
 * The caller's key is not the key the stream was created with.
 * <p>
 * Raised by {@link StreamKeyFile#open} from the key check value stored in the key file, before any
 * decryption is attempted, so a wrong key is reported as exactly that and never as "corrupt data".
 * The message is fixed ({@code "key does not match stream <name>"}) because embedders and the CLI
 * show it to operators verbatim.
 */
public final class KeyMismatchException extends CryptoException
{
    private static final long serialVersionUID = 1L;

    private final String streamName;

    /**
     * @param streamName the stream whose key file rejected the caller's key.
     */
    public KeyMismatchException(final String streamName)
    {
        super("key does not match stream " + streamName);
        this.streamName = streamName;
    }

    /**
     * @return the stream whose key file rejected the caller's key.
     */
    public String streamName()
    {
        return streamName;
    }
}
