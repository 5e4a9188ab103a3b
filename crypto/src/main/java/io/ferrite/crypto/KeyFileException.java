package io.ferrite.crypto;

import java.nio.file.Path;

/**
 * A stream key file is not usable as it stands: truncated, garbled, of an unknown format version,
 * or written for another stream.
 * <p>
 * Distinct from {@link KeyMismatchException} (the file is fine, the caller's key is wrong) and
 * from {@link AuthenticationFailedException} (the file was altered by someone who also fixed its
 * checksum). Always names the file and, where one applies, the offset of the first bad byte.
 */
public final class KeyFileException extends CryptoException
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    /**
     * @param file   the key file.
     * @param offset offset of the field found bad.
     * @param reason what is wrong with it.
     */
    public KeyFileException(final Path file, final long offset, final String reason)
    {
        super("key file " + file + ": " + reason + " (offset " + offset + ")");
        this.file = file;
        this.offset = offset;
    }

    /**
     * @return the key file.
     */
    public Path file()
    {
        return file;
    }

    /**
     * @return offset of the field found bad.
     */
    public long offset()
    {
        return offset;
    }
}
