package io.ferrite.engine.block;

import io.ferrite.store.StoreException;

import java.nio.file.Path;

/**
 * A reader reached a block whose file was deleted or rewritten after it looked the block up: every message it held
 * was removed (or moved to the rewrite), so the reader treats the block as holding nothing.
 */
public final class BlockRetiredException extends StoreException
{
    public BlockRetiredException(final Path file)
    {
        super("block file was reclaimed while being read", file, UNKNOWN, UNKNOWN);
    }
}
