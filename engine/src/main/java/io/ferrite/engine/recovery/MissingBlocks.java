package io.ferrite.engine.recovery;

import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.StoreException;

import java.util.ArrayList;
import java.util.List;

/**
 * Accounts for block files that should exist and do not. Block ids absent between two surviving blocks (or before the
 * first, or after the last) are either blocks deleted on purpose — reclaimed once every message in them was removed,
 * or cut by a truncate — or blocks lost to damage or to an operator. {@link StateEvidence} tells them apart: a block
 * the state lists, or one created after it, was lost; an id below the state's next block id that it does not list was
 * gone before it.
 * <p>
 * Without a state nothing tells them apart: a reclaimed block's removals may have left no tombstone behind (the
 * tombstones go with later reclaims of the blocks that held them), so an absent id is taken as reclaimed and no loss
 * is claimed. The stream's last sequence still cannot go back: the next surviving block's header proves it.
 * <p>
 * The sequences a lost block held run from the one after the last accounted for before the gap to the last proven at
 * its end — the next surviving block's header records the stream's last sequence when it was created; after the last
 * surviving block, the state's last sequence does — and are shared out between the lost files by the base sequences
 * the state recorded for them.
 * <p>
 * Not thread-safe: one per recovery.
 */
final class MissingBlocks
{
    /** The id below every block's: block ids start at 1. */
    static final long NO_BLOCK = 0;
    /** The end of a gap after the last surviving block. */
    static final long NO_NEXT_BLOCK = Long.MAX_VALUE;

    /**
     * At most this many lost files created after the state are named one by one: the sequences all go to the first,
     * and a file name far beyond the ids a stream reaches (one an operator dropped in) must not make recovery list
     * every id below it.
     */
    static final int MAX_NAMED_AFTER_STATE = 64;

    private final StreamDirectory directory;
    private final StateEvidence evidence;

    MissingBlocks(final StreamDirectory directory, final StateEvidence evidence)
    {
        this.directory = directory;
        this.evidence = evidence;
    }

    /**
     * @param previousId the surviving block before the gap, or {@link #NO_BLOCK}.
     * @param lastSeq    the last sequence accounted for before the gap.
     * @param nextId     the surviving block after the gap, or {@link #NO_NEXT_BLOCK}.
     * @param provenLast the last sequence known to have been assigned before {@code nextId} (its header's previous
     *                   last sequence), or after the last surviving block.
     * @return one {@link Kind#MISSING_BLOCK} range per block file proven lost, in id order; empty when none was.
     */
    List<LostRange> between(final long previousId, final long lastSeq, final long nextId, final long provenLast)
    {
        if (!evidence.isPresent() || nextId <= previousId + 1)
        {
            return List.of();
        }
        final List<LostRange> lost = new ArrayList<>();
        long accounted = lastSeq;
        int position = evidence.firstListedAbove(previousId);
        for (; position < evidence.listedBlocks() && evidence.listedId(position) < nextId; position++)
        {
            final boolean lastOfGap = position + 1 == evidence.listedBlocks() ||
                evidence.listedId(position + 1) >= nextId;
            final long createdAfter = Math.max(evidence.listedId(position) + 1, evidence.nextBlockId());
            final boolean moreLostAfter = nextId != NO_NEXT_BLOCK && createdAfter < nextId;
            final long from = Math.max(accounted + 1, evidence.baseSeq(position));
            // The last lost file of the gap held everything up to the proof at its end, including what it gained after
            // the state; any other only up to the next listed block's base.
            final long to = lastOfGap && !moreLostAfter ? provenLast :
                Math.min(evidence.lastSeqOf(position), provenLast);
            lost.add(range(evidence.listedId(position), evidence.writeOffset(position), from, to));
            accounted = Math.max(accounted, to);
        }
        if (nextId != NO_NEXT_BLOCK)
        {
            // Blocks created after the state that are gone while a newer one survives: the first takes what the proof
            // says was assigned, the others are named with sequences unknown.
            final long first = Math.max(previousId + 1, evidence.nextBlockId());
            final long end = nextId - first > MAX_NAMED_AFTER_STATE ? first + MAX_NAMED_AFTER_STATE : nextId;
            for (long id = first; id < end; id++)
            {
                lost.add(range(id, 0, id == first ? accounted + 1 : 1, id == first ? provenLast : 0));
                accounted = Math.max(accounted, provenLast);
            }
        }
        return lost;
    }

    private LostRange range(final long id, final int writeOffset, final long from, final long to)
    {
        final boolean held = from <= to;
        return new LostRange(directory.blockFile(id), 0, Math.max(0, writeOffset),
            held ? from : StoreException.UNKNOWN, held ? to : StoreException.UNKNOWN, Kind.MISSING_BLOCK);
    }

    /**
     * @return the first sequence {@code ranges} report, or {@link StoreException#UNKNOWN}.
     */
    static long firstSeq(final List<LostRange> ranges)
    {
        for (final LostRange range : ranges)
        {
            if (range.firstSeq() != StoreException.UNKNOWN)
            {
                return range.firstSeq();
            }
        }
        return StoreException.UNKNOWN;
    }

    /**
     * @return the last sequence {@code ranges} report, or {@code floor} when higher.
     */
    static long lastSeq(final List<LostRange> ranges, final long floor)
    {
        long last = floor;
        for (final LostRange range : ranges)
        {
            if (range.lastSeq() != StoreException.UNKNOWN)
            {
                last = Math.max(last, range.lastSeq());
            }
        }
        return last;
    }
}
