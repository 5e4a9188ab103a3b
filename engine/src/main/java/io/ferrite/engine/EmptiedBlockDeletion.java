package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The protocol that deletes the files of sealed blocks no message of which can be read, in an order a crash at any
 * step leaves recoverable ({@link ReclaimStep}): the tombstones the blocks hold for older blocks are written again at
 * the end of the stream, and they and the tombstones that emptied the blocks are forced; then {@code state.db} is
 * deleted, the files go and their directory is synced, and a new durable state is written
 * ({@link FullStateWriter#whileReplacingBlocks}). A block whose last force is still pending stays for a later pass.
 * <p>
 * Threading: the thread running a reclaim pass, under the maintenance lock; it takes the append lock itself.
 */
final class EmptiedBlockDeletion
{
    private final StreamIndex index;
    private final StreamWriter writer;
    private final ReentrantLock appendLock;
    private final StreamRemover remover;
    private final ReclaimPolicy policy;
    private final ReclaimSteps steps;
    private final FullStateWriter stateWriter;
    private final BlockFlusher blockFlusher;
    private final StreamDirectory directory;

    EmptiedBlockDeletion(
        final StreamIndex index, final StreamWriter writer, final StreamRemover remover, final ReclaimPolicy policy,
        final ReclaimSteps steps, final FullStateWriter stateWriter, final BlockFlusher blockFlusher,
        final StreamDirectory directory)
    {
        this.index = index;
        this.writer = writer;
        this.appendLock = writer.lock();
        this.remover = remover;
        this.policy = policy;
        this.steps = steps;
        this.stateWriter = stateWriter;
        this.blockFlusher = blockFlusher;
        this.directory = directory;
    }

    /**
     * @return false when an emptied block could not go yet (its last force is pending): retry soon.
     */
    boolean run()
    {
        final List<MessageBlock> doomed = new ArrayList<>();
        boolean settled = true;
        final boolean rehomed;
        long removalsWritten = 0;
        boolean unforcedFile = false;
        appendLock.lock();
        try
        {
            writer.ensureOpenForMaintenance();
            final MessageBlock[] blocks = index.blocks();
            for (int p = 0; p < blocks.length - 1; p++)
            {
                if (policy.isEmptied(p))
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
        steps.awaitForced(rehomed, removalsWritten, unforcedFile, ReclaimStep.DELETE_AWAITING_REMOVALS);
        steps.reached(ReclaimStep.DELETE_TOMBSTONES_REWRITTEN);
        stateWriter.whileReplacingBlocks(() ->
        {
            steps.reached(ReclaimStep.DELETE_STATE_DELETED);
            removeFiles(doomed);
            steps.reached(ReclaimStep.DELETE_FILES_DELETED);
        });
        steps.reached(ReclaimStep.DELETE_STATE_WRITTEN);
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
}
