package io.ferrite.engine;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.flush.UnforcedWindow;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.recovery.StreamRecovery;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;
import io.ferrite.store.SyncMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A {@link StreamStore} kept in memory-mapped block files under one directory. It wires the pieces together and owns
 * their lifecycle; each job is done elsewhere: {@link StreamWriter} appends, {@link StreamReader} reads,
 * {@link StreamRecovery} opens, {@link FullStateWriter} snapshots, {@link AsyncFlusher} (one thread per store) forces,
 * as {@link StreamConfig#syncMode()} says.
 * <pre>
 * try (StreamStore store = FileStreamStore.open(dir, StreamConfig.builder("orders").build()))
 * {
 *     long seq = store.append("orders.eu", null, payload);
 *     store.flush().join();
 * }
 * </pre>
 * Every JVM running Ferrite needs {@code --add-opens java.base/jdk.internal.misc=ALL-UNNAMED} (Agrona 2.x).
 */
public final class FileStreamStore implements StreamStore
{
    private static final Logger LOG = LoggerFactory.getLogger(FileStreamStore.class);

    private final StreamConfig config;
    private final StreamDirectory directory;
    private final StreamIndex index;
    private final StoreMetrics metrics;
    private final StreamWriter writer;
    private final StreamReader reader;
    private final BlockFlusher flusher;
    private final AsyncFlusher durability;
    private final FullStateWriter stateWriter;
    private final RecoveryReport recoveryReport;
    private final StreamQueries queries;
    private final StreamRemovals removals;
    private volatile boolean closed;

    private FileStreamStore(
        final StreamConfig config,
        final StreamDirectory directory,
        final StoreMetrics metrics,
        final StreamRecovery.Result recovered,
        final BlockCrypto crypto)
    {
        this.config = config;
        this.directory = directory;
        this.metrics = metrics;
        this.index = recovered.index();
        this.recoveryReport = recovered.report();
        // Only INTERVAL promises a window: ALWAYS appends wait for their own force, NONE promises nothing until
        // flush().
        final UnforcedWindow window = new UnforcedWindow(config.name(),
            config.syncMode() == SyncMode.INTERVAL ? config.maxUnforcedBytes() : UnforcedWindow.UNBOUNDED, metrics,
                LOG);
        this.writer = new StreamWriter(directory, index, config, metrics, crypto, window);
        this.flusher = new BlockFlusher(index, writer.lock(), directory.blocksDir(), directory.storageIO(), window);
        this.writer.flusher(flusher);
        this.writer.prepareNextBlock();
        this.stateWriter = new FullStateWriter(
            directory, index, writer.lock(), metrics, null == crypto ? null : new StateCipher(crypto));
        // The flusher takes the state images that state writes use, at the moments its forces describe.
        this.flusher.captureListener(stateWriter);
        final UnfinishedErasures erasures = UnfinishedErasures.atOpen(directory, index, recovered.unfinishedErasures());
        this.stateWriter.beforeEachWrite(erasures::makeDurable);
        this.durability = StreamOpening.startFlusher(config, flusher, index, recoveryReport, metrics);
        // ALWAYS: readers see only what the flusher made durable, so a commit that fails was never seen.
        this.reader = new StreamReader(index, config.syncMode() == SyncMode.ALWAYS ? durability : null);
        this.stateWriter.connect(durability, config.syncMode() == SyncMode.NONE);
        if (recovered.sequenceFloor() > 0)
        {
            StreamOpening.recordSequenceFloor(writer, durability, recovered.sequenceFloor(), directory.blocksDir());
        }
        else if (recovered.damagedTail())
        {
            writer.startNewBlockBeforeNextRecord();
        }
        if (config.syncMode() == SyncMode.ALWAYS)
        {
            // After a crash what recovery found is not yet known durable, and ALWAYS readers see only what is: force it
            // now rather than hide it until the next commit.
            StreamOpening.forceRecovered(writer, durability, index.lastSeq(), directory.blocksDir());
        }
        this.queries = new StreamQueries(index, reader, writer.lock());
        this.removals = new StreamRemovals(config, directory, index, writer, reader, flusher, durability, stateWriter,
            metrics, crypto, erasures);
        if (!erasures.isEmpty())
        {
            finishRecoveredErasures(erasures.list().size());
        }
        else if (recoveryReport.outcome() == RecoveryReport.Outcome.REBUILT_FROM_BLOCKS)
        {
            writeRebuiltState();
        }
    }

    /**
     * A stream rebuilt from its blocks has no usable {@code state.db} (a crash while a reclaim or truncation had set it
     * aside, or damage), and without one recovery cannot tell a roll that never reached the disk from damage: only a
     * trailing run of blocks with unwritten headers is set aside, so a power cut that lost one roll's header and kept
     * a later roll's made the stream fail to open. Writing a durable state now, before the store is handed out, makes
     * every later roll newer than a state. Like finishing erasures, a failure (a full disk) does not fail the open,
     * which would leave no way to free space: it is logged, and the next state write, reclaim or close writes one.
     */
    private void writeRebuiltState()
    {
        try
        {
            removals.writeDurableAndFinishErasures();
        }
        catch (final StoreException ex)
        {
            LOG.warn("stream {}: no state.db written after rebuilding from the blocks (the next state write, reclaim " +
                "or close writes one): {}", config.name(), ex.toString());
        }
    }

    /**
     * Open the stream in {@code dir}, creating it when the directory holds none, and recover it.
     *
     * @throws IllegalArgumentException when the directory holds a different stream.
     * @throws StoreException           when its files cannot be used; the message names the file and offset.
     */
    public static FileStreamStore open(final Path dir, final StreamConfig config)
    {
        return open(dir, config, StorageIO.standard());
    }

    /**
     * As {@link #open(Path, StreamConfig)}, with every force and fsync of the store going through {@code io}. For
     * tests that inject latency, failures or a power-loss model, and for embedders that need custom durability (e.g.
     * replicating before acknowledging); everyone else wants {@link #open(Path, StreamConfig)}.
     */
    public static FileStreamStore open(final Path dir, final StreamConfig config, final StorageIO io)
    {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(io, "io");
        AgronaAccess.verify();
        final StreamDirectory directory = StreamDirectory.open(dir, io);
        try
        {
            final StreamMetadata existing = StreamMetadata.read(directory.metadataFile());
            final StreamMetadata wanted = StreamMetadata.of(config);
            StreamOpening.check(directory, existing, config);
            final BlockCrypto crypto = config.encrypted() ? StreamKeys.open(directory, config, null == existing) : null;
            final StoreMetrics metrics = StreamOpening.metrics(config, LOG);
            final StreamRecovery.Result recovered = new StreamRecovery(directory, metrics, crypto).recover();
            // Written only once the stream opened: a failed open must not rewrite what the directory holds.
            if (null == existing || !existing.sameAs(wanted))
            {
                wanted.write(directory, directory.metadataFile());
            }
            return new FileStreamStore(config, directory, metrics, recovered, crypto);
        }
        catch (final RuntimeException ex)
        {
            try
            {
                directory.close();
            }
            catch (final RuntimeException closeFailure)
            {
                ex.addSuppressed(closeFailure);
            }
            throw ex;
        }
    }

    public StreamConfig config()
    {
        return config;
    }

    public Path directory()
    {
        return directory.root();
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        durability.checkUsable();
        final long sampleStart = metrics.appendSampleStart(index.publishedLastSeq() + 1);
        final long seq = writer.append(subject, headers, payload);
        metrics.appendSampleEnd(sampleStart, seq);
        durability.afterAppend(seq, "append");
        return seq;
    }

    @Override
    public void appendAt(
        final long seq, final long timestampNanos, final String subject, final byte[] headers, final byte[] payload)
    {
        durability.checkUsable();
        final long sampleStart = metrics.appendSampleStart(seq);
        writer.appendAt(seq, timestampNanos, subject, headers, payload);
        metrics.appendSampleEnd(sampleStart, seq);
        durability.afterAppend(seq, "append");
    }

    @Override
    public long skip()
    {
        durability.checkUsable();
        final long seq = writer.skip();
        durability.afterAppend(seq, "skip");
        return seq;
    }

    @Override
    public StoredMessage load(final long seq)
    {
        ensureOpen();
        return reader.load(seq);
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        ensureOpen();
        return reader.loadNext(filter, fromSeq);
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        ensureOpen();
        return reader.loadLast(subject);
    }

    @Override
    public boolean read(final long seq, final MessageHandler handler)
    {
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        return reader.read(seq, handler);
    }

    @Override
    public boolean remove(final long seq)
    {
        return removals.remove(seq);
    }

    @Override
    public boolean erase(final long seq)
    {
        return removals.erase(seq);
    }

    @Override
    public long purge()
    {
        return removals.purge();
    }

    @Override
    public long purge(final String filter, final long upToSeq, final long keep)
    {
        return removals.purge(filter, upToSeq, keep);
    }

    @Override
    public long compact(final long seq)
    {
        return removals.compact(seq);
    }

    @Override
    public void truncate(final long seq)
    {
        ensureOpen();
        removals.truncate(seq);
    }

    /**
     * Run {@code action} while no block file is deleted, rewritten or truncated: for copying a live store's directory
     * (a backup, or a test's image of what a crash would leave). Appends continue meanwhile and only ever add bytes
     * at the end of the last block.
     */
    public void whileQuiescent(final Runnable action)
    {
        removals.whileQuiescent(action);
    }

    /**
     * Test seam: {@code listener} is told each step of a space reclaim (block deletion, block rewrite) as it
     * completes, on the thread doing it, with the store's files as a crash at that point would leave them.
     */
    void reclaimSteps(final Consumer<String> listener)
    {
        removals.reclaimSteps(listener);
    }

    @Override
    public Map<String, SubjectState> subjects(final String filter)
    {
        ensureOpen();
        return queries.subjects(filter);
    }

    @Override
    public long numPending(final long fromSeq, final String filter)
    {
        ensureOpen();
        return queries.numPending(fromSeq, filter);
    }

    @Override
    public long sequenceAt(final Instant time)
    {
        ensureOpen();
        return queries.sequenceAt(time);
    }

    @Override
    public StreamState state()
    {
        ensureOpen();
        writer.lock().lock();
        try
        {
            final long msgs = index.msgs();
            final long firstSeq = index.firstSeq();
            final long lastSeq = index.lastSeq();
            final long deleted = msgs == 0 ? 0 : lastSeq - firstSeq + 1 - msgs;
            return new StreamState(msgs, index.bytes(), firstSeq, lastSeq, index.firstTime(), index.lastTime(),
                deleted, index.subjects().size());
        }
        finally
        {
            writer.lock().unlock();
        }
    }

    @Override
    public void writeFullState()
    {
        ensureOpen();
        if (removals.hasUnfinishedErasures())
        {
            removals.writeDurableAndFinishErasures();
        }
        else
        {
            stateWriter.write();
        }
    }

    /**
     * Finish the erasures a failed or interrupted process began (recovery replayed their erase tombstones and found the
     * messages' bytes still there, or {@code erasures.pending} lists them) before the store is handed out. A failure
     * here — typically a disk too full to write {@code state.db} — does not fail the open, which would leave no way to
     * free space: the erasures stay unfinished, the messages stay removed, and the next erase, state write or close
     * finishes them.
     */
    private void finishRecoveredErasures(final int count)
    {
        try
        {
            removals.writeDurableAndFinishErasures();
        }
        catch (final StoreException ex)
        {
            LOG.warn("stream {}: {} erasures begun before this open are not finished yet (retried by the next " +
                "erase, writeFullState or close): {}", config.name(), count, ex.toString());
        }
    }

    @Override
    public CompletableFuture<Long> flush()
    {
        ensureOpen();
        return durability.flush();
    }

    @Override
    public StoreStats stats()
    {
        return metrics.snapshot();
    }

    @Override
    public RecoveryReport recoveryReport()
    {
        return recoveryReport;
    }

    /**
     * Stop appends, force everything, write the full state so the next open only reads the tail block, stop the
     * flusher thread and release the files. A force in flight is waited for, never abandoned. The first failure is
     * thrown after every resource has been released.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        removals.close();
        if (!writer.close())
        {
            return;
        }
        RuntimeException failure = null;
        try
        {
            // Forces everything appended, then writes the state as of then: the next open reads only the tail. Then
            // the bytes of any erase begun and not finished go.
            removals.writeDurableAndFinishErasures();
        }
        catch (final RuntimeException ex)
        {
            failure = ex;
        }
        try
        {
            durability.close();
        }
        catch (final RuntimeException ex)
        {
            failure = addFailure(failure, ex);
        }
        closed = true;
        for (final MessageBlock block : index.blocks())
        {
            try
            {
                block.durability().releaseChannel();
            }
            catch (final RuntimeException ex)
            {
                failure = addFailure(failure, ex);
            }
        }
        try
        {
            directory.close();
        }
        catch (final RuntimeException ex)
        {
            failure = addFailure(failure, ex);
        }
        if (null != failure)
        {
            throw failure;
        }
    }

    private static RuntimeException addFailure(final RuntimeException first, final RuntimeException next)
    {
        if (null == first)
        {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(config.name());
        }
    }
}
