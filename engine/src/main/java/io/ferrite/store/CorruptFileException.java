package io.ferrite.store;

import java.nio.file.Path;

/**
 * A file that cannot be used at all: wrong magic or version, a header that fails its checksum, or a length that does
 * not match what its header claims.
 */
public final class CorruptFileException extends StoreException
{
    public CorruptFileException(final String message, final Path file, final long offset)
    {
        super(message, file, offset, UNKNOWN);
    }
}
