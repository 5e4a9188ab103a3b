package io.ferrite.engine.state;

import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamLockedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stream directories this process holds open, keyed by the identity of their lock file (device and inode where
 * the file system has them, else its real path): a symbolic link, a second mount or a rename of the directory reaches
 * the same key.
 * <p>
 * Why it exists: the lock that keeps other processes out is a POSIX record lock, which belongs to the process, and
 * closing <em>any</em> descriptor of the lock file in the process drops it. A second opener in the same process must
 * therefore be turned away before it opens the lock file at all — asking the lock itself (open, try, close) is what
 * used to drop it. {@link StreamLock} claims the directory here first, reading the lock file's identity with
 * {@code stat} (which opens nothing), opens the file only once it owns the claim, and gives the claim back last,
 * after the descriptor is closed.
 * <p>
 * Why the lock file's identity and not the directory's: the holder's open descriptor keeps the lock file's inode
 * alive, so its number cannot be reused by another file while the claim stands — even for a store that is never
 * closed and whose directory is deleted — whereas a deleted directory's inode can come back as a new directory's.
 * <p>
 * Thread-safe. One registry per class loader: two copies of Ferrite loaded side by side in one JVM do not see each
 * other's claims.
 */
final class OpenStreamDirectories
{
    private static final ConcurrentHashMap<String, Claim> OPEN = new ConcurrentHashMap<>();

    private OpenStreamDirectories()
    {
    }

    /**
     * A claimed directory: its lock file's identity, and the path it was opened by.
     */
    record Claim(String key, Path directory)
    {
    }

    /**
     * @param lockFile the directory's lock file, which must exist.
     * @return the claim to {@link #release} once the lock file's descriptor is closed.
     * @throws StreamLockedException when this process already holds the directory open.
     */
    static Claim claim(final Path directory, final Path lockFile)
    {
        final Claim claim = new Claim(identity(lockFile), directory);
        final Claim holder = OPEN.putIfAbsent(claim.key(), claim);
        if (null != holder)
        {
            throw new StreamLockedException("stream directory " + directory + " is already open in this process" +
                (holder.directory().equals(directory) ? "" : " (as " + holder.directory() + ")") + ": a stream has " +
                "one writer; use the store that holds it, or close it first", lockFile);
        }
        return claim;
    }

    static void release(final Claim claim)
    {
        OPEN.remove(claim.key(), claim);
    }

    /**
     * @return "dev=D,ino=I" where the file system has a unix view, else the file's real path: the same string for every
     * path that reaches the same file, in every process on this machine. Reads attributes only; opens nothing.
     */
    static String identity(final Path file)
    {
        try
        {
            if (file.getFileSystem().supportedFileAttributeViews().contains("unix"))
            {
                return "dev=" + Files.getAttribute(file, "unix:dev") + ",ino=" + Files.getAttribute(file, "unix:ino");
            }
            return file.toRealPath(LinkOption.NOFOLLOW_LINKS).toString();
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("identify lock file", file, ex);
        }
    }
}
