package io.ferrite.engine.state;

import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamLockedException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One writer per stream: what a store holds on its directory while it is open, in three layers, each covering what
 * the one before cannot.
 * <ol>
 * <li>In this process, {@link OpenStreamDirectories}: a second opener is refused before it opens the lock file. (POSIX
 * record locks belong to the process, and closing any descriptor of the lock file drops them, so merely trying the
 * lock from a second opener and closing its channel used to release the first opener's lock.)</li>
 * <li>Across processes, an exclusive {@link FileChannel#tryLock() lock} on {@code LOCK} (a POSIX {@code fcntl} lock on
 * Linux), taken and held through one descriptor that stays open until {@link #release()}.</li>
 * <li>Against anything else in the holder's process that opens and closes {@code LOCK} — a backup or a test copying
 * the directory with {@code Files.readAllBytes} — which drops that lock and which nothing can prevent from pure Java
 * (open file description locks, which would survive it, need native code): the {@link LockOwner} record in the lock
 * file. An opener that gets the lock but finds the record of a live process holding this directory refuses too.</li>
 * </ol>
 * What is not covered: a holder whose lock was dropped that way, seen from a process that cannot see it (another pid
 * namespace or another host sharing the directory): there only the lock itself stands, so do not copy a live stream's
 * directory from inside the process that holds it when other containers or hosts may open it.
 */
final class StreamLock
{
    static final String FILE_NAME = "LOCK";

    private final OpenStreamDirectories.Claim claim;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private StreamLock(
        final OpenStreamDirectories.Claim claim, final Path file, final FileChannel channel, final FileLock lock)
    {
        this.claim = claim;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @throws StreamLockedException when this or another process holds the stream open.
     */
    static StreamLock acquire(final Path directory)
    {
        final Path file = directory.resolve(FILE_NAME);
        createIfAbsent(file);
        final OpenStreamDirectories.Claim claim = OpenStreamDirectories.claim(directory, file);
        try
        {
            return lockFile(directory, file, claim);
        }
        catch (final RuntimeException ex)
        {
            OpenStreamDirectories.release(claim);
            throw ex;
        }
    }

    /**
     * Create the lock file if it is missing. {@code O_CREAT | O_EXCL}: when the file exists nothing is opened, so
     * nothing is closed either, and a lock this process may hold on it stays.
     */
    private static void createIfAbsent(final Path file)
    {
        try
        {
            Files.createFile(file);
        }
        catch (final FileAlreadyExistsException ex)
        {
            // the usual case: an existing stream
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("create lock file", file, ex);
        }
    }

    private static StreamLock lockFile(
        final Path directory, final Path file, final OpenStreamDirectories.Claim claim)
    {
        final String key = claim.key();
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("open lock file", file, ex);
        }
        try
        {
            final FileLock lock = tryLock(channel, directory, file);
            final LockOwner previous = LockOwner.read(channel, file);
            if (null != previous && previous.holds(key))
            {
                throw new StreamLockedException("stream directory " + directory + " is already open in process " +
                    previous.pid() + " (started " + previous.started() + "), which holds " + file + " although " +
                    "its lock on it was dropped (something in that process opened and closed the file): a stream " +
                    "has one writer", file);
            }
            LockOwner.current(key).write(channel, file);
            return new StreamLock(claim, file, channel, lock);
        }
        catch (final RuntimeException ex)
        {
            // Only this opener's descriptor: the registry admitted no other opener of this directory in this process.
            closeAfterFailure(channel, file, ex);
            throw ex;
        }
    }

    private static FileLock tryLock(final FileChannel channel, final Path directory, final Path file)
    {
        final FileLock lock;
        try
        {
            lock = channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            // Another copy of Ferrite in this JVM (another class loader) holds it: its registry is not ours.
            throw new StreamLockedException("stream directory " + directory + " is already open in this JVM " +
                "(through another class loader): a stream has one writer", file);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("lock stream directory", file, ex);
        }
        if (null == lock)
        {
            throw new StreamLockedException("stream directory " + directory + " is already open in another " +
                "process, which holds the lock on " + file + ": a stream has one writer", file);
        }
        return lock;
    }

    private static void closeAfterFailure(final FileChannel channel, final Path file, final RuntimeException failure)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            failure.addSuppressed(new StoreIOException("close lock file", file, ex));
        }
    }

    Path file()
    {
        return file;
    }

    /**
     * Clear the owner record, release the lock, close the descriptor and only then give the directory back to this
     * process's openers. Every step runs; the first failure is thrown after the last.
     */
    void release()
    {
        RuntimeException failure = null;
        try
        {
            LockOwner.clear(channel, file);
        }
        catch (final RuntimeException ex)
        {
            failure = ex;
        }
        try
        {
            lock.release();
        }
        catch (final IOException ex)
        {
            failure = add(failure, new StoreIOException("unlock stream directory", file, ex));
        }
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            failure = add(failure, new StoreIOException("close lock file", file, ex));
        }
        OpenStreamDirectories.release(claim);
        if (null != failure)
        {
            throw failure;
        }
    }

    private static RuntimeException add(final RuntimeException first, final RuntimeException next)
    {
        if (null == first)
        {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
