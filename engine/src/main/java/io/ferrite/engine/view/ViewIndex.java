package io.ferrite.engine.view;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.store.CorruptRecordException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.function.BooleanSupplier;
import java.util.function.LongUnaryOperator;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * A view's index of the stream: the mapped blocks, per block the offsets of the messages it verified, the removed
 * ranges its tombstones name, and totals. It is built lazily, from the tail backward: listing maps every block and
 * reads its header (its base sequence) only; a block is indexed when a read needs a sequence at or above its base,
 * and then every block after it is indexed too, so the indexed blocks are always a suffix of the stream.
 * <p>
 * Why a suffix is enough: the writer appends every tombstone at its tail, after the records it names (an erase, a
 * removal, a range, a rehome before a reclaim, recovery's tombstones), so the tombstones naming a sequence lie in its
 * block or a later one. Once the blocks from that sequence's block to the end are indexed, every removal of it is
 * known, and so is every tombstone that may explain a record there that does not verify.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class ViewIndex
{
    private final ViewBlockList list;
    private final StreamPositions positions;
    private final RecordCheck check;
    private final BooleanSupplier writerMoved;
    private final RecordCipher cipher = new RecordCipher();
    private final RemovedRanges removed = new RemovedRanges();
    private final ViewTotals totals = new ViewTotals();
    private final UnverifiedRecords unverified = new UnverifiedRecords();
    private final BlockDamage damage;

    /** The position of the lowest indexed block: the blocks from here to the end are indexed, those below not. */
    private int indexedFrom;
    private long seenBlocksVersion = -1;
    /** The published last sequence records are indexed up to. */
    private long indexedTo;
    private long resets;
    private long blocksIndexed;

    ViewIndex(
        final StreamDirectory directory, final BlockCrypto crypto, final StreamPositions positions,
        final RecordCheck check, final BooleanSupplier writerMoved, final LongUnaryOperator lastBlockHeldTo)
    {
        this.list = new ViewBlockList(directory, crypto);
        this.positions = positions;
        this.check = check;
        this.writerMoved = writerMoved;
        this.damage = new BlockDamage(removed, writerMoved, lastBlockHeldTo);
    }

    /**
     * Drop everything: the next {@link #follow} lists the blocks again.
     */
    void reset()
    {
        list.clear();
        clearIndex();
        indexedFrom = 0;
        resets++;
    }

    private void clearIndex()
    {
        removed.clear();
        unverified.clear();
        totals.clear();
    }

    /**
     * Catch up with the writer up to {@code published}: list the blocks again when the writer's blocks version moved,
     * and index what was added to the indexed blocks since the last look.
     *
     * @throws CorruptRecordException when a message that did not verify is named by no removal.
     */
    void follow(final long published)
    {
        final long blocksVersion = positions.blocksVersion();
        if (blocksVersion != seenBlocksVersion || list.stale())
        {
            seenBlocksVersion = blocksVersion;
            relist(published);
        }
        indexedTo = published;
        indexForward(published);
        checkUnverified();
    }

    /**
     * Index backward until the block that would hold {@code seq} (the first block, for a sequence below it) and every
     * block after it are indexed. Costs nothing when they are.
     *
     * @throws CorruptRecordException when a message that did not verify is named by no removal.
     */
    void indexFrom(final long seq)
    {
        while (true)
        {
            final int target = Math.max(0, list.positionFor(seq));
            if (target >= indexedFrom)
            {
                return;
            }
            while (indexedFrom > target)
            {
                indexedFrom--;
                final ViewBlock block = list.get(indexedFrom);
                indexBlock(block, indexedTo, indexedFrom);
                block.done = indexedFrom + 1 < list.size() && !block.cutShort;
            }
            final long resetsBefore = resets;
            checkUnverified();
            if (resets == resetsBefore)
            {
                return;
            }
            // Listing again for a tombstone found a block gone or replaced: the index was dropped; build it again.
        }
    }

    /**
     * Index every block: what totals need.
     */
    void indexAll()
    {
        indexFrom(Long.MIN_VALUE);
    }

    /**
     * Within a call, after a record did not verify: map the blocks the writer added since the refresh (the tombstone
     * that explains it may be in one) and index what they hold, up to the horizon already shown.
     */
    void catchUp()
    {
        final long blocksVersion = positions.blocksVersion();
        if (blocksVersion != seenBlocksVersion)
        {
            seenBlocksVersion = blocksVersion;
            relist(indexedTo);
        }
        indexForward(indexedTo);
    }

    /**
     * Messages met whose record did not verify must be named by a removal (an erase, or a lost sequence the writer's
     * recovery marked removed and wrote a tombstone for) or lie below the published first sequence; anything else is
     * damage. The tombstone of an erase is written before its record is overwritten, so it is in a block by the time
     * the overwrite can be seen — in a block this view may not have mapped yet, so the blocks are listed again first.
     * The unverified message lies in an indexed block, so every later block, which holds its tombstone, is indexed.
     *
     * @throws CorruptRecordException naming the first such record no removal names.
     */
    private void checkUnverified()
    {
        if (unverified.isEmpty() || dropRemovedUnverified())
        {
            return;
        }
        catchUp();
        if (!dropRemovedUnverified() && !writerMoved.getAsBoolean())
        {
            throw unverified.damage();
        }
    }

    /**
     * @return whether every unverified message is now known removed.
     */
    private boolean dropRemovedUnverified()
    {
        return unverified.dropExplained(positions.firstSeq(), removed);
    }

    /**
     * List the blocks again. When a block went or was replaced the index is dropped (what it held no longer says what
     * the stream holds); after that, or a first listing, nothing is indexed.
     */
    private void relist(final long published)
    {
        final boolean wasEmpty = list.size() == 0;
        final boolean dropped = list.relist(published);
        if (dropped)
        {
            clearIndex();
            resets++;
        }
        if (dropped || wasEmpty)
        {
            indexedFrom = list.size();
        }
    }

    /**
     * Index the records written to the indexed blocks since the last look, up to {@code published}.
     */
    private void indexForward(final long published)
    {
        for (int b = indexedFrom; b < list.size(); b++)
        {
            final ViewBlock block = list.get(b);
            if (block.done)
            {
                continue;
            }
            indexBlock(block, published, b);
            // A look the writer's move cut short (at a record the change left failing) leaves the block open: the next
            // refresh drops the index and looks again.
            if (b + 1 < list.size() && !block.cutShort)
            {
                block.done = true;
            }
        }
    }

    /**
     * Index {@code block} from where the last look ended, up to {@code published}: messages and skips at or below it,
     * tombstones whatever they carry. A record that does not verify ends the look at that block (a record being
     * written, or a tail a crash tore) unless its header verified and names a published message: it is then set
     * aside, to be told apart once the blocks after it are indexed (an erase, or damage); or unless its header does
     * not verify below the last sequence the block is known to hold ({@code heldTo}): damage, passed
     * ({@link BlockDamage}).
     */
    private void indexBlock(final ViewBlock block, final long published, final int position)
    {
        final long endsAt = endsAt(position);
        final long heldTo = heldTo(position, published);
        final boolean last = position + 1 == list.size();
        if (!block.entered)
        {
            block.entered = true;
            blocksIndexed++;
        }
        block.cutShort = false;
        final UnsafeBuffer buffer = block.buffer;
        int offset = block.scanEnd;
        while (offset + HEADER_LENGTH <= block.limit)
        {
            final int frameLength = buffer.getIntVolatile(offset + FRAME_LENGTH_OFFSET);
            if (!check.headerVerifies(block, offset, frameLength))
            {
                final int next = damage.pass(block, offset, heldTo, last);
                if (next < 0)
                {
                    cutShortIfMoved(block, endsAt);
                    break;
                }
                offset = next;
                continue;
            }
            final byte type = buffer.getByte(offset + TYPE_OFFSET);
            final long seq = buffer.getLong(offset + SEQUENCE_OFFSET);
            if (type != TYPE_DELETE && seq > published)
            {
                damage.listPending(block, Math.min(seq - 1, published));
                cutShortIfMoved(block, endsAt);
                break;
            }
            if (type != TYPE_DELETE)
            {
                damage.listPending(block, seq - 1);
            }
            if (!check.frameVerifiesAfterHeader(block, offset, frameLength))
            {
                if (type != TYPE_MESSAGE || seq > published)
                {
                    cutShortIfMoved(block, endsAt);
                    break;
                }
                if (writerMoved.getAsBoolean() && !removed.contains(seq) && seq >= positions.firstSeq())
                {
                    // Erased, torn by a killed writer, or damage, and no removal known yet says which: only a look
                    // after the next refresh can.
                    block.cutShort = true;
                    break;
                }
                // A published message whose header verifies but whose record does not: erased (its erase tombstone
                // follows it in the stream, written before the bytes were overwritten), or damage. Its verified
                // header makes its frame length trustworthy, so the look goes on past it.
                unverified.add(block.file, offset, seq);
                block.highestMet = Math.max(block.highestMet, seq);
            }
            else if (type == TYPE_DELETE)
            {
                applyTombstone(block, offset, seq);
            }
            else
            {
                if (type == TYPE_MESSAGE)
                {
                    if (seq >= block.baseSeq && !removed.contains(seq))
                    {
                        block.list(seq, offset);
                        totals.listed(buffer, offset);
                    }
                    totals.met(seq, buffer, offset);
                }
                block.highestMet = Math.max(block.highestMet, seq);
            }
            offset += frameLength;
            block.scanEnd = offset;
        }
    }

    /**
     * A look that stopped short of the last sequence the writer put in {@code block} ({@code endsAt}, from the next
     * block's header) while the writer moved may have met a truncation's zeros or a record being rewritten, not the
     * block's end: it is cut short. With the writer in place, such a stop is the block's end as it always was.
     *
     * @param endsAt the next block's previous last sequence, or 0 when {@code block} is the last.
     */
    private void cutShortIfMoved(final ViewBlock block, final long endsAt)
    {
        if (endsAt > 0 && block.highestMet < endsAt && writerMoved.getAsBoolean())
        {
            block.cutShort = true;
        }
    }

    /**
     * @return the last sequence the block at {@code position} is known to hold records up to ({@link BlockDamage}):
     * for the last block listed, {@code published}; for a block the next listed one directly follows (the next id: no
     * block between them was deleted), the last sequence the writer put in it, from that block's header; else 0, not
     * known.
     */
    private long heldTo(final int position, final long published)
    {
        if (position + 1 == list.size())
        {
            return published;
        }
        return list.get(position + 1).id == list.get(position).id + 1 ? list.get(position + 1).prevLastSeq : 0;
    }

    /**
     * @return the last sequence the writer had put in the block at {@code position} when it began the next one (the
     * next block's header), or 0 for the last block.
     */
    private long endsAt(final int position)
    {
        return position + 1 < list.size() ? list.get(position + 1).prevLastSeq : 0;
    }

    private void applyTombstone(final ViewBlock block, final int offset, final long seq)
    {
        final DirectBuffer record = null == block.key ? block.buffer :
            cipher.open(block.key, block.mapped, block.buffer, offset, seq, block.file);
        final int at = null == block.key ? offset : 0;
        final int body = at + HEADER_LENGTH + (record.getShort(at + SUBJECT_LENGTH_OFFSET) & 0xFFFF) +
            record.getInt(at + HEADERS_LENGTH_OFFSET);
        final long from = record.getLong(body + TOMBSTONE_FROM_OFFSET);
        final long to = record.getLong(body + TOMBSTONE_TO_OFFSET);
        if (from < 1 || to < from)
        {
            return;
        }
        removed.add(from, to);
        // Blocks below the indexed ones list nothing yet; when they are indexed, the removed ranges keep these out.
        for (int b = indexedFrom; b < list.size(); b++)
        {
            final ViewBlock holder = list.get(b);
            final long first = Math.max(from, holder.baseSeq);
            final long last = Math.min(to, holder.endSeq() - 1);
            for (long s = first; s <= last; s++)
            {
                final int listed = holder.offsetOf(s);
                if (listed != 0)
                {
                    totals.unlisted(holder.buffer, listed);
                }
                holder.unlist(s);
            }
        }
    }

    boolean isRemoved(final long seq)
    {
        return removed.contains(seq);
    }

    /**
     * @return the block that would hold {@code seq}, or null.
     */
    ViewBlock blockFor(final long seq)
    {
        return list.blockFor(seq);
    }

    /**
     * @return the next sequence at or after {@code seq} (and at most {@code bound}) that is listed, or -1; indexes
     * back to the block of the first sequence looked at. Never past a block whose look the writer's move cut short
     * ({@link ViewBlock#cutShort}, so not done though a later block exists): -1 there, and the caller, seeing the
     * writer moved, stays.
     */
    long nextListed(final long seq, final long bound)
    {
        long s = Math.max(seq, positions.firstSeq());
        if (s > bound)
        {
            return -1;
        }
        indexFrom(s);
        while (s <= bound)
        {
            final int position = list.positionFor(s);
            if (position < 0)
            {
                if (list.size() == 0)
                {
                    return -1;
                }
                s = list.get(0).baseSeq;
                continue;
            }
            final ViewBlock block = list.get(position);
            if (s >= block.endSeq())
            {
                final int next = position + 1;
                if (next >= list.size() || !block.done)
                {
                    // Past the last block, or past where the look at a block the writer moved under stopped: what
                    // lies beyond it in that block was not looked at, so nothing after it is listed yet.
                    return -1;
                }
                s = list.get(next).baseSeq;
                continue;
            }
            if (block.isListed(s))
            {
                return s;
            }
            s++;
        }
        return -1;
    }

    /**
     * @return the totals of the indexed blocks; of the whole stream after {@link #indexAll()}.
     */
    ViewTotals totals()
    {
        return totals;
    }

    /**
     * @return how many times a block was first indexed since the view opened (a block indexed again after the index
     * was dropped counts again): what lazy indexing saves is measured by it.
     */
    long blocksIndexed()
    {
        return blocksIndexed;
    }

    /**
     * @return how many blocks are mapped.
     */
    int blockCount()
    {
        return list.size();
    }

    /**
     * Unmap the blocks let go of since the last call: see {@link ViewBlockList#unmapDropped()}.
     */
    void unmapDropped()
    {
        list.unmapDropped();
    }

    /**
     * Unmap every block: see {@link ViewBlockList#unmapAll()}.
     */
    void unmapAll()
    {
        list.unmapAll();
    }

    void close()
    {
        list.clear();
        cipher.release();
    }
}
