package io.ferrite.engine.state;

import io.ferrite.engine.block.BlockFile;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreFullException;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;

/**
 * The files of one stream and the few operations on them that are not block I/O: listing blocks, atomic small-file
 * replacement, directory fsync, and the lock that keeps a second writer out ({@link StreamLock}).
 * <pre>
 * stream.json                      config and format version
 * state.db                         the full state snapshot
 * state.db.replaced                while a reclaim pass replaces block files: the state before it (see below)
 * LOCK                             locked, and naming its holder, while the stream is open
 * blocks/NNNNNNNNNNNNNNNNNNNN.blk  message blocks, ascending ids
 * </pre>
 */
public final class StreamDirectory implements AutoCloseable
{
    public static final String METADATA_FILE = "stream.json";
    public static final String STATE_FILE = "state.db";
    /**
     * {@code state.db} as it was when a reclaim pass began replacing block files. It no longer describes the blocks and
     * is never loaded as a state; recovery reads from it only which block files existed before the pass, so that a
     * block rolled during the pass whose header never reached the disk is told from damage to an older block.
     */
    public static final String REPLACED_STATE_FILE = "state.db.replaced";
    public static final String LOCK_FILE = StreamLock.FILE_NAME;
    public static final String BLOCKS_DIR = "blocks";
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path root;
    private final Path blocks;
    /** Every fsync of a file or directory of this stream goes through it (tests inject power-loss models). */
    private StorageIO storageIO = StorageIO.standard();
    /** Null for a {@link #readOnly} view and once closed. */
    private StreamLock lock;

    private StreamDirectory(final Path root)
    {
        this.root = root;
        this.blocks = root.resolve(BLOCKS_DIR);
    }

    /**
     * Create the directory layout if needed and take the stream's lock.
     *
     * @throws io.ferrite.store.StreamLockedException when this or another process holds the stream open.
     */
    public static StreamDirectory open(final Path root)
    {
        return open(root, StorageIO.standard());
    }

    /**
     * As {@link #open(Path)}, with the fsyncs of {@link #replaceAtomically} and {@link #sync(Path)} going through
     * {@code io}.
     */
    public static StreamDirectory open(final Path root, final StorageIO io)
    {
        final StreamDirectory directory = new StreamDirectory(root);
        directory.storageIO = Objects.requireNonNull(io, "io");
        try
        {
            Files.createDirectories(directory.blocks);
        }
        catch (final IOException ex)
        {
            // Name what could not be created — often blocks/, when something that is no directory took its name.
            final Path failed = ex instanceof FileSystemException fs && null != fs.getFile() ?
                Path.of(fs.getFile()) : directory.blocks;
            throw new StoreIOException("create stream directory", failed, ex);
        }
        directory.lock = StreamLock.acquire(root);
        return directory;
    }

    /**
     * A view for tools that only read: no lock, nothing created.
     */
    public static StreamDirectory readOnly(final Path root)
    {
        return new StreamDirectory(root);
    }

    public Path root()
    {
        return root;
    }

    public Path blocksDir()
    {
        return blocks;
    }

    public Path metadataFile()
    {
        return root.resolve(METADATA_FILE);
    }

    public Path stateFile()
    {
        return root.resolve(STATE_FILE);
    }

    /**
     * @return where {@code state.db} waits while a reclaim pass replaces block files ({@link #REPLACED_STATE_FILE}).
     */
    public Path replacedStateFile()
    {
        return root.resolve(REPLACED_STATE_FILE);
    }

    public Path blockFile(final long blockId)
    {
        return blocks.resolve(BlockDescriptor.fileName(blockId));
    }

    /**
     * @return the ids of the block files present, ascending. Lists the directory; opens no block file.
     */
    public long[] listBlockIds()
    {
        long[] ids = new long[16];
        int count = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(blocks))
        {
            for (final Path path : stream)
            {
                final long id = BlockDescriptor.parseFileName(path.getFileName().toString());
                if (id >= 0)
                {
                    if (count == ids.length)
                    {
                        ids = Arrays.copyOf(ids, count * 2);
                    }
                    ids[count++] = id;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list block files", blocks, ex);
        }
        final long[] result = Arrays.copyOf(ids, count);
        Arrays.sort(result);
        return result;
    }

    /**
     * Replace {@code target} atomically with {@code content}: write a temp file, fsync it, rename it over the target,
     * fsync the directory. A crash at any point leaves either the old file or the new one.
     *
     * @param phases receives the end of each phase: 1 after write, 2 after fsync, 3 after rename; may be null.
     */
    public void replaceAtomically(final Path target, final ByteBuffer content, final PhaseListener phases)
    {
        final Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            while (content.hasRemaining())
            {
                channel.write(content);
            }
            notify(phases, PhaseListener.WRITTEN);
            storageIO.forceFile(temp, channel);
            notify(phases, PhaseListener.SYNCED);
        }
        catch (final IOException ex)
        {
            // Not left behind: on a full disk its blocks are what the next attempt needs.
            deleteAfterFailure(temp, ex);
            final String operation = "write " + temp.getFileName();
            throw BlockFile.isOutOfSpace(ex) ? new StoreFullException(operation, temp, ex) :
                new StoreIOException(operation, temp, ex);
        }
        try
        {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("rename " + temp.getFileName() + " over " + target.getFileName(), target, ex);
        }
        sync(target.getParent());
        notify(phases, PhaseListener.RENAMED);
    }

    private static void deleteAfterFailure(final Path temp, final IOException failure)
    {
        try
        {
            Files.deleteIfExists(temp);
        }
        catch (final IOException ex)
        {
            failure.addSuppressed(ex);
        }
    }

    /**
     * @return how this stream's files and directories are made durable.
     */
    public StorageIO storageIO()
    {
        return storageIO;
    }

    /**
     * Make a file that something outside the store wrote and synced (the key file, written by the crypto module)
     * durable through this directory's {@link StorageIO} as well, with its directory entry: every force of the store
     * goes through it, so an injected implementation (a power-loss model, an embedder's replication) sees them all.
     */
    public void forceWrittenFile(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            storageIO.forceFile(file, channel);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("fsync", file, ex);
        }
        sync(file.getParent());
    }

    public void sync(final Path dir)
    {
        try
        {
            storageIO.syncDirectory(dir);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("fsync directory", dir, ex);
        }
    }

    private static void notify(final PhaseListener phases, final int phase)
    {
        if (null != phases)
        {
            phases.onPhaseEnd(phase);
        }
    }

    /**
     * Release the stream's lock (see {@link StreamLock#release()}); nothing for a read-only view or a second close.
     */
    @Override
    public void close()
    {
        final StreamLock held = lock;
        lock = null;
        if (null != held)
        {
            held.release();
        }
    }

    /**
     * Told when each phase of {@link #replaceAtomically} ends, so callers can time them.
     */
    @FunctionalInterface
    public interface PhaseListener
    {
        int WRITTEN = 1;
        int SYNCED = 2;
        int RENAMED = 3;

        void onPhaseEnd(int phase);
    }
}
