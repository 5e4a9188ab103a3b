package io.ferrite.engine.view;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.state.StreamDirectory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The block files a view has mapped, in sequence order: listing {@code blocks/} maps the files not mapped yet and
 * reads their headers only (the base sequence, the key of an encrypted block); their records are left to
 * {@link ViewIndex}. Finds the block that would hold a sequence by its base.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class ViewBlockList
{
    private static final ViewBlock[] NONE = new ViewBlock[0];

    private final StreamDirectory directory;
    private final BlockCrypto crypto;
    private ViewBlock[] blocks = NONE;
    /** The answer of the last {@link #positionFor} that found a block: where the next look-up most likely lands. */
    private int lastPosition = -1;
    /** Blocks let go of, not unmapped yet: a call of the view may still be reading them ({@link #unmapDropped()}). */
    private final List<ViewBlock> dropped = new ArrayList<>();
    private boolean stale = true;

    ViewBlockList(final StreamDirectory directory, final BlockCrypto crypto)
    {
        this.directory = directory;
        this.crypto = crypto;
    }

    /**
     * List {@code blocks/} again. When a block held was replaced (a rewrite: another inode) or went (a reclaim), all
     * are dropped, since what an index holds of them no longer says what the stream holds; new blocks are mapped and
     * added at the end, up to the first based above {@code published + 1} (a file a truncation is deleting, or a roll
     * not published yet: looked at again at the next listing).
     *
     * @return whether the blocks held before were dropped.
     */
    boolean relist(final long published)
    {
        stale = false;
        final long[] ids = directory.listBlockIds();
        final Object[] keys = new Object[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            keys[i] = ViewBlock.fileKey(directory.blockFile(ids[i]));
        }
        final boolean droppedAll = !stillListed(ids, keys);
        if (droppedAll)
        {
            drop(blocks);
            blocks = NONE;
        }
        final List<ViewBlock> mapped = new ArrayList<>(Arrays.asList(blocks));
        final long lastMappedId = blocks.length == 0 ? -1 : blocks[blocks.length - 1].id;
        for (int i = 0; i < ids.length; i++)
        {
            if (ids[i] <= lastMappedId || null == keys[i])
            {
                continue;
            }
            final ViewBlock block = ViewBlock.map(directory.blockFile(ids[i]), ids[i], keys[i], crypto);
            if (null == block)
            {
                continue;
            }
            if (block.baseSeq > published + 1)
            {
                dropped.add(block);
                stale = true;
                break;
            }
            mapped.add(block);
        }
        blocks = mapped.toArray(NONE);
        return droppedAll;
    }

    private void drop(final ViewBlock[] blocks)
    {
        for (final ViewBlock block : blocks)
        {
            dropped.add(block);
        }
    }

    /**
     * Unmap the blocks let go of since the last call. Only when no call of the view is under way on any thread: the
     * owner's monitor keeps other threads out, and the caller knows its own thread is inside no handler.
     */
    void unmapDropped()
    {
        for (int i = 0; i < dropped.size(); i++)
        {
            dropped.get(i).unmap();
        }
        dropped.clear();
    }

    /**
     * Unmap every block, held or dropped; the view is closed and lists nothing again. As {@link #unmapDropped()}: only
     * when no call of the view is under way.
     */
    void unmapAll()
    {
        drop(blocks);
        blocks = NONE;
        unmapDropped();
    }

    private boolean stillListed(final long[] ids, final Object[] keys)
    {
        for (final ViewBlock block : blocks)
        {
            final int at = Arrays.binarySearch(ids, block.id);
            if (at < 0 || null == keys[at] || !keys[at].equals(block.fileKey))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return whether the last listing left a block for the next one, or the blocks were dropped.
     */
    boolean stale()
    {
        return stale;
    }

    /**
     * Drop every block; the next listing maps them again.
     */
    void clear()
    {
        drop(blocks);
        blocks = NONE;
        stale = true;
    }

    int size()
    {
        return blocks.length;
    }

    ViewBlock get(final int position)
    {
        return blocks[position];
    }

    /**
     * @return the block that would hold {@code seq}, or null.
     */
    ViewBlock blockFor(final long seq)
    {
        final int position = positionFor(seq);
        return position < 0 ? null : blocks[position];
    }

    /**
     * @return the position of the block that would hold {@code seq}, -1 when below the first.
     */
    int positionFor(final long seq)
    {
        // Readers go through a block in order: the block of the last look-up answers most of them without a search.
        // Checked against the array held now, so a relist needs no invalidation.
        final int last = lastPosition;
        if (last >= 0 && last < blocks.length && blocks[last].baseSeq <= seq &&
            (last + 1 == blocks.length || seq < blocks[last + 1].baseSeq))
        {
            return last;
        }
        int low = 0;
        int high = blocks.length - 1;
        int found = -1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (blocks[mid].baseSeq <= seq)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        if (found >= 0)
        {
            lastPosition = found;
        }
        return found;
    }
}
