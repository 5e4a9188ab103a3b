package io.ferrite.engine.testing;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StorageIO;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The standard {@link StorageIO}, running an action once on the thread that armed it when that thread forces a block
 * file through {@code forceFile} — which only a truncation's cut does, for the block it zeroed: the blocks above are
 * deleted by then, and no tombstone is written again yet.
 */
public final class CutForceHook implements StorageIO
{
    private final StorageIO real = StorageIO.standard();
    private volatile Runnable atCut;
    private volatile Thread armedBy;

    /**
     * Run {@code action} at the next cut this thread forces.
     */
    public void arm(final Runnable action)
    {
        armedBy = Thread.currentThread();
        atCut = action;
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
        final Runnable action = atCut;
        if (null != action && Thread.currentThread() == armedBy &&
            file.getFileName().toString().endsWith(BlockDescriptor.FILE_SUFFIX))
        {
            atCut = null;
            action.run();
        }
        real.forceFile(file, channel);
    }

    @Override
    public void syncDirectory(final Path dir) throws IOException
    {
        real.syncDirectory(dir);
    }
}
