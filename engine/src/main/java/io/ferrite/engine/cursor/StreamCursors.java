package io.ferrite.engine.cursor;

import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.CursorDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.CursorPosition;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.SyncMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The named tailers' cursors of one file store, {@code cursors/<name>.cursor} ({@link CursorDescriptor}). A cursor is
 * loaded when first used (created, listed or truncated) and stays in memory until the store closes or it is deleted;
 * its file is created when the cursor is, so it survives a crash before its first acknowledgement.
 * <p>
 * When an acknowledgement reaches the file follows the sync mode: {@code ALWAYS} on the acknowledging thread
 * ({@link #afterAck}); {@code INTERVAL} on the flusher thread at each interval ({@link #persistAll}); {@code NONE}
 * when its tailer or the store closes. Every write is bounded by the stream's durable sequence (see
 * {@link Cursor#persist}).
 * <p>
 * Threading: the registry's own methods under its monitor (create, list, delete, truncate — rare, and the only ones
 * doing directory I/O); {@link #persistAll} and {@link #afterAck} only under each cursor's own locks.
 */
public final class StreamCursors implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(StreamCursors.class);
    private static final Cursor[] NONE = new Cursor[0];

    private final String streamName;
    private final StreamDirectory directory;
    private final Path dir;
    private final SyncMode mode;
    private final LongSupplier durableSeq;
    private final Map<String, Cursor> loaded = new HashMap<>();
    /** Copy of {@link #loaded}'s values for the flusher's pass, replaced (never changed) under the monitor. */
    private volatile Cursor[] cursors = NONE;
    private volatile boolean closed;

    /**
     * @param durableSeq the stream's durable sequence: no cursor is written beyond it.
     */
    public StreamCursors(
        final String streamName, final StreamDirectory directory, final SyncMode mode, final LongSupplier durableSeq)
    {
        this.streamName = streamName;
        this.directory = directory;
        this.dir = directory.root().resolve(CursorDescriptor.DIRECTORY);
        this.mode = mode;
        this.durableSeq = durableSeq;
    }

    /**
     * Take the cursor {@code name} for a tailer, creating it (and its file) at 0 when there is none.
     *
     * @param name a valid name.
     * @throws IllegalStateException when a tailer holds it already.
     * @throws CorruptFileException  when its file is damaged.
     */
    public synchronized Cursor acquire(final String name)
    {
        ensureOpen();
        Cursor cursor = load(name);
        if (null == cursor)
        {
            createDirectory();
            final Path file = dir.resolve(CursorDescriptor.fileName(name));
            cursor = new Cursor(name, file, this, CursorFile.create(directory, file, 0), 0);
            add(cursor);
        }
        if (cursor.open)
        {
            throw new IllegalStateException("tailer '" + name + "' of stream " + streamName + " is open already: " +
                "one tailer per name at a time (close the other first)");
        }
        cursor.open = true;
        return cursor;
    }

    /**
     * Give back a cursor taken by {@link #acquire}, writing its position as far as the stream is durable.
     */
    public void release(final Cursor cursor)
    {
        synchronized (this)
        {
            cursor.open = false;
        }
        cursor.persist(durableSeq.getAsLong(), directory.storageIO());
    }

    /**
     * Lower {@code cursor} to {@code seq} when it is above, and write that at once: the stream no longer holds what it
     * acknowledged beyond.
     */
    public void lower(final Cursor cursor, final long seq)
    {
        if (cursor.lowerTo(seq))
        {
            cursor.persistLowered(directory.storageIO());
        }
    }

    /**
     * After an acknowledgement: in {@code ALWAYS} mode write it now.
     */
    public void afterAck(final Cursor cursor)
    {
        if (mode == SyncMode.ALWAYS)
        {
            cursor.persist(durableSeq.getAsLong(), directory.storageIO());
        }
    }

    /**
     * A truncation keeps (or kept) sequences up to {@code seq}: every cursor above it, open or not, is moved back to it
     * and written (forced), and every other one written as far as it was acknowledged and the stream is durable,
     * before the truncation returns — before an append can reuse the sequences it cut. Called under the append lock,
     * before the cut (so a crash after it finds every cursor file lowered already) and again after the truncation was
     * published to tailers (for an acknowledgement in between). A damaged cursor file is left as it is: it cannot be
     * opened until deleted anyway. A cursor whose write fails does not stop the others; it stays lowered in memory and
     * its file is written again at each interval.
     *
     * @throws StoreException the first write that failed, the others suppressed, once every cursor was tried.
     */
    public synchronized void onTruncated(final long seq)
    {
        if (closed)
        {
            return;
        }
        final StoreException failure = lowerAll(seq);
        if (null != failure)
        {
            throw failure;
        }
    }

    /**
     * At open, before any append: lower every cursor beyond the stream's last sequence {@code lastSeq} — a crash
     * between a truncation's cut and its cursor writes left it there, and the appends to come would reuse those
     * sequences. A write that fails is logged and retried at each interval; the stream still opens.
     */
    public synchronized void reconcile(final long lastSeq)
    {
        final StoreException failure = lowerAll(lastSeq);
        if (null != failure)
        {
            LOG.error("stream {}: cursors beyond the last sequence {} were not all written lowered at open (retried " +
                "at each interval; kept lowered in memory): {}", streamName, lastSeq, failure.toString());
        }
    }

    private StoreException lowerAll(final long seq)
    {
        for (final String name : namesOnDisk())
        {
            try
            {
                load(name);
            }
            catch (final CorruptFileException ex)
            {
                LOG.warn("stream {}: lowered to {}, but cursor '{}' is damaged and was not moved back: {}",
                    streamName, seq, name, ex.getMessage());
            }
        }
        final long durable = durableSeq.getAsLong();
        StoreException failure = null;
        for (final Cursor cursor : cursors)
        {
            try
            {
                cursor.lowerTo(seq);
                cursor.persistLowered(directory.storageIO());
                // A file behind the lowered position (an INTERVAL ack not written yet) is brought up to it as far as
                // the stream is durable: the cut leaves every cursor file settled, not waiting for the next interval.
                cursor.persist(durable, directory.storageIO());
            }
            catch (final StoreException ex)
            {
                if (null == failure)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        return failure;
    }

    /**
     * Write every cursor acknowledged beyond its file, as far as {@code durable}: the flusher's interval pass, and
     * close. A failure is logged and the cursor retried at the next pass. Allocates nothing when nothing changed.
     */
    public void persistAll(final long durable)
    {
        for (final Cursor cursor : cursors)
        {
            try
            {
                // A lowering whose write failed first (a no-op otherwise): the file must not stay above a cut.
                cursor.persistLowered(directory.storageIO());
                cursor.persist(durable, directory.storageIO());
            }
            catch (final StoreException ex)
            {
                LOG.error("stream {}: cursor '{}' was not written (retried at the next interval): {}", streamName,
                    cursor.name(), ex.getMessage());
            }
        }
    }

    /**
     * @return every cursor, by name; loads those not loaded yet.
     */
    public synchronized List<CursorPosition> list()
    {
        ensureOpen();
        for (final String name : namesOnDisk())
        {
            load(name);
        }
        final List<CursorPosition> positions = new ArrayList<>(loaded.size());
        for (final Cursor cursor : cursors)
        {
            positions.add(new CursorPosition(cursor.name(), cursor.ackedSeq(), cursor.open));
        }
        positions.sort(Comparator.comparing(CursorPosition::name));
        return positions;
    }

    /**
     * Delete cursor {@code name} and its file, durably.
     *
     * @return whether there was one.
     * @throws IllegalStateException when a tailer holds it.
     */
    public synchronized boolean delete(final String name)
    {
        ensureOpen();
        final Cursor cursor = loaded.get(name);
        if (null != cursor && cursor.open)
        {
            throw new IllegalStateException("tailer '" + name + "' of stream " + streamName + " is open: close it " +
                "before deleting it");
        }
        final Path file = dir.resolve(CursorDescriptor.fileName(name));
        if (null != cursor)
        {
            cursor.markDeleted();
            loaded.remove(name);
            cursors = loaded.values().toArray(NONE);
        }
        try
        {
            final boolean existed = Files.deleteIfExists(file);
            if (existed)
            {
                directory.sync(dir);
            }
            return existed;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("delete cursor", file, ex);
        }
    }

    boolean isClosed()
    {
        return closed;
    }

    /**
     * Write every cursor as far as the stream is durable (the store forced everything before), then refuse every
     * later write: the stream's files are released next.
     */
    @Override
    public void close()
    {
        persistAll(durableSeq.getAsLong());
        closed = true;
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("the cursors of stream " + streamName + " are closed");
        }
    }

    /**
     * @return the cursor {@code name}, loading it from its file when not loaded yet; null when there is none.
     */
    private Cursor load(final String name)
    {
        final Cursor known = loaded.get(name);
        if (null != known)
        {
            return known;
        }
        final Path file = dir.resolve(CursorDescriptor.fileName(name));
        if (!Files.exists(file))
        {
            return null;
        }
        final CursorFile.Slot slot = CursorFile.read(file);
        final Cursor cursor = new Cursor(name, file, this, slot.generation(), slot.ackedSeq());
        add(cursor);
        return cursor;
    }

    private void add(final Cursor cursor)
    {
        loaded.put(cursor.name(), cursor);
        final Cursor[] grown = Arrays.copyOf(cursors, cursors.length + 1);
        grown[grown.length - 1] = cursor;
        cursors = grown;
    }

    private List<String> namesOnDisk()
    {
        final List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir))
        {
            for (final Path path : stream)
            {
                final String name = CursorDescriptor.nameOf(path.getFileName().toString());
                if (null != name)
                {
                    names.add(name);
                }
            }
        }
        catch (final NoSuchFileException none)
        {
            return names;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list cursors", dir, ex);
        }
        return names;
    }

    private void createDirectory()
    {
        if (Files.isDirectory(dir))
        {
            return;
        }
        try
        {
            Files.createDirectories(dir);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("create cursor directory", dir, ex);
        }
        directory.sync(directory.root());
    }
}
