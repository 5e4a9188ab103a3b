package io.ferrite.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The disk had no room for a new block file. Raised when the block is created and its pages are allocated, so a full
 * disk never surfaces later as a fault on mapped memory.
 */
public final class StoreFullException extends StoreIOException
{
    public StoreFullException(final String operation, final Path file, final IOException cause)
    {
        super(operation, file, cause);
    }
}
