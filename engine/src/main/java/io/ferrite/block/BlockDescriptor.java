package io.ferrite.block;

/**
 * Layout of a block file's header. Records follow at {@link #DATA_OFFSET}; the rest of the file is preallocated zeros.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Magic "FERBLK01" (64)                         |   0
 *  +---------------------------------------------------------------+
 *  |                         Version                               |   8
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
 *  |              Header Checksum, CRC32C of bytes 0..123          | 124
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class BlockDescriptor
{
    /** "FERBLK01" little-endian. */
    public static final long MAGIC = 0x31304B4C42524546L;
    public static final int VERSION = 1;

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
    public static final int HEADER_CHECKSUM_OFFSET = 124;
    public static final int HEADER_LENGTH = 128;

    /** Records start right after the header. */
    public static final int DATA_OFFSET = HEADER_LENGTH;

    public static final int FLAG_ENCRYPTED = 1;

    /** Block files are named by a zero-padded id so a directory listing sorts in id order. */
    public static final String FILE_SUFFIX = ".blk";

    private BlockDescriptor()
    {
    }

    public static String fileName(final long blockId)
    {
        return String.format("%020d%s", blockId, FILE_SUFFIX);
    }

    /**
     * @return the id in a block file name, or -1 when the name is not a block file's.
     */
    public static long parseFileName(final String name)
    {
        if (!name.endsWith(FILE_SUFFIX) || name.length() != 20 + FILE_SUFFIX.length())
        {
            return -1;
        }
        long id = 0;
        for (int i = 0; i < 20; i++)
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
