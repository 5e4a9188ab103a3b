package io.ferrite.engine.recovery;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.MessageFacts;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.StoreException;

import java.util.ArrayList;
import java.util.List;

/**
 * The tombstones a replay finds: each names sequences up to the stream's last when it was written, so its removals
 * are applied once the block holding it is in the index — every block they can name is there by then.
 * <p>
 * Not thread-safe: one per replay.
 */
final class RemovalReplay
{
    private final StreamIndex index;
    private final MessageFacts facts = new MessageFacts();
    /** Removals found in the block being scanned, as (first, last, flags) triples. */
    private final List<long[]> pending = new ArrayList<>();
    /** Erase tombstones whose message still verifies: the erase was begun and never finished. */
    private final List<UnfinishedErasure> unfinished = new ArrayList<>();
    /** Whether a removal only state.db knows of applied to a record the blocks still hold. */
    private boolean untombstoned;

    RemovalReplay(final StreamIndex index)
    {
        this.index = index;
    }

    void startBlock()
    {
        pending.clear();
    }

    void onTombstone(final long fromSeq, final long toSeq, final long flags)
    {
        pending.add(new long[]{ fromSeq, toSeq, flags });
    }

    /**
     * @return the erasures replayed tombstones began whose message bytes are still on disk (a failed or interrupted
     * {@code erase}): the store finishes them before it is handed out.
     */
    List<UnfinishedErasure> unfinishedErasures()
    {
        return unfinished;
    }

    /**
     * Apply the removals of the block just added to the index.
     */
    void applyBlock()
    {
        for (final long[] removal : pending)
        {
            apply(removal[0], removal[1], (removal[2] & RecordDescriptor.TOMBSTONE_FLAG_ERASE) != 0);
        }
        pending.clear();
    }

    /**
     * Apply a removal {@code state.db} recorded, once every block is in the index: the tombstone that made it may
     * have been in what was lost, and a removed message must not come back.
     */
    void applyRecorded(final long fromSeq, final long toSeq)
    {
        untombstoned |= apply(fromSeq, toSeq, false);
    }

    /**
     * @return whether the index counts removed a record that no tombstone in the surviving blocks names: a removal
     * that {@code state.db} recorded and whose tombstone was lost. Readers that index the blocks alone (a read-only
     * view in another process) would list it, so the store writes the tombstones again before it announces itself
     * open. (Lost sequences marked removed are the store's to tombstone too; it reads them from the report.)
     */
    boolean untombstonedRemovals()
    {
        return untombstoned;
    }

    /**
     * Apply a tombstone's removal of {@code [fromSeq, toSeq]} to the blocks indexed so far: uncount the messages
     * listed there, and mark the whole range removed, so an erased record in it (which no longer verifies, so no table
     * lists it) is known to be removed, not lost. A tombstone never names a sequence above the stream's last when it
     * was written, so the range never reaches sequences assigned later.
     *
     * @return whether a message was listed in the range.
     */
    private boolean apply(final long fromSeq, final long toSeq, final boolean erase)
    {
        boolean listed = false;
        final MessageBlock[] blocks = index.blocks();
        for (int p = Math.max(0, StreamIndex.positionFor(blocks, fromSeq)); p < blocks.length; p++)
        {
            final MessageBlock target = blocks[p];
            if (target.baseSeq() > toSeq)
            {
                break;
            }
            final long from = Math.max(fromSeq, target.baseSeq());
            final long to = p + 1 < blocks.length ? Math.min(toSeq, blocks[p + 1].baseSeq() - 1) : toSeq;
            if (from > to)
            {
                continue;
            }
            final SequenceTable targetTable = target.table();
            for (long seq = targetTable.nextListed(from); seq > 0 && seq <= to; seq = targetTable.nextListed(seq + 1))
            {
                listed = true;
                final int offset = targetTable.get(seq);
                final SubjectIndex.Entry entry = facts.read(target, offset, seq) ?
                    index.subjects().get(facts.subject()) : null;
                if (null != entry)
                {
                    index.onRemove(p, seq, entry, facts.messageBytes());
                    if (erase)
                    {
                        unfinished.add(new UnfinishedErasure(seq, target, offset));
                    }
                }
            }
            target.contents().markDeletedRange(from, to);
        }
        return listed;
    }

    /**
     * @return whether {@code range} is a record that no longer verifies because a tombstone erased it: removed on
     * purpose, not lost.
     */
    boolean isErased(final LostRange range)
    {
        if (range.kind() != Kind.DAMAGED_RECORD || range.firstSeq() != range.lastSeq() || range.firstSeq() <= 0)
        {
            return false;
        }
        final MessageBlock holder = index.blockFor(range.firstSeq());
        return null != holder && holder.contents().deleted().contains(range.firstSeq());
    }

    /**
     * Sequences reported lost (up to the stream's last) are removed from now on: the report said so once, and a later
     * open must not find them again as damage that fails reads, purges and compactions.
     */
    void markRemoved(final List<LostRange> losses)
    {
        final MessageBlock[] blocks = index.blocks();
        for (final LostRange range : losses)
        {
            final long first = range.firstSeq();
            final long last = Math.min(range.lastSeq(), index.lastSeq());
            // A lost block's sequences are in no block file: nothing will meet them again.
            if (first <= 0 || range.lastSeq() == StoreException.UNKNOWN || first > last ||
                range.kind() == Kind.MISSING_BLOCK)
            {
                continue;
            }
            for (int p = Math.max(0, StreamIndex.positionFor(blocks, first)); p < blocks.length; p++)
            {
                final MessageBlock target = blocks[p];
                if (target.baseSeq() > last)
                {
                    break;
                }
                final long to = p + 1 < blocks.length ? Math.min(last, blocks[p + 1].baseSeq() - 1) : last;
                final long from = Math.max(first, target.baseSeq());
                if (from <= to)
                {
                    target.contents().markDeletedRange(from, to);
                }
            }
        }
    }
}
