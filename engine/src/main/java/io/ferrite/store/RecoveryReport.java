package io.ferrite.store;

import java.nio.file.Path;
import java.util.List;

/**
 * What recovery found when a store was opened: how the in-memory state was obtained and every range of data that was
 * lost. Nothing lost is dropped silently: each loss is listed here and logged.
 *
 * @param outcome       how the state was obtained.
 * @param reason        why recovery took that path (e.g. why {@code state.db} could not be used), never null.
 * @param lost          the damage found, in file and offset order.
 * @param blocksScanned block files scanned record by record.
 * @param bytesScanned  bytes of block data scanned.
 * @param durationNanos time recovery took.
 */
public record RecoveryReport(
    Outcome outcome, String reason, List<LostRange> lost, int blocksScanned, long bytesScanned, long durationNanos)
{
    public RecoveryReport
    {
        lost = List.copyOf(lost);
    }

    /**
     * @return true when nothing was lost.
     */
    public boolean isClean()
    {
        return lost.isEmpty();
    }

    /**
     * How the in-memory state was obtained.
     */
    public enum Outcome
    {
        /** The directory held no stream. */
        NEW_STREAM,
        /** {@code state.db} matched the last block's tail: only that tail was scanned. */
        LOADED_STATE,
        /** {@code state.db} was valid but older than the blocks: only what came after it was replayed. */
        REPLAYED_AFTER_STATE,
        /** {@code state.db} was missing, corrupt or inconsistent: every block was scanned. */
        REBUILT_FROM_BLOCKS
    }

    /**
     * Bytes of one block file that held no verifiable record, and the sequences that went with them.
     *
     * @param file       the block file.
     * @param fromOffset the first damaged byte.
     * @param toOffset   the end of the damage, exclusive.
     * @param firstSeq   the first sequence lost, or {@link StoreException#UNKNOWN}.
     * @param lastSeq    the last sequence lost, or {@link StoreException#UNKNOWN} when the damage runs to the end of
     *                   what was written (a torn tail: nothing after {@code firstSeq} was durable).
     * @param kind       what the damage looked like.
     */
    public record LostRange(Path file, long fromOffset, long toOffset, long firstSeq, long lastSeq, Kind kind)
    {
        /**
         * @return whether {@code seq} falls in this range.
         */
        public boolean covers(final long seq)
        {
            return firstSeq != StoreException.UNKNOWN && seq >= firstSeq &&
                (lastSeq == StoreException.UNKNOWN || seq <= lastSeq);
        }

        @Override
        public String toString()
        {
            return kind + " in " + file + " at offsets [" + fromOffset + ", " + toOffset + "), sequences " +
                (firstSeq == StoreException.UNKNOWN ? "unknown" : firstSeq + ".." +
                (lastSeq == StoreException.UNKNOWN ? "end" : Long.toString(lastSeq)));
        }
    }

    /**
     * The shape of a loss.
     */
    public enum Kind
    {
        /** The last record(s) of the stream were partly written: truncated at the last valid record. */
        TORN_TAIL,
        /** One record whose header verified but whose body did not: exactly that record is lost. */
        DAMAGED_RECORD,
        /** Bytes between valid records that verified as nothing: records were re-found after them. */
        DAMAGED_REGION,
        /** A block file shorter than its header claims: the missing end is lost. */
        TRUNCATED_FILE,
        /**
         * An encrypted block's footer that does not authenticate, or disagrees with the records it describes: the
         * records themselves were checked one by one and are kept; the footer is not trusted.
         */
        TAMPERED_FOOTER,
        /**
         * A block file newer than {@code state.db} whose header never reached the disk (a roll interrupted by power
         * loss), and every block file after it, which cannot be placed without it: they were set aside as
         * {@code *.unwritten} and nothing in them is loaded. Each is reported from the sequence after what survived.
         * A later file whose header, or records, did reach the disk proves the stream had assigned sequences up to
         * some point: the range ends at the highest sequence the files set aside prove (a header that validates, a
         * record that verifies), the stream's last sequence is raised to it, and the next append takes a sequence
         * above it. When they prove nothing beyond what survived (every header unwritten, or none validates) the
         * range is open-ended, like a torn tail, and the next append takes its first sequence again. Which file held
         * which sequence is not known, so every file set aside is reported with the same sequences.
         */
        UNWRITTEN_BLOCK,
        /**
         * A block file that {@code state.db} lists, or that a newer block proves was created after the state, is gone:
         * the sequences it held are lost. The offsets are those the state recorded for it (0 to its end of data), or
         * 0 when the state never saw the block.
         */
        MISSING_BLOCK,
        /**
         * The last block ends before the last sequence {@code state.db} recorded, with no damage in it to say why
         * (records zeroed, or a write that never reached the disk): the sequences after its last valid record, up to
         * the state's last, are lost. The offsets run from the block's valid end to the end of data the state recorded
         * for it.
         */
        BEHIND_STATE
    }
}
