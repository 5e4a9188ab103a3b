package io.ferrite.engine.testing;

import io.ferrite.store.StorageIO;

import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A {@link StorageIO} that forces nothing, for tests whose subject is not durability and that open thousands of
 * streams (every flipped byte of a stream, a thousand block rolls): on a slow disk each open's and each roll's fsyncs
 * cost more than the rest of the case. Nothing is cut, so the page cache holds every byte the test reads back.
 */
public final class NoForceIO implements StorageIO
{
    public static final NoForceIO INSTANCE = new NoForceIO();

    private NoForceIO()
    {
    }

    @Override
    public void forceBlock(
        final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
        final boolean metadata)
    {
        // Durability is not under test; see the class comment.
    }

    @Override
    public void forceFile(final Path file, final FileChannel channel)
    {
        // Durability is not under test; see the class comment.
    }

    @Override
    public void syncDirectory(final Path dir)
    {
        // Durability is not under test; see the class comment.
    }
}
