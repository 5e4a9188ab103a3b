package io.ferrite.engine;

import io.ferrite.engine.environment.CatalogFile;
import io.ferrite.engine.environment.EnvironmentRoot;
import io.ferrite.engine.environment.EnvironmentThreads;
import io.ferrite.engine.environment.OpenStreams;
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
import java.util.List;
import java.util.Objects;

/**
 * The file {@link StoreEnvironment}: streams in {@code <root>/<name>/}, created and deleted crash-safely by
 * {@link EnvironmentRoot}, their agents on the environment's three {@link EnvironmentThreads}, their catalog in
 * {@link OpenStreams}.
 * <p>
 * Threading: any thread. Creates, opens, deletes and close are serialized by one lock, held across their I/O (a create
 * waits for another create); {@link #snapshot()}, {@link #streamNames()} and the streams themselves never take it.
 * {@link #writeSnapshot()} calls are serialized by a lock of their own.
 */
public final class FileStoreEnvironment implements StoreEnvironment
{
    private final EnvironmentConfig config;
    private final EnvironmentRoot root;
    private final EnvironmentThreads threads;
    private final OpenStreams streams = new OpenStreams((store) -> !((FileStreamStore)store).isClosed());
    private final Object changes = new Object();
    private final Object catalogWrites = new Object();
    private volatile boolean closed;

    private FileStoreEnvironment(final EnvironmentConfig config, final EnvironmentRoot root)
    {
        this.config = config;
        this.root = root;
        this.threads = new EnvironmentThreads(config.threadFactory(), config.threadNamePrefix());
        for (final String name : root.listStreams())
        {
            streams.known(name);
        }
    }

    /**
     * @see StoreEnvironment#open(Path, EnvironmentConfig)
     */
    public static FileStoreEnvironment open(final Path root, final EnvironmentConfig config)
    {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(config, "config");
        AgronaAccess.verify();
        final EnvironmentRoot opened = EnvironmentRoot.open(root, config.storageIO());
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
        synchronized (changes)
        {
            ensureOpen();
            if (streams.contains(name) || Files.exists(root.streamDirectory(name)))
            {
                throw new IllegalArgumentException("stream '" + name + "' exists in " + root.root() +
                    ": open it with openStream");
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
                CloseHelper.close(ex::addSuppressed, () -> root.abandonCreate(name));
                throw ex;
            }
            streams.known(name);
            return openLocked(name, streamConfig);
        }
    }

    @Override
    public StreamStore openStream(final String name)
    {
        StreamNames.validate(name);
        synchronized (changes)
        {
            ensureOpen();
            final StreamStore open = streams.openStore(name);
            if (null != open)
            {
                return open;
            }
            requireKnown(name);
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
            return openLocked(name, metadata.configBuilder().syncMode(config.syncMode()).build());
        }
    }

    @Override
    public StreamStore openStream(final StreamConfig streamConfig)
    {
        Objects.requireNonNull(streamConfig, "config");
        final String name = StreamNames.validate(streamConfig.name());
        synchronized (changes)
        {
            ensureOpen();
            final StreamStore open = streams.openStore(name);
            if (null != open)
            {
                return open;
            }
            requireKnown(name);
            return openLocked(name, streamConfig);
        }
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
        synchronized (changes)
        {
            ensureOpen();
            if (!streams.contains(name))
            {
                return false;
            }
            final StreamStore open = streams.openStore(name);
            if (null != open)
            {
                open.close();
            }
            streams.removed(name);
            root.delete(name);
            return true;
        }
    }

    @Override
    public ConsumerStore consumer(final String stream, final String consumer, final ConsumerConfig consumerConfig)
    {
        final StreamStore store = openStream(stream);
        final ConsumerStore opened = store.consumer(consumer, consumerConfig);
        streams.consumerOpened(stream, opened);
        return opened;
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
     * @return the agents on the environment's threads now, for tests: each open stream has three.
     */
    int agentCount()
    {
        return threads.agentCount();
    }

    @Override
    public void close()
    {
        synchronized (changes)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            final List<AutoCloseable> closing = new ArrayList<>(streams.openStores());
            closing.add(threads);
            closing.add(root);
            CloseHelper.closeAll(closing);
        }
    }

    @Override
    public String toString()
    {
        return "FileStoreEnvironment{root=" + root.root() + ", streams=" + streams.names().size() + '}';
    }

    private StreamStore openLocked(final String name, final StreamConfig streamConfig)
    {
        final FileStreamStore store =
            FileStreamStore.open(root.streamDirectory(name), streamConfig, config.storageIO(), threads.streamThreads());
        streams.opened(name, store);
        return store;
    }

    private void requireKnown(final String name)
    {
        if (!streams.contains(name))
        {
            throw new IllegalArgumentException("no stream '" + name + "' in " + root.root() + ": create it with " +
                "createStream");
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("environment " + root.root());
        }
    }
}
