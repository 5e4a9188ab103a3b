package io.ferrite.store;

import java.nio.file.Path;

/**
 * A record whose checksum did not verify. Its bytes are never handed to a caller.
 */
public final class CorruptRecordException extends StoreException
{
    public CorruptRecordException(final String message, final Path file, final long offset, final long seq)
    {
        super(message, file, offset, seq);
    }
}
