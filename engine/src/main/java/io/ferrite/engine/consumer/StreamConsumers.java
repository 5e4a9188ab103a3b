package io.ferrite.engine.consumer;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerNames;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.ConsumerTracker;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreClosedException;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * The consumers of one file store, {@code consumers/<name>.state} ({@link ConsumerStateDescriptor}). A consumer is
 * loaded when first opened and stays in memory until the store closes or it is deleted; its file is written when it
 * is created, so a consumer exists on disk from then on.
 * <p>
 * When an update reaches the file follows the sync mode: {@code ALWAYS} on the updating thread before the update
 * returns ({@link #afterUpdate}); {@code INTERVAL} on the flusher's thread at each interval ({@link #persistAll});
 * {@code NONE} when the store closes.
 * <p>
 * Threading: the registry's own methods under its monitor (open, list, delete — rare, and the only ones doing
 * directory I/O besides the writes); {@link #persistAll} and {@link #afterUpdate} only under each consumer's locks.
 */
public final class StreamConsumers implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(StreamConsumers.class);
    private static final FileConsumer[] NONE = new FileConsumer[0];

    private final String streamName;
    private final StreamDirectory directory;
    private final Path dir;
    private final SyncMode mode;
    private final LongSupplier lastSeq;
    private final BlockCrypto crypto;
    private final Map<String, FileConsumer> loaded = new HashMap<>();
    /**
     * Consumers not open whose file a truncation could not lower (a failed write): the sequence each must forget
     * deliveries beyond, applied when it is opened, backed up, or written at the next retry, so no later write and no
     * backup carries a position above the cut. Under the monitor.
     */
    private final Map<String, Long> floors = new HashMap<>();
    /** Whether {@link #floors} holds any, for the flusher's pass to check without the monitor. */
    private volatile boolean floorsPending;
    /** Copy of {@link #loaded}'s values for the flusher's pass, replaced (never changed) under the monitor. */
    private volatile FileConsumer[] consumers = NONE;
    private volatile boolean closed;

    /**
     * @param lastSeq the stream's last sequence: no delivery is beyond it.
     * @param crypto  the stream's keys, null when it is not encrypted.
     */
    public StreamConsumers(
        final String streamName, final StreamDirectory directory, final SyncMode mode, final LongSupplier lastSeq,
        final BlockCrypto crypto)
    {
        this.streamName = streamName;
        this.directory = directory;
        this.dir = directory.root().resolve(ConsumerStateDescriptor.DIRECTORY);
        this.mode = mode;
        this.lastSeq = lastSeq;
        this.crypto = crypto;
    }

    /**
     * The consumer {@code name}: the one open already, or loaded from its file, or created (and its file written,
     * durably) when there is none.
     *
     * @param name a valid name.
     * @throws IllegalArgumentException when it is open already with another configuration.
     * @throws CorruptFileException     naming the file, when its file is damaged.
     */
    public synchronized ConsumerStore open(final String name, final ConsumerConfig config)
    {
        ensureOpen();
        final FileConsumer known = loaded.get(name);
        if (null != known)
        {
            if (!known.config().equals(config))
            {
                throw new IllegalArgumentException("consumer '" + name + "' of stream " + streamName +
                    " is open with " + known.config() + ", not " + config);
            }
            return known;
        }
        final Path file = dir.resolve(ConsumerStateDescriptor.fileName(name));
        final FileConsumer consumer;
        if (Files.exists(file))
        {
            final ConsumerState state = ConsumerStateFile.read(file, name, newCipher());
            consumer = new FileConsumer(name, config, file, this, newCipher(), state);
            final Long floor = floors.get(name);
            final long last = null == floor ? lastSeq.getAsLong() : Math.min(floor, lastSeq.getAsLong());
            if (consumer.forgetBeyond(last))
            {
                // A state written ahead of the stream's durable messages (INTERVAL, NONE), or one a truncation could
                // not lower on disk.
                LOG.warn("stream {}: consumer '{}' had delivered stream sequences up to {}, beyond {} (the stream's " +
                    "last sequence, or a truncation's); those deliveries are forgotten", streamName, name,
                    state.delivered().stream(), last);
                consumer.persistChanged();
            }
            forgetFloor(name);
        }
        else
        {
            createDirectory();
            consumer = new FileConsumer(name, config, file, this, newCipher(), ConsumerState.EMPTY);
            consumer.persistNow();
        }
        loaded.put(name, consumer);
        consumers = loaded.values().toArray(NONE);
        return consumer;
    }

    /**
     * @return every open consumer's state, by name ascending, copied from memory: the stream's own list (no other
     * registry to drift from it), read without the registry's monitor (which a consumer's create holds across its
     * write), each state a copy under its consumer's monitor, which its writes to disk do not hold.
     */
    public List<EnvironmentSnapshot.Consumer> catalog()
    {
        final FileConsumer[] open = consumers;
        final List<EnvironmentSnapshot.Consumer> catalog = new ArrayList<>(open.length);
        for (final FileConsumer consumer : open)
        {
            catalog.add(new EnvironmentSnapshot.Consumer(consumer.name(), consumer.state()));
        }
        catalog.sort(Comparator.comparing(EnvironmentSnapshot.Consumer::name));
        return catalog;
    }

    /**
     * @return every consumer's name, ascending: those with a file, damaged or not.
     */
    public synchronized List<String> names()
    {
        ensureOpen();
        final TreeSet<String> names = new TreeSet<>(loaded.keySet());
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir))
        {
            for (final Path path : stream)
            {
                final String name = ConsumerStateDescriptor.nameOf(path.getFileName().toString());
                // A stray file (a temp file's leftovers, a name no consumer may have) is no consumer: taking it for
                // one would make backups, snapshots and inspect fail on a name the API refuses.
                if (null != name && ConsumerNames.isValid(name))
                {
                    names.add(name);
                }
            }
        }
        catch (final NoSuchFileException none)
        {
            return new ArrayList<>(names);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list consumers", dir, ex);
        }
        return new ArrayList<>(names);
    }

    /**
     * Delete consumer {@code name} and its file, durably; its {@link ConsumerStore} refuses every later update.
     *
     * @return whether there was one.
     */
    public synchronized boolean delete(final String name)
    {
        ensureOpen();
        final FileConsumer consumer = loaded.remove(name);
        forgetFloor(name);
        if (null != consumer)
        {
            consumer.markDeleted();
            consumers = loaded.values().toArray(NONE);
        }
        final Path file = dir.resolve(ConsumerStateDescriptor.fileName(name));
        try
        {
            final boolean existed = Files.deleteIfExists(file);
            if (existed)
            {
                directory.sync(dir);
            }
            return existed || null != consumer;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("delete consumer state", file, ex);
        }
    }

    /**
     * A truncation keeps (or kept) sequences up to {@code seq}: every consumer, open or not, forgets its deliveries
     * above it ({@link ConsumerTracker#withoutBeyond}) and its file is written at once (forced) — before an append can
     * reuse the cut sequences, which a file still naming them would take for delivered. Called under the append lock,
     * before the cut (so a crash after the cut finds every file lowered already) and again after it was published (for
     * an update that raised a consumer in between). A damaged state file is left as it is: its consumer cannot be
     * opened until deleted.
     * <p>
     * A consumer whose write fails does not stop the others: an open one is lowered in memory already (its next write
     * carries that), one not open keeps its floor in memory (applied when it is opened, backed up or retried).
     *
     * @throws StoreException the first write that failed, the others suppressed, once every consumer was tried.
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
     * At open, before any append: lower every consumer whose file is beyond the stream's last sequence {@code lastSeq}
     * — a crash between a truncation's cut and its consumer writes (or a state written ahead of messages a crash
     * lost) left it there, and the appends to come would reuse those sequences. A write that fails is logged and its
     * floor kept in memory (see {@link #onTruncated}); the stream still opens.
     */
    public synchronized void reconcile(final long lastSeq)
    {
        final StoreException failure = lowerAll(lastSeq);
        if (null != failure)
        {
            LOG.error("stream {}: consumers beyond the last sequence {} were not all written lowered at open " +
                "(retried at each interval; kept lowered in memory): {}", streamName, lastSeq, failure.toString());
        }
    }

    /**
     * @return the first failure, the others suppressed; null when every consumer is lowered on disk.
     */
    private StoreException lowerAll(final long seq)
    {
        StoreException failure = null;
        for (final String name : names())
        {
            final Long known = floors.get(name);
            final long floor = null == known ? seq : Math.min(known, seq);
            try
            {
                lower(name, floor);
            }
            catch (final CorruptFileException ex)
            {
                LOG.warn("stream {}: lowered to {}, but consumer '{}' is damaged and was not moved back: {}",
                    streamName, floor, name, ex.getMessage());
            }
            catch (final StoreException ex)
            {
                if (!loaded.containsKey(name))
                {
                    floors.put(name, floor);
                    floorsPending = true;
                }
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
     * Lower consumer {@code name} to {@code floor} in memory when it is open, and on disk.
     */
    private void lower(final String name, final long floor)
    {
        final FileConsumer open = loaded.get(name);
        if (null != open)
        {
            // Lowered in memory first: even when the write fails, no later write carries what was cut.
            open.forgetBeyond(floor);
            open.persistChanged();
            return;
        }
        final Path file = dir.resolve(ConsumerStateDescriptor.fileName(name));
        final ConsumerState state = ConsumerStateFile.read(file, name, newCipher());
        final ConsumerState lowered = ConsumerTracker.withoutBeyond(state, floor);
        if (lowered != state)
        {
            ConsumerStateFile.write(directory, file, name, lowered.encode(), newCipher());
        }
        forgetFloor(name);
    }

    /**
     * Write the floors a failed write left in memory: the flusher's retry and the close's.
     *
     * @return the first failure, the others suppressed; null when none is left.
     */
    private synchronized StoreException retryFloors()
    {
        StoreException failure = null;
        for (final Map.Entry<String, Long> entry : new TreeMap<>(floors).entrySet())
        {
            try
            {
                lower(entry.getKey(), entry.getValue());
            }
            catch (final CorruptFileException damaged)
            {
                // Cannot be opened until deleted: nothing to retry.
                forgetFloor(entry.getKey());
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

    private void forgetFloor(final String name)
    {
        if (null != floors.remove(name))
        {
            floorsPending = !floors.isEmpty();
        }
    }

    /**
     * The consumers as a backup of the stream cut at {@code lastSeq} holds them: each one's state file, written fresh
     * (sealed under a fresh salt in an encrypted stream) from its state in memory when it is open, else from its file,
     * without the deliveries above the cut. Nothing is written to disk.
     *
     * @return file images by consumer name, ascending.
     * @throws CorruptFileException naming the file, when a consumer's file is damaged: a backup does not carry a
     *                              state whose ack floor is unknown (delete the consumer, or repair it, first).
     */
    public synchronized SortedMap<String, byte[]> backupImages(final long lastSeq)
    {
        ensureOpen();
        final SortedMap<String, byte[]> images = new TreeMap<>();
        for (final String name : names())
        {
            final FileConsumer open = loaded.get(name);
            final ConsumerState state = null != open ? open.state() :
                ConsumerStateFile.read(dir.resolve(ConsumerStateDescriptor.fileName(name)), name, newCipher());
            final Long floor = floors.get(name);
            final long cut = null == floor ? lastSeq : Math.min(floor, lastSeq);
            images.put(name, ConsumerStateFile.image(
                name, ConsumerTracker.withoutBeyond(state, cut).encode(), newCipher()));
        }
        return images;
    }

    /**
     * Read every consumer's file, as a restored stream's trial open does to prove each one opens.
     *
     * @return how many there are.
     * @throws CorruptFileException naming the first file that does not read.
     */
    public synchronized int readAll()
    {
        ensureOpen();
        final List<String> names = names();
        for (final String name : names)
        {
            if (!loaded.containsKey(name))
            {
                ConsumerStateFile.read(dir.resolve(ConsumerStateDescriptor.fileName(name)), name, newCipher());
            }
        }
        return names.size();
    }

    /**
     * Write every consumer updated since its last write: the flusher's interval pass. A failure is logged and the
     * consumer retried at the next pass. Allocates nothing when nothing changed.
     *
     * @param durableSeq unused: a consumer's state is written whole, as it is (see {@link #open} for a state ahead of
     *                   the stream after a crash).
     */
    public void persistAll(final long durableSeq)
    {
        if (floorsPending && !closed)
        {
            final StoreException failure = retryFloors();
            if (null != failure)
            {
                LOG.error("stream {}: a consumer a truncation lowered was not written (retried at the next " +
                    "interval): {}", streamName, failure.getMessage());
            }
        }
        for (final FileConsumer consumer : consumers)
        {
            try
            {
                consumer.persistChanged();
            }
            catch (final StoreException ex)
            {
                LOG.error("stream {}: consumer '{}' was not written (retried at the next interval): {}", streamName,
                    consumer.name(), ex.getMessage());
            }
        }
    }

    /**
     * Write every consumer updated since its last write, then refuse every later update and write: the stream's
     * files are released next. Every consumer is tried; the first failure is thrown after.
     */
    @Override
    public void close()
    {
        StoreException failure = floorsPending ? retryFloors() : null;
        for (final FileConsumer consumer : consumers)
        {
            try
            {
                consumer.persistChanged();
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
        closed = true;
        if (null != failure)
        {
            throw failure;
        }
    }

    boolean isClosed()
    {
        return closed;
    }

    StreamDirectory directory()
    {
        return directory;
    }

    long lastSeq()
    {
        return lastSeq.getAsLong();
    }

    void ensureUsable(final FileConsumer consumer)
    {
        if (closed)
        {
            throw new StoreClosedException(streamName);
        }
        if (consumer.isDeleted())
        {
            throw new IllegalStateException("consumer '" + consumer.name() + "' of stream " + streamName +
                " was deleted");
        }
    }

    /**
     * After an update made version {@code version}: in {@code ALWAYS} mode write it before the update returns.
     *
     * @throws StoreClosedException when the store closed first, so the update may not be durable.
     */
    void afterUpdate(final FileConsumer consumer, final long version)
    {
        if (mode == SyncMode.ALWAYS && !consumer.persist(version))
        {
            ensureUsable(consumer);
        }
    }

    private StateCipher newCipher()
    {
        return null == crypto ? null : new StateCipher(crypto);
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(streamName);
        }
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
            throw new StoreIOException("create consumer directory", dir, ex);
        }
        directory.sync(directory.root());
    }
}
