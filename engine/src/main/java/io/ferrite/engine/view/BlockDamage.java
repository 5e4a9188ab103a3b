package io.ferrite.engine.view;

import io.ferrite.format.RecordScanner;

import java.util.function.BooleanSupplier;
import java.util.function.LongUnaryOperator;

import static io.ferrite.format.RecordDescriptor.ALIGNMENT;

/**
 * How a view's look at a block passes a record header that does not verify below the last sequence the block is known
 * to hold, with the writer in place: that is damage, not the end of the data. What the block holds is known in two
 * cases. A <em>sealed</em> block the next listed one directly follows (the next id) ends with the sequence that
 * block's header names, and nothing more is written to it. The <em>last</em> block listed holds every record up to the
 * published last sequence from its base on, written whole: the writer writes a record before it publishes its
 * sequence, and a roll lists its new block (the blocks version) before any sequence in it is published. So in the
 * block the writer appends to, a header that does not verify with sequences after the last met still unmet below the
 * published one is damage too; one past the last published record is a record being written, or the end of the data.
 * <p>
 * The look goes on at the next record that verifies (the re-synchronisation of {@link RecordScanner}, which the
 * writer's own scan of a sealed block uses), and the sequences the damaged bytes may have held are listed as damage in
 * the block ({@link ViewBlock#listDamaged}): those up to the next message or skip after it, or up to the block's last
 * known sequence when none follows yet. In the writer's block a look that found nothing after the damage starts there
 * again when the writer has published more (the records it writes after the damage), and only then.
 * <p>
 * A truncation zeroes the cut block's tail before it publishes its count, so zeros below the last sequence may be a
 * truncation under way: it stores its begun count first ({@code PositionsDescriptor}), and while one is under way
 * {@code writerMoved} says so and nothing is passed. The last block's rule holds only for a writer that keeps that
 * count, and for one that no longer runs only up to its durable sequence: the positions file is never forced, so after
 * a power cut the published last sequence of a writer that died may name records that never reached the disk (its
 * recovery reports them as a torn tail).
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class BlockDamage
{
    private final RecordScanner scanner = new RecordScanner();
    private final RemovedRanges removed;
    private final BooleanSupplier writerMoved;
    private final LongUnaryOperator lastBlockHeldTo;

    /**
     * @param removed         the removals the view knows: a sequence they name is not listed as damage.
     * @param writerMoved     whether the writer truncated or restarted since the refresh, or is truncating: nothing
     *                        is passed then.
     * @param lastBlockHeldTo given the published last sequence, the last sequence the last block listed is known to
     *                        hold whole (0 for none); asked only on meeting damage there.
     */
    BlockDamage(
        final RemovedRanges removed, final BooleanSupplier writerMoved, final LongUnaryOperator lastBlockHeldTo)
    {
        this.removed = removed;
        this.writerMoved = writerMoved;
        this.lastBlockHeldTo = lastBlockHeldTo;
    }

    /**
     * The look at {@code block} met a record header that does not verify at {@code offset}.
     *
     * @param heldTo the last sequence the block is known to hold records up to, or 0 when not known; for the last block
     *               listed, the published last sequence, bounded here by what is known whole of it.
     * @param last   whether the block is the last listed.
     * @return the offset to go on from, or -1 when the look ends here.
     */
    int pass(final ViewBlock block, final int offset, final long heldTo, final boolean last)
    {
        // A block whose last sequence is below its base holds none (tombstones only): its data simply ends. One whose
        // every sequence up to it was met ends here too: what follows is being written, or nothing.
        if (!holdsUnmet(block, heldTo) || writerMoved.getAsBoolean())
        {
            return -1;
        }
        final long known = last ? lastBlockHeldTo.applyAsLong(heldTo) : heldTo;
        if (!holdsUnmet(block, known))
        {
            return -1;
        }
        if (block.pendingDamage < 0)
        {
            block.pendingDamage = offset;
        }
        final int next = scanner.wrap(block.buffer, block.mapped, block.limit, null != block.key)
            .blockBase(block.baseSeq)
            .nextValidRecord(offset + ALIGNMENT, Math.max(block.highestMet, block.baseSeq - 1));
        if (next < 0)
        {
            listPending(block, known);
        }
        return next;
    }

    private static boolean holdsUnmet(final ViewBlock block, final long heldTo)
    {
        return heldTo >= block.baseSeq && heldTo > block.highestMet;
    }

    /**
     * The look met a message or skip: list the sequences after the highest met up to {@code lastHeld} as held by the
     * damage it passed in {@code block}, if any, unless a known removal names them. Any of them may have been in the
     * damaged bytes (a gap a skip left among them too), so a read of any fails rather than finds nothing, as the
     * writer's own scan of a damaged block lists them.
     */
    void listPending(final ViewBlock block, final long lastHeld)
    {
        if (block.pendingDamage < 0)
        {
            return;
        }
        for (long seq = Math.max(block.highestMet + 1, block.baseSeq); seq <= lastHeld; seq++)
        {
            if (!removed.contains(seq))
            {
                block.listDamaged(seq, block.pendingDamage);
            }
        }
        block.highestMet = Math.max(block.highestMet, lastHeld);
        block.pendingDamage = -1;
    }
}
