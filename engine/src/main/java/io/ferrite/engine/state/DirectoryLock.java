package io.ferrite.engine.state;

import java.nio.file.Path;

/**
 * The one-holder lock of a directory other than a stream's, with the same three layers as a stream's ({@code LOCK}
 * in the directory, this process's registry, the owner record): an environment holds one on its root's
 * {@code .environment} directory, so two environments never open the same root and neither finishes the other's
 * create or delete as a crash leftover.
 */
public final class DirectoryLock implements AutoCloseable
{
    private final StreamLock lock;

    private DirectoryLock(final StreamLock lock)
    {
        this.lock = lock;
    }

    /**
     * @param directory an existing directory.
     * @throws io.ferrite.store.StreamLockedException when this or another process holds it.
     */
    public static DirectoryLock acquire(final Path directory)
    {
        return new DirectoryLock(StreamLock.acquire(directory));
    }

    @Override
    public void close()
    {
        lock.release();
    }
}
