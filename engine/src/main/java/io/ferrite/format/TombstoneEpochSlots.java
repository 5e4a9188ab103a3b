package io.ferrite.format;

import io.ferrite.engine.block.MessageBlock;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * How the two tombstone epoch slots of a block header (layout in {@link BlockDescriptor}, format version 2) are read
 * and written, so that no encrypted tombstone is ever sealed under an epoch an earlier one used ({@link
 * FrameCounters}).
 * <p>
 * Let U be the highest epoch any tombstone in the block was ever sealed under (0: only the creating process wrote
 * tombstones). The writer keeps, on disk:
 * <ol>
 * <li>every slot whose checksum verifies holds at least U - 1, and</li>
 * <li>when both verify, the higher holds at least U.</li>
 * </ol> A block is created with both slots holding epoch 0. To start a new epoch, the writer takes the higher of two
 * verifying slots, h, writes h + 1 over the lower one, forces the header, and only then seals tombstones under h + 1:
 * the slot holding h is not touched until h + 1 is durable, so a write torn or lost by a power cut leaves h readable
 * (and h + 1 was never used). A retry after a failed force writes the <em>same</em> slot and epoch again (see {@link
 * MessageBlock#writeTombstoneEpochSlot()}): advancing instead would write over the slot holding h while h + 1 is not
 * known durable.
 * <p>
 * A slot that does not verify is not an epoch, least of all epoch 0 (an all-zero slot does not verify: every written
 * slot has a checksum). With one slot holding v and the other damaged, rule 1 bounds U by v + 1 — the damaged slot may
 * have held v + 1 and had it used, never more. The writer first <em>repairs</em> the damaged slot with v + 1 (not
 * used: it restores rules 1 and 2), forces it, and then starts v + 2 over the slot holding v as above. With both slots
 * damaged U is unknown, and no epoch is started: the caller refuses the tombstone, naming the file and the offset.
 * Format version 1 had no slots (the bytes were reserved, zero): such a block records no epoch and starts none.
 */
public final class TombstoneEpochSlots
{
    /** What {@link #epoch} returns for a slot whose checksum does not verify. */
    public static final int DAMAGED = -1;

    private TombstoneEpochSlots()
    {
    }

    /**
     * One header write toward a usable epoch: {@code epoch} into {@code slot}, which becomes usable (for tombstones)
     * only if {@code usable} and only once the write is forced; or a refusal, when no epoch can be started safely.
     *
     * @param refusal why no epoch can be started, or null.
     * @param offset  the header offset the write (or the refusal) concerns.
     */
    public record Write(int slot, int epoch, boolean usable, String refusal, int offset)
    {
        static Write refused(final String reason, final int offset)
        {
            return new Write(-1, DAMAGED, false, reason, offset);
        }

        public boolean isRefused()
        {
            return null != refusal;
        }
    }

    /**
     * @return the header offset of {@code slot}.
     */
    public static int offset(final int slot)
    {
        return BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET + slot * BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH;
    }

    /**
     * @param header a version-2 header, from index 0.
     * @return the epoch {@code slot} records, or {@link #DAMAGED} when its checksum does not verify.
     */
    public static int epoch(final DirectBuffer header, final long blockId, final int slot)
    {
        final int at = offset(slot);
        final int epoch = header.getInt(at);
        final int checksum = header.getInt(at + Integer.BYTES);
        // All zeros is a slot never written or wiped, never one a version-2 writer left: read as epoch 0 it could
        // lower the highest epoch. (Should CRC32C(id, 0) be 0 for some id, that block's slots read as damaged and are
        // repaired before use: one force more, nothing unsafe.)
        final boolean zeroed = 0 == epoch && 0 == checksum;
        return !zeroed && epoch >= 0 && checksum == checksum(blockId, epoch) ? epoch : DAMAGED;
    }

    /**
     * @return the highest epoch a slot of {@code header} records, or {@link #DAMAGED} when none verifies or the
     *         header is of a version without slots.
     */
    public static int highest(final DirectBuffer header, final long blockId)
    {
        if (!BlockDescriptor.hasTombstoneEpochSlots(header.getInt(BlockDescriptor.VERSION_OFFSET)))
        {
            return DAMAGED;
        }
        return Math.max(epoch(header, blockId, 0), epoch(header, blockId, 1));
    }

    /**
     * The slots of a new block: both hold epoch 0, the epoch its creating process seals tombstones under.
     */
    public static void initialise(final MutableDirectBuffer header, final long blockId)
    {
        for (int slot = 0; slot < BlockDescriptor.TOMBSTONE_EPOCH_SLOT_COUNT; slot++)
        {
            put(header, blockId, slot, 0);
        }
    }

    public static void put(final MutableDirectBuffer header, final long blockId, final int slot, final int epoch)
    {
        if (epoch < 0)
        {
            throw new IllegalArgumentException("tombstone epoch must be in [0, " + FrameCounters.MAX_EPOCH + "]: " +
                epoch);
        }
        final int at = offset(slot);
        header.putInt(at, epoch);
        header.putInt(at + Integer.BYTES, checksum(blockId, epoch));
    }

    /**
     * The next header write toward an epoch above every one the block's tombstones used (see the class comment). Reads
     * the header only; the caller writes, forces, and asks again until a usable write is forced.
     *
     * @param header the block's header as it stands (with whatever this process wrote and forced), from index 0.
     */
    public static Write next(final DirectBuffer header, final long blockId)
    {
        final int version = header.getInt(BlockDescriptor.VERSION_OFFSET);
        if (!BlockDescriptor.hasTombstoneEpochSlots(version))
        {
            return Write.refused("the block header is format version " + version + ", which records no tombstone " +
                "epoch, so the epochs tombstones used there cannot be known", BlockDescriptor.VERSION_OFFSET);
        }
        final int epoch0 = epoch(header, blockId, 0);
        final int epoch1 = epoch(header, blockId, 1);
        if (DAMAGED == epoch0 && DAMAGED == epoch1)
        {
            return Write.refused("neither tombstone epoch slot of the block header verifies, so the epochs " +
                "tombstones used there cannot be known", offset(0));
        }
        if (DAMAGED == epoch0 || DAMAGED == epoch1)
        {
            final int damaged = DAMAGED == epoch0 ? 0 : 1;
            final int valid = Math.max(epoch0, epoch1);
            if (valid >= FrameCounters.MAX_EPOCH - 1)
            {
                return Write.refused("tombstone epochs are used up (" + valid + ", the other slot damaged)",
                    offset(damaged));
            }
            return new Write(damaged, valid + 1, false, null, offset(damaged));
        }
        final int highest = Math.max(epoch0, epoch1);
        if (highest == FrameCounters.MAX_EPOCH)
        {
            return Write.refused("tombstone epochs are used up (" + highest + ")", offset(epoch0 == highest ? 0 : 1));
        }
        final int lower = epoch0 <= epoch1 ? 0 : 1;
        return new Write(lower, highest + 1, true, null, offset(lower));
    }

    private static int checksum(final long blockId, final int epoch)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES + Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(blockId).putInt(epoch).flip();
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }
}
