package io.ferrite.engine.recovery;

import io.ferrite.engine.index.DeletedSequences;
import io.ferrite.engine.state.StateSnapshot;

/**
 * What a readable {@code state.db} proves about the stream's history, used whether or not the state can be restored
 * as a whole (its tail may not match, or block files it lists may be gone):
 * <ul>
 *   <li>its last sequence was assigned, so the stream's last sequence never recovers below it;</li>
 *   <li>every block it lists existed when it was written, and nothing deletes a listed block without deleting
 *   {@code state.db} first (reclaim and truncate run inside {@code FullStateWriter.whileReplacingBlocks}), so a listed
 *   block that is gone was lost, not reclaimed;</li>
 *   <li>a block id at or above its next block id was created after it, and a block created after it cannot have been
 *   reclaimed since (that would have replaced it); an id below that it does not list was already gone when it was
 *   written;</li>
 *   <li>the sequences it lists as removed were removed by the caller, even if the tombstones that removed them are
 *   lost.</li>
 * </ul>
 * A state that is older than the blocks (a recovery point lagging the appends) proves all of this for its own point
 * and nothing after it. No state ever predates a truncate (which deletes it first), so none of this can speak for a
 * sequence that was assigned again.
 * <p>
 * Immutable; one per recovery.
 */
final class StateEvidence
{
    private static final StateEvidence NONE = new StateEvidence(null);

    /** Null when there is no readable state. */
    private final StateSnapshot snapshot;

    private StateEvidence(final StateSnapshot snapshot)
    {
        this.snapshot = snapshot;
    }

    /**
     * @param snapshot a validated state of this stream, or null.
     */
    static StateEvidence of(final StateSnapshot snapshot)
    {
        return null == snapshot ? NONE : new StateEvidence(snapshot);
    }

    static StateEvidence none()
    {
        return NONE;
    }

    boolean isPresent()
    {
        return null != snapshot;
    }

    /**
     * @return the last sequence the state recorded, 0 without a state.
     */
    long lastSeq()
    {
        return null == snapshot ? 0 : snapshot.lastSeq();
    }

    /**
     * @return the id the state would have given the next block, 0 without a state.
     */
    long nextBlockId()
    {
        return null == snapshot ? 0 : snapshot.nextBlockId();
    }

    int listedBlocks()
    {
        return null == snapshot ? 0 : snapshot.blockCount();
    }

    long listedId(final int position)
    {
        return snapshot.blockId(position);
    }

    /**
     * @return the position of the first listed block with an id above {@code id}, or {@link #listedBlocks()}.
     */
    int firstListedAbove(final long id)
    {
        int low = 0;
        int high = listedBlocks();
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            if (snapshot.blockId(mid) <= id)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }

    /**
     * @return the position of the listed block {@code id}, or -1 when the state does not list it.
     */
    int positionOf(final long id)
    {
        final int above = firstListedAbove(id);
        return above > 0 && snapshot.blockId(above - 1) == id ? above - 1 : -1;
    }

    long baseSeq(final int position)
    {
        return snapshot.blockBaseSeq(position);
    }

    /**
     * @return the last sequence the listed block may have held: up to the next listed block's base, and for the last
     * one up to the state's last sequence (a block that grew after the state is bounded by whatever proves that).
     */
    long lastSeqOf(final int position)
    {
        return position + 1 < snapshot.blockCount() ? snapshot.blockBaseSeq(position + 1) - 1 :
            Math.max(snapshot.lastSeq(), snapshot.blockLastSeq(position));
    }

    /**
     * @return the listed block's last sequence when the state was written.
     */
    long blockLastSeq(final int position)
    {
        return snapshot.blockLastSeq(position);
    }

    /**
     * @return the listed block's live messages when the state was written.
     */
    int msgs(final int position)
    {
        return snapshot.blockMsgs(position);
    }

    /**
     * @return whether the state lists {@code seq} as removed (false without a state).
     */
    boolean removed(final long seq)
    {
        return null != snapshot && snapshot.isRemoved(seq);
    }

    /**
     * @return where the listed block's data ended when the state was written.
     */
    int writeOffset(final int position)
    {
        return snapshot.blockWriteOffset(position);
    }

    /**
     * Visit the sequences the state lists as removed, as ascending runs (none without a state).
     */
    void forEachRemovedRun(final DeletedSequences.RunConsumer consumer)
    {
        if (null != snapshot)
        {
            snapshot.forEachRemovedRun(consumer);
        }
    }
}
