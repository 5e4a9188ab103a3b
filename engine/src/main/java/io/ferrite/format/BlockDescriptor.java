package io.ferrite.format;

import io.ferrite.crypto.BlockFooterCodec;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Layout of a block file's header. Records follow at {@link #DATA_OFFSET}; the rest of the file is preallocated zeros.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Magic "FERBLK01" (64)                         |   0
 *  +---------------------------------------------------------------+
 *  |        Version: 2 (1: bytes 104..119 reserved, zero)          |   8
 *  +---------------------------------------------------------------+
 *  |                  Flags (bit 0: encrypted)                     |  12
 *  +---------------------------------------------------------------+
 *  |                        Block Id (64)                          |  16
 *  +---------------------------------------------------------------+
 *  |        Base Sequence: the first sequence it may hold (64)     |  24
 *  +---------------------------------------------------------------+
 *  |                Created, epoch nanos (64)                      |  32
 *  +---------------------------------------------------------------+
 *  |                  Block Length (file size)                     |  40
 *  +---------------------------------------------------------------+
 *  |                        Data Offset                            |  44
 *  +---------------------------------------------------------------+
 *  |          Key Salt (128), zero for plaintext blocks            |  48
 *  +---------------------------------------------------------------+
 *  |          Key Id (64), zero for plaintext blocks               |  64
 *  +---------------------------------------------------------------+
 *  |   Previous Last Sequence: the stream's last sequence when     |  72
 *  |   this block was created (64)                                 |
 *  +---------------------------------------------------------------+
 *  |                     Reserved (zero) ...                       |  80
 *  +---------------------------------------------------------------+
 *  |  Tombstone Epoch Slot 0: epoch (32), CRC32C(id, epoch) (32)    | 104
 *  +---------------------------------------------------------------+
 *  |  Tombstone Epoch Slot 1: epoch (32), CRC32C(id, epoch) (32)    | 112
 *  +---------------------------------------------------------------+
 *  |                     Reserved (zero)                           | 120
 *  +---------------------------------------------------------------+
 *  |   Header Checksum, CRC32C of bytes 0..123, slots read as zero  | 124
 *  +---------------------------------------------------------------+
 * </pre>
 * The two <em>tombstone epoch slots</em> (version 2) are the only header bytes written after the block was created,
 * and only on a full disk, before an encrypted tombstone goes into a block found on open or cut by a truncation; how
 * they are written and read is {@link TombstoneEpochSlots}. A block is created with both holding epoch 0. The header
 * checksum reads them as zero, so it stays valid as they change, and each slot carries its own checksum, bound to the
 * block id. Version 1 is the same layout without the slots: the engine and the tools read it, and a block of it takes
 * no tombstone under a new epoch (it records none).
 */
public final class BlockDescriptor
{
    /** "FERBLK01" little-endian. */
    public static final long MAGIC = 0x31304B4C42524546L;
    /** The version this build writes. */
    public static final int VERSION = 2;
    /** The version before the tombstone epoch slots, still read. */
    public static final int VERSION_WITHOUT_EPOCH_SLOTS = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int BLOCK_ID_OFFSET = 16;
    public static final int BASE_SEQ_OFFSET = 24;
    public static final int CREATED_OFFSET = 32;
    public static final int BLOCK_LENGTH_OFFSET = 40;
    public static final int DATA_OFFSET_OFFSET = 44;
    public static final int SALT_OFFSET = 48;
    public static final int SALT_LENGTH = 16;
    public static final int KEY_ID_OFFSET = 64;
    /**
     * A newer block proves that the older one held every sequence up to this value: if power loss took the older
     * block's unforced tail, recovery reports exactly those sequences instead of mistaking them for an appendAt gap.
     */
    public static final int PREV_LAST_SEQ_OFFSET = 72;
    /**
     * A block's message and skip records carry sequences in {@code [base, base + MAX_SEQUENCE_SPAN)}: the writer starts
     * a new block rather than let a jump ({@code appendAt} far ahead) widen one. Every per-block structure indexed by
     * sequence (the sequence table, the removed set) is sized by it, so recovery holds what a file or {@code state.db}
     * claims to it instead of letting a forged or damaged number size memory. Tombstones are not bound by it: their
     * header carries the stream's last sequence when written, which may lie beyond the block.
     */
    public static final long MAX_SEQUENCE_SPAN = 1 << 20;
    /** Two slots of (epoch, checksum), version 2: {@link TombstoneEpochSlots}. */
    public static final int TOMBSTONE_EPOCH_SLOTS_OFFSET = 104;
    public static final int TOMBSTONE_EPOCH_SLOT_LENGTH = 8;
    public static final int TOMBSTONE_EPOCH_SLOT_COUNT = 2;
    public static final int HEADER_CHECKSUM_OFFSET = 124;
    public static final int HEADER_LENGTH = 128;
    /** The longest block a header may declare: 1 GiB, the largest block size a stream may be configured with. */
    public static final int MAX_BLOCK_LENGTH = 1 << 30;

    /** Records start right after the header. */
    public static final int DATA_OFFSET = HEADER_LENGTH;

    public static final int FLAG_ENCRYPTED = 1;

    /**
     * Bytes an encrypted block keeps at its end for its authenticated footer. ferrite-crypto owns the footer's layout
     * ({@link BlockFooterCodec}); the block's layout owns where it sits, so the API sizes blocks from here alone.
     */
    public static final int ENCRYPTED_FOOTER_LENGTH = BlockFooterCodec.FOOTER_LENGTH;

    /** Block files are named by a zero-padded id so a directory listing sorts in id order. */
    public static final String FILE_SUFFIX = ".blk";
    /** Digits of the id in a block file's name: any {@code long} fits. */
    public static final int FILE_NAME_DIGITS = 20;

    private static final byte[] ZERO_SLOTS = new byte[TOMBSTONE_EPOCH_SLOT_COUNT * TOMBSTONE_EPOCH_SLOT_LENGTH];

    private BlockDescriptor()
    {
    }

    /**
     * The header checksum, as the engine writes and checks it and {@code ferrite verify} checks it: CRC32C of bytes
     * {@code [0, HEADER_CHECKSUM_OFFSET)} with the tombstone epoch slots read as zero, in both versions (version 1
     * wrote zeros there, so its checksum is the CRC32C of all 124 bytes). Open-time only: it allocates.
     *
     * @param header the block's first {@link #HEADER_LENGTH} bytes, from index 0 (position and limit are ignored).
     */
    public static int headerChecksum(final ByteBuffer header)
    {
        final CRC32C crc = new CRC32C();
        final int slotsEnd = TOMBSTONE_EPOCH_SLOTS_OFFSET + ZERO_SLOTS.length;
        crc.update(header.duplicate().limit(TOMBSTONE_EPOCH_SLOTS_OFFSET).position(0));
        crc.update(ZERO_SLOTS);
        crc.update(header.duplicate().limit(HEADER_CHECKSUM_OFFSET).position(slotsEnd));
        return (int)crc.getValue();
    }

    /**
     * @return whether this build reads block headers of {@code version}.
     */
    public static boolean isReadable(final int version)
    {
        return version == VERSION || version == VERSION_WITHOUT_EPOCH_SLOTS;
    }

    /**
     * @return whether a header of {@code version} has tombstone epoch slots.
     */
    public static boolean hasTombstoneEpochSlots(final int version)
    {
        return version == VERSION;
    }

    /**
     * @return the block's file name: its id in {@value #FILE_NAME_DIGITS} decimal digits, zero-padded, so names sort
     * as ids do, then {@link #FILE_SUFFIX}. Called at every roll: built by hand, as {@code String.format} builds a
     * locale's number symbols each time (measured as the larger part of a roll's own time), and in a locale with
     * other digits wrote names {@link #parseFileName} does not read. A negative id, which no block has but a damaged
     * {@code state.db} may name (the tools report its block missing), gets the name it always had, a sign and 19
     * digits, which parses as no block's.
     */
    public static String fileName(final long blockId)
    {
        if (blockId < 0)
        {
            return String.format(Locale.ROOT, "%020d%s", blockId, FILE_SUFFIX);
        }
        final char[] name = new char[FILE_NAME_DIGITS + FILE_SUFFIX.length()];
        long rest = blockId;
        for (int i = FILE_NAME_DIGITS - 1; i >= 0; i--)
        {
            name[i] = (char)('0' + rest % 10);
            rest /= 10;
        }
        FILE_SUFFIX.getChars(0, FILE_SUFFIX.length(), name, FILE_NAME_DIGITS);
        return new String(name);
    }

    /**
     * @return the id in a block file name, or -1 when the name is not a block file's.
     */
    public static long parseFileName(final String name)
    {
        if (!name.endsWith(FILE_SUFFIX) || name.length() != FILE_NAME_DIGITS + FILE_SUFFIX.length())
        {
            return -1;
        }
        long id = 0;
        for (int i = 0; i < FILE_NAME_DIGITS; i++)
        {
            final char c = name.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            id = id * 10 + (c - '0');
        }
        return id;
    }
}
