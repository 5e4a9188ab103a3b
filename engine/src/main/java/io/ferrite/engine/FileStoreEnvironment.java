package io.ferrite.engine;

import io.ferrite.engine.agent.SharedAgentThread;
import io.ferrite.engine.agent.Uninterruptibles;
import io.ferrite.engine.environment.CatalogFile;
import io.ferrite.engine.environment.DirectoryMoves;
import io.ferrite.engine.environment.EnvironmentHistogramLog;
import io.ferrite.engine.environment.EnvironmentRoot;
import io.ferrite.engine.environment.EnvironmentThreads;
import io.ferrite.engine.environment.OpenStreams;
import io.ferrite.engine.environment.StoredStreamEntry;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamNames;
import io.ferrite.store.StreamStore;
import org.agrona.CloseHelper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * The file {@link StoreEnvironment}: streams in {@code <root>/<name>/}, created and deleted crash-safely by
 * {@link EnvironmentRoot}, their agents on the environment's three {@link EnvironmentThreads}, their catalog in
 * {@link OpenStreams}.
 * <p>
 * Threading: any thread but the environment's own shared threads (a listener or callback running there): every call
 * that may open, close, create or delete a stream refuses to run there, since it would wait for agents of the other
 * shared threads, which may be waiting for the very thread it runs on. One lock guards the catalog's changes and is
 * held for memory only: opening, closing, creating and deleting a stream (all of which wait on I/O) run outside it,
 * under a per-name {@link Change} marker, so a snapshot, a listing or another stream's open never waits on them. A
 * call on a name another call is changing waits for that change to end, then acts on what it left (an open of a
 * stream being deleted finds no stream). {@link #writeSnapshot()} calls are serialized by a lock of their own.
 */
public final class FileStoreEnvironment implements StoreEnvironment
{
    private final EnvironmentConfig config;
    private final EnvironmentRoot root;
    private final EnvironmentThreads threads;
    /** Every stream's histograms in one file, on the flusher thread; null when the config names no log. */
    private final EnvironmentHistogramLog histogramLog;
    private final OpenStreams streams = new OpenStreams(
        (store) -> !((FileStreamStore)store).isClosing(), (store) -> ((FileStreamStore)store).catalogEntry());
    private final Object changes = new Object();
    /** The names whose open, close, create or delete runs now; guarded by {@link #changes}. */
    private final Map<String, Change> changing = new HashMap<>();
    private final Object catalogWrites = new Object();
    /** Counted down once the first {@link #close()} ended: a second close waits for it. */
    private final CountDownLatch closeEnded = new CountDownLatch(1);
    /** Guarded by {@link #changes} for writes. */
    private volatile boolean closed;

    private FileStoreEnvironment(final EnvironmentConfig config, final EnvironmentRoot root)
    {
        this.config = config;
        this.root = root;
        this.threads = new EnvironmentThreads(config.threadFactory(), config.threadNamePrefix());
        for (final String name : root.listStreams())
        {
            streams.known(name, StoredStreamEntry.read(root.streamDirectory(name), name));
        }
        try
        {
            this.histogramLog = null == config.histogramLogFile() ? null : EnvironmentHistogramLog.start(
                threads.streamThreads().flusher().newSlot(), config.histogramLogFile(),
                config.histogramLogInterval().toNanos());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.close(ex::addSuppressed, threads);
            throw ex;
        }
    }

    /**
     * @see StoreEnvironment#open(Path, EnvironmentConfig)
     */
    public static FileStoreEnvironment open(final Path root, final EnvironmentConfig config)
    {
        return open(root, config, DirectoryMoves.ATOMIC);
    }

    /**
     * As {@link #open(Path, EnvironmentConfig)}, renaming streams' directories through {@code moves}: a seam for
     * tests that fail a rename.
     */
    static FileStoreEnvironment open(final Path root, final EnvironmentConfig config, final DirectoryMoves moves)
    {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(config, "config");
        AgronaAccess.verify();
        final EnvironmentRoot opened = EnvironmentRoot.open(root, config.storageIO(), moves);
        try
        {
            return new FileStoreEnvironment(config, opened);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.close(ex::addSuppressed, opened);
            throw ex;
        }
    }

    @Override
    public Path root()
    {
        return root.root();
    }

    @Override
    public EnvironmentConfig config()
    {
        return config;
    }

    @Override
    public StreamConfig.Builder streamConfig(final String name)
    {
        return StreamConfig.builder(StreamNames.validate(name)).syncMode(config.syncMode());
    }

    @Override
    public StreamStore createStream(final StreamConfig streamConfig)
    {
        Objects.requireNonNull(streamConfig, "config");
        final String name = StreamNames.validate(streamConfig.name());
        refuseOwnHistogramLog(streamConfig);
        refuseOnSharedThread("createStream(" + name + ")");
        final Change change = begin(name, "created", () ->
        {
            if (streams.contains(name))
            {
                throw exists(name);
            }
            return true;
        });
        try
        {
            // Looked at under the marker, not the lock: a directory the catalog does not list (made by hand since
            // the open) is never overwritten.
            if (Files.exists(root.streamDirectory(name)))
            {
                throw exists(name);
            }
            final Path creating = root.beginCreate(name);
            try
            {
                // Built whole under its temporary name, closed, then published by one rename.
                FileStreamStore.open(creating, streamConfig, config.storageIO(), threads.streamThreads()).close();
                root.publish(name);
            }
            catch (final RuntimeException ex)
            {
                try
                {
                    root.abandonCreate(name);
                }
                catch (final RuntimeException rollback)
                {
                    ex.addSuppressed(rollback);
                }
                if (root.exists(name))
                {
                    // Published and not taken back: the catalog lists what the root holds.
                    settled(() -> streams.known(name, null));
                }
                throw ex;
            }
            settled(() -> streams.known(name, null));
            final FileStreamStore store = openStore(name, streamConfig);
            published(name, store);
            return store;
        }
        finally
        {
            end(name, change);
        }
    }

    @Override
    public StreamStore openStream(final String name)
    {
        StreamNames.validate(name);
        return open(name, null);
    }

    @Override
    public StreamStore openStream(final StreamConfig streamConfig)
    {
        Objects.requireNonNull(streamConfig, "config");
        final String name = StreamNames.validate(streamConfig.name());
        refuseOwnHistogramLog(streamConfig);
        return open(name, streamConfig);
    }

    @Override
    public List<String> streamNames()
    {
        return streams.names();
    }

    @Override
    public boolean deleteStream(final String name)
    {
        StreamNames.validate(name);
        refuseOnSharedThread("deleteStream(" + name + ")");
        final Change change = begin(name, "deleted", () -> streams.contains(name));
        if (null == change)
        {
            return false;
        }
        try
        {
            final FileStreamStore store = (FileStreamStore)streams.store(name);
            if (null != store)
            {
                store.close();
                store.awaitReleased();
            }
            try
            {
                root.beginDelete(name);
            }
            catch (final RuntimeException ex)
            {
                if (!root.exists(name))
                {
                    // The rename took effect before the failure: the stream is gone, its files go now or at the
                    // next open.
                    settled(() -> streams.removed(name));
                    CloseHelper.close(ex::addSuppressed, () -> root.finishDelete(name));
                }
                // Otherwise it is still there, whole and closed, and listed as such.
                throw ex;
            }
            settled(() -> streams.removed(name));
            root.finishDelete(name);
            return true;
        }
        finally
        {
            end(name, change);
        }
    }

    @Override
    public ConsumerStore consumer(final String stream, final String consumer, final ConsumerConfig consumerConfig)
    {
        // The stream lists its consumers itself: the catalog asks it, so there is nothing to record here.
        return openStream(stream).consumer(consumer, consumerConfig);
    }

    @Override
    public EnvironmentSnapshot snapshot()
    {
        ensureOpen();
        return streams.snapshot();
    }

    @Override
    public EnvironmentSnapshot writeSnapshot()
    {
        // Taken inside the lock: two writers never leave the older of their snapshots on disk.
        synchronized (catalogWrites)
        {
            final EnvironmentSnapshot snapshot = snapshot();
            CatalogFile.write(root.root(), config.storageIO(), snapshot);
            return snapshot;
        }
    }

    @Override
    public EnvironmentSnapshot readSnapshot()
    {
        return CatalogFile.read(root.root());
    }

    /**
     * @return the agents on the environment's threads now, for tests: each open stream has three, the histogram log
     * one.
     */
    int agentCount()
    {
        return threads.agentCount();
    }

    /**
     * @return how many stores the catalog holds now (open, or closing and not yet released), for tests.
     */
    int heldStores()
    {
        return streams.openStores().size();
    }

    /**
     * @return how many streams the environment's histogram log follows now (0 without one), for tests.
     */
    int histogramLogSources()
    {
        return null == histogramLog ? 0 : histogramLog.sourceCount();
    }

    /**
     * @return the streams the root holds on disk now, for tests that compare it with the catalog.
     */
    List<String> rootListing()
    {
        return root.listStreams();
    }

    /**
     * Close every open stream (outside the catalog's lock), then the shared threads and the root. A second or
     * concurrent call returns once the first ended.
     */
    @Override
    public void close()
    {
        refuseOnSharedThread("close");
        final boolean first;
        synchronized (changes)
        {
            first = !closed;
            closed = true;
        }
        if (!first)
        {
            Uninterruptibles.await(closeEnded);
            return;
        }
        try
        {
            // No change begins from now on; those under way end first, so their stores are closed too.
            awaitChanges();
            final List<AutoCloseable> closing = new ArrayList<>();
            for (final StreamStore store : streams.openStores())
            {
                final FileStreamStore file = (FileStreamStore)store;
                closing.add(file);
                // A close its owner began is waited for: the threads and the root lock go only after it.
                closing.add(file::awaitReleased);
            }
            if (null != histogramLog)
            {
                // After the streams: the last interval holds everything they recorded up to their close.
                closing.add(histogramLog.slot());
            }
            closing.add(threads);
            closing.add(root);
            CloseHelper.closeAll(closing);
        }
        finally
        {
            closeEnded.countDown();
        }
    }

    @Override
    public String toString()
    {
        return "FileStoreEnvironment{root=" + root.root() + ", streams=" + streams.names().size() + '}';
    }

    private StreamStore open(final String name, final StreamConfig given)
    {
        while (true)
        {
            final FileStreamStore closingStore;
            synchronized (changes)
            {
                ensureOpen();
                final StreamStore open = null == changing.get(name) ? streams.openStore(name) : null;
                if (null != open)
                {
                    return open;
                }
                final FileStreamStore last = (FileStreamStore)streams.store(name);
                closingStore = null != last && last.isClosing() && !last.isReleased() && null == changing.get(name) ?
                    last : null;
            }
            if (null != closingStore)
            {
                // Its owner is closing it: it is opened again once its files are released.
                refuseOnSharedThread("openStream(" + name + ")");
                closingStore.awaitReleased();
                continue;
            }
            refuseOnSharedThread("openStream(" + name + ")");
            final Change change = begin(name, "opened", () ->
            {
                if (!streams.contains(name))
                {
                    throw new IllegalArgumentException("no stream '" + name + "' in " + root.root() +
                        ": create it with createStream");
                }
                return null == streams.openStore(name);
            });
            if (null == change)
            {
                // Opened by the change this one waited for.
                continue;
            }
            try
            {
                final FileStreamStore store = openStore(name, null == given ? storedConfig(name) : given);
                published(name, store);
                return store;
            }
            finally
            {
                end(name, change);
            }
        }
    }

    private IllegalArgumentException exists(final String name)
    {
        return new IllegalArgumentException("stream '" + name + "' exists in " + root.root() +
            ": open it with openStream");
    }

    private StreamConfig storedConfig(final String name)
    {
        final Path file = root.streamDirectory(name).resolve(StreamDirectory.METADATA_FILE);
        final StreamMetadata metadata = StreamMetadata.read(file);
        if (null == metadata)
        {
            throw new StoreException("stream '" + name + "' has no " + StreamDirectory.METADATA_FILE, file,
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        if (metadata.encrypted())
        {
            throw new IllegalArgumentException("stream '" + name + "' is encrypted: open it with " +
                "openStream(StreamConfig) and its key");
        }
        return metadata.configBuilder().syncMode(config.syncMode()).build();
    }

    private FileStreamStore openStore(final String name, final StreamConfig streamConfig)
    {
        final FileStreamStore store = FileStreamStore.open(root.streamDirectory(name), streamConfig,
            config.storageIO(), threads.streamThreads());
        if (null != histogramLog)
        {
            histogramLog.add(name, store.metrics(), store::isReleased);
        }
        return store;
    }

    /**
     * With the environment's one histogram log, a stream writes none of its own: one that names its own is refused
     * rather than have it silently ignored.
     */
    private void refuseOwnHistogramLog(final StreamConfig streamConfig)
    {
        if (null != histogramLog && null != streamConfig.histogramLogFile())
        {
            throw new IllegalArgumentException("stream '" + streamConfig.name() + "' names its own histogram log " +
                streamConfig.histogramLogFile() + ", but environment " + root.root() + " writes every stream's to " +
                config.histogramLogFile() + ": build its StreamConfig without histogramLog");
        }
    }

    /**
     * Mark {@code name} as changing, once no other change of it runs (waiting for one outside the lock).
     *
     * @param check under the lock, with no change of the name running: whether to go on (false: null is returned);
     *              it may throw to refuse.
     * @return the marker to {@link #end}, or null when {@code check} said no.
     */
    private Change begin(final String name, final String what, final BooleanSupplier check)
    {
        while (true)
        {
            final Change running;
            synchronized (changes)
            {
                ensureOpen();
                running = changing.get(name);
                if (null == running)
                {
                    if (!check.getAsBoolean())
                    {
                        return null;
                    }
                    final Change change = new Change(what);
                    changing.put(name, change);
                    return change;
                }
            }
            // Another thread opens, closes, creates or deletes it: its outcome decides what this call finds.
            Uninterruptibles.await(running.ended);
        }
    }

    /**
     * The catalog lists {@code store} as stream {@code name}'s, and once its close ended, the entry captured at the
     * close in its place: a closed store is not held for the environment's lifetime.
     */
    private void published(final String name, final FileStreamStore store)
    {
        settled(() -> streams.opened(name, store));
        store.whenReleased(() -> streams.released(name, store));
    }

    /**
     * Apply a change's outcome to the catalog, under its lock: memory only.
     */
    private void settled(final Runnable update)
    {
        synchronized (changes)
        {
            update.run();
        }
    }

    private void end(final String name, final Change change)
    {
        synchronized (changes)
        {
            changing.remove(name, change);
        }
        change.ended.countDown();
    }

    private void awaitChanges()
    {
        while (true)
        {
            final List<Change> running;
            synchronized (changes)
            {
                running = new ArrayList<>(changing.values());
            }
            if (running.isEmpty())
            {
                return;
            }
            for (final Change change : running)
            {
                Uninterruptibles.await(change.ended);
            }
        }
    }

    private void refuseOnSharedThread(final String operation)
    {
        if (SharedAgentThread.onSharedThread())
        {
            throw new IllegalStateException(operation + " on environment " + root.root() + " cannot run on " +
                Thread.currentThread().getName() + ", one of its shared threads (a listener or callback): it " +
                "would wait for agents of the other shared threads, which may be waiting for this one; call it from " +
                "another thread");
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("environment " + root.root());
        }
    }

    /**
     * A name's open, close, create or delete under way, outside the catalog's lock; a call on the same name waits
     * for it to end.
     */
    private static final class Change
    {
        private final String what;
        private final CountDownLatch ended = new CountDownLatch(1);

        Change(final String what)
        {
            this.what = what;
        }

        @Override
        public String toString()
        {
            return "being " + what;
        }
    }
}
