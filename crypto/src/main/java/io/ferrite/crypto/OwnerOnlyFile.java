package io.ferrite.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a small secret-bearing file so that it is owner-only ({@code rw-------}) from the moment
 * it exists and, after a crash, either absent or complete:
 * <pre>
 *   createFile(temp, rw-------)  ->  write  ->  fsync(temp)  ->  rename(temp, target)  ->  fsync(dir)
 * </pre>
 * Needs a POSIX file system (every platform Ferrite supports); elsewhere {@code createFile} throws
 * {@link UnsupportedOperationException} rather than silently writing a world-readable file.
 */
final class OwnerOnlyFile
{
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_ATTRIBUTE =
        PosixFilePermissions.asFileAttribute(OWNER_ONLY);

    private OwnerOnlyFile()
    {
    }

    /**
     * @param target   absolute path of the file to publish; an existing file there is replaced, so
     *                 callers that must not replace check first.
     * @param contents the complete file contents.
     * @throws IOException if any step fails; the temporary file is then removed.
     */
    static void createAtomically(final Path target, final byte[] contents) throws IOException
    {
        final Path directory = target.getParent();
        // Unique per attempt, so a temp file left by a crashed writer never blocks the next one;
        // createFile is O_CREAT|O_EXCL, so it also refuses to follow a planted symlink.
        final Path temp = directory.resolve(
            target.getFileName() + ".tmp-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        Files.createFile(temp, OWNER_ONLY_ATTRIBUTE);
        try
        {
            // The creation mode was ANDed with the umask, which can only have removed bits: this
            // makes the result exactly rw------- without the file ever having been more permissive.
            Files.setPosixFilePermissions(temp, OWNER_ONLY);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE))
            {
                final ByteBuffer buffer = ByteBuffer.wrap(contents);
                while (buffer.hasRemaining())
                {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException | RuntimeException ex)
        {
            try
            {
                Files.deleteIfExists(temp);
            }
            catch (final IOException cleanupFailure)
            {
                ex.addSuppressed(cleanupFailure);
            }
            throw ex;
        }
        // The rename is durable only once the directory entry is: without this, a crash soon after
        // returning could leave no file at all.
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ))
        {
            dir.force(true);
        }
    }
}
