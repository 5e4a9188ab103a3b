package io.ferrite.engine.testing;

import io.ferrite.store.StorageIO;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The standard {@link StorageIO}, running an action once, on the forcing thread, before the next {@code forceFile} of
 * a file whose name starts with a given prefix: a point inside an operation where it holds what it holds then (a
 * truncation forcing {@code truncation.removals} holds the append lock, before its cut).
 */
public final class FileForceHook implements StorageIO
{
    private final StorageIO real = StorageIO.standard();
    private volatile String prefix;
    private volatile Runnable action;

    /**
     * Run {@code then} before the next force of a file whose name starts with {@code namePrefix}.
     */
    public void before(final String namePrefix, final Runnable then)
    {
        prefix = namePrefix;
        action = then;
    }

    @Override
    public void forceBlock(
        final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
        final boolean metadata) throws IOException
    {
        real.forceBlock(file, channel, mapped, from, to, metadata);
    }

    @Override
    public void forceFile(final Path file, final FileChannel channel) throws IOException
    {
        final Runnable then = action;
        final String name = prefix;
        if (null != then && null != name && file.getFileName().toString().startsWith(name))
        {
            action = null;
            then.run();
        }
        real.forceFile(file, channel);
    }

    @Override
    public void syncDirectory(final Path dir) throws IOException
    {
        real.syncDirectory(dir);
    }
}
