package io.ferrite.engine;

import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.agent.AgentHost;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.BlockPreallocator;
import io.ferrite.engine.block.FolioPolicy;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.PreparedBlock;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.flush.UnforcedWindow;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.index.SubjectSlots;
import io.ferrite.engine.metrics.OperationTimer;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.Crc32c;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.TombstoneEpochSlots;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.MessageRules;
import io.ferrite.store.SequenceExhaustedException;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreFullException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The append path. Arguments are validated before the lock is taken; under it, a record is written into the mapped
 * block, the off-heap block entry, totals and subject state are updated in place, and the new last sequence is
 * published with a release store. Nothing here allocates unless a block rolls or a subject is new.
 * <p>
 * Every frame written is counted into the {@link UnforcedWindow}; an append, {@code appendAt} or {@code skip} that
 * finds its bound reached waits for the flusher with the lock released, then takes the lock and checks again.
 * <p>
 * Threading: appends from any thread, serialized by {@link #lock()}.
 */
final class StreamWriter
{
    private static final byte[] NO_HEADERS = new byte[0];
    private static final Logger LOG = LoggerFactory.getLogger(StreamWriter.class);

    /**
     * A jump in sequence wider than this starts a new block instead of growing the block's sequence table across the
     * gap: replicas that {@code appendAt} far ahead cost one block, not a huge table. Recovery relies on it too.
     */
    static final long MAX_SEQUENCE_SPAN_PER_BLOCK = BlockDescriptor.MAX_SEQUENCE_SPAN;

    private final AppendLock lock = new AppendLock();
    private final StreamDirectory directory;
    private final StreamIndex index;
    private final StreamConfig config;
    private final StoreMetrics metrics;
    private final UnforcedWindow window;
    private final OperationTimer rollTimer;
    private final Crc32c crc = new Crc32c();
    private final EpochNanoClock clock = new OffsetEpochNanoClock();
    private BlockFlusher flusher;
    private boolean closed;
    /** Null for a plaintext stream. */
    private final BlockCrypto crypto;
    private final RecordCipher cipher = new RecordCipher();
    private final BlockFooterCodec footerCodec = new BlockFooterCodec();
    /**
     * An encrypted stream never appends to a block it found on open: a crash may have left a torn record whose
     * ciphertext used the next sequence's nonce under that block's key. The first append seals it and starts a block
     * with a fresh key.
     */
    private boolean rollBeforeNextAppend;
    /**
     * The tail holds damage recovery reported: nothing, not even a tombstone, may follow it (a scan stops at the
     * damage and would never see the tombstone). Otherwise {@link #rollBeforeNextAppend} is about nonces only, and a
     * tombstone may go into the tail under a fresh epoch when no block can be created.
     */
    private boolean tailDamaged;
    private final BlockPreallocator preallocator;
    private final SubjectSlots slots;
    private final byte[] tombstoneScratch = new byte[RecordDescriptor.TOMBSTONE_LENGTH];
    /** Applies the limits around each append; set once the store is wired. */
    private Retention retention;
    /** Told of each append under the lock. */
    private final StreamListeners listeners;
    /**
     * The open claim, or null. Set and cleared under the append lock, which the claiming thread holds from
     * {@link #tryClaim} to {@link #commitClaim}/{@link #abortClaim}; so only that thread ever sees it set.
     */
    private MessageClaim openClaim;
    private MessageBlock claimBlock;
    private StreamSubject claimSubject;
    private int claimFrameLength;

    StreamWriter(
        final StreamDirectory directory, final StreamIndex index, final StreamConfig config, final StoreMetrics metrics,
        final BlockCrypto crypto, final UnforcedWindow window, final AgentHost preparerHost)
    {
        this.window = window;
        this.crypto = crypto;
        this.slots = new SubjectSlots(index.subjects());
        this.preallocator = new BlockPreallocator(directory.blocksDir(), config.blockSize(), config.preparedBlocks(),
            directory.storageIO(), config.name(), preparerHost, index.followers(),
            FolioPolicy.of(config));
        this.rollBeforeNextAppend = null != crypto && null != index.lastBlock();
        this.directory = directory;
        this.index = index;
        this.config = config;
        this.metrics = metrics;
        this.rollTimer = metrics.blockRoll();
        this.listeners = new StreamListeners(config.name(), index.positions());
    }

    void flusher(final BlockFlusher flusher)
    {
        this.flusher = flusher;
        flusher.retiredWriters(preallocator.retiredWriters());
    }

    void retention(final Retention retention)
    {
        this.retention = retention;
    }

    /**
     * @return the store's listeners, told of removals and truncations under the append lock too.
     */
    StreamListeners listeners()
    {
        return listeners;
    }

    SubjectSlots slots()
    {
        return slots;
    }

    /**
     * Start preparing the next blocks in the background, so the first roll does not allocate on the append path.
     */
    void prepareNextBlock()
    {
        lock.lock();
        try
        {
            final MessageBlock last = index.lastBlock();
            preallocator.prepareNext(
                null == last ? 0 : expectedSequences(last), expectedSubjects(last), index.blockCount());
        }
        finally
        {
            lock.unlock();
        }
    }

    AppendLock lock()
    {
        return lock;
    }

    long append(final String subject, final byte[] headers, final byte[] payload)
    {
        final byte[] safeHeaders = null == headers ? NO_HEADERS : headers;
        final long content = MessageRules.contentLength(config, safeHeaders, payload);
        refuseWhileClaiming("append");
        lockWithRoom("append");
        try
        {
            ensureOpen();
            final int slot = slots.slot(subject);
            final int frameLength = slotFrameLength(slot, content);
            final long seq = nextSequence();
            retention.checkRoom(subject, slots.ascii(slot).length + content);
            final long timestamp = Math.max(clock.nanoTime(), index.lastTime());
            write(seq, timestamp, slot, safeHeaders, payload, frameLength);
            retention.afterAppend(slots.entry(slot));
            return seq;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Append with a subject validated once and content copied from buffers: allocates nothing in steady state.
     */
    long append(
        final StreamSubject subject, final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer payload, final int payloadOffset, final int payloadLength)
    {
        final long content = MessageRules.contentLength(config, headers, headersOffset, headersLength, payload,
            payloadOffset, payloadLength);
        refuseWhileClaiming("append");
        lockWithRoom("append");
        try
        {
            ensureOpen();
            final byte[] subjectBytes = subject.ascii();
            final int frameLength = frameLength(subjectBytes.length, content);
            final long seq = nextSequence();
            retention.checkRoom(subject.subject(), subjectBytes.length + content);
            final long timestamp = Math.max(clock.nanoTime(), index.lastTime());
            final MessageBlock block = blockWithRoomFor(frameLength, seq);
            final UnsafeBuffer target = block.contentBuffer(subjectBytes.length, (int)content, cipher);
            final int at = block.contentOffset(subjectBytes.length);
            if (headersLength > 0)
            {
                target.putBytes(at, headers, headersOffset, headersLength);
            }
            target.putBytes(at + headersLength, payload, payloadOffset, payloadLength);
            final int checksum = block.appendPlaced(
                seq, timestamp, subjectBytes, headersLength, payloadLength, frameLength, crc, cipher);
            final SubjectIndex.Entry entry = subject.entry(index.subjects());
            recordMessage(block, seq, timestamp, checksum, frameLength, subjectBytes.length + (int)content, entry);
            retention.afterAppend(entry);
            return seq;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Claim room for a message and point {@code claim} at where its content goes. Returns holding the append lock,
     * which {@link #commitClaim} or {@link #abortClaim} releases: nothing else may write into the block meanwhile, and
     * nothing is published, so a claim never committed leaves no trace a reader or a recovery can see (the record's
     * first word, its frame length, stays zero until the commit writes the header).
     *
     * @return the sequence the message takes at commit; not consumed until then.
     */
    long tryClaim(
        final StreamSubject subject, final int headersLength, final int payloadLength, final MessageClaim claim,
        final MessageClaim.Committer committer)
    {
        final long content = MessageRules.contentLength(config, headersLength, payloadLength);
        if (claim.isOpen())
        {
            throw new IllegalStateException("claim is still open for sequence " + claim.sequence() +
                ": commit or abort it before claiming again");
        }
        refuseWhileClaiming("claim");
        lockWithRoom("tryClaim");
        boolean claimed = false;
        try
        {
            ensureOpen();
            final byte[] subjectBytes = subject.ascii();
            final int frameLength = frameLength(subjectBytes.length, content);
            final long seq = nextSequence();
            retention.checkRoom(subject.subject(), subjectBytes.length + content);
            final MessageBlock block = blockWithRoomFor(frameLength, seq);
            claim.wrap(committer, seq, block.contentBuffer(subjectBytes.length, (int)content, cipher),
                block.contentOffset(subjectBytes.length), headersLength, payloadLength);
            openClaim = claim;
            claimBlock = block;
            claimSubject = subject;
            claimFrameLength = frameLength;
            claimed = true;
            return seq;
        }
        finally
        {
            if (!claimed)
            {
                lock.unlock();
            }
        }
    }

    /**
     * Write and publish the claimed message, and release the append lock the claim held.
     *
     * @return its sequence.
     */
    long commitClaim(final MessageClaim claim)
    {
        requireOpenClaim(claim);
        try
        {
            final MessageBlock block = claimBlock;
            final StreamSubject subject = claimSubject;
            final byte[] subjectBytes = subject.ascii();
            final long seq = claim.sequence();
            final long timestamp = Math.max(clock.nanoTime(), index.lastTime());
            final int checksum = block.appendPlaced(seq, timestamp, subjectBytes, claim.headersLength(),
                claim.payloadLength(), claimFrameLength, crc, cipher);
            final SubjectIndex.Entry entry = subject.entry(index.subjects());
            recordMessage(block, seq, timestamp, checksum, claimFrameLength,
                subjectBytes.length + claim.headersLength() + claim.payloadLength(), entry);
            endClaim();
            retention.afterAppend(entry);
            return seq;
        }
        finally
        {
            endClaim();
            lock.unlock();
        }
    }

    /**
     * Drop the claimed message: zero what the caller wrote into the block, consume no sequence, release the lock.
     */
    void abortClaim(final MessageClaim claim)
    {
        requireOpenClaim(claim);
        try
        {
            claimBlock.discardPlaced(claimFrameLength);
        }
        finally
        {
            endClaim();
            lock.unlock();
        }
    }

    /**
     * Abort the claim this thread holds open, if any (the store is closing under it).
     */
    void abortClaimOfThisThread()
    {
        if (lock.isHeldByCurrentThread() && null != openClaim)
        {
            openClaim.abort();
        }
    }

    /**
     * Fail when the append lock is held by a thread that ended: a claim it never committed or aborted. The lock is a
     * {@link ReentrantLock}, which no other thread can release, and the abort has to run under it; so the flusher, the
     * reclaimer and every append wait for it for ever, and so would a close. Nothing of the claim was published (its
     * record header is written at commit), so a restart finds the stream as it was before the claim. Called under no
     * lock, by a close from another thread; a claim whose thread is alive is waited for, as a close always waits for
     * the append in progress.
     *
     * @throws StoreException naming the thread and the sequence it claimed.
     */
    void refuseCloseOfAbandonedClaim()
    {
        final Thread owner = lock.owner();
        if (null == owner || owner.isAlive())
        {
            return;
        }
        // The owner's end happens-before isAlive() returned false: what it wrote under the lock is visible here.
        final MessageClaim abandoned = openClaim;
        final long seq = null == abandoned ? StoreException.UNKNOWN : abandoned.sequence();
        throw new StoreException("cannot close stream " + config.name() + ": thread '" + owner.getName() + "' ended " +
            (null == abandoned ? "holding its append lock" : "with its claim of sequence " + seq + " open (neither " +
            "committed nor aborted)") + ", and no other thread can release that lock: appends, flushes and state " +
            "writes of this store wait for it too. Nothing of the claim was published; restart the process, and " +
            "the next open finds the stream as it was before the claim. Commit or abort a claim in a finally block " +
            "on the thread that made it", null, StoreException.UNKNOWN, seq);
    }

    private void requireOpenClaim(final MessageClaim claim)
    {
        if (!lock.isHeldByCurrentThread() || claim != openClaim)
        {
            throw new IllegalStateException("no claim of stream " + config.name() + " is open on this thread for " +
                claim);
        }
    }

    private void endClaim()
    {
        openClaim = null;
        claimBlock = null;
        claimSubject = null;
    }

    /**
     * This thread holds an open claim, hence the append lock: anything else it writes would land inside the claimed
     * record, and anything that waits for the flusher (whose capture needs the lock) or for the maintenance lock (whose
     * holder may be waiting for the append lock) would wait for ever, so it is refused before it takes any lock.
     */
    void refuseWhileClaiming(final String operation)
    {
        if (lock.isHeldByCurrentThread() && null != openClaim)
        {
            throw new IllegalStateException("cannot " + operation + " on stream " + config.name() + ": this thread " +
                "holds an open claim for sequence " + openClaim.sequence() + " (commit or abort it first)");
        }
    }

    void appendAt(
        final long seq, final long timestamp, final String subject, final byte[] headers, final byte[] payload)
    {
        final byte[] safeHeaders = null == headers ? NO_HEADERS : headers;
        final long content = MessageRules.contentLength(config, safeHeaders, payload);
        refuseWhileClaiming("append");
        lockWithRoom("appendAt");
        try
        {
            ensureOpen();
            final int slot = slots.slot(subject);
            final int frameLength = slotFrameLength(slot, content);
            if (seq > RecordDescriptor.MAX_SEQUENCE)
            {
                throw new IllegalArgumentException("seq must be <= " + RecordDescriptor.MAX_SEQUENCE +
                    " (2^62 - 1, RecordDescriptor.MAX_SEQUENCE, the highest a stream may assign): " + seq);
            }
            if (seq <= index.lastSeq())
            {
                throw new IllegalArgumentException(
                    "seq must be greater than the last sequence " + index.lastSeq() + ": " + seq);
            }
            if (timestamp < index.lastTime())
            {
                throw new IllegalArgumentException("timestampNanos must not be earlier than the last message's " +
                    index.lastTime() + ": " + timestamp);
            }
            retention.checkRoom(subject, slots.ascii(slot).length + content);
            write(seq, timestamp, slot, safeHeaders, payload, frameLength);
            retention.afterAppend(slots.entry(slot));
        }
        finally
        {
            lock.unlock();
        }
    }

    long skip()
    {
        refuseWhileClaiming("skip");
        lockWithRoom("skip");
        try
        {
            ensureOpen();
            final long seq = nextSequence();
            skipTo(seq);
            index.publish();
            return seq;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Reserve {@code fromSeq .. fromSeq + count - 1} with one skip record at the last of them: the sequences below it
     * are a gap, as an {@code appendAt} past the end leaves.
     */
    long skip(final long fromSeq, final long count)
    {
        if (count < 1)
        {
            throw new IllegalArgumentException("count must be >= 1: " + count);
        }
        // Before the lock: re-entered, it would let this thread wait for room the flusher cannot make under the claim.
        refuseWhileClaiming("skip");
        lockWithRoom("skip");
        try
        {
            ensureOpen();
            final long next = index.lastSeq() + 1;
            if (fromSeq != next)
            {
                throw new IllegalArgumentException("fromSeq must be the next sequence " + next + ": " + fromSeq);
            }
            if (count - 1 > RecordDescriptor.MAX_SEQUENCE - fromSeq)
            {
                throw new SequenceExhaustedException(config.name(),
                    fromSeq > RecordDescriptor.MAX_SEQUENCE ? fromSeq : RecordDescriptor.MAX_SEQUENCE + 1);
            }
            final long last = fromSeq + count - 1;
            skipTo(last);
            index.publish();
            return last;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Take the append lock with room under the unforced-bytes bound for one more record. Waiting happens with the
     * lock released: the flusher's capture needs it to make the room.
     *
     * @param operation the application's call, named should it be refused.
     * @throws StoreException        when the store closed or a force failed while this waited; the lock is not held
     *                               then.
     * @throws IllegalStateException from inside one of the store's read or tailer handlers, while a truncation holding
     *                               the lock waits for that handler ({@link AppendLock#lockForAppend}); the lock is not
     *                               held then, and nothing was written.
     */
    private void lockWithRoom(final String operation)
    {
        lock.lockForAppend(operation);
        while (!window.hasRoom())
        {
            final long writtenSeen = window.written();
            lock.unlock();
            window.awaitRoom(writtenSeen);
            lock.lockForAppend(operation);
        }
    }

    /**
     * @return the sequence after the last, for {@code append} and {@code skip}. Called under the append lock.
     * @throws SequenceExhaustedException when the last sequence is {@link RecordDescriptor#MAX_SEQUENCE}.
     */
    private long nextSequence()
    {
        final long last = index.lastSeq();
        if (last >= RecordDescriptor.MAX_SEQUENCE)
        {
            throw new SequenceExhaustedException(config.name(), last + 1);
        }
        return last + 1;
    }

    /**
     * @return bytes of frames (records, skips, tombstones) written since open; under the append lock. A force cycle
     * that captured at least this much and completed made every one of them durable ({@code
     * AsyncFlusher#forcedWritten}).
     */
    long written()
    {
        return window.written();
    }

    /**
     * Write a tombstone for {@code [fromSeq, toSeq]} at the end of the stream. Called under the append lock; the
     * caller applies the removal to the index. The tombstone goes through the same forcing as appends, so the removal
     * is durable when an append made now would be.
     */
    void writeTombstone(final long fromSeq, final long toSeq, final long flags)
    {
        ensureOpen();
        final long lastSeq = index.lastSeq();
        final MessageBlock block = blockForTombstone(lastSeq + 1);
        final int checksum = block.appendTombstone(lastSeq, Math.max(clock.nanoTime(), index.lastTime()), fromSeq,
            toSeq,
            flags, crc, cipher, tombstoneScratch);
        window.onWritten(block.tombstoneFrameLength());
        index.blockIndex().onTombstone(index.blockCount() - 1, block.writeOffset(), checksum);
    }

    /**
     * The block a tombstone goes into. Removals are how a full disk gets space back, so they must not need a new block:
     * the tail keeps room that only tombstones use ({@code RecordDescriptor.tombstoneReserve}), and when the tail is to
     * take no more records for nonce safety (an encrypted block found on open or truncated) but no block can be
     * created, the tombstone goes into the tail under a new epoch its header records (see {@code FrameCounters}).
     */
    private MessageBlock blockForTombstone(final long nextSeq)
    {
        final MessageBlock last = index.lastBlock();
        if (null == last || !last.hasRoomForTombstone() || tailDamaged)
        {
            return roll(nextSeq);
        }
        if (!rollBeforeNextAppend)
        {
            return last;
        }
        try
        {
            return roll(nextSeq);
        }
        catch (final StoreFullException full)
        {
            if (null != crypto && last.tombstoneEpoch() < 0)
            {
                startTombstoneEpoch(last, full);
            }
            LOG.warn("no new block can be created ({}): writing a tombstone into {} at offset {} under tombstone " +
                "epoch {} instead", full.getMessage(), last.file(), last.writeOffset(), last.tombstoneEpoch());
            return last;
        }
    }

    /**
     * Start a tombstone epoch above every one {@code block}'s tombstones used, durable in its header before any
     * tombstone uses it, so no tombstone this or a later process writes there can repeat the GCM counter of one
     * written and lost before (see {@code TombstoneEpochSlots}). One 128-byte force under the append lock (two when a
     * damaged slot is repaired first), on a full disk only, where appends fail anyway.
     */
    private void startTombstoneEpoch(final MessageBlock block, final StoreFullException full)
    {
        while (block.tombstoneEpoch() < 0)
        {
            final TombstoneEpochSlots.Write write = block.writeTombstoneEpochSlot();
            if (write.isRefused())
            {
                throw new StoreFullException("write a tombstone into the tail under a new tombstone epoch",
                    block.file(), write.offset(), new IOException(write.refusal() + "; and no new block can be " +
                    "created: " + full.getMessage(), full));
            }
            try
            {
                directory.storageIO().forceBlock(block.file(), null, block.mapped(), 0,
                    BlockDescriptor.HEADER_LENGTH, false);
            }
            catch (final IOException ex)
            {
                // The write stays pending in the block: a retry writes and forces the same slot and epoch again.
                throw new StoreIOException("force tombstone epoch " + write.epoch() + " written to the block header" +
                    (write.usable() ? "" : " (repairing a damaged slot)"), block.file(), write.offset(), ex);
            }
            block.tombstoneEpochSlotForced(write);
        }
    }

    /**
     * Start a new block at {@code baseSeq} before the next record (a purge, so the old tail can be reclaimed, or a
     * truncated encrypted block, which must never take another record under its key). Called under the append lock.
     */
    void rollAt(final long baseSeq)
    {
        ensureOpen();
        roll(baseSeq);
    }

    /**
     * Start a block based just above {@code floor}, a last sequence recovery proved beyond everything the surviving
     * blocks hold: the new block's header records it as the stream's last sequence, so no number up to it is assigned
     * again even if {@code state.db}, the only other record of it, is lost.
     */
    void baseNextBlockAbove(final long floor)
    {
        lock.lock();
        try
        {
            ensureOpen();
            roll(floor + 1);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The next record goes to a new block: recovery left damage in the tail block that must not be scanned, and
     * reported, again on every open. Takes the append lock.
     */
    void startNewBlockBeforeNextRecord()
    {
        lock.lock();
        try
        {
            rollBeforeNextAppend = true;
            tailDamaged = true;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The next record goes to a new block. Called under the append lock.
     */
    void rollBeforeNextRecord()
    {
        rollBeforeNextAppend = true;
    }

    /**
     * Write a skip record at {@code seq}, above the last sequence, which it becomes. Called under the append lock.
     */
    void skipTo(final long seq)
    {
        ensureOpen();
        final MessageBlock probe = index.lastBlock();
        final int frameLength = null == probe ?
            (int)RecordDescriptor.frameLengthForContent(0, null != crypto) : probe.skipFrameLength();
        final MessageBlock block = blockWithRoomFor(frameLength, seq);
        final int checksum = block.appendSkip(seq, Math.max(clock.nanoTime(), index.lastTime()), crc, cipher);
        window.onWritten(frameLength);
        index.blockIndex().onSkip(index.blockCount() - 1, seq, block.writeOffset(), checksum);
        index.onSkip(seq);
    }

    /**
     * Stop accepting appends. Called under no lock; waits for an append in progress. The preallocator stays for
     * {@link #closePreallocator()}, so that its failure cannot leave the writer open.
     *
     * @return false when already closed.
     */
    boolean close()
    {
        lock.lock();
        try
        {
            final boolean wasOpen = !closed;
            abortClaimOfThisThread();
            closed = true;
            // Appenders waiting for room fail now, not after the force close() is about to wait for.
            window.close();
            return wasOpen;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Stop the preallocator's thread and delete a prepared file no roll took; called under no lock, once no roll is
     * needed any more (after {@link #close()}, or when an open fails). Idempotent.
     *
     * @throws StoreException when the file cannot be deleted, or its preparation failed unexpectedly; it names the
     *                        file.
     */
    void closePreallocator()
    {
        lock.lock();
        try
        {
            preallocator.close();
        }
        finally
        {
            lock.unlock();
        }
    }

    private void write(
        final long seq, final long timestamp, final int slot, final byte[] headers, final byte[] payload,
        final int frameLength)
    {
        final MessageBlock block = blockWithRoomFor(frameLength, seq);
        final byte[] subject = slots.ascii(slot);
        final int checksum = block.append(seq, timestamp, subject, headers, payload, frameLength, crc, cipher);
        recordMessage(block, seq, timestamp, checksum, frameLength, subject.length + headers.length + payload.length,
            slots.entry(slot));
    }

    /**
     * Account for a message record just written at the end of {@code block} and publish its sequence.
     */
    private void recordMessage(
        final MessageBlock block, final long seq, final long timestamp, final int checksum, final int frameLength,
        final int messageBytes, final SubjectIndex.Entry entry)
    {
        window.onWritten(frameLength);
        // Before the publish: a filtered reader must not skip this block for the subject once it can see seq.
        block.contents().subjectsIfBuilt().onMessage(entry, seq);
        index.blockIndex().onMessage(index.blockCount() - 1, seq, timestamp, messageBytes, block.writeOffset(),
            checksum);
        index.onMessage(seq, timestamp, messageBytes);
        // After the publish: a reader that finds seq as a subject's last message must be able to load it.
        index.subjects().onMessage(entry, seq);
        listeners.onAppended(seq, messageBytes);
    }

    private MessageBlock blockWithRoomFor(final int frameLength, final long seq)
    {
        final MessageBlock last = index.lastBlock();
        if (null != last && !rollBeforeNextAppend && last.hasRoomFor(frameLength) &&
            seq - last.baseSeq() < MAX_SEQUENCE_SPAN_PER_BLOCK)
        {
            return last;
        }
        return roll(seq);
    }

    private MessageBlock roll(final long baseSeq)
    {
        final OperationTimer.Run run = rollTimer.start();
        // Taken before anything changes: on a full disk this throws, and the tail must stay as it was — unsealed,
        // still taking tombstones — or a stream that cannot roll could not free space either.
        final PreparedBlock prepared = preallocator.take();
        final MessageBlock previous = index.lastBlock();
        final MessageBlock block;
        try
        {
            if (null != crypto && null != previous && !previous.isSealed())
            {
                sealFooter(previous, index.blockCount() - 1);
            }
            rollBeforeNextAppend = false;
            tailDamaged = false;
            final long id = index.nextBlockId();
            block = MessageBlock.create(prepared.file(), directory.blockFile(id), id, baseSeq, clock.nanoTime(),
                index.lastSeq(), prepared.sequenceOffsets(), prepared.subjects(), metrics, crypto);
        }
        catch (final RuntimeException | Error ex)
        {
            discardAfterFailedRoll(prepared, ex);
            throw ex;
        }
        index.blockIndex().add(block.id(), baseSeq, BlockDescriptor.DATA_OFFSET);
        index.addBlock(block, prepared.blockArray());
        if (null != previous)
        {
            // Nothing writes to it again (a truncation that cuts into it opens it anew): its force must not pay for a
            // writable mapping, nor this roll for the unmap (the preparer's agent does it).
            preallocator.retireWriter(previous.detachWriter());
        }
        preallocator.onRolled(null == previous ? 0 : previous.writeOffset() - BlockDescriptor.DATA_OFFSET);
        preallocator.prepareNext(expectedSequences(previous), expectedSubjects(previous), index.blockCount());
        flusher.onBlockCreated();
        run.endPhase(0);
        run.finish(block.file().toString());
        return block;
    }

    /**
     * A roll failed after it took a prepared file: delete the file unless it already became the block (its rename is
     * the last step of {@code MessageBlock.create}), so it holds no disk space until the next open.
     */
    private static void discardAfterFailedRoll(final PreparedBlock prepared, final Throwable failure)
    {
        if (Files.exists(prepared.file().temp()))
        {
            try
            {
                prepared.file().discard();
            }
            catch (final RuntimeException discardFailure)
            {
                failure.addSuppressed(discardFailure);
            }
        }
    }

    /**
     * @return the sequences {@code previous} spans, for sizing the next block's table: a stream's blocks fill alike.
     */
    private int expectedSequences(final MessageBlock previous)
    {
        if (null == previous)
        {
            return 0;
        }
        final long span = index.blockIndex().lastSeq(index.blockCount() - 1) - previous.baseSeq() + 1;
        return (int)Math.max(0, Math.min(span, MAX_SEQUENCE_SPAN_PER_BLOCK));
    }

    /**
     * For tests, on the appending thread: wait until the block preparer has nothing left to do (blocks prepared ahead,
     * a failure waiting to be taken, or stopped), so a test that fills a disk knows no preparation holds space.
     */
    void awaitBlockPreparation()
    {
        preallocator.awaitBackground();
    }

    /**
     * @return the subjects {@code block} holds, for sizing the summaries of the blocks prepared next: 0 when unknown.
     */
    private static int expectedSubjects(final MessageBlock block)
    {
        final BlockSubjects summary = null == block ? null : block.contents().subjectsIfBuilt();
        return null == summary ? 0 : summary.size();
    }

    private void sealFooter(final MessageBlock block, final int slot)
    {
        final BlockIndex entries = index.blockIndex();
        block.sealFooter(new BlockFooter(
            Integer.toUnsignedLong(entries.lastChecksum(slot)), entries.firstSeq(slot), Math.max(0,
                entries.lastSeq(slot)),
            entries.firstTime(slot), entries.lastTime(slot), entries.msgs(slot), entries.bytes(slot),
            entries.writeOffset(slot), entries.msgs(slot)), footerCodec);
    }

    private int slotFrameLength(final int slot, final long content)
    {
        return frameLength(slots.ascii(slot).length, content);
    }

    private int frameLength(final int subjectLength, final long content)
    {
        final long frameLength = RecordDescriptor.frameLengthForContent(subjectLength + content, null != crypto);
        if (BlockDescriptor.DATA_OFFSET + frameLength > config.blockCapacity())
        {
            throw new IllegalArgumentException("a record of " + frameLength + " bytes (subject " + subjectLength +
                " + headers + payload) does not fit a block of " + config.blockSize() + " bytes: shorten the subject");
        }
        return (int)frameLength;
    }

    /**
     * For maintenance under the append lock: fail once the store closed.
     */
    void ensureOpenForMaintenance()
    {
        ensureOpen();
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(config.name());
        }
        refuseWhileClaiming("write");
    }
}
