package io.ferrite.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An I/O operation failed. {@link #operation()} says which one, {@link #file()} where.
 */
public class StoreIOException extends StoreException
{
    private final String operation;

    public StoreIOException(final String operation, final Path file, final IOException cause)
    {
        super(operation + " failed: " + cause.getMessage(), file, cause);
        this.operation = operation;
    }

    /**
     * @param offset the byte offset in {@code file} the operation concerned.
     */
    public StoreIOException(final String operation, final Path file, final long offset, final IOException cause)
    {
        super(operation + " failed: " + cause.getMessage(), file, offset, UNKNOWN, cause);
        this.operation = operation;
    }

    public String operation()
    {
        return operation;
    }
}
