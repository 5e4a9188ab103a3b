package io.ferrite.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The disk had no room for a new block file. Raised when the block is created and its pages are allocated, so a full
 * disk never surfaces later as a fault on mapped memory; and by a removal that could neither create a block for its
 * tombstone nor put it in the tail.
 */
public final class StoreFullException extends StoreIOException
{
    public StoreFullException(final String operation, final Path file, final IOException cause)
    {
        super(operation, file, cause);
    }

    /**
     * @param offset the byte offset in {@code file} that decided it (a header field that rules out the alternative).
     */
    public StoreFullException(final String operation, final Path file, final long offset, final IOException cause)
    {
        super(operation, file, offset, cause);
    }
}
