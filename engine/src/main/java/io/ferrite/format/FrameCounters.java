package io.ferrite.format;

import static io.ferrite.format.RecordDescriptor.MAX_SEQUENCE;
import static io.ferrite.format.RecordDescriptor.TYPE_DELETE;

/**
 * The AES-GCM frame counter (the nonce's last 64 bits, see {@code FrameCipher}) of every record of an encrypted block,
 * built here and nowhere else, so that the two counter domains cannot meet:
 * <pre>
 *   bit  63  62  61 ............................................ 0
 *       +---+---+-----------------------------------------------+
 *       | 0 | 0 |  sequence, 0 .. 2^62 - 1                       |  message and skip records
 *       +---+---+-----------------------------------------------+
 *       | 0 | 1 |  epoch (bits 61..31) | record offset (30..0)   |  tombstones
 *       +---+---+-----------------------------------------------+
 * </pre>
 * A message's counter is its sequence. A tombstone takes no sequence of its own (its header repeats the stream's last
 * sequence, which the record before it may hold too), so its counter is its offset — unique within the block, whose
 * key never seals two records at one offset — with {@link #TOMBSTONE_DOMAIN} set. The domains are disjoint because
 * {@link RecordDescriptor#MAX_SEQUENCE} is {@code TOMBSTONE_DOMAIN - 1} (checked when this class loads) and a
 * sequence above it is refused here, whatever a caller let through: the stream refuses to assign one
 * ({@code SequenceExhaustedException}), the record writer to write one, and the scanner to accept one from disk.
 * <p>
 * A tombstone's <em>epoch</em> (its header's {@link RecordDescriptor#TOMBSTONE_EPOCH_OFFSET} word) is 0 in a block
 * created by the running process: its offsets only grow under a key nobody used before. A block found on open (or
 * cut by a truncation) may have had records sealed past its write offset that a crash tore or a cut removed — a
 * tombstone at offset X among them used counter {@code 2^62 | epoch << 31 | X}. Such a block normally takes no more
 * records; when a tombstone must go into it anyway (no block can be created on a full disk), the writer first records
 * in the block's header an epoch above every epoch a tombstone there used, forces the header, and only then seals
 * tombstones under it ({@link TombstoneEpochSlots}). Every epoch a tombstone was ever sealed under is durable in the
 * header before that tombstone was written, so a later process's epoch is above it: the new counters differ from
 * every earlier one by construction. When the header cannot say which epochs were used (both slots damaged, or a
 * block of format version 1), no tombstone goes in. Messages never go into such a block: their counter is their
 * sequence, which a torn record may have used.
 */
public final class FrameCounters
{
    /** Set in every tombstone's counter and in no message's. */
    public static final long TOMBSTONE_DOMAIN = MAX_SEQUENCE + 1;
    /** The highest tombstone epoch: 31 bits, between the domain bit and the record offset. */
    public static final int MAX_EPOCH = Integer.MAX_VALUE;

    static
    {
        if (Long.bitCount(TOMBSTONE_DOMAIN) != 1 || (MAX_SEQUENCE & TOMBSTONE_DOMAIN) != 0)
        {
            throw new ExceptionInInitializerError("MAX_SEQUENCE + 1 must be a power of two above every sequence");
        }
    }

    private FrameCounters()
    {
    }

    /**
     * @return the frame counter of a record of {@code type} at {@code recordOffset} whose header carries {@code seq}.
     * @throws IllegalStateException for a message or skip record whose sequence is not in
     *                               [0, {@link RecordDescriptor#MAX_SEQUENCE}]: its counter would leave its domain.
     */
    public static long of(final byte type, final long seq, final int recordOffset)
    {
        return of(type, seq, recordOffset, 0);
    }

    /**
     * @param epoch a tombstone's epoch (ignored for other records), 0 to {@link #MAX_EPOCH}.
     * @return the frame counter of a record of {@code type} at {@code recordOffset} whose header carries {@code seq}.
     */
    public static long of(final byte type, final long seq, final int recordOffset, final int epoch)
    {
        return type == TYPE_DELETE ? ofTombstone(recordOffset, epoch) : ofSequence(seq);
    }

    static long ofSequence(final long seq)
    {
        if (!RecordDescriptor.isSequence(seq))
        {
            throw new IllegalStateException("sequence " + seq + " is outside [0, " + MAX_SEQUENCE + "]: its GCM " +
                "frame counter would fall in the tombstone domain");
        }
        return seq;
    }

    static long ofTombstone(final int recordOffset, final int epoch)
    {
        if (recordOffset < 0)
        {
            throw new IllegalStateException("tombstone record offset must be >= 0: " + recordOffset);
        }
        if (epoch < 0)
        {
            throw new IllegalStateException("tombstone epoch must be in [0, " + MAX_EPOCH + "]: " + epoch);
        }
        return TOMBSTONE_DOMAIN | ((long)epoch << 31) | recordOffset;
    }
}
