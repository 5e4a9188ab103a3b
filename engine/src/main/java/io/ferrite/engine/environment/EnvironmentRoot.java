package io.ferrite.engine.environment;

import io.ferrite.engine.state.DirectoryLock;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An environment's root directory: {@code <root>/<name>/} is stream {@code name}'s directory. Entries whose name
 * starts with a dot are the environment's own, never a stream ({@link StreamNames} forbids the leading dot):
 * <pre>
 * .environment/LOCK        held while the environment is open
 * .&lt;name&gt;.creating/     a stream being created: renamed to &lt;name&gt; once whole
 * .&lt;name&gt;.deleting/     a stream being deleted: renamed from &lt;name&gt; first
 * catalog.snapshot         the last catalog written (a dot in its name: no stream can take it)
 * </pre>
 * Create and delete are crash-safe because the only step that changes what the root holds is one rename, made durable
 * by a sync of the root: a stream is built whole in {@code .<name>.creating} and renamed to {@code <name>}; a delete
 * renames {@code <name>} to {@code .<name>.deleting} before removing a file. At open, leftovers are settled: a
 * {@code .creating} is rolled back (it never was a stream), a {@code .deleting} is finished.
 * <p>
 * Threading: the owner serializes calls per stream name; listing from any thread.
 */
public final class EnvironmentRoot implements AutoCloseable
{
    /** The environment's own directory under the root: holds its lock. */
    public static final String OWN_DIRECTORY = ".environment";
    public static final String CREATING_SUFFIX = ".creating";
    public static final String DELETING_SUFFIX = ".deleting";

    private static final Logger LOG = LoggerFactory.getLogger(EnvironmentRoot.class);

    private final Path root;
    private final StorageIO io;
    private final DirectoryLock lock;
    private final DirectoryMoves moves;

    private EnvironmentRoot(final Path root, final StorageIO io, final DirectoryLock lock, final DirectoryMoves moves)
    {
        this.root = root;
        this.io = io;
        this.lock = lock;
        this.moves = moves;
    }

    /**
     * As {@link #open(Path, StorageIO, DirectoryMoves)} with atomic renames.
     */
    public static EnvironmentRoot open(final Path root, final StorageIO io)
    {
        return open(root, io, DirectoryMoves.ATOMIC);
    }

    /**
     * Create the root if absent, lock it, and settle what a crash left: roll back creates, finish deletes.
     *
     * @throws io.ferrite.store.StreamLockedException when another environment has it open.
     * @param moves renames a stream's directory (a seam for tests).
     * @throws StoreIOException                       naming the path that could not be used.
     */
    public static EnvironmentRoot open(final Path root, final StorageIO io, final DirectoryMoves moves)
    {
        final Path own = root.resolve(OWN_DIRECTORY);
        try
        {
            Files.createDirectories(own);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("create environment directory", own, ex);
        }
        final DirectoryLock lock = DirectoryLock.acquire(own);
        final EnvironmentRoot opened = new EnvironmentRoot(root, io, lock, moves);
        try
        {
            opened.settleLeftovers();
            return opened;
        }
        catch (final RuntimeException ex)
        {
            lock.close();
            throw ex;
        }
    }

    public Path root()
    {
        return root;
    }

    /**
     * @return the directory of stream {@code name}.
     */
    public Path streamDirectory(final String name)
    {
        return root.resolve(StreamNames.validate(name));
    }

    /**
     * @return whether stream {@code name}'s directory is there: after a failed rename, what the root holds decides.
     */
    public boolean exists(final String name)
    {
        return Files.isDirectory(streamDirectory(name));
    }

    /**
     * @return where stream {@code name} is built before {@link #publish} renames it into place.
     */
    public Path creatingDirectory(final String name)
    {
        return root.resolve("." + name + CREATING_SUFFIX);
    }

    /**
     * @return the names of the streams the root holds, ascending: its directories whose name is a stream name.
     */
    public List<String> listStreams()
    {
        final List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root))
        {
            for (final Path entry : entries)
            {
                final String name = entry.getFileName().toString();
                if (!name.startsWith(".") && isStreamName(name) && Files.isDirectory(entry))
                {
                    names.add(name);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list streams", root, ex);
        }
        Collections.sort(names);
        return names;
    }

    /**
     * Start a create: an empty {@code .<name>.creating}, removing one an earlier failed create left.
     *
     * @return the directory to build the stream in.
     */
    public Path beginCreate(final String name)
    {
        final Path creating = creatingDirectory(name);
        deleteTree(creating);
        try
        {
            Files.createDirectory(creating);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("create " + creating.getFileName(), creating, ex);
        }
        return creating;
    }

    /**
     * Finish a create: rename the whole stream built in {@code .<name>.creating} to {@code <name>} and sync the root,
     * so the stream exists after a crash from here on, and only from here on.
     */
    public void publish(final String name)
    {
        final Path creating = creatingDirectory(name);
        final Path target = streamDirectory(name);
        try
        {
            moves.move(creating, target);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("rename " + creating.getFileName() + " to " + name, target, ex);
        }
        sync();
    }

    /**
     * Give up a create that failed at any step: remove {@code .<name>.creating}, and when the failure came after the
     * rename took effect (its sync failed, or the rename reported a failure after it happened), delete the published
     * stream as {@link #beginDelete} and {@link #finishDelete} do, so nothing of it is left.
     *
     * @throws io.ferrite.store.StoreException when the published stream cannot be taken back: it stays, whole, as
     *                                         a stream.
     */
    public void abandonCreate(final String name)
    {
        deleteTree(creatingDirectory(name));
        if (exists(name))
        {
            beginDelete(name);
            finishDelete(name);
        }
    }

    /**
     * The step that deletes stream {@code name} (closed by the caller): rename it to {@code .<name>.deleting} and
     * sync the root; from here on it is gone, even after a crash.
     *
     * @throws StoreIOException when the rename or the sync fails: {@link #exists} says whether the stream is still
     *                          there.
     */
    public void beginDelete(final String name)
    {
        final Path dir = streamDirectory(name);
        final Path deleting = deletingDirectory(name);
        deleteTree(deleting);
        try
        {
            moves.move(dir, deleting);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("rename " + name + " to " + deleting.getFileName(), dir, ex);
        }
        sync();
    }

    /**
     * Remove what {@link #beginDelete} set aside and sync the root; what a failure leaves, the next open removes.
     */
    public void finishDelete(final String name)
    {
        deleteTree(deletingDirectory(name));
        sync();
    }

    private Path deletingDirectory(final String name)
    {
        return root.resolve("." + name + DELETING_SUFFIX);
    }

    /**
     * Make the root's entries durable.
     */
    public void sync()
    {
        try
        {
            io.syncDirectory(root);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("sync environment root", root, ex);
        }
    }

    private void settleLeftovers()
    {
        boolean changed = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, ".*"))
        {
            for (final Path entry : entries)
            {
                final String name = entry.getFileName().toString();
                if (name.endsWith(CREATING_SUFFIX))
                {
                    LOG.warn("environment {}: rolling back {}, a stream whose create did not finish", root, name);
                    deleteTree(entry);
                    changed = true;
                }
                else if (name.endsWith(DELETING_SUFFIX))
                {
                    LOG.info("environment {}: finishing {}, a stream whose delete did not finish", root, name);
                    deleteTree(entry);
                    changed = true;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list environment root", root, ex);
        }
        if (changed)
        {
            sync();
        }
    }

    private static boolean isStreamName(final String name)
    {
        try
        {
            StreamNames.validate(name);
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    /**
     * Remove {@code dir} and everything under it; nothing when absent.
     */
    static void deleteTree(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try
        {
            Files.walkFileTree(dir, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
                {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(final Path visited, final IOException ex) throws IOException
                {
                    if (null != ex)
                    {
                        throw ex;
                    }
                    Files.deleteIfExists(visited);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final NoSuchFileException ex)
        {
            // Gone already: what was wanted.
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("delete " + dir.getFileName(), dir, ex);
        }
    }

    /**
     * Release the root's lock.
     */
    @Override
    public void close()
    {
        lock.close();
    }
}
