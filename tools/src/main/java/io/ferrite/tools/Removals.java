package io.ferrite.tools;

import org.agrona.collections.LongArrayList;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What {@code verify} learns about removals while it scans: the tombstones, and the messages whose header verifies
 * but whose body checksum does not — which is exactly what {@code erase} leaves behind on purpose, since it zeroes the
 * body in place. Whether such a message was erased is known only at the end of the stream: its tombstone is written
 * after it, possibly blocks later.
 * <p>
 * A message counts as erased when a readable tombstone with the erase flag covers its sequence. In an encrypted
 * stream verified without the key tombstone bodies are sealed, so the flag cannot be read; a message then counts as
 * erased, unverified, only when its body is all zeros (erase's mark; disk damage rarely zeroes a whole body) and a
 * tombstone follows it. Anything else stays damage.
 * <p>
 * Memory: two longs per readable tombstone (four with the erase flag) and one small object per message whose body
 * does not verify; nothing per other message.
 * Not thread-safe: one verification.
 */
final class Removals
{
    /**
     * A message whose body checksum failed behind a verifying header.
     *
     * @param damage         what it is if it was not erased.
     * @param zeroBody       whether every byte after its header, up to its checksum, is zero.
     * @param sealedBefore   how many sealed (unreadable) tombstones the scan had passed when it met the message.
     */
    private record Suspect(DamagedRange damage, boolean zeroBody, long sealedBefore)
    {
    }

    /**
     * The outcome, once the whole stream has been scanned.
     *
     * @param erased     messages that were erased on purpose, as a readable tombstone with the erase flag says.
     * @param unverified messages taken for erased without a readable tombstone (encrypted stream, no key).
     * @param damaged    messages that are damage after all.
     */
    record Outcome(List<DamagedRange> erased, List<DamagedRange> unverified, List<DamagedRange> damaged)
    {
    }

    /**
     * Totals for the report.
     *
     * @param tombstones       tombstones whose checksums verified.
     * @param sealed           of those, how many could not be read (encrypted stream, no key).
     * @param coveredSequences distinct sequences the readable tombstones remove.
     * @param erased           messages erased on purpose, as readable tombstones say.
     * @param erasedUnverified messages taken for erased by their zeroed bodies alone (sealed tombstones).
     */
    record Summary(long tombstones, long sealed, long coveredSequences, long erased, long erasedUnverified)
    {
        Map<String, Object> toJson()
        {
            final Map<String, Object> json = Json.object();
            json.put("tombstones", tombstones);
            json.put("sealedTombstones", sealed);
            json.put("removedSequences", sealed > 0 ? null : coveredSequences);
            json.put("erased", erased + erasedUnverified);
            json.put("erasedUnverified", erasedUnverified);
            return json;
        }
    }

    /** Ranges of every readable tombstone, flattened from/to pairs. */
    private final LongArrayList ranges = new LongArrayList();
    /** Ranges of readable tombstones with the erase flag, flattened from/to pairs. */
    private final LongArrayList eraseRanges = new LongArrayList();
    private final List<Suspect> suspects = new ArrayList<>();
    private long tombstones;
    private long sealedTombstones;

    void onTombstone(final Tombstone tombstone)
    {
        tombstones++;
        if (!tombstone.isOpen())
        {
            sealedTombstones++;
            return;
        }
        ranges.addLong(tombstone.fromSeq());
        ranges.addLong(tombstone.toSeq());
        if (tombstone.erase())
        {
            eraseRanges.addLong(tombstone.fromSeq());
            eraseRanges.addLong(tombstone.toSeq());
        }
    }

    /**
     * A message whose header verified but whose body checksum did not.
     *
     * @param damage what to report if no tombstone explains it.
     */
    void onUnreadableBody(final DamagedRange damage, final boolean zeroBody)
    {
        suspects.add(new Suspect(damage, zeroBody, sealedTombstones));
    }

    /**
     * @return how many distinct sequences the readable tombstones cover (ranges overlap when, say, a purge follows
     * single removals).
     */
    long coveredSequences()
    {
        long covered = 0;
        final long[][] merged = merge(ranges);
        for (final long[] range : merged)
        {
            covered += range[1] - range[0] + 1;
        }
        return covered;
    }

    Summary summary(final Outcome outcome)
    {
        return new Summary(tombstones, sealedTombstones, coveredSequences(), outcome.erased().size(),
            outcome.unverified().size());
    }

    Outcome resolve()
    {
        final long[][] erase = merge(eraseRanges);
        final List<DamagedRange> erased = new ArrayList<>();
        final List<DamagedRange> unverified = new ArrayList<>();
        final List<DamagedRange> damaged = new ArrayList<>();
        for (final Suspect suspect : suspects)
        {
            if (covers(erase, suspect.damage().firstSeq()))
            {
                erased.add(suspect.damage());
            }
            else if (suspect.zeroBody() && sealedTombstones > suspect.sealedBefore())
            {
                unverified.add(suspect.damage());
            }
            else
            {
                damaged.add(suspect.damage());
            }
        }
        return new Outcome(erased, unverified, damaged);
    }

    /**
     * @return the from/to pairs sorted and merged into disjoint ranges.
     */
    private static long[][] merge(final LongArrayList pairs)
    {
        final long[][] sorted = new long[pairs.size() / 2][];
        for (int i = 0; i < sorted.length; i++)
        {
            sorted[i] = new long[] { pairs.getLong(2 * i), pairs.getLong(2 * i + 1) };
        }
        Arrays.sort(sorted, (a, b) -> Long.compare(a[0], b[0]));
        final List<long[]> merged = new ArrayList<>();
        for (final long[] range : sorted)
        {
            final long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (null != last && range[0] <= last[1] + 1)
            {
                last[1] = Math.max(last[1], range[1]);
            }
            else
            {
                merged.add(range.clone());
            }
        }
        return merged.toArray(long[][]::new);
    }

    private static boolean covers(final long[][] merged, final long seq)
    {
        int low = 0;
        int high = merged.length - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (merged[mid][1] < seq)
            {
                low = mid + 1;
            }
            else if (merged[mid][0] > seq)
            {
                high = mid - 1;
            }
            else
            {
                return true;
            }
        }
        return false;
    }
}
