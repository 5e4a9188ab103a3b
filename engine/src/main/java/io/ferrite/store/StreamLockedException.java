package io.ferrite.store;

import java.nio.file.Path;

/**
 * A stream directory that another store already holds open, in this process or another one: a stream has one writer.
 * Nothing was read or written. The message names the directory and who holds it; {@link #file()} is the directory's
 * lock file.
 */
public final class StreamLockedException extends StoreException
{
    public StreamLockedException(final String message, final Path file)
    {
        super(message, file, UNKNOWN, UNKNOWN);
    }
}
