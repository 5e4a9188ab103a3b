package io.ferrite.engine;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import org.agrona.BitUtil;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.OffsetEpochNanoClock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Gives disk space back, on a thread of its own so appenders never wait for it: deletes block files whose messages
 * were all removed, rewrites a sealed block compactly once doing so at least halves its file ({@link BlockRewriter}),
 * and expires messages past {@code maxAge} on a timer.
 * <p>
 * Crash safety: a block file goes (or is replaced) only after the tombstones it holds for older blocks were written
 * again at the end of the stream and forced, and with {@code state.db} deleted for the moment the files change, so
 * recovery never trusts a state that describes files that are gone (see
 * {@link FullStateWriter#whileReplacingBlocks}). With {@code state.db} gone, recovery knows of a removal only from its
 * tombstone, so a block also goes (or loses removed records to a rewrite) only once the tombstones that removed its
 * messages are forced ({@link io.ferrite.engine.block.BlockContents#removalWritten()} against
 * {@link AsyncFlusher#forcedWritten()}): in {@code INTERVAL} and {@code NONE} a purge returns before its tombstone is
 * forced, and deleting its blocks first let a power cut apply it in part — blocks gone, the rest of its range back,
 * unreported.
 * <p>
 * A failed pass never stops reclaiming: it is recorded ({@link ReclaimFailures}, {@code stats()}) and retried after a
 * growing delay.
 * <p>
 * Threading: the reclaim thread, plus callers of {@link #onBlockEmptied()} and {@link #onRemoval(int)} under the
 * append lock. {@link #maintenanceLock()} serializes it with truncation and erasure, which also change files.
 */
final class Reclaimer implements AutoCloseable
{
    /** A sealed block is rewritten only once this many of its messages were removed (and see {@link #isSparse}). */
    static final int REWRITE_MIN_REMOVED = 16;
    private static final int PAGE_SIZE = 4096;
    /** How soon to look again when a block could not be reclaimed yet (its last force is still pending). */
    private static final long RETRY_NANOS = 50_000_000L;
    private static final long MAX_AGE_CHECK_NANOS = 250_000_000L;

    private final String name;
    private final StreamIndex index;
    private final ReentrantLock appendLock;
    private final StreamWriter writer;
    private final StreamDirectory directory;
    private final FullStateWriter stateWriter;
    private final BlockFlusher blockFlusher;
    private final AsyncFlusher durability;
    private final Retention retention;
    private final BlockRewriter rewriter;
    private final StreamRemover remover;
    private final int blockSize;
    private final ReclaimFailures failures;
    private final ReentrantLock maintenance = new ReentrantLock();
    private final EpochNanoClock clock = new OffsetEpochNanoClock();
    private final long ageCheckNanos;
    private final Thread thread;
    /** Test seam: told each step of a reclaim as it completes, so a test can image the disk at every point. */
    private Consumer<String> steps = (step) -> {};
    private volatile boolean signalled;
    private volatile boolean running = true;

    Reclaimer(
        final String name, final StreamIndex index, final StreamWriter writer, final StreamDirectory directory,
        final FullStateWriter stateWriter, final BlockFlusher blockFlusher, final AsyncFlusher durability,
        final Retention retention, final BlockRewriter rewriter, final StreamRemover remover,
        final StoreMetrics metrics)
    {
        this.failures = new ReclaimFailures(name, metrics);
        this.remover = remover;
        this.blockSize = rewriter.blockSize();
        this.name = name;
        this.index = index;
        this.appendLock = writer.lock();
        this.writer = writer;
        this.directory = directory;
        this.stateWriter = stateWriter;
        this.blockFlusher = blockFlusher;
        this.durability = durability;
        this.retention = retention;
        this.rewriter = rewriter;
        final long maxAge = retention.limits().maxAge().toNanos();
        this.ageCheckNanos = maxAge == 0 ? 0 : Math.max(1_000_000L, Math.min(MAX_AGE_CHECK_NANOS, maxAge / 4));
        this.thread = new Thread(this::run, "ferrite-reclaim-" + name);
        this.thread.setDaemon(true);
    }

    Reclaimer start()
    {
        thread.start();
        return this;
    }

    ReentrantLock maintenanceLock()
    {
        return maintenance;
    }

    void steps(final Consumer<String> listener)
    {
        this.steps = Objects.requireNonNull(listener, "listener");
    }

    /**
     * A block lost its last message. Called under the append lock: it only wakes the thread.
     */
    void onBlockEmptied()
    {
        signal();
    }

    /**
     * A message of the block at {@code position} was removed. Called under the append lock.
     */
    void onRemoval(final int position)
    {
        if (position < index.blockCount() - 1 && isSparse(position))
        {
            signal();
        }
    }

    /**
     * @return whether rewriting the block at {@code position} with only its live messages would at least halve its
     * file: the live bytes plus each record's framing, rounded to whole pages, against the file's length.
     */
    private boolean isSparse(final int position)
    {
        final int live = index.blockIndex().msgs(position);
        final MessageBlock block = index.blocks()[position];
        if (live == 0 || block.contents().deleted().count() < REWRITE_MIN_REMOVED)
        {
            return false;
        }
        final long framing = RecordDescriptor.HEADER_LENGTH + RecordDescriptor.CHECKSUM_LENGTH +
            RecordDescriptor.ALIGNMENT + (block.isEncrypted() ? RecordCipher.OVERHEAD : 0);
        final long rewritten = BlockDescriptor.DATA_OFFSET + index.blockIndex().bytes(position) + live * framing +
            block.skipFrameLength() + (block.isEncrypted() ? BlockFooterCodec.FOOTER_LENGTH : 0);
        final long length = block.fileLength() > 0 ? block.fileLength() : blockSize;
        return BitUtil.align(rewritten, PAGE_SIZE) * 2 <= length;
    }

    /**
     * Run a pass soon, on the reclaim thread: a purge or compaction's force completed.
     */
    void wake()
    {
        signal();
    }

    private void signal()
    {
        signalled = true;
        LockSupport.unpark(thread);
    }

    private void run()
    {
        long nextAgeCheck = System.nanoTime();
        // A pass owed at dueAt whatever signals come: a retry of blocks not yet settled, or of a failed pass.
        boolean due = false;
        long dueAt = 0;
        // After a failure, signals and the age timer wait for dueAt too, so a fault that persists costs one pass per
        // delay, not one per append that removes something.
        boolean backingOff = false;
        while (running)
        {
            final long now = System.nanoTime();
            long wait = due ? Math.max(0, dueAt - now) : Long.MAX_VALUE;
            if (ageCheckNanos > 0 && !backingOff)
            {
                wait = Math.min(wait, Math.max(0, nextAgeCheck - now));
            }
            if ((!signalled || backingOff) && wait > 0)
            {
                LockSupport.parkNanos(this, Math.min(wait, 1_000_000_000L));
            }
            if (!running)
            {
                break;
            }
            final long woke = System.nanoTime();
            final boolean retryDue = due && woke - dueAt >= 0;
            if (backingOff && !retryDue)
            {
                continue;
            }
            final boolean ageDue = ageCheckNanos > 0 && woke - nextAgeCheck >= 0;
            if (!signalled && !ageDue && !retryDue)
            {
                continue;
            }
            signalled = false;
            due = false;
            backingOff = false;
            if (ageDue)
            {
                nextAgeCheck = woke + ageCheckNanos;
            }
            try
            {
                if (!reclaim(ageDue))
                {
                    due = true;
                    dueAt = System.nanoTime() + RETRY_NANOS;
                }
            }
            catch (final StoreClosedException ex)
            {
                break;
            }
            catch (final RuntimeException | Error ex)
            {
                // Recorded and logged by reclaim(); the loop lives on, or no purge would free space until a reopen.
                due = true;
                backingOff = true;
                dueAt = System.nanoTime() + failures.backoffNanos();
            }
        }
    }

    /**
     * One pass: expire, delete emptied blocks, rewrite sparse ones. Also run by {@code purge} and {@code compact} on
     * the caller's thread in {@code ALWAYS} mode, so the space is back when they return (in the other modes the
     * reclaim thread runs it once their force completed).
     *
     * @return false when something could not be reclaimed yet and the pass should be retried soon.
     * @throws StoreException (or any other failure) after recording it in the stats and the log; the reclaim thread
     *                        retries the pass later.
     */
    boolean reclaim(final boolean expire)
    {
        maintenance.lock();
        try
        {
            final boolean done = pass(expire);
            failures.succeeded();
            return done;
        }
        catch (final StoreClosedException ex)
        {
            throw ex;
        }
        catch (final RuntimeException | Error ex)
        {
            failures.failed(ex);
            if (Thread.currentThread() != thread)
            {
                // Failed on a purge's caller (ALWAYS), who gets the exception: the thread still retries it.
                signal();
            }
            throw ex;
        }
        finally
        {
            maintenance.unlock();
        }
    }

    private boolean pass(final boolean expire)
    {
        // After a failed force nothing written since is durable, the tombstones that emptied blocks included.
        durability.checkUsable();
        if (expire)
        {
            appendLock.lock();
            try
            {
                writer.ensureOpenForMaintenance();
                retention.expire(clock.nanoTime());
            }
            finally
            {
                appendLock.unlock();
            }
        }
        final boolean deleted = deleteEmptiedBlocks();
        final boolean rewritten = rewriteSparseBlock();
        return deleted && rewritten;
    }

    private boolean deleteEmptiedBlocks()
    {
        final List<MessageBlock> doomed = new ArrayList<>();
        boolean settled = true;
        boolean rehomed = false;
        long removalsWritten = 0;
        boolean unforcedFile = false;
        appendLock.lock();
        try
        {
            writer.ensureOpenForMaintenance();
            final MessageBlock[] blocks = index.blocks();
            for (int p = 0; p < blocks.length - 1; p++)
            {
                // Counted empty and listing nothing: a block file goes only when no message of it can be read.
                if (index.blockIndex().msgs(p) == 0 && blocks[p].table().nextListed(blocks[p].baseSeq()) < 0)
                {
                    if (blocks[p].durability().isDirty() || blocks[p].durability().hasChannel())
                    {
                        settled = false;
                    }
                    else
                    {
                        doomed.add(blocks[p]);
                        removalsWritten = Math.max(removalsWritten, blocks[p].contents().removalWritten());
                    }
                }
            }
            if (doomed.isEmpty())
            {
                return settled;
            }
            // A block created and not yet forced (the one a purge or a compaction past the end rolled, whether or not
            // a tombstone went into it) may come back unwritten, and then the doomed blocks may be what proves the
            // stream's last sequence: without them, and with state.db set aside, it would go backwards.
            for (final MessageBlock block : blocks)
            {
                if (block.durability().isNewFile())
                {
                    unforcedFile = true;
                    break;
                }
            }
            rehomed = remover.rehomeTombstones(doomed);
        }
        finally
        {
            appendLock.unlock();
        }
        awaitForced(rehomed, removalsWritten, unforcedFile, "delete:awaiting-removals");
        steps.accept("delete:tombstones-rewritten");
        stateWriter.whileReplacingBlocks(() ->
        {
            steps.accept("delete:state-deleted");
            removeFiles(doomed);
            steps.accept("delete:files-deleted");
        });
        steps.accept("delete:state-written");
        return settled;
    }

    private void removeFiles(final List<MessageBlock> doomed)
    {
        final List<MessageBlock> removed = new ArrayList<>();
        appendLock.lock();
        try
        {
            for (final MessageBlock block : doomed)
            {
                final int position = index.positionOf(block);
                if (position >= 0 && position < index.blockCount() - 1 && index.blockIndex().msgs(position) == 0)
                {
                    index.removeBlock(position);
                    removed.add(block);
                }
            }
            if (!removed.isEmpty())
            {
                blockFlusher.onBlockDeleted();
            }
        }
        finally
        {
            appendLock.unlock();
        }
        for (final MessageBlock block : removed)
        {
            block.retire();
            delete(block.file());
        }
        directory.sync(directory.blocksDir());
    }

    private boolean rewriteSparseBlock()
    {
        final BlockRewriter.Plan plan;
        boolean rehomed = false;
        final long removalsWritten;
        appendLock.lock();
        try
        {
            writer.ensureOpenForMaintenance();
            final MessageBlock[] blocks = index.blocks();
            int candidate = -1;
            for (int p = 0; p < blocks.length - 1 && candidate < 0; p++)
            {
                if (isSparse(p))
                {
                    candidate = p;
                }
            }
            if (candidate < 0)
            {
                return true;
            }
            final MessageBlock block = blocks[candidate];
            if (block.durability().isDirty() || block.durability().hasChannel())
            {
                return false;
            }
            plan = rewriter.plan(candidate);
            removalsWritten = block.contents().removalWritten();
            if (block.holdsTombstones())
            {
                rehomed = remover.rewriteRemovalsBefore(candidate, List.of(block));
            }
        }
        finally
        {
            appendLock.unlock();
        }
        awaitForced(rehomed, removalsWritten, false, "rewrite:awaiting-removals");
        final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
        if (null == rewrite)
        {
            return true;
        }
        steps.accept("rewrite:written");
        stateWriter.whileReplacingBlocks(() ->
        {
            steps.accept("rewrite:state-deleted");
            final MessageBlock replaced;
            appendLock.lock();
            try
            {
                replaced = rewriter.install(plan, rewrite);
                if (null != replaced)
                {
                    blockFlusher.onBlockDeleted();
                }
            }
            finally
            {
                appendLock.unlock();
            }
            if (null != replaced)
            {
                replaced.retire();
            }
            directory.sync(directory.blocksDir());
            steps.accept("rewrite:renamed");
        });
        steps.accept("rewrite:state-written");
        return true;
    }

    /**
     * Before block files change: wait for a force when tombstones were just rehomed, when the tombstones that removed
     * the leaving records ({@code removalsWritten}, read under the append lock with them) are not forced yet, or when
     * a block file that stays is not yet forced ({@code unforcedFile}). A force asked for now covers them all. In
     * {@code INTERVAL} and {@code NONE} the purge's own force usually has by the time the pass runs, and nothing waits
     * here.
     */
    private void awaitForced(
        final boolean rehomed, final long removalsWritten, final boolean unforcedFile, final String step)
    {
        if (rehomed || unforcedFile || durability.forcedWritten() < removalsWritten)
        {
            steps.accept(step);
            durability.flushAndWait();
        }
    }

    private static void delete(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("delete reclaimed block file", file, ex);
        }
    }

    /**
     * Stop the thread after its current pass.
     */
    @Override
    public void close()
    {
        running = false;
        LockSupport.unpark(thread);
        try
        {
            thread.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
