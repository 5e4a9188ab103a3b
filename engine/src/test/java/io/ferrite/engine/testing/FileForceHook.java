package io.ferrite.engine.testing;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StorageIO;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * The standard {@link StorageIO}, running an action once, on the forcing thread, before the next {@code forceFile} of
 * a chosen file: a point inside an operation where it holds what it holds then. Two such points are named:
 * {@link #beforeNamed} (a truncation forcing {@code truncation.removals} holds the append lock, before its cut) and
 * {@link #atCut} (a block file forced through {@code forceFile}, which only a truncation's cut does, for the block it
 * zeroed: the blocks above are deleted by then, and no tombstone is written again yet).
 */
public final class FileForceHook implements StorageIO
{
    private final StorageIO real = StorageIO.standard();
    private volatile Predicate<Path> which;
    private volatile Runnable action;

    /**
     * Run {@code then} before the next force of a file whose name starts with {@code namePrefix}, on any thread.
     */
    public void beforeNamed(final String namePrefix, final Runnable then)
    {
        before((file) -> file.getFileName().toString().startsWith(namePrefix), then);
    }

    /**
     * Run {@code then} at the next cut the calling thread forces.
     */
    public void atCut(final Runnable then)
    {
        final Thread armedBy = Thread.currentThread();
        before((file) -> Thread.currentThread() == armedBy &&
            file.getFileName().toString().endsWith(BlockDescriptor.FILE_SUFFIX), then);
    }

    private void before(final Predicate<Path> file, final Runnable then)
    {
        action = null;
        which = file;
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
        if (null != then && which.test(file))
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
