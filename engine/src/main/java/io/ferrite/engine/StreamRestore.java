package io.ferrite.engine;

import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.format.CursorDescriptor;
import io.ferrite.format.SnapshotDescriptor;
import io.ferrite.store.CorruptSnapshotException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;
import org.agrona.CloseHelper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Restores a snapshot ({@link SnapshotDescriptor}) into a new stream directory, verifying everything before anything
 * is published: the files are written into a temporary sibling of the target, every entry's header and content
 * checksums and the trailer's checksum over the whole snapshot are checked, each path must be one a stream directory
 * holds ({@link SnapshotDescriptor#checkPath}: a hostile snapshot cannot write outside the temporary directory), and
 * the stream is opened there once (the caller's key must unwrap its key file, its recovery must find the state the
 * snapshot carries matching its blocks with nothing lost, every cursor must read) and closed; only then are the
 * directories forced and the directory renamed into place, and opened again, the normal way, for the caller.
 * <p>
 * A failure before the rename deletes the temporary directory and leaves the target as it was; a crash leaves the
 * temporary directory, named {@code .<target>.restore-<random>}, to be deleted by hand.
 */
final class StreamRestore
{
    private static final int COPY_BUFFER_LENGTH = 256 * 1024;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path target;
    private final StreamConfig config;
    private final StorageIO io = StorageIO.standard();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BUFFER_LENGTH);

    private StreamRestore(final Path target, final StreamConfig config)
    {
        this.target = target;
        this.config = config;
    }

    /**
     * See {@code FileStreamStore.restore}.
     */
    static FileStreamStore restore(final Path dir, final ReadableByteChannel in, final StreamConfig config)
    {
        final Path target = dir.toAbsolutePath().normalize();
        if (null == target.getParent())
        {
            throw new IllegalArgumentException("dir must not be the file system's root: " + dir);
        }
        requireNewOrEmpty(target);
        final StreamRestore restore = new StreamRestore(target, config);
        final long lastSeq = restore.unpackAndPublish(in);
        final FileStreamStore store = FileStreamStore.open(target, config);
        try
        {
            restore.requireClean(store, lastSeq, "the restored stream (the directory stays for inspection)");
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.close(ex::addSuppressed, store);
            throw ex;
        }
        return store;
    }

    /**
     * @throws StoreException unless recovery found the snapshot's state matching its blocks, lost nothing and stands
     *                        at its last sequence.
     */
    private void requireClean(final FileStreamStore store, final long lastSeq, final String what)
    {
        final RecoveryReport report = store.recoveryReport();
        final boolean expected = report.outcome() == RecoveryReport.Outcome.LOADED_STATE ||
            report.outcome() == RecoveryReport.Outcome.NEW_STREAM && lastSeq == 0;
        if (!expected || !report.isClean() || store.lastSeq() != lastSeq)
        {
            throw new StoreException(what + " of stream " + config.name() + " did not open cleanly at sequence " +
                lastSeq + ": it stands at " + store.lastSeq() + ", " + report, target, StoreException.UNKNOWN,
                StoreException.UNKNOWN);
        }
    }

    /**
     * @return the snapshot's last sequence, once its files are in place under the target.
     */
    private long unpackAndPublish(final ReadableByteChannel in)
    {
        final Path temp;
        try
        {
            Files.createDirectories(target.getParent());
            temp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".restore-");
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("create a temporary directory beside the restore target", target, ex);
        }
        try
        {
            final long lastSeq = unpack(new SnapshotInput(in, target), temp);
            // A trial open where nothing is published yet: a wrong key, or a state that checksums well but does not
            // describe its blocks, fails here and leaves the target as it was. Listing the tailers reads every cursor;
            // every consumer's file is read too.
            try (FileStreamStore trial = FileStreamStore.open(temp, config))
            {
                requireClean(trial, lastSeq, "the snapshot");
                trial.tailers();
                trial.readConsumerFiles();
            }
            publish(temp);
            return lastSeq;
        }
        catch (final Throwable ex)
        {
            // Any failure, an Error too (out of memory, a stack overflow): the temporary directory must not stay.
            deleteQuietly(temp, ex);
            throw ex;
        }
    }

    private long unpack(final SnapshotInput input, final Path temp)
    {
        final ByteBuffer fixed = input.read(SnapshotDescriptor.NAME_OFFSET, null, "header");
        if (fixed.getLong(SnapshotDescriptor.MAGIC_OFFSET) != SnapshotDescriptor.MAGIC)
        {
            throw corrupt("not a Ferrite stream snapshot: magic 0x" +
                Long.toHexString(fixed.getLong(SnapshotDescriptor.MAGIC_OFFSET)) + ", expected 0x" +
                Long.toHexString(SnapshotDescriptor.MAGIC), null, SnapshotDescriptor.MAGIC_OFFSET);
        }
        final int nameLength = Short.toUnsignedInt(fixed.getShort(SnapshotDescriptor.NAME_LENGTH_OFFSET));
        if (nameLength == 0 || nameLength > SnapshotDescriptor.MAX_NAME_LENGTH)
        {
            throw corrupt("stream name length " + nameLength + " is not in [1, " +
                SnapshotDescriptor.MAX_NAME_LENGTH + "]", null, SnapshotDescriptor.NAME_LENGTH_OFFSET);
        }
        final ByteBuffer rest = input.read(nameLength + SnapshotDescriptor.CHECKSUM_LENGTH, null, "header");
        final byte[] header = join(fixed, rest);
        checkChecksum(header, SnapshotDescriptor.NAME_OFFSET + nameLength, null, "header", 0);
        final int version = fixed.getInt(SnapshotDescriptor.VERSION_OFFSET);
        if (version != SnapshotDescriptor.VERSION)
        {
            throw corrupt("unsupported snapshot format version " + version + " (this build reads " +
                SnapshotDescriptor.VERSION + ")", null, SnapshotDescriptor.VERSION_OFFSET);
        }
        final String name = ascii(header, SnapshotDescriptor.NAME_OFFSET, nameLength, null,
            SnapshotDescriptor.NAME_OFFSET);
        if (!name.equals(config.name()))
        {
            throw new IllegalArgumentException("snapshot holds stream '" + name + "', not '" + config.name() + "'");
        }
        final int flags = fixed.getInt(SnapshotDescriptor.FLAGS_OFFSET);
        final boolean encrypted = (flags & SnapshotDescriptor.FLAG_ENCRYPTED) != 0;
        if (encrypted != config.encrypted())
        {
            throw new IllegalArgumentException("snapshot of stream " + name + " is " + (encrypted ?
                "encrypted: config must carry the stream's encryptionKey" : "plaintext: config must carry no " +
                "encryptionKey"));
        }
        final long lastSeq = fixed.getLong(SnapshotDescriptor.LAST_SEQ_OFFSET);
        final int entries = fixed.getInt(SnapshotDescriptor.ENTRY_COUNT_OFFSET);
        if (entries < 0)
        {
            throw corrupt("negative entry count " + entries, null, SnapshotDescriptor.ENTRY_COUNT_OFFSET);
        }
        final Set<String> paths = new HashSet<>();
        for (int i = 0; i < entries; i++)
        {
            paths.add(unpackEntry(input, temp, i, paths));
        }
        checkTrailer(input, entries);
        requirePresent(paths, SnapshotDescriptor.METADATA_PATH, input);
        requirePresent(paths, SnapshotDescriptor.STATE_PATH, input);
        if (encrypted)
        {
            requirePresent(paths, SnapshotDescriptor.KEY_PATH, input);
        }
        return lastSeq;
    }

    /**
     * @return the entry's path, once its file is written, forced and its content checksum verified.
     */
    private String unpackEntry(final SnapshotInput input, final Path temp, final int number, final Set<String> seen)
    {
        final long at = input.position();
        final String what = "header of entry " + number;
        final ByteBuffer fixed = input.read(SnapshotDescriptor.PATH_OFFSET, null, what);
        if (fixed.getInt(SnapshotDescriptor.ENTRY_MAGIC_OFFSET) != SnapshotDescriptor.ENTRY_MAGIC)
        {
            throw corrupt(what + " has no entry magic: 0x" +
                Integer.toHexString(fixed.getInt(SnapshotDescriptor.ENTRY_MAGIC_OFFSET)) + ", expected 0x" +
                Integer.toHexString(SnapshotDescriptor.ENTRY_MAGIC), null, at);
        }
        final int pathLength = Short.toUnsignedInt(fixed.getShort(SnapshotDescriptor.PATH_LENGTH_OFFSET));
        if (pathLength == 0 || pathLength > SnapshotDescriptor.MAX_PATH_LENGTH)
        {
            throw corrupt(what + ": path length " + pathLength + " is not in [1, " +
                SnapshotDescriptor.MAX_PATH_LENGTH + "]", null, at + SnapshotDescriptor.PATH_LENGTH_OFFSET);
        }
        final byte[] header = join(fixed, input.read(pathLength + SnapshotDescriptor.CHECKSUM_LENGTH, null, what));
        checkChecksum(header, SnapshotDescriptor.PATH_OFFSET + pathLength, null, what, at);
        final String path = ascii(header, SnapshotDescriptor.PATH_OFFSET, pathLength, null,
            at + SnapshotDescriptor.PATH_OFFSET);
        final String refused = SnapshotDescriptor.checkPath(path);
        if (null != refused)
        {
            throw corrupt("path refused: " + refused, path, at + SnapshotDescriptor.PATH_OFFSET);
        }
        if (!seen.add(path))
        {
            throw corrupt("path appears twice in the snapshot", path, at + SnapshotDescriptor.PATH_OFFSET);
        }
        final long fileLength = fixed.getLong(SnapshotDescriptor.FILE_LENGTH_OFFSET);
        final long contentLength = fixed.getLong(SnapshotDescriptor.CONTENT_LENGTH_OFFSET);
        if (fileLength < 0 || fileLength > SnapshotDescriptor.MAX_FILE_LENGTH || contentLength < 0 ||
            contentLength > fileLength)
        {
            throw corrupt("impossible lengths: file " + fileLength + ", content " + contentLength + " (need 0 <= " +
                "content <= file <= " + SnapshotDescriptor.MAX_FILE_LENGTH + ")", path,
                at + SnapshotDescriptor.FILE_LENGTH_OFFSET);
        }
        checkSmallFile(path, fileLength, contentLength, at);
        writeFile(input, temp, path, fileLength, contentLength);
        return path;
    }

    /**
     * A cursor or consumer state file is read whole into memory when the stream opens it: its entry must carry all of
     * it (no sparse tail) and be no longer than such a file can be, so a hostile length is refused here, naming the
     * entry, rather than exhausting the heap at the trial open.
     */
    private void checkSmallFile(final String path, final long fileLength, final long contentLength, final long at)
    {
        final long cap;
        if (path.startsWith(SnapshotDescriptor.CURSORS_PREFIX))
        {
            cap = CursorDescriptor.FILE_LENGTH;
        }
        else if (path.startsWith(SnapshotDescriptor.CONSUMERS_PREFIX))
        {
            cap = ConsumerStateDescriptor.MAX_FILE_LENGTH;
        }
        else
        {
            return;
        }
        if (contentLength != fileLength || fileLength > cap)
        {
            throw corrupt("impossible lengths for a " + (cap == CursorDescriptor.FILE_LENGTH ? "cursor" :
                "consumer state") + " file: file " + fileLength + ", content " + contentLength + " (need content == " +
                "file <= " + cap + ")", path, at + SnapshotDescriptor.FILE_LENGTH_OFFSET);
        }
    }

    private void writeFile(
        final SnapshotInput input, final Path temp, final String path, final long fileLength, final long contentLength)
    {
        final Path file = temp.resolve(path);
        // checkPath admits only names directly in the directory or in blocks/, cursors/ or consumers/: the second lock.
        if (!file.normalize().startsWith(temp))
        {
            throw corrupt("path leaves the stream directory", path, input.position());
        }
        final long contentAt = input.position();
        final CRC32C crc = new CRC32C();
        try
        {
            Files.createDirectories(file.getParent());
            if (path.equals(SnapshotDescriptor.KEY_PATH))
            {
                // The wrapped stream key is owner-only from the moment it exists, as the store creates it.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
            {
                long written = 0;
                while (written < contentLength)
                {
                    buffer.clear().limit((int)Math.min(buffer.capacity(), contentLength - written));
                    input.readInto(buffer, path, "content");
                    buffer.flip();
                    crc.update(buffer.duplicate());
                    while (buffer.hasRemaining())
                    {
                        written += channel.write(buffer, written);
                    }
                }
                final int expected = input.read(SnapshotDescriptor.CHECKSUM_LENGTH, path, "content checksum").getInt(0);
                if (expected != (int)crc.getValue())
                {
                    throw corrupt("content checksum mismatch over " + contentLength + " bytes: CRC32C 0x" +
                        Integer.toHexString(expected) + " expected, 0x" + Integer.toHexString((int)crc.getValue()) +
                        " found (content at snapshot offset " + contentAt + ")", path, input.position() -
                        SnapshotDescriptor.CHECKSUM_LENGTH);
                }
                if (fileLength > contentLength)
                {
                    // The rest of the file is zeros: one byte at the end makes the file that long, sparse.
                    channel.write(ByteBuffer.allocate(1), fileLength - 1);
                }
                io.forceFile(file, channel);
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("write restored file", file, ex);
        }
    }

    private void checkTrailer(final SnapshotInput input, final int entries)
    {
        final long at = input.position();
        final ByteBuffer trailer = input.read(SnapshotDescriptor.TRAILER_CHECKSUM_OFFSET, null, "trailer");
        final int running = input.runningChecksum();
        final int expected = input.readUncountedInt("trailer");
        if (trailer.getLong(SnapshotDescriptor.TRAILER_MAGIC_OFFSET) != SnapshotDescriptor.TRAILER_MAGIC)
        {
            throw corrupt("no trailer after " + entries + " entries: magic 0x" +
                Long.toHexString(trailer.getLong(SnapshotDescriptor.TRAILER_MAGIC_OFFSET)) + ", expected 0x" +
                Long.toHexString(SnapshotDescriptor.TRAILER_MAGIC), null, at);
        }
        final int trailerEntries = trailer.getInt(SnapshotDescriptor.TRAILER_ENTRY_COUNT_OFFSET);
        final long length = trailer.getLong(SnapshotDescriptor.TRAILER_SNAPSHOT_LENGTH_OFFSET);
        if (trailerEntries != entries || length != at)
        {
            throw corrupt("trailer counts " + trailerEntries + " entries and " + length + " bytes, the snapshot " +
                "holds " + entries + " and " + at, null, at + SnapshotDescriptor.TRAILER_ENTRY_COUNT_OFFSET);
        }
        if (expected != running)
        {
            throw corrupt("snapshot checksum mismatch: CRC32C 0x" + Integer.toHexString(expected) + " expected, 0x" +
                Integer.toHexString(running) + " found", null, at + SnapshotDescriptor.TRAILER_CHECKSUM_OFFSET);
        }
    }

    /**
     * Force every file (done as written) and directory, then rename the temporary directory into place.
     */
    private void publish(final Path temp)
    {
        try
        {
            for (final String sub : new String[]{"blocks", "cursors", "consumers"})
            {
                final Path dir = temp.resolve(sub);
                if (Files.isDirectory(dir))
                {
                    io.syncDirectory(dir);
                }
            }
            io.syncDirectory(temp);
            requireNewOrEmpty(target);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS))
            {
                Files.delete(target);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            io.syncDirectory(target.getParent());
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("publish the restored stream directory", target, ex);
        }
    }

    /**
     * @throws IllegalArgumentException when {@code target} exists and is not an empty directory.
     */
    private static void requireNewOrEmpty(final Path target)
    {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS))
        {
            throw new IllegalArgumentException("restore target " + target + " exists and is not a directory");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target))
        {
            final Iterator<Path> first = entries.iterator();
            if (first.hasNext())
            {
                throw new IllegalArgumentException("restore target " + target + " is not empty (it holds " +
                    first.next().getFileName() + "): restore into a new or empty directory");
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list restore target", target, ex);
        }
    }

    private void requirePresent(final Set<String> paths, final String path, final SnapshotInput input)
    {
        if (!paths.contains(path))
        {
            throw corrupt("snapshot holds no " + path, null, input.position());
        }
    }

    private void checkChecksum(
        final byte[] bytes, final int length, final String entry, final String what, final long at)
    {
        final int expected = SnapshotDescriptor.view(bytes, bytes.length).getInt(length);
        final int found = SnapshotDescriptor.checksum(bytes, 0, length);
        if (expected != found)
        {
            throw corrupt(what + " checksum mismatch: CRC32C 0x" + Integer.toHexString(expected) + " expected, 0x" +
                Integer.toHexString(found) + " found", entry, at + length);
        }
    }

    private String ascii(final byte[] bytes, final int offset, final int length, final String entry, final long at)
    {
        for (int i = 0; i < length; i++)
        {
            final byte b = bytes[offset + i];
            if (b < 0x21 || b > 0x7E)
            {
                throw corrupt("byte 0x" + Integer.toHexString(b & 0xFF) + " at index " + i + " is not printable ASCII",
                    entry, at + i);
            }
        }
        return new String(bytes, offset, length, StandardCharsets.US_ASCII);
    }

    private static byte[] join(final ByteBuffer first, final ByteBuffer second)
    {
        final byte[] bytes = new byte[first.remaining() + second.remaining()];
        first.duplicate().get(bytes, 0, first.remaining());
        second.duplicate().get(bytes, first.remaining(), second.remaining());
        return bytes;
    }

    private CorruptSnapshotException corrupt(final String message, final String entry, final long at)
    {
        return new CorruptSnapshotException(message, target, entry, at);
    }

    private static void deleteQuietly(final Path dir, final Throwable failure)
    {
        try
        {
            Files.walkFileTree(dir, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
                {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(final Path directory, final IOException ex)
                    throws IOException
                {
                    Files.delete(directory);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException ex)
        {
            failure.addSuppressed(ex);
        }
    }
}
