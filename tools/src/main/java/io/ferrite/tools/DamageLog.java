package io.ferrite.tools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects damage in scan order and infers the sequences each range lost from the valid records around it, the way
 * the engine's recovery does: a damaged record whose header verified names its own sequence; a damaged region lost
 * everything between the last valid sequence before it and the first valid one after it — which is known only when the
 * scan reaches that record, or the next block's base sequence, so the region stays open until then.
 * <p>
 * Not thread-safe: one verification.
 */
final class DamageLog
{
    private final List<DamagedRange> ranges = new ArrayList<>();
    private int open = -1;
    private long lastSeq;

    /** The highest sequence seen so far, valid or named by a damaged record's header. */
    long lastSeq()
    {
        return lastSeq;
    }

    /**
     * A block whose header verified starts: whatever a previous block's tail lost ends before its base sequence.
     */
    void onBlockStart(final long baseSeq)
    {
        close(baseSeq - 1);
        lastSeq = Math.max(lastSeq, baseSeq - 1);
    }

    void onRecord(final long seq)
    {
        close(seq - 1);
        lastSeq = Math.max(lastSeq, seq);
    }

    /**
     * A tombstone verified. Its sequence is the stream's last one when it was written, which a record before it may
     * carry too: an open region lost everything up to and including it.
     */
    void onTombstone(final long headerSeq)
    {
        close(headerSeq);
        lastSeq = Math.max(lastSeq, headerSeq);
    }

    /**
     * A record whose header verified but whose body did not, reported later or never (an erased message is not
     * damage), so only its sequence is taken into account now.
     */
    void onDeferred(final long seq)
    {
        close(seq - 1);
        lastSeq = Math.max(lastSeq, seq);
    }

    /**
     * Damage reported by the record scanner.
     *
     * @param knownSeq the damaged record's sequence when its header verified, else 0.
     */
    void onScanDamage(final Path file, final long from, final long to, final long knownSeq, final boolean tail)
    {
        close(knownSeq > 0 ? knownSeq - 1 : DamagedRange.UNKNOWN);
        final DamageKind kind = tail ? DamageKind.TORN_TAIL :
            knownSeq > 0 ? DamageKind.DAMAGED_RECORD : DamageKind.DAMAGED_REGION;
        if (knownSeq > 0)
        {
            ranges.add(new DamagedRange(file, from, to, knownSeq, knownSeq, kind, ""));
            lastSeq = Math.max(lastSeq, knownSeq);
            return;
        }
        ranges.add(new DamagedRange(file, from, to, lastSeq + 1, DamagedRange.UNKNOWN, kind, ""));
        open = ranges.size() - 1;
    }

    /**
     * Damage found outside the record walk (headers, missing files, state); its sequences are as given.
     */
    void add(final DamagedRange range)
    {
        ranges.add(range);
    }

    /**
     * The end of the stream: an open range runs to the end.
     */
    void finish()
    {
        open = -1;
    }

    List<DamagedRange> ranges()
    {
        return List.copyOf(ranges);
    }

    int size()
    {
        return ranges.size();
    }

    private void close(final long lastLost)
    {
        if (open < 0)
        {
            return;
        }
        final DamagedRange range = ranges.get(open);
        if (lastLost != DamagedRange.UNKNOWN)
        {
            ranges.set(open, lastLost < range.firstSeq() ?
                range.withSequences(DamagedRange.NONE, DamagedRange.NONE) : range.withSequences(range.firstSeq(),
                    lastLost));
        }
        open = -1;
    }
}
