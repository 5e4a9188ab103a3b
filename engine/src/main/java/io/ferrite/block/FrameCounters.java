package io.ferrite.block;

import static io.ferrite.block.RecordDescriptor.MAX_SEQUENCE;
import static io.ferrite.block.RecordDescriptor.TYPE_DELETE;

/**
 * The AES-GCM frame counter (the nonce's last 64 bits, see {@code FrameCipher}) of every record of an encrypted block,
 * built here and nowhere else, so that the two counter domains cannot meet:
 * <pre>
 *   bit  63  62  61 ............................................ 0
 *       +---+---+-----------------------------------------------+
 *       | 0 | 0 |  sequence, 0 .. 2^62 - 1                       |  message and skip records
 *       +---+---+-----------------------------------------------+
 *       | 0 | 1 |  record offset in the block, 0 .. 2^31 - 1     |  tombstones
 *       +---+---+-----------------------------------------------+
 * </pre>
 * A message's counter is its sequence. A tombstone takes no sequence of its own (its header repeats the stream's last
 * sequence, which the record before it may hold too), so its counter is its offset — unique within the block, whose
 * key never seals two records at one offset — with {@link #TOMBSTONE_DOMAIN} set. The domains are disjoint because
 * {@link RecordDescriptor#MAX_SEQUENCE} is {@code TOMBSTONE_DOMAIN - 1} (checked when this class loads) and a
 * sequence above it is refused here, whatever a caller let through: the stream refuses to assign one
 * ({@code SequenceExhaustedException}), the record writer to write one, and the scanner to accept one from disk.
 */
public final class FrameCounters
{
    /** Set in every tombstone's counter and in no message's. */
    public static final long TOMBSTONE_DOMAIN = MAX_SEQUENCE + 1;

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
        return type == TYPE_DELETE ? ofTombstone(recordOffset) : ofSequence(seq);
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

    static long ofTombstone(final int recordOffset)
    {
        if (recordOffset < 0)
        {
            throw new IllegalStateException("tombstone record offset must be >= 0: " + recordOffset);
        }
        return TOMBSTONE_DOMAIN | recordOffset;
    }
}
