package io.ferrite.engine.view;

import io.ferrite.format.RecordScanner;

import java.util.function.BooleanSupplier;

import static io.ferrite.format.RecordDescriptor.ALIGNMENT;

/**
 * How a view's look at a block passes a record header that does not verify in a <em>sealed</em> block, below the last
 * sequence the writer put there (known from the next block's header when that block is the one made right after it),
 * with the writer in place: that is damage, not the end of the data, since nothing more is written there. The look
 * goes on at the next record that verifies (the re-synchronisation of {@link RecordScanner}, which the writer's own
 * scan of a sealed block uses, bounded by the end of data its state recorded), and the sequences the damaged bytes may
 * have held are listed as damage in the block ({@link ViewBlock#listDamaged}): those up to the next message or skip
 * after it, or up to the block's last sequence when none follows.
 * <p>
 * Anywhere else the look ends at such a header, as it always did: in the block the writer appends to it may be where a
 * crashed writer's data ends, which its recovery cuts (a zero first word ends the data there), and the pages past it
 * may hold records it will discard; and without the next block's header right after it, the block's last sequence is
 * not known.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class SealedBlockDamage
{
    private final RecordScanner scanner = new RecordScanner();
    private final RemovedRanges removed;
    private final BooleanSupplier writerMoved;

    /**
     * @param removed     the removals the view knows: a sequence they name is not listed as damage.
     * @param writerMoved whether the writer truncated or restarted since the refresh: nothing is passed then.
     */
    SealedBlockDamage(final RemovedRanges removed, final BooleanSupplier writerMoved)
    {
        this.removed = removed;
        this.writerMoved = writerMoved;
    }

    /**
     * The look at {@code block} met a record header that does not verify at {@code offset}.
     *
     * @param sealedEnd the last sequence the writer put in the block, or 0 when not known.
     * @return the offset to go on from, or -1 when the look ends here.
     */
    int pass(final ViewBlock block, final int offset, final long sealedEnd)
    {
        // A block whose last sequence is below its base holds none (tombstones only): its data simply ends.
        if (sealedEnd < block.baseSeq || sealedEnd <= block.highestMet || writerMoved.getAsBoolean())
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
            listPending(block, sealedEnd);
        }
        return next;
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
