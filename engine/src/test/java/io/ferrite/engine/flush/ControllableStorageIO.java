package io.ferrite.engine.flush;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.engine.block.BlockFile;
import io.ferrite.store.StorageIO;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link StorageIO} over another that tests can stall and fail: {@link #stallBlockForces()} makes the next block
 * force wait on a latch (and says when it does), {@link #stallFileForces()} does the same for small files
 * ({@code state.db}), {@link #failBlockForces(String)} makes every block force throw, and
 * {@link #failBlockForcesAfter(int, String)} every one after the next {@code n}, {@link #failHeaderForces(int, String)}
 * only forces of a block header. Counts the calls that reach the disk.
 */
public final class ControllableStorageIO implements StorageIO
{
    private final StorageIO delegate;
    private final AtomicInteger blockForces = new AtomicInteger();
    private final AtomicInteger directorySyncs = new AtomicInteger();
    private volatile CountDownLatch release;
    private volatile CountDownLatch stalled;
    private volatile String failure;
    /** Block forces still allowed before {@link #failureAfter} applies; negative when none is armed. */
    private final AtomicInteger forcesBeforeFailure = new AtomicInteger(-1);
    private volatile String failureAfter;
    private final AtomicInteger headerForces = new AtomicInteger();
    private final AtomicInteger headerForcesToFail = new AtomicInteger();
    private volatile String headerFailure;
    private volatile CountDownLatch fileRelease;
    private volatile CountDownLatch fileStalled;
    private volatile Path fileStallScope;
    private volatile String preparedFailure;
    private final AtomicInteger preparedForces = new AtomicInteger();

    public ControllableStorageIO(final StorageIO delegate)
    {
        this.delegate = delegate;
    }

    public ControllableStorageIO()
    {
        this(StorageIO.standard());
    }

    /**
     * From now on, block forces wait until {@link #releaseStall()}.
     */
    public void stallBlockForces()
    {
        stalled = new CountDownLatch(1);
        release = new CountDownLatch(1);
    }

    /**
     * @return once a block force is waiting on the stall.
     */
    public void awaitStalled() throws InterruptedException
    {
        if (!stalled.await(30, TimeUnit.SECONDS))
        {
            throw new AssertionError("no force reached the stall within 30 s");
        }
    }

    public void releaseStall()
    {
        final CountDownLatch latch = release;
        release = null;
        if (null != latch)
        {
            latch.countDown();
        }
    }

    /**
     * From now on, small-file forces ({@code state.db}, {@code stream.json}) wait until {@link #releaseFileStall()}.
     */
    public void stallFileForces()
    {
        stallFileForcesUnder(null);
    }

    /**
     * As {@link #stallFileForces()}, for the small files under {@code dir} only (one stream's directory in an
     * environment): every other file's force goes through.
     *
     * @param dir the directory whose files' forces wait, or null for every small file.
     */
    public void stallFileForcesUnder(final Path dir)
    {
        fileStallScope = null == dir ? null : dir.toAbsolutePath().normalize();
        fileStalled = new CountDownLatch(1);
        fileRelease = new CountDownLatch(1);
    }

    /**
     * @return once a small-file force is waiting on the stall.
     */
    public void awaitFileStalled() throws InterruptedException
    {
        if (!fileStalled.await(30, TimeUnit.SECONDS))
        {
            throw new AssertionError("no file force reached the stall within 30 s");
        }
    }

    public void releaseFileStall()
    {
        final CountDownLatch latch = fileRelease;
        fileRelease = null;
        if (null != latch)
        {
            latch.countDown();
        }
    }

    /**
     * @param message of the IOException every force of a block file being prepared ({@code *.creating}) throws from
     *                now on; null to stop failing.
     */
    public void failPreparedFileForces(final String message)
    {
        preparedFailure = message;
    }

    /**
     * @return forces of block files being prepared, failed ones included.
     */
    public int preparedFileForces()
    {
        return preparedForces.get();
    }

    /**
     * @param message of the IOException every block force throws from now on; null to stop failing.
     */
    public void failBlockForces(final String message)
    {
        failure = message;
    }

    /**
     * Let the next {@code forces} block forces through, then make every later one throw an IOException with
     * {@code message} (a disk that fails part-way through a run).
     */
    public void failBlockForcesAfter(final int forces, final String message)
    {
        failureAfter = message;
        forcesBeforeFailure.set(forces);
    }

    /**
     * Make the next {@code forces} forces of a range inside a block header (the tombstone epoch slots' force) throw
     * an IOException with {@code message}; other forces go through.
     */
    public void failHeaderForces(final int forces, final String message)
    {
        headerFailure = message;
        headerForcesToFail.set(forces);
    }

    /**
     * @return the forces of a range inside a block header that were attempted, failed or not.
     */
    public int headerForces()
    {
        return headerForces.get();
    }

    public int blockForces()
    {
        return blockForces.get();
    }

    public int directorySyncs()
    {
        return directorySyncs.get();
    }

    @Override
    public void forceBlock(
        final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
        final boolean metadata) throws IOException
    {
        await(release, stalled);
        if (to <= BlockDescriptor.HEADER_LENGTH)
        {
            headerForces.incrementAndGet();
            if (headerForcesToFail.getAndUpdate(n -> n > 0 ? n - 1 : n) > 0)
            {
                throw new IOException(headerFailure);
            }
        }
        final String message = failure;
        if (null != message)
        {
            throw new IOException(message);
        }
        if (null != failureAfter && forcesBeforeFailure.getAndUpdate(n -> n > 0 ? n - 1 : n) == 0)
        {
            throw new IOException(failureAfter);
        }
        blockForces.incrementAndGet();
        delegate.forceBlock(file, channel, mapped, from, to, metadata);
    }

    @Override
    public void forceFile(final Path file, final FileChannel channel) throws IOException
    {
        if (file.getFileName().toString().endsWith(BlockFile.TEMP_SUFFIX))
        {
            // A block file being prepared: not one of the small files the stall is for.
            preparedForces.incrementAndGet();
            final String message = preparedFailure;
            if (null != message)
            {
                throw new IOException(message);
            }
            delegate.forceFile(file, channel);
            return;
        }
        final Path scope = fileStallScope;
        if (null == scope || file.toAbsolutePath().normalize().startsWith(scope))
        {
            await(fileRelease, fileStalled);
        }
        delegate.forceFile(file, channel);
    }

    @Override
    public void syncDirectory(final Path dir) throws IOException
    {
        directorySyncs.incrementAndGet();
        delegate.syncDirectory(dir);
    }

    private static void await(final CountDownLatch latch, final CountDownLatch stalled) throws IOException
    {
        if (null != latch)
        {
            stalled.countDown();
            try
            {
                latch.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stalled", ex);
            }
        }
    }
}
