package io.ferrite.format;

/**
 * One block's entry in the off-heap block index, and in {@code state.db}, which stores the entries verbatim:
 * everything a state write needs about a block, so that writing state is a memory copy and never a block-file read.
 * Little-endian, fixed width.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Block Id (64)                          |  0
 *  +---------------------------------------------------------------+
 *  |                     Base Sequence (64)                        |  8
 *  +---------------------------------------------------------------+
 *  |            First Message Sequence (64), 0 when none           | 16
 *  +---------------------------------------------------------------+
 *  |        Last Sequence written, messages and skips (64)         | 24
 *  +---------------------------------------------------------------+
 *  |                  First Message Time (64)                      | 32
 *  +---------------------------------------------------------------+
 *  |                   Last Message Time (64)                      | 40
 *  +---------------------------------------------------------------+
 *  |                       Message Count                           | 48
 *  +---------------------------------------------------------------+
 *  |          Message Bytes (subject + headers + payload)          | 52
 *  +---------------------------------------------------------------+
 *  |             Write Offset: end of the last record              | 56
 *  +---------------------------------------------------------------+
 *  |          Last Record Checksum ("lchk"), CRC32C                | 60
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class BlockEntryDescriptor
{
    public static final int BLOCK_ID_OFFSET = 0;
    public static final int BASE_SEQ_OFFSET = 8;
    public static final int FIRST_SEQ_OFFSET = 16;
    public static final int LAST_SEQ_OFFSET = 24;
    public static final int FIRST_TIME_OFFSET = 32;
    public static final int LAST_TIME_OFFSET = 40;
    public static final int MSGS_OFFSET = 48;
    public static final int BYTES_OFFSET = 52;
    public static final int WRITE_OFFSET_OFFSET = 56;
    public static final int LAST_CHECKSUM_OFFSET = 60;
    public static final int ENTRY_LENGTH = 64;

    private BlockEntryDescriptor()
    {
    }
}
