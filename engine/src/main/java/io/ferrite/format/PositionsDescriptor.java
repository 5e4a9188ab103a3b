package io.ferrite.format;

/**
 * The positions a writer publishes to its readers: the last sequence, the first stored one, the durable one, the
 * truncations that rewound the stream, and who the writer is. The writer keeps the area in the file
 * {@value #FILE_NAME} of the stream directory, mapped, so a reader in another process maps the same bytes (as Aeron's
 * CnC file or Chronicle Queue's metadata): fixed offsets, 8-byte aligned longs written with release stores and read
 * with acquire loads, one writer per field, the fields written on every append on a cache line of their own, so a
 * reader polling them costs no system call. Little-endian, fixed width; the file is never shorter than
 * {@link #LENGTH} and never shrunk while mapped (a reader's mapping would fault).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "FPOS"                           |    0
 *  +---------------------------------------------------------------+
 *  |                     Layout Version (1)                        |    4
 *  +---------------------------------------------------------------+
 *  |         Writer State: 1 recovering, 2 open, 3 closed          |    8
 *  +---------------------------------------------------------------+
 *  |                       (reserved)                              |   12
 *  +---------------------------------------------------------------+
 *  |     Writer Epoch: + 1 at every open by a writer (64)          |   16
 *  +---------------------------------------------------------------+
 *  |                  Writer Process Id (64)                       |   24
 *  +---------------------------------------------------------------+
 *  |  Writer Start: clock ticks since boot, -1 unknown (64)        |   32
 *  +---------------------------------------------------------------+
 *  |  Identity Kept By: the epoch of the writer that stored the    |   40
 *  |  start and boot id                                            |
 *  +---------------------------------------------------------------+
 *  |  Boot Id, high and low halves (2 x 64), -1 -1 unknown         |   48
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |    Last Sequence: every record up to it is readable (64)      |   64  written on each append
 *  +---------------------------------------------------------------+
 *  |    First Sequence holding a message, lastSeq + 1 when none    |   72  written with the totals
 *  +---------------------------------------------------------------+
 *  |   Blocks Version: + 1 whenever a block file comes or goes     |   80  written with the block array
 *  +---------------------------------------------------------------+
 *  |                   (reserved to byte 128)                      |   88
 *  +---------------------------------------------------------------+
 *  |     Durable Sequence: a completed force covers it (64)        |  128  written by the flusher
 *  +---------------------------------------------------------------+
 *  |                   (reserved to byte 192)                      |  136
 *  +---------------------------------------------------------------+
 *  |       Truncations: how many times the stream was rewound      |  192  written by truncate
 *  +---------------------------------------------------------------+
 *  |   Truncated To, ring of 16: slot (n mod 16) holds the last    |  200
 *  |   sequence kept by truncation n                               |
 *  +---------------------------------------------------------------+  328
 *  |  Truncation Begun: the count + 1 while one is under way       |  328  written by truncate, 0 at open
 *  +---------------------------------------------------------------+
 *  |  Begun Kept By: the epoch of the writer that keeps the field  |  336  written at open
 *  |  above                                                        |
 *  +---------------------------------------------------------------+  344
 * </pre>
 * A truncation writes its ring slot first and then the count (release): a reader that acquires the count, reads the
 * slots it needs and finds the count unchanged has read the slots of those truncations, seqlock fashion. A reader more
 * than {@link #TRUNCATION_RING} truncations behind cannot know how far back they went. Before it changes a block (it
 * deletes the blocks after the cut and zeroes the cut block's tail before it publishes its count) it stores the count
 * it will reach in Truncation Begun (release, then a store-store fence): a reader that meets zeros where records were
 * and then finds the begun count above the count knows them for a truncation under way, not damage. A truncation that
 * fails stores the count back there. The field means something only while Begun Kept By holds the writer's epoch:
 * a writer of this layout stores its epoch there at open (and 0 in the field), a writer from before the field existed
 * leaves whatever was there, so readers never trust a begun count it did not keep.
 * <p>
 * Whether the writer still runs is a question about its process: the id alone names whichever process holds it now,
 * another one once the writer died and the id was reused (after a reboot, say), so a reader also compares that
 * process's start (ticks since boot, which a clock step does not move) and the boot id ({@code ProcessIdentity}).
 * A writer opening stores, volatile and in this order, 0 in Identity Kept By, its id, start and boot id, its epoch in
 * Identity Kept By, and then the epoch itself: a reader that loads the epoch, Identity Kept By, the identity, and then
 * Identity Kept By and the epoch again, finding both unchanged, has one writer's identity, seqlock fashion. When
 * Identity Kept By is not the epoch (a writer from before these fields, which leaves a newer writer's behind, or one
 * caught between its first and last store) the id alone decides.
 * <p>
 * A writer opening the stream writes {@link #STATE_RECOVERING} and the next epoch before recovery touches a block,
 * and {@link #STATE_OPEN} (release) once the positions of the recovered stream are in place; closing, it writes
 * {@link #STATE_CLOSED}. A writer killed leaves {@link #STATE_OPEN} behind: the positions then describe what it had
 * published, and the next writer's epoch tells readers that everything must be looked at again. The truncation count
 * and ring carry on from writer to writer: a writer opening continues the count it finds (and adds a truncation to
 * what it kept when that is less than the writer before had published), so a reader that last looked under the writer
 * before still learns how far back the stream went since. A count lower than a reader saw means the file was made
 * afresh; the reader then assumes the stream went all the way back.
 */
public final class PositionsDescriptor
{
    /** "FPOS", little-endian. */
    public static final int MAGIC = 0x534F5046;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int WRITER_STATE_OFFSET = 8;
    public static final int EPOCH_OFFSET = 16;
    public static final int WRITER_PID_OFFSET = 24;
    public static final int WRITER_START_OFFSET = 32;
    public static final int IDENTITY_KEPT_BY_OFFSET = 40;
    public static final int BOOT_ID_HIGH_OFFSET = 48;
    public static final int BOOT_ID_LOW_OFFSET = 56;
    public static final int BLOCKS_VERSION_OFFSET = 80;
    public static final int LAST_SEQ_OFFSET = 64;
    public static final int FIRST_SEQ_OFFSET = 72;
    public static final int DURABLE_SEQ_OFFSET = 128;
    public static final int TRUNCATIONS_OFFSET = 192;
    public static final int TRUNCATED_TO_OFFSET = 200;
    public static final int TRUNCATION_BEGUN_OFFSET = 328;
    public static final int BEGUN_KEPT_BY_OFFSET = 336;
    /** Truncations remembered: a reader polling once per 16 truncations or more often learns how far back they went. */
    public static final int TRUNCATION_RING = 16;
    public static final int LENGTH = 384;

    /** The file in the stream directory that holds the area. */
    public static final String FILE_NAME = "positions";

    /** A writer is recovering the stream: no position is usable until {@link #STATE_OPEN}. */
    public static final int STATE_RECOVERING = 1;
    /** A writer has the stream open (or was killed with it open). */
    public static final int STATE_OPEN = 2;
    /** The last writer closed the stream. */
    public static final int STATE_CLOSED = 3;

    private PositionsDescriptor()
    {
    }

    /**
     * @return the offset of the ring slot holding the sequence truncation number {@code truncation} (counted from 1)
     * kept.
     */
    public static int truncatedToOffset(final long truncation)
    {
        return TRUNCATED_TO_OFFSET + (int)(truncation & (TRUNCATION_RING - 1)) * Long.BYTES;
    }
}
