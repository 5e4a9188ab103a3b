package io.ferrite.engine;

import io.ferrite.engine.agent.AgentSlot;
import io.ferrite.engine.agent.SharedAgentThread;
import io.ferrite.engine.agent.StreamThreads;
import io.ferrite.engine.agent.Uninterruptibles;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.consumer.StreamConsumers;
import io.ferrite.engine.cursor.Cursor;
import io.ferrite.engine.cursor.StreamCursors;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.flush.UnforcedWindow;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.recovery.StreamRecovery;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.PositionsFile;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.engine.view.ReadOnlyStream;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerNames;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.CorruptSnapshotException;
import io.ferrite.store.CursorPosition;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.FilteredState;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreCounters;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoreStatsReader;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamListener;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;
import io.ferrite.store.SubjectHandle;
import io.ferrite.store.SubjectState;
import io.ferrite.store.SyncMode;
import io.ferrite.store.TailerNames;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A {@link StreamStore} kept in memory-mapped block files under one directory. It wires the pieces together and owns
 * their lifecycle; each job is done elsewhere: {@link StreamWriter} appends, {@link StreamReader} reads,
 * {@link StreamRecovery} opens, {@link FullStateWriter} snapshots, {@link AsyncFlusher} (an agent on a thread of the
 * store's) forces, as {@link StreamConfig#syncMode()} says.
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
    private final StoreCounters counters;
    private final StreamWriter writer;
    private final StreamReader reader;
    /**
     * Readers of the block mappings, so that blocks are unmapped, and erased records overwritten, once no reader can
     * hold them.
     */
    private final ReadGate readGate;
    /** Gives the block mappings back once no reader can hold them: those that left the index, and all at close. */
    private final BlockUnmapper unmapper;
    private final BlockFlusher flusher;
    private final AgentSlot flusherThread;
    private final AsyncFlusher durability;
    private final FullStateWriter stateWriter;
    private final RecoveryReport recoveryReport;
    private final StreamQueries queries;
    private final StreamRemovals removals;
    private final StreamListeners listeners;
    private final StreamCursors cursors;
    private final StreamBackup backup;
    private final StreamConsumers consumers;
    private volatile boolean closed;
    /**
     * Set when a close begins (under {@link #released}'s monitor: one call closes): an environment hands the store out
     * no more, and waits for {@link #released}.
     */
    private volatile boolean closing;
    /** Counted down once the close that began ended: every file released, the stream's directory unlocked. */
    private final CountDownLatch released = new CountDownLatch(1);
    /** Run once {@link #released} is counted down; guarded by its monitor. */
    private Runnable onReleased;
    /** Its catalog entry as of its close, for an environment's snapshot; null until then. */
    private volatile EnvironmentSnapshot.Stream closedEntry;
    /** Whether its agents run on an environment's shared threads: then it is never closed from one of them. */
    private final boolean sharedThreads;
    private final MessageClaim.Committer claims = new Claims();
    /** The mapped positions file readers in other processes follow ({@link #openReadOnly}). */
    private final PositionsFile positionsFile;

    private FileStreamStore(
        final StreamConfig config,
        final StreamDirectory directory,
        final StoreMetrics metrics,
        final StreamRecovery.Result recovered,
        final BlockCrypto crypto,
        final PositionsFile positionsFile,
        final StreamThreads threads)
    {
        this.config = config;
        this.sharedThreads = threads.flusher() instanceof SharedAgentThread;
        this.flusherThread = threads.flusher().newSlot();
        this.positionsFile = positionsFile;
        // Before any thread of the store starts: from here on every position is published through the mapped file.
        recovered.index().positions().moveTo(positionsFile.area());
        this.directory = directory;
        this.metrics = metrics;
        this.index = recovered.index();
        this.counters = new FileStoreCounters(index, metrics);
        this.recoveryReport = recovered.report();
        // Only INTERVAL promises a window: ALWAYS appends wait for their own force, NONE promises nothing until
        // flush().
        final UnforcedWindow window = new UnforcedWindow(config.name(),
            config.syncMode() == SyncMode.INTERVAL ? config.maxUnforcedBytes() : UnforcedWindow.UNBOUNDED, metrics,
                LOG);
        this.writer = new StreamWriter(directory, index, config, metrics, crypto, window, threads.preparer());
        this.listeners = writer.listeners();
        this.flusher = new BlockFlusher(index, writer.lock(), directory.blocksDir(), directory.storageIO(), window);
        this.writer.flusher(flusher);
        // From here on agents run (the preparer on this call): a failure below takes them off their threads, which
        // may be shared with other streams, before it is thrown.
        final List<AutoCloseable> started = new ArrayList<>();
        started.add(writer::closePreallocator);
        try
        {
            this.writer.prepareNextBlock();
            this.stateWriter = new FullStateWriter(
                directory, index, writer.lock(), metrics, null == crypto ? null : new StateCipher(crypto));
            // The flusher takes the state images that state writes use, at the moments its forces describe.
            this.flusher.captureListener(stateWriter);
            final UnfinishedErasures erasures =
                UnfinishedErasures.atOpen(directory, index, recovered.unfinishedErasures());
            this.stateWriter.beforeEachWrite(erasures::makeDurable);
            this.durability =
                StreamOpening.flusher(config, flusher, index, recoveryReport, metrics, flusherThread, listeners);
            this.cursors = new StreamCursors(config.name(), directory, config.syncMode(), durability::durableSeq);
            this.consumers = new StreamConsumers(config.name(), directory, config.syncMode(),
                () -> index.positions().lastSeq(), crypto);
            durability.intervalListener((durable) ->
            {
                cursors.persistAll(durable);
                consumers.persistAll(durable);
            });
            started.add(flusherThread);
            flusherThread.start(durability);
            // ALWAYS: readers see only what the flusher made durable, so a commit that fails was never seen.
            this.readGate = new ReadGate(config.name());
            this.reader = new StreamReader(index, config.syncMode() == SyncMode.ALWAYS ? durability : null);
            // From here on a call from inside one of this store's handlers tries the append lock, never queues for it.
            writer.lock().handlers(new InsideHandlerLock(readGate, reader, config.name()));
            this.stateWriter.connect(durability, config.syncMode() == SyncMode.NONE);
            if (recovered.sequenceFloor() > 0)
            {
                StreamOpening.recordSequenceFloor(writer, flusherThread, durability, recovered.sequenceFloor(),
                    directory.blocksDir());
            }
            else if (recovered.damagedTail())
            {
                writer.startNewBlockBeforeNextRecord();
            }
            if (config.syncMode() == SyncMode.ALWAYS)
            {
                // After a crash what recovery found is not yet known durable, and ALWAYS readers see only what is:
                // force it now rather than hide it until the next commit.
                StreamOpening.forceRecovered(writer, flusherThread, durability, index.lastSeq(),
                    directory.blocksDir());
            }
            // Before any append: a crash between a truncation's cut and its consumer and cursor writes left files
            // above the last sequence (a sequence floor raised it already), which the appends to come would reuse.
            cursors.reconcile(index.lastSeq());
            consumers.reconcile(index.lastSeq());
            this.queries = new StreamQueries(index, reader, writer.lock(), readGate);
            this.removals = new StreamRemovals(config, directory, index, writer, reader, flusher, durability,
                stateWriter, metrics, crypto, erasures, threads.reclaimer(), readGate);
            started.add(removals);
            // Under the append lock, before the cut and again before any append can take a sequence the truncation
            // cut.
            this.removals.afterTruncation(this::lowerCursorsAndConsumers);
            this.unmapper = new BlockUnmapper(config.name(), index, readGate, writer.lock(),
                removals.maintenanceLock());
            // Every flusher cycle from here on unmaps the blocks that left the index, once no reader can hold them.
            this.flusher.beforeCapture(unmapper::unmapLeft);
            this.backup = new StreamBackup(config, directory, index, stateWriter, durability, cursors, consumers,
                metrics, crypto);
            if (recovered.untombstonedRemovals() || !recoveryReport.lost().isEmpty())
            {
                // Before the state written below and before readers are told the writer is open: views index blocks
                // only.
                removals.tombstoneRecoveredRemovals(recovered.untombstonedRemovals(), recoveryReport.lost());
            }
            if (!erasures.isEmpty())
            {
                finishRecoveredErasures(erasures.list().size());
            }
            else if (recoveryReport.outcome() == RecoveryReport.Outcome.REBUILT_FROM_BLOCKS ||
                recoveryReport.outcome() == RecoveryReport.Outcome.NEW_STREAM)
            {
                writeRebuiltState();
            }
            if (TruncationRemovalsFile.exists(directory))
            {
                forgetTruncationRemovals();
            }
        }
        catch (final RuntimeException ex)
        {
            Collections.reverse(started);
            CloseHelper.closeAll(ex::addSuppressed, started);
            throw ex;
        }
        positionsFile.markOpen();
    }

    /**
     * Lower every cursor and consumer to a truncation point {@code seq}. Both are tried whatever the other did: the
     * first failure is thrown, the other suppressed.
     */
    private void lowerCursorsAndConsumers(final long seq)
    {
        StoreException failure = null;
        try
        {
            cursors.onTruncated(seq);
        }
        catch (final StoreException ex)
        {
            failure = ex;
        }
        try
        {
            consumers.onTruncated(seq);
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
        if (null != failure)
        {
            throw failure;
        }
    }

    /**
     * A truncation that did not finish left the removals it may have cut the tombstones of in
     * {@code truncation.removals}; recovery applied them and wrote their tombstones again above. Once a durable state
     * records them the file can go. A failure (a full disk) does not fail the open: the file stays true (no sequence
     * at or below its point is assigned again before the next truncation replaces it) and the next open applies it.
     */
    private void forgetTruncationRemovals()
    {
        try
        {
            removals.writeDurableAndFinishErasures(Long.MAX_VALUE);
            TruncationRemovalsFile.delete(directory);
        }
        catch (final StoreException ex)
        {
            LOG.warn("stream {}: {} kept (no durable state written after applying it): {}", config.name(),
                TruncationRemovalsFile.FILE_NAME, ex.toString());
        }
    }

    /**
     * A stream rebuilt from its blocks has no usable {@code state.db} (a crash while a reclaim or truncation had set it
     * aside, or damage), and without one recovery cannot tell a roll that never reached the disk from damage: only a
     * trailing run of blocks with unwritten headers is set aside, so a power cut that lost one roll's header and kept
     * a later roll's made the stream fail to open. Writing a durable state now, before the store is handed out, makes
     * every later roll newer than a state — in a new stream too, which has had none. (A reclaim pass that sets the
     * state aside keeps it as {@code state.db.replaced} for the same reason.) Like finishing erasures, a failure (a
     * full disk) does not fail the open, which would leave no way to free space: it is logged, and the next state
     * write, reclaim or close writes one.
     */
    private void writeRebuiltState()
    {
        try
        {
            removals.writeDurableAndFinishErasures(Long.MAX_VALUE);
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
        return open(dir, config, io, StreamThreads.dedicated());
    }

    /**
     * As {@link #open(Path, StreamConfig, StorageIO)}, with the stream's agents on {@code threads} (an environment's
     * shared threads). A failed open leaves no agent on them.
     */
    static FileStreamStore open(
        final Path dir, final StreamConfig config, final StorageIO io, final StreamThreads threads)
    {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(io, "io");
        AgronaAccess.verify();
        final StreamDirectory directory = StreamDirectory.open(dir, io);
        PositionsFile positions = null;
        try
        {
            final StreamMetadata existing = StreamMetadata.read(directory.metadataFile());
            final StreamMetadata wanted = StreamMetadata.of(config);
            StreamOpening.check(directory, existing, config);
            final BlockCrypto crypto = config.encrypted() ? StreamKeys.open(directory, config, null == existing) : null;
            final StoreMetrics metrics = StreamOpening.metrics(config, LOG);
            // Announced before recovery touches a block: readers in other processes wait for the new epoch.
            positions = PositionsFile.openForWriter(directory.root());
            final StreamRecovery.Result recovered = new StreamRecovery(directory, metrics, crypto).recover();
            // Written only once the stream opened: a failed open must not rewrite what the directory holds.
            if (null == existing || !existing.sameAs(wanted))
            {
                wanted.write(directory, directory.metadataFile());
            }
            return new FileStreamStore(config, directory, metrics, recovered, crypto, positions, threads);
        }
        catch (final RuntimeException ex)
        {
            if (null != positions)
            {
                positions.markClosed();
            }
            CloseHelper.close(ex::addSuppressed, directory);
            throw ex;
        }
    }

    /**
     * Open the plaintext stream in {@code dir} read-only, for a process other than its writer (or beside it): the view
     * follows the writer through the positions it publishes in the mapped file {@code positions} and the block files,
     * all mapped read-only. It never opens {@code LOCK}, never writes a file of the stream, and never blocks the
     * writer; it works while the writer runs, after it closed or was killed, and across its restarts (see
     * docs/ENGINE.md, "Reading a stream from another process").
     *
     * @throws StoreException naming the path when {@code dir} is missing or holds no stream, the stream is encrypted,
     *                        no writer of this version has opened it (no positions file), or its writer is still
     *                        recovering it (open again once it is open).
     */
    public static StreamView openReadOnly(final Path dir)
    {
        Objects.requireNonNull(dir, "dir");
        AgronaAccess.verify();
        return ReadOnlyStream.open(dir, null);
    }

    /**
     * As {@link #openReadOnly(Path)}, for an encrypted stream.
     *
     * @param key the caller's 32-byte key the stream was created with; not modified.
     * @throws StoreException naming {@code stream.key} when the key does not match.
     */
    public static StreamView openReadOnly(final Path dir, final byte[] key)
    {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(key, "key");
        AgronaAccess.verify();
        return ReadOnlyStream.open(dir, key);
    }

    /**
     * Restore a snapshot written by {@link #snapshot(WritableByteChannel)} into {@code dir} and open it. Everything is
     * verified before anything is published: the files are written into a temporary sibling of {@code dir}, every
     * entry's checksums and the checksum over the whole snapshot must match and every path must be one a stream
     * directory holds, and a trial open there must find the snapshot's state matching its blocks, lose nothing and
     * read every cursor; only then is the directory forced and renamed to {@code dir}, and opened again for the
     * caller.
     *
     * @param dir    the stream directory to create: absent, or an empty directory.
     * @param in     a blocking channel positioned at the snapshot's first byte; read up to the snapshot's last byte and
     *               not closed.
     * @param config the stream's configuration: its name must be the snapshot's, with the stream's encryption key when
     *               the snapshot is of an encrypted stream.
     * @return the restored store, open, at the snapshot's last sequence.
     * @throws IllegalArgumentException  when {@code dir} exists and is not an empty directory, or the snapshot is of
     *                                   another stream or its encryption does not match {@code config}.
     * @throws CorruptSnapshotException  when the snapshot is damaged, cut short or names a file a stream directory
     *                                   cannot hold; nothing was published.
     * @throws StoreException            when the key does not match or the snapshot does not open cleanly; nothing was
     *                                   published.
     */
    public static FileStreamStore restore(final Path dir, final ReadableByteChannel in, final StreamConfig config)
    {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(config, "config");
        AgronaAccess.verify();
        return StreamRestore.restore(dir, in, config);
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
    public SubjectHandle subject(final String subject)
    {
        final StreamSubject handle = new StreamSubject(this, subject);
        ensureOpen();
        return handle;
    }

    @Override
    public long append(
        final SubjectHandle subject, final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer payload, final int payloadOffset, final int payloadLength)
    {
        final StreamSubject handle = StreamSubject.of(subject, this, config.name());
        durability.checkUsable();
        final long sampleStart = metrics.appendSampleStart(index.publishedLastSeq() + 1);
        final long seq = writer.append(handle, headers, headersOffset, headersLength, payload, payloadOffset,
            payloadLength);
        metrics.appendSampleEnd(sampleStart, seq);
        durability.afterAppend(seq, "append");
        return seq;
    }

    @Override
    public long tryClaim(
        final SubjectHandle subject, final int headersLength, final int payloadLength, final MessageClaim claim)
    {
        final StreamSubject handle = StreamSubject.of(subject, this, config.name());
        if (null == claim)
        {
            throw new IllegalArgumentException("claim must not be null");
        }
        durability.checkUsable();
        return writer.tryClaim(handle, headersLength, payloadLength, claim, claims);
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
    public long skip(final long fromSeq, final long count)
    {
        durability.checkUsable();
        final long last = writer.skip(fromSeq, count);
        durability.afterAppend(last, "skip");
        return last;
    }

    @Override
    public StoredMessage load(final long seq)
    {
        ensureOpen();
        final int gate = readGate.enter();
        try
        {
            return reader.load(seq);
        }
        finally
        {
            readGate.exit(gate);
        }
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        ensureOpen();
        final int gate = readGate.enter();
        try
        {
            return reader.loadNext(filter, fromSeq);
        }
        finally
        {
            readGate.exit(gate);
        }
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        ensureOpen();
        final int gate = readGate.enter();
        try
        {
            return reader.loadLast(subject);
        }
        finally
        {
            readGate.exit(gate);
        }
    }

    @Override
    public StoredMessage loadPrev(final String filter, final long seq)
    {
        ensureOpen();
        final int gate = readGate.enter();
        try
        {
            return reader.loadPrev(filter, seq);
        }
        finally
        {
            readGate.exit(gate);
        }
    }

    @Override
    public boolean read(final long seq, final MessageHandler handler)
    {
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        final int gate = readGate.enter();
        try
        {
            return reader.read(seq, handler);
        }
        finally
        {
            readGate.exit(gate);
        }
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

    @Override
    public void updateLimits(final StreamLimits limits)
    {
        ensureOpen();
        removals.updateLimits(limits);
    }

    @Override
    public StreamLimits limits()
    {
        return removals.limits();
    }

    /**
     * Run {@code action} while no block file is deleted, rewritten or truncated: for copying a live store's directory
     * (a backup, or a test's image of what a crash would leave). Appends continue meanwhile and only ever add bytes
     * at the end of the last block.
     *
     * @throws IllegalStateException when this thread holds an open claim: a truncation waiting for the claim's lock
     *                               would hold off this call, and this call the claim; {@code action} does not run.
     */
    public void whileQuiescent(final Runnable action)
    {
        removals.whileQuiescent(action);
    }

    /**
     * {@inheritDoc}
     * <p>
     * The cut is the stream's last sequence when the snapshot starts: the state, the tail block's end and the
     * tombstones up to there are taken in one memory copy under the append lock, the source is forced up to the cut,
     * and then the files are copied with no lock of the append path held (see {@link StreamBackup}). Appends, reads,
     * removals, state writes and {@code flush()} carry on meanwhile; erasures, truncations and space reclaim (and so a
     * purge or compact in {@code ALWAYS} mode, which reclaims before it returns) wait until the copy ends, since they
     * change block files. Removals after the cut are not in the snapshot.
     *
     * @throws IllegalStateException when called from inside one of the store's read or tailer handlers while an erase
     *                               is unfinished: its bytes may not reach the snapshot, and cannot be overwritten
     *                               while this thread's handler may hold them.
     */
    @Override
    public long snapshot(final WritableByteChannel out)
    {
        Objects.requireNonNull(out, "out");
        ensureOpen();
        writer.refuseWhileClaiming("snapshot");
        durability.checkUsable();
        final boolean insideHandler = removals.insideHandler();
        // -1 until the copy ran.
        final long[] written = {-1};
        while (written[0] < 0)
        {
            if (removals.hasUnfinishedErasures())
            {
                if (insideHandler)
                {
                    throw new IllegalStateException("stream '" + config.name() + "': snapshot called from inside " +
                        "one of its read or tailer handlers while an erase is unfinished, whose bytes may not reach " +
                        "a snapshot and may not be overwritten while a handler may hold them: snapshot after the " +
                        "handler returned");
                }
                // No erased message's bytes may reach a snapshot. Finished before the maintenance lock is taken for the
                // copy: the overwrite waits for the readers that may hold them, which may wait for that lock.
                removals.writeDurableAndFinishErasures(Long.MAX_VALUE);
            }
            removals.whileQuiescent(() ->
            {
                if (removals.hasUnfinishedErasures())
                {
                    // An erase begun since, now waiting for its readers: finished above on the next round.
                    return;
                }
                final int gate = readGate.enter();
                // The channel is the caller's code, run inside the gate like a handler.
                final StreamReader.Context context = reader.threadContext();
                context.insideHandlers++;
                try
                {
                    written[0] = backup.write(out);
                }
                finally
                {
                    context.insideHandlers--;
                    readGate.exit(gate);
                }
            });
        }
        return written[0];
    }

    /**
     * For tests in this package, on the appending thread: see {@link StreamWriter#awaitBlockPreparation()}.
     */
    void awaitBlockPreparation()
    {
        writer.awaitBlockPreparation();
    }

    /**
     * Test seam: {@code listener} is told each step of a space reclaim (block deletion, block rewrite) as it
     * completes, on the thread doing it, with the store's files as a crash at that point would leave them.
     */
    void reclaimSteps(final Consumer<ReclaimStep> listener)
    {
        removals.reclaimSteps(listener);
    }

    /**
     * Test seam: the append lock, to show what does not wait for it.
     */
    ReentrantLock appendLock()
    {
        return writer.lock();
    }

    /**
     * Test seam: {@code hook} runs on a querying thread each time {@code subjects}, {@code filteredState} or
     * {@code sequenceAt} has released the append lock and is about to read the blocks (null for none), so a test can
     * hold a query there while it appends, removes or truncates.
     */
    void queryUnlockedHook(final Runnable hook)
    {
        queries.unlockedHook(hook);
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
    public FilteredState filteredState(final String filter, final long fromSeq)
    {
        ensureOpen();
        return queries.filteredState(filter, fromSeq);
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
        return index.state();
    }

    @Override
    public long lastSeq()
    {
        ensureOpen();
        return index.positions().lastSeq();
    }

    @Override
    public long durableSeq()
    {
        ensureOpen();
        return index.positions().durableSeq();
    }

    @Override
    public long firstSeq()
    {
        ensureOpen();
        return index.positions().firstSeq();
    }

    @Override
    public StreamTailer createTailer(final long fromSeq)
    {
        return createTailer(fromSeq, false);
    }

    @Override
    public StreamTailer createTailer(final long fromSeq, final boolean durableOnly)
    {
        ensureOpen();
        return new StreamFollower(this, index, fromSeq, durableOnly,
            durableOnly || config.syncMode() == SyncMode.ALWAYS);
    }

    @Override
    public NamedTailer createTailer(final String name)
    {
        TailerNames.validate(name);
        ensureOpen();
        final Cursor cursor = cursors.acquire(name);
        try
        {
            final StreamPositions positions = index.positions();
            // The count before the acknowledged position is read: a truncation after it that lowers the cursor is
            // reported by the tailer's first poll, not taken as seen with a resume point from before it.
            final long truncations = positions.truncations();
            final long lastSeq = positions.lastSeq();
            // Above the last sequence only when a truncation or a crash took back what it acknowledged (a truncation
            // lowers cursors itself; this catches a crash before that reached the file).
            cursors.lower(cursor, lastSeq);
            final long resume = Math.min(lastSeq + 1, Math.max(cursor.ackedSeq() + 1, positions.firstSeq()));
            final StreamFollower follower = new StreamFollower(this, index, resume, truncations,
                config.syncMode() == SyncMode.ALWAYS);
            return new NamedFollower(follower, cursor, cursors, positions);
        }
        catch (final RuntimeException ex)
        {
            try
            {
                cursors.release(cursor);
            }
            catch (final RuntimeException releaseFailure)
            {
                ex.addSuppressed(releaseFailure);
            }
            throw ex;
        }
    }

    @Override
    public List<CursorPosition> tailers()
    {
        ensureOpen();
        return cursors.list();
    }

    @Override
    public boolean deleteTailer(final String name)
    {
        TailerNames.validate(name);
        ensureOpen();
        return cursors.delete(name);
    }

    @Override
    public ConsumerStore consumer(final String name, final ConsumerConfig config)
    {
        ConsumerNames.validate(name);
        Objects.requireNonNull(config, "config");
        ensureOpen();
        return consumers.open(name, config);
    }

    /**
     * @return the pending-count queries, for tests that interleave with them.
     */
    StreamQueries queries()
    {
        return queries;
    }

    @Override
    public List<String> consumerNames()
    {
        ensureOpen();
        return consumers.names();
    }

    @Override
    public boolean deleteConsumer(final String name)
    {
        ConsumerNames.validate(name);
        ensureOpen();
        return consumers.delete(name);
    }

    /**
     * Read every consumer's state file: a restore's trial open proves each one opens before it publishes the stream.
     */
    void readConsumerFiles()
    {
        consumers.readAll();
    }

    @Override
    public AutoCloseable addListener(final StreamListener listener)
    {
        ensureOpen();
        return listeners.add(listener);
    }

    /**
     * {@inheritDoc}
     * <p>
     * Erasures begun and not finished (a failure stopped them) are finished too, except from inside one of the store's
     * read or tailer handlers: the overwrite waits for the readers that may hold their bytes, and would wait for this
     * one. They are left to the next erase, state write, close or open then.
     */
    @Override
    public void writeFullState()
    {
        ensureOpen();
        // The state writer's monitor comes before the append lock the claim holds, and erasures wait for a force.
        writer.refuseWhileClaiming("write the full state");
        if (removals.hasUnfinishedErasures() && !removals.insideHandler())
        {
            removals.writeDurableAndFinishErasures(Long.MAX_VALUE);
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
            // No reader has the store yet: nothing to wait for.
            removals.writeDurableAndFinishErasures(Long.MAX_VALUE);
        }
        catch (final StoreException ex)
        {
            LOG.warn("stream {}: {} erasures begun before this open are not finished yet (retried by the next " +
                "erase, writeFullState or close): {}", config.name(), count, ex.toString());
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * Refused at once on a thread holding an open claim: its force could not run before the claim ends, so a future
     * returned would be one the thread must not wait for.
     */
    @Override
    public CompletableFuture<Long> flush()
    {
        ensureOpen();
        writer.refuseWhileClaiming("flush");
        return durability.flush();
    }

    @Override
    public StoreStats stats()
    {
        return metrics.snapshot();
    }

    /**
     * @return one view for the store's lifetime: positions, totals and counters read lock-free, nothing copied.
     */
    @Override
    public StoreCounters counters()
    {
        return counters;
    }

    @Override
    public StoreStatsReader newStatsReader()
    {
        return metrics.newReader();
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
     * <p>
     * A claim of another thread is waited for, as any append in progress; but one left open by a thread that ended
     * makes this throw a {@link StoreException} naming the thread, with nothing stopped or released: that thread's
     * append lock can never be released (see {@link StreamStore#tryClaim}).
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        if (sharedThreads && SharedAgentThread.onSharedThread())
        {
            // Its close waits for its agents to leave the other shared threads, whose agents may be waiting for a
            // force of this very thread: it would never return.
            throw new IllegalStateException("stream '" + config.name() + "' cannot be closed from " +
                Thread.currentThread().getName() + ", one of its environment's shared threads (a listener or " +
                "callback): close it from another thread");
        }
        // A claim this thread holds open holds the append lock the steps below wait for: it ends with the store.
        writer.abortClaimOfThisThread();
        // One whose thread ended holds it for good: fail now, before anything is stopped, rather than wait for ever.
        writer.refuseCloseOfAbandonedClaim();
        synchronized (released)
        {
            if (closing)
            {
                // Another call closes it: an environment waits for that one through awaitReleased().
                return;
            }
            closing = true;
        }
        // From here every step runs whatever failed before, and released is counted down whatever happens: an
        // environment (its close, an open or delete of this name) waits for it and must never wait for ever.
        // The reclaimer stops, then appends. First the prepared block file no roll will take goes: on a full disk
        // its space is what the state write may need. Forces everything appended, then writes the state as of then:
        // the next open reads only the tail. Then the bytes of any erase begun and not finished go. The flusher's
        // thread serves what is queued and stops; the files are released whatever failed before.
        final List<AutoCloseable> steps = new ArrayList<>();
        steps.add(removals);
        steps.add(writer::close);
        steps.add(writer::closePreallocator);
        steps.add(this::finishErasuresAtClose);
        // After everything was forced: the cursors are written as far as the stream is durable, which is all of it.
        steps.add(cursors);
        // Every consumer updated since its last write is written (NONE writes only here).
        steps.add(consumers);
        steps.add(flusherThread);
        steps.add(durability);
        // Everything is forced and every consumer written: the catalog lists it as it is on disk now.
        steps.add(() -> closedEntry = catalogEntry(false));
        steps.add(() -> closed = true);
        steps.add(positionsFile::markClosed);
        for (final MessageBlock block : index.blocks())
        {
            steps.add(block.durability()::releaseChannel);
        }
        steps.add(directory);
        try
        {
            CloseHelper.closeAll(steps);
            // Only when every step succeeded: every agent of the store (flusher, preparer, reclaimer) is known stopped,
            // so nothing of the store's own touches a mapping either.
            unmapper.unmapAll();
        }
        finally
        {
            final Runnable action;
            synchronized (released)
            {
                released.countDown();
                action = onReleased;
            }
            if (null != action)
            {
                // The environment's catalog swaps the store for its entry: memory only, never throws.
                action.run();
            }
        }
    }

    /**
     * Write the state and finish the erasures begun, waiting for readers that may hold their bytes no longer than for
     * the unmapping, and not at all from inside a handler (the wait would be for this thread): a close must end. Those
     * left stay listed in {@code erasures.pending}, which the state written names, and the next open finishes them.
     */
    private void finishErasuresAtClose()
    {
        final long wait = removals.insideHandler() ? 0 : unmapper.waitNanos();
        if (!removals.writeDurableAndFinishErasures(wait))
        {
            LOG.warn("stream {}: readers stayed inside its blocks {} ms at close; the erasures begun and not " +
                "finished are left for the next open, listed in erasures.pending", config.name(), wait / 1_000_000);
        }
    }

    /**
     * Run {@code action} once a close began and ended (on the closing thread), or now when that happened already. It
     * must be quick and not throw: the environment's catalog keeps the entry in place of the store.
     */
    void whenReleased(final Runnable action)
    {
        synchronized (released)
        {
            if (released.getCount() > 0)
            {
                onReleased = action;
                return;
            }
        }
        action.run();
    }

    /**
     * @return whether a close began: an environment hands it out no more.
     */
    boolean isClosing()
    {
        return closing;
    }

    /**
     * @return whether a close began and ended: its files are released.
     */
    boolean isReleased()
    {
        return closing && released.getCount() == 0;
    }

    /**
     * Wait until the close that began ended (its files released, its directory unlocked), however long it takes; at
     * once when no close began.
     */
    void awaitReleased()
    {
        if (!closing)
        {
            return;
        }
        Uninterruptibles.await(released);
    }

    /**
     * @return its entry in an environment's catalog, copied from memory (a seqlock copy of its totals, a volatile
     * read of its durable sequence, each consumer's state under that consumer's monitor): while open its state now,
     * once closed its state at its close (null when its close failed before that).
     */
    EnvironmentSnapshot.Stream catalogEntry()
    {
        if (!closed)
        {
            try
            {
                return catalogEntry(true);
            }
            catch (final StoreClosedException ex)
            {
                // Closed since the check: its entry as of the close follows.
            }
        }
        return closedEntry;
    }

    private EnvironmentSnapshot.Stream catalogEntry(final boolean open)
    {
        // Durable first: it never passes the last sequence, so read before the state it is never above it.
        final long durableSeq = open ? durableSeq() : index.positions().durableSeq();
        final StreamState state = open ? state() : index.state();
        return new EnvironmentSnapshot.Stream(config.name(), open, state.firstSeq(), state.lastSeq(), state.msgs(),
            state.bytes(), durableSeq, consumers.catalog());
    }

    /**
     * Finishes this store's claims: {@link MessageClaim#commit()} and {@link MessageClaim#abort()} land here.
     */
    private final class Claims implements MessageClaim.Committer
    {
        @Override
        public long commit(final MessageClaim claim)
        {
            final long seq = writer.commitClaim(claim);
            durability.afterAppend(seq, "append");
            return seq;
        }

        @Override
        public void abort(final MessageClaim claim)
        {
            writer.abortClaim(claim);
        }
    }

    /**
     * @return the stream's index, for tests in this package.
     */
    StreamIndex index()
    {
        return index;
    }

    /**
     * @return the store's metrics, for tests in this package.
     */
    StoreMetrics metrics()
    {
        return metrics;
    }

    /**
     * @return whether {@link #close()} ran; for the environment, which hands out a store only while it is open.
     */
    boolean isClosed()
    {
        return closed;
    }

    /**
     * Test seam: how long {@link #close()} waits for readers to leave the block mappings before it leaves them to the
     * garbage collector.
     */
    void unmapWait(final long nanos)
    {
        unmapper.waitNanos(nanos);
    }

    /**
     * Enter the read gate: a tailer's poll or seek, which touches the block mappings.
     *
     * @return what to give back to {@link #exitRead(int)}, in a {@code finally}.
     * @throws StoreClosedException when the store is closed or closing.
     */
    int enterRead()
    {
        ensureOpen();
        return readGate.enter();
    }

    void exitRead(final int gate)
    {
        readGate.exit(gate);
    }

    /**
     * @return this thread's read context of the store, where a tailer's poll counts itself inside its handler.
     */
    StreamReader.Context readContext()
    {
        return reader.threadContext();
    }

    void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(config.name());
        }
    }
}
