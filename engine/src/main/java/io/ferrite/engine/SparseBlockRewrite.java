package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.StreamDirectory;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The protocol that rewrites one sparse sealed block compactly ({@link BlockRewriter}), in an order a crash at any
 * step leaves recoverable ({@link ReclaimStep}): tombstones the block holds for older blocks are written again at the
 * end of the stream, and they and the tombstones that removed its leaving records are forced; the copy is written and
 * forced beside the block; then {@code state.db} is set aside, the copy replaces the block and their directory is
 * synced, and a new durable state is written ({@link FullStateWriter#whileReplacingBlocks}).
 * <p>
 * Threading: the thread running a reclaim pass, under the maintenance lock; it takes the append lock itself.
 */
final class SparseBlockRewrite
{
    private final StreamIndex index;
    private final StreamWriter writer;
    private final ReentrantLock appendLock;
    private final StreamRemover remover;
    private final ReclaimPolicy policy;
    private final ReclaimSteps steps;
    private final BlockRewriter rewriter;
    private final FullStateWriter stateWriter;
    private final BlockFlusher blockFlusher;
    private final StreamDirectory directory;

    SparseBlockRewrite(
        final StreamIndex index, final StreamWriter writer, final StreamRemover remover, final ReclaimPolicy policy,
        final ReclaimSteps steps, final BlockRewriter rewriter, final FullStateWriter stateWriter,
        final BlockFlusher blockFlusher, final StreamDirectory directory)
    {
        this.index = index;
        this.writer = writer;
        this.appendLock = writer.lock();
        this.remover = remover;
        this.policy = policy;
        this.steps = steps;
        this.rewriter = rewriter;
        this.stateWriter = stateWriter;
        this.blockFlusher = blockFlusher;
        this.directory = directory;
    }

    /**
     * @return false when the sparse block could not be rewritten yet (its last force is pending): retry soon.
     */
    boolean run()
    {
        final BlockRewriter.Plan plan;
        boolean rehomed = false;
        final long removalsWritten;
        appendLock.lock();
        try
        {
            writer.ensureOpenForMaintenance();
            final int candidate = policy.sparseBlock();
            if (candidate < 0)
            {
                return true;
            }
            final MessageBlock block = index.blocks()[candidate];
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
        steps.awaitForced(rehomed, removalsWritten, false, ReclaimStep.REWRITE_AWAITING_REMOVALS);
        final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
        if (null == rewrite)
        {
            return true;
        }
        steps.reached(ReclaimStep.REWRITE_WRITTEN);
        stateWriter.whileReplacingBlocks(() ->
        {
            steps.reached(ReclaimStep.REWRITE_STATE_DELETED);
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
            steps.reached(ReclaimStep.REWRITE_RENAMED);
        });
        steps.reached(ReclaimStep.REWRITE_STATE_WRITTEN);
        return true;
    }
}
