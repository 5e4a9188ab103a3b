package io.ferrite.engine.state;

import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Who holds a stream: the line the holder writes into the stream's {@code LOCK} once it has taken the lock, and clears
 * before it lets go.
 * <pre>
 * ferrite-lock pid=&lt;pid&gt; started=&lt;process start, epoch millis, or -1&gt; lock=&lt;dev=D,ino=I of LOCK&gt;
 * </pre>
 * Why the lock alone is not enough: POSIX record locks belong to the process, and anything in the holder's process
 * that opens and closes {@code LOCK} — a backup copying the directory, a test imaging it — drops the holder's lock
 * without telling it. The file's contents stay. An opener that gets the lock but finds here a live process (same pid
 * and the same start time, so a recycled pid does not count) that holds this very directory (a {@code LOCK} copied
 * into another directory names the original's inode) refuses, as if the lock had held.
 * <p>
 * It works where the opener can see the holder's process: on the same machine, in the same pid namespace. Across
 * containers or hosts sharing the directory only the lock itself keeps a second writer out.
 */
record LockOwner(long pid, long startedMillis, String lockFile)
{
    static final long UNKNOWN_START = -1;
    private static final String MAGIC = "ferrite-lock";
    /** Far more than a line needs: a longer file is not one of these lines. */
    private static final int MAX_LENGTH = 4096;

    /**
     * @return this process as the holder of the lock file with identity {@code lockFile} (see
     * {@link OpenStreamDirectories#identity}).
     */
    static LockOwner current(final String lockFile)
    {
        final ProcessHandle self = ProcessHandle.current();
        return new LockOwner(self.pid(), startMillis(self), lockFile);
    }

    /**
     * @return the holder recorded in the lock file, or null when it names none: empty (a clean close, or a build that
     * wrote no record) or not a record at all (nothing a holder wrote, so nobody to defer to).
     */
    static LockOwner read(final FileChannel channel, final Path file)
    {
        try
        {
            final long size = channel.size();
            if (size == 0 || size > MAX_LENGTH)
            {
                return null;
            }
            final ByteBuffer bytes = ByteBuffer.allocate((int)size);
            while (bytes.hasRemaining() && channel.read(bytes, bytes.position()) >= 0)
            {
                // positional reads until full or end of file
            }
            return parse(new String(bytes.array(), 0, bytes.position(), StandardCharsets.US_ASCII));
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read lock file", file, ex);
        }
    }

    static LockOwner parse(final String text)
    {
        final String[] parts = text.strip().split(" ");
        if (parts.length != 4 || !MAGIC.equals(parts[0]) || !parts[1].startsWith("pid=") ||
            !parts[2].startsWith("started=") || !parts[3].startsWith("lock="))
        {
            return null;
        }
        try
        {
            return new LockOwner(Long.parseLong(parts[1].substring("pid=".length())),
                Long.parseLong(parts[2].substring("started=".length())), parts[3].substring("lock=".length()));
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }

    /**
     * Replace the lock file's contents with this record. Called with the lock held.
     */
    void write(final FileChannel channel, final Path file)
    {
        final ByteBuffer line = ByteBuffer.wrap(line().getBytes(StandardCharsets.US_ASCII));
        try
        {
            channel.truncate(0);
            while (line.hasRemaining())
            {
                channel.write(line, line.position());
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("write lock file", file, ex);
        }
    }

    /**
     * Empty the lock file: the holder is letting go. Called with the lock still held.
     */
    static void clear(final FileChannel channel, final Path file)
    {
        try
        {
            channel.truncate(0);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("clear lock file", file, ex);
        }
    }

    /**
     * @return whether this record's process is alive and holds the lock file with identity {@code lockIdentity}: the
     * same file (not a copy), a live process with this pid, and, where both are known, the same start time. A process
     * this one cannot see counts as gone.
     */
    boolean holds(final String lockIdentity)
    {
        if (!lockFile.equals(lockIdentity))
        {
            return false;
        }
        if (pid == ProcessHandle.current().pid())
        {
            // This process: the in-process registry, consulted before the lock file was opened, is authoritative and
            // found no holder. A record naming us is left by a store of ours that is gone, or was copied with the
            // directory into a file that reuses the old lock file's inode.
            return false;
        }
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return false;
        }
        final long started = startMillis(process.get());
        return startedMillis == UNKNOWN_START || started == UNKNOWN_START || started == startedMillis;
    }

    /**
     * @return the process's start time for people reading an error, or "unknown".
     */
    String started()
    {
        return startedMillis == UNKNOWN_START ? "unknown" : Instant.ofEpochMilli(startedMillis).toString();
    }

    /**
     * @return the record as the lock file holds it.
     */
    String line()
    {
        return MAGIC + " pid=" + pid + " started=" + startedMillis + " lock=" + lockFile + "\n";
    }

    static long startMillis(final ProcessHandle process)
    {
        return process.info().startInstant().map(Instant::toEpochMilli).orElse(UNKNOWN_START);
    }
}
