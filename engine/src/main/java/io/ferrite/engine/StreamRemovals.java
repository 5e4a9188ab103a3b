package io.ferrite.engine;

import io.ferrite.engine.agent.AgentHost;
import io.ferrite.engine.agent.AgentSlot;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.index.Subjects;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.recovery.UnfinishedErasure;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CommitOutcomeUnknownException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.SyncMode;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The removal side of a store — {@code remove}, {@code erase}, the purges, {@code compact}, {@code truncate} and
 * retention — with the ordering each needs around the append lock, the flusher, the state file and the
 * {@link Reclaimer}: the removal itself is applied under the append lock ({@link StreamRemover},
 * {@link StreamTruncation}), forcing and file changes happen outside it.
 * <p>
 * Lock order: the reclaimer's maintenance lock, then the state writer's monitor, then the append lock. An erasure's
 * wait for the readers that may hold its record holds none of them (see {@link #finishErasures}). A thread holding an
 * open claim holds the append lock already, so it is refused before it takes the maintenance lock
 * ({@link #lockMaintenance}): a truncation holding that lock and waiting for the append lock would wait for the claim,
 * and the claim's thread for the truncation.
 */
final class StreamRemovals implements AutoCloseable
{
    private final StreamIndex index;
    private final StreamWriter writer;
    private final AsyncFlusher durability;
    private final FullStateWriter stateWriter;
    private final StreamRemover remover;
    private final StreamTruncation truncation;
    private final Reclaimer reclaimer;
    private final ReclaimSteps reclaimSteps;
    private final AgentSlot reclaimThread;
    private final Retention retention;
    private final SyncMode syncMode;
    private final StorageIO io;
    private final StreamDirectory directory;
    private final String streamName;
    private final StreamReader reader;
    /** Whose grace periods an erasure waits for before it overwrites a record a reader may hold. */
    private final ReadGate readGate;
    /**
     * Erasures begun whose bytes are not yet overwritten: finished by a retried {@code erase(seq)}, the next
     * {@code writeFullState()} and {@code close()}; the open hands over those a failed or interrupted process left.
     */
    private final UnfinishedErasures unfinishedErasures;
    /** Told each truncation point under the append lock, after the truncation was published; set before use. */
    private LongConsumer afterTruncation = (seq) ->
    {
    };

    StreamRemovals(
        final StreamConfig config, final StreamDirectory directory, final StreamIndex index, final StreamWriter writer,
        final StreamReader reader, final BlockFlusher flusher, final AsyncFlusher durability,
        final FullStateWriter stateWriter, final StoreMetrics metrics, final BlockCrypto crypto,
        final UnfinishedErasures unfinishedErasures, final AgentHost reclaimerHost, final ReadGate readGate)
    {
        this.streamName = config.name();
        this.reader = reader;
        this.readGate = readGate;
        this.reclaimThread = reclaimerHost.newSlot();
        this.unfinishedErasures = unfinishedErasures;
        this.index = index;
        this.writer = writer;
        this.durability = durability;
        this.stateWriter = stateWriter;
        this.syncMode = config.syncMode();
        this.io = directory.storageIO();
        this.directory = directory;
        this.remover = new StreamRemover(index, writer, reader);
        this.truncation = new StreamTruncation(index, writer, remover, flusher, metrics, crypto, directory.storageIO(),
            readGate);
        this.retention = new Retention(config.name(), config.limits(), index, remover, reader);
        writer.retention(retention);
        BlockRewriter.deleteLeftovers(directory);
        final BlockRewriter rewriter = new BlockRewriter(index, directory, config, metrics, crypto);
        final ReclaimPolicy policy =
            new ReclaimPolicy(index, rewriter.blockSize(), retention.limits().maxAge().toNanos());
        this.reclaimSteps = new ReclaimSteps(durability);
        this.reclaimer = new Reclaimer(config.name(), writer, durability, retention, policy,
            new EmptiedBlockDeletion(index, writer, remover, policy, reclaimSteps, stateWriter, flusher, directory),
            new SparseBlockRewrite(index, writer, remover, policy, reclaimSteps, rewriter, stateWriter, flusher,
            directory),
            new ReclaimFailures(config.name(), metrics), reclaimThread.wakeUp());
        remover.reclaimer(reclaimer);
        writer.lock().lock();
        try
        {
            // Limits changed since the last run (or first set) apply now, whatever the discard policy.
            retention.enforceAll(new OffsetEpochNanoClock().nanoTime());
        }
        finally
        {
            writer.lock().unlock();
        }
        reclaimThread.start(reclaimer);
    }

    /**
     * After a recovery, write as tombstones at the end of the stream the removals no surviving tombstone names: with
     * {@code allRuns} ({@code StreamRecovery.Result#untombstonedRemovals}: a removal only {@code state.db} recorded,
     * or a loss that may have taken tombstones with it) every removed run of every block, else the sequences of each
     * torn tail {@code losses} reports (marked removed by recovery; their kept headers still verify). Until then only
     * {@code state.db} or the report knows them, and a reader that indexes the blocks alone — a read-only view in
     * another process, or a later rebuild with {@code state.db} lost — would list the messages again, or take a kept
     * torn record for damage. The same protocol as a reclaim's or a truncation's rehome
     * ({@link StreamRemover#rewriteRemovalsBefore}); the tombstones are forced with the next force cycle. A failure (a
     * full disk past the tombstone reserve) does not fail the open, which would leave no way to free space: it is
     * logged, the removals stay in the index and in {@code state.db}, and until a later rehome writes them a view may
     * list those messages.
     */
    void tombstoneRecoveredRemovals(final boolean allRuns, final List<RecoveryReport.LostRange> losses)
    {
        writer.lock().lock();
        try
        {
            if (allRuns)
            {
                remover.rewriteRemovalsBefore(index.blockCount(), List.of());
                return;
            }
            for (final RecoveryReport.LostRange range : losses)
            {
                final long last = Math.min(range.lastSeq(), index.lastSeq());
                if (range.kind() == RecoveryReport.Kind.TORN_TAIL && range.firstSeq() > 0 &&
                    range.lastSeq() != StoreException.UNKNOWN && range.firstSeq() <= last)
                {
                    writer.writeTombstone(range.firstSeq(), last, 0);
                }
            }
        }
        catch (final StoreException ex)
        {
            LoggerFactory.getLogger(StreamRemovals.class).warn("writing the removals recovery found without " +
                "tombstones into the blocks failed; read-only views may list those messages until a reclaim or " +
                "truncation writes them again", ex);
        }
        finally
        {
            writer.lock().unlock();
        }
    }

    boolean remove(final long seq)
    {
        StreamReader.requirePositive(seq, "seq");
        durability.checkUsable();
        final int offset;
        writer.lock().lock("remove");
        try
        {
            writer.ensureOpenForMaintenance();
            offset = remover.remove(seq, 0);
        }
        finally
        {
            writer.lock().unlock();
        }
        if (offset > 0 && syncMode == SyncMode.ALWAYS)
        {
            try
            {
                durability.flushAndWait();
            }
            catch (final StoreException ex)
            {
                // The tombstone was written (readers no longer see the message) but may not survive a reopen.
                throw new CommitOutcomeUnknownException("removal", seq, ex.file(), ex);
            }
        }
        return offset > 0;
    }

    /**
     * @return the lock that serializes reclaim passes, truncations and erasures: every change of a block file, and
     * every read of a block by one of them, happens under it.
     */
    ReentrantLock maintenanceLock()
    {
        return reclaimer.maintenanceLock();
    }

    /**
     * @throws IllegalStateException when called from inside one of the store's read or tailer handlers (see
     * {@link #insideHandler()}), before anything changed.
     */
    boolean erase(final long seq)
    {
        StreamReader.requirePositive(seq, "seq");
        durability.checkUsable();
        if (insideHandler())
        {
            // The bytes may be overwritten only once every reader that may hold them left, this thread's handler
            // among them: it would wait for itself. Refused rather than left to overwrite later, since erase promises
            // the bytes gone when it returns.
            throw new IllegalStateException("stream '" + streamName + "': erase(" + seq + ") called from inside " +
                "one of its read or tailer handlers, which may hold the message's bytes until it returns: erase " +
                "after the handler returned");
        }
        final ReentrantLock maintenance = lockMaintenance("erase");
        try
        {
            if (unfinishedErasures.contains(seq))
            {
                // Begun earlier and not finished (its state write or overwrite failed): finish it now.
                finishErasures(Long.MAX_VALUE);
                return true;
            }
            final MessageBlock block;
            final int offset;
            writer.lock().lock();
            try
            {
                writer.ensureOpenForMaintenance();
                block = index.blockFor(seq);
                offset = remover.remove(seq, RecordDescriptor.TOMBSTONE_FLAG_ERASE);
                if (offset > 0)
                {
                    // From here the erase is begun: load(seq) is null. Added before the append lock goes, so every
                    // state image counting the message removed lists it (see UnfinishedErasures), and a failure below
                    // leaves it to a retry, the next state write, close, or the next open.
                    unfinishedErasures.add(new UnfinishedErasure(seq, block, offset));
                }
            }
            finally
            {
                writer.lock().unlock();
            }
            if (offset <= 0)
            {
                return false;
            }
            finishErasures(Long.MAX_VALUE);
            return true;
        }
        finally
        {
            maintenance.unlock();
        }
    }

    /**
     * @return whether an erase was begun and not finished.
     */
    boolean hasUnfinishedErasures()
    {
        // The common answer without the maintenance lock, which a snapshot holds while it copies files: a plain state
        // write may run beside an erase in progress (the erasure is listed before any image counts it removed).
        if (unfinishedErasures.isEmpty())
        {
            return false;
        }
        final ReentrantLock maintenance = lockMaintenance("finish erasures");
        try
        {
            return !unfinishedErasures.isEmpty();
        }
        finally
        {
            maintenance.unlock();
        }
    }

    /**
     * Write a durable state and finish every erase begun: for {@code writeFullState()} while one is unfinished, for
     * {@code snapshot} and {@code close()}, and at open for those recovery found. Not with the maintenance lock held
     * already: the wait for readers lets go of it.
     *
     * @param graceNanos how long to wait for the readers that may hold an erased record ({@code Long.MAX_VALUE}: as
     *                   long as it takes); never from inside a handler of the store, which would wait for itself.
     * @return whether every erasure begun is finished; false when readers stayed inside longer than
     * {@code graceNanos}: the erasures stay listed in {@code erasures.pending} and in memory, for a later call or the
     * next open.
     * @throws StoreException when the state write or an overwrite failed; what is left stays to be finished.
     */
    boolean writeDurableAndFinishErasures(final long graceNanos)
    {
        final ReentrantLock maintenance = lockMaintenance("write a durable state");
        try
        {
            if (unfinishedErasures.isEmpty())
            {
                stateWriter.writeDurable();
                return true;
            }
            return finishErasures(graceNanos);
        }
        finally
        {
            maintenance.unlock();
        }
    }

    /**
     * @return whether this thread is inside one of the store's handlers (a read's, a tailer's, a snapshot's channel),
     * and so inside its read gate: it must not wait for a grace period. Read from the thread's read context, which the
     * read path counts in without a lookup of its own.
     */
    boolean insideHandler()
    {
        return reader.threadContext().insideHandlers > 0;
    }

    /**
     * Under the maintenance lock, so no rewrite replaces a block meanwhile. The erase tombstones reach the disk before
     * the bytes go — a crash in between must find the messages removed, never damaged records it cannot explain — and
     * so does a state that counts the messages removed: once their bytes are gone, a replay of a tombstone could no
     * longer read which subject to uncount. One force covers both: the state is captured with the tombstones and
     * written once that force returned. Before it, {@code erasures.pending} lists them (the state writer makes sure),
     * since a state newer than their tombstones means the next open does not replay those.
     * <p>
     * And the bytes go only once the readers that may hold them left: a read or a tailer hands its handler a flyweight
     * over the very mapping the overwrite zeroes (a plaintext record; an encrypted one is decrypted into a buffer of
     * the reader's, but it is waited for the same). Every erasure listed was dropped from its block's table before it
     * was listed, so after the grace period begun below only the readers inside before it can hold one. That wait lets
     * go of the maintenance lock, held once by the caller: a handler waited for may itself be waiting for the lock (a
     * truncate, a snapshot, a state write finishing erasures), and would never return. Meanwhile another caller may
     * finish some of them, or a truncation cut them; only those still listed as they were are overwritten, and the
     * block is looked up again.
     *
     * @return false when readers stayed inside past {@code graceNanos}: nothing was overwritten.
     */
    private boolean finishErasures(final long graceNanos)
    {
        unfinishedErasures.makeDurable();
        stateWriter.writeDurable();
        final List<UnfinishedErasure> erasures = unfinishedErasures.list();
        if (!awaitReaders(graceNanos))
        {
            return false;
        }
        for (final UnfinishedErasure erasure : erasures)
        {
            if (unfinishedErasures.holds(erasure))
            {
                MessageEraser.overwrite(currentBlock(erasure), erasure.offset(), erasure.seq(), io);
                unfinishedErasures.finished(erasure.seq());
            }
        }
        unfinishedErasures.makeDurable();
        return true;
    }

    /**
     * A grace period of the read gate, with the maintenance lock let go of while it waits; at once, lock kept, when no
     * reader from before it is inside.
     */
    private boolean awaitReaders(final long graceNanos)
    {
        final long ticket = readGate.startGrace();
        if (readGate.pollGrace(ticket))
        {
            return true;
        }
        final ReentrantLock maintenance = reclaimer.maintenanceLock();
        maintenance.unlock();
        try
        {
            return readGate.awaitGrace(ticket, graceNanos);
        }
        finally
        {
            maintenance.lock();
        }
    }

    /**
     * The block object holding the erasure's record now: a truncation reopens a cut tail as a new object over the same
     * file and retires the old one, which the eraser would skip as gone.
     */
    private MessageBlock currentBlock(final UnfinishedErasure erasure)
    {
        final int position = index.positionFor(erasure.seq());
        final MessageBlock[] blocks = index.blocks();
        if (position >= 0 && blocks[position].id() == erasure.block().id())
        {
            return blocks[position];
        }
        return erasure.block();
    }

    long purge()
    {
        return trim("purge", () -> remover.purge(index.lastSeq() + 1));
    }

    long purge(final String filter, final long upToSeq, final long keep)
    {
        Subjects.validateFilter(filter);
        if (upToSeq < 0)
        {
            throw new IllegalArgumentException("upToSeq must be >= 0 (0 for no bound): " + upToSeq);
        }
        if (keep < 0)
        {
            throw new IllegalArgumentException("keep must be >= 0: " + keep);
        }
        return trim("purge", () -> remover.purge(filter, upToSeq, keep));
    }

    long compact(final long seq)
    {
        StreamReader.requirePositive(seq, "seq");
        // compact(seq) past the end makes seq the next sequence: at most the one after the ceiling.
        if (seq > RecordDescriptor.MAX_SEQUENCE + 1)
        {
            throw new IllegalArgumentException("seq must be in [1, " + (RecordDescriptor.MAX_SEQUENCE + 1) +
                "] (the sequence after RecordDescriptor.MAX_SEQUENCE, the highest a stream may assign): " + seq);
        }
        return trim("compact", () -> remover.compact(seq));
    }

    /**
     * Take new limits and apply them now, whatever the discard policy, as an open does; the removals are made durable
     * and their space given back as a purge's are.
     */
    void updateLimits(final StreamLimits limits)
    {
        Objects.requireNonNull(limits, "limits");
        // Refused here, not by the trim: the agent is then told of no change.
        writer.refuseWhileClaiming("update limits");
        try
        {
            trim("updateLimits", () ->
            {
                final long before = index.msgs();
                retention.limits(limits);
                retention.enforceAll(new OffsetEpochNanoClock().nanoTime());
                return before - index.msgs();
            });
        }
        finally
        {
            // Even when the trim failed (its state write, say), the new limits hold: the agent must follow them.
            reclaimer.limitsChanged();
        }
    }

    StreamLimits limits()
    {
        return retention.limits();
    }

    /**
     * Tell {@code listener} each truncation point, under the append lock, twice: before the cut (once every record
     * above verified) and once tailers can see the truncation, before any append can reuse a sequence it cut (the named
     * tailers' cursors and the consumers are moved back there).
     */
    void afterTruncation(final LongConsumer listener)
    {
        afterTruncation = Objects.requireNonNull(listener, "listener");
    }

    /**
     * @throws IllegalStateException when called from inside one of the store's read or tailer handlers (see
     * {@link #insideHandler()}), before anything changed.
     */
    void truncate(final long seq)
    {
        durability.checkUsable();
        if (insideHandler())
        {
            // The cut block's bytes are zeroed only once every reader that may hold a cut record left, this thread's
            // handler among them: it would wait for itself (as an erase would).
            throw new IllegalStateException("stream '" + streamName + "': truncate(" + seq + ") called from " +
                "inside one of its read or tailer handlers, which may hold a cut message's bytes until it returns: " +
                "truncate after the handler returned");
        }
        final ReentrantLock maintenance = lockMaintenance("truncate");
        try
        {
            writer.lock().lock();
            try
            {
                // Checked before the state file is set aside, so a bad argument costs nothing.
                truncation.check(seq);
            }
            finally
            {
                writer.lock().unlock();
            }
            // Everything forced first: the flusher must not be in the middle of blocks that are about to go.
            durability.flushAndWait();
            stateWriter.whileReplacingBlocks(() ->
            {
                // Lowered before the cut too, so a crash after the cut leaves no consumer or cursor file above it.
                // A failure there does not stop the truncation (the floors are kept in memory): the pass after the
                // cut tries again, and only a failure it still meets is thrown, once the truncation is whole.
                final StoreException[] beforeCut = new StoreException[1];
                StoreException failure = null;
                writer.lock().lock();
                try
                {
                    cut(seq, beforeCut);
                    // An erase begun above the cut has nothing left to erase: the cut zeroed its record, and new
                    // records may take its offset once the lock goes. Not before the cut: a truncation refused (a
                    // record above that does not verify, no room for truncation.removals) cuts nothing, and the
                    // erasure must still be finished.
                    unfinishedErasures.cutAbove(seq);
                    durability.onTruncated(seq);
                    try
                    {
                        afterTruncation.accept(seq);
                    }
                    catch (final StoreException ex)
                    {
                        if (null != beforeCut[0])
                        {
                            ex.addSuppressed(beforeCut[0]);
                        }
                        failure = ex;
                    }
                }
                finally
                {
                    writer.lock().unlock();
                }
                durability.flushAndWait();
                // The tombstones written again after the cut are durable: the blocks alone say what is removed.
                TruncationRemovalsFile.delete(directory);
                if (null != failure)
                {
                    throw failure;
                }
            });
        }
        finally
        {
            maintenance.unlock();
        }
    }

    /**
     * Truncate under the append lock as one change for queries reading without it (they never see a truncation
     * half-applied), telling the listener the point before the cut; a failure it throws is kept in {@code beforeCut}.
     */
    private void cut(final long seq, final StoreException[] beforeCut)
    {
        index.removals().begin();
        try
        {
            truncation.truncate(seq, (kept) ->
            {
                // Before anything is cut: the tombstones of these removals may lie in what goes, state.db is set
                // aside, and they are written again only after the cut. A failure here stops the truncation whole.
                TruncationRemovalsFile.write(directory, kept, (runs) ->
                {
                    for (final MessageBlock block : index.blocks())
                    {
                        block.contents().deleted().forEachRun(runs::accept);
                    }
                });
                try
                {
                    afterTruncation.accept(kept);
                }
                catch (final StoreException ex)
                {
                    beforeCut[0] = ex;
                }
            });
        }
        finally
        {
            index.removals().end();
        }
    }

    void whileQuiescent(final Runnable action)
    {
        Objects.requireNonNull(action, "action");
        final ReentrantLock maintenance = lockMaintenance("run an action while quiescent");
        try
        {
            action.run();
        }
        finally
        {
            maintenance.unlock();
        }
    }

    /**
     * Take the maintenance lock for {@code operation} of a caller's thread, unless that thread holds an open claim
     * (see the class comment).
     *
     * @return the lock, held.
     * @throws IllegalStateException when this thread holds an open claim; no lock is taken.
     */
    private ReentrantLock lockMaintenance(final String operation)
    {
        writer.refuseWhileClaiming(operation);
        final ReentrantLock maintenance = reclaimer.maintenanceLock();
        maintenance.lock();
        return maintenance;
    }

    void reclaimSteps(final Consumer<ReclaimStep> listener)
    {
        reclaimSteps.listener(listener);
    }

    /**
     * Run a removal of many messages under the append lock, make it durable, and give the space back before
     * returning.
     *
     * @param operation the application's call, named should it be refused from inside a handler
     *                  ({@link AppendLock#lock(String)}).
     */
    private long trim(final String operation, final LongSupplier removal)
    {
        durability.checkUsable();
        final long removed;
        writer.lock().lock(operation);
        try
        {
            writer.ensureOpenForMaintenance();
            // One change for queries reading without the lock: they never see a purge or compaction half-applied.
            index.removals().begin();
            try
            {
                removed = removal.getAsLong();
            }
            finally
            {
                index.removals().end();
            }
        }
        finally
        {
            writer.lock().unlock();
        }
        if (syncMode == SyncMode.ALWAYS)
        {
            // The removal is durable when it returns, like every ALWAYS write; the emptied blocks are forced with it,
            // so their space is back by then too.
            durability.flushAndWait();
            if (removed > 0)
            {
                reclaimer.reclaim(false);
            }
        }
        else if (removed > 0)
        {
            // INTERVAL and NONE promise no more for a removal than for an append: the caller does not wait for a
            // force of everything appended (in NONE, possibly gigabytes: over 5 s seen). The emptied blocks can be
            // deleted only once that force made the tombstone durable and left them clean, so the reclaim thread
            // does it when the force completes. A pass that runs sooner (the removal woke it) waits for that force
            // itself; after a failed force, which the flusher records and the store's later calls report, it deletes
            // nothing.
            durability.flush().whenComplete((forced, failure) -> reclaimer.wake());
        }
        return removed;
    }

    /**
     * Stop reclaiming; called first by {@code close()}.
     */
    @Override
    public void close()
    {
        reclaimThread.close();
    }
}
