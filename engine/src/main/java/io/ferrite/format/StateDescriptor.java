package io.ferrite.format;

/**
 * Layout of {@code state.db}: a header that checksums the body, stream totals, the block index copied verbatim, and
 * per-subject state. Everything is little-endian.
 * <pre>
 *  Header (64 bytes)
 *   0  magic "FERSTATE" (64)       8  version (32)       12 flags (32), bit 0: body encrypted
 *  16  body length (64)           24  body CRC32C (32)   28 reserved (32)
 *  32  salt of the body's key (128), zero when plaintext  48 reserved ... 60 header CRC32C of bytes 0..59
 *  In an encrypted state the subject section is sealed (AES-GCM, 16-byte tag after it) with the totals and block
 *  entries before it as associated data.
 *  Body
 *   0  msgs (64)        8  bytes (64)       16 first seq (64)     24 last seq (64)
 *  32  first time (64) 40  last time (64)   48 next block id (64)
 *  56  block count (32) 60 subject count (32)
 *  64  block entries: block count x {@link BlockEntryDescriptor#ENTRY_LENGTH} bytes,
     the last one holding the tail's lchk
 *  ..  removed sequences: run count (64), then per run first (64) and last (64) sequence, ascending
 *  ..  subjects: subject length (16), ASCII subject, msgs (64), first seq (64), last seq (64), flags (8: bit 0 first
 *      exact, bit 1 last exact — a removal may leave a bound, see the engine's {@code SubjectIndex})
 * </pre>
 */
public final class StateDescriptor
{
    /** "FERSTATE" little-endian. */
    public static final long MAGIC = 0x4554415453524546L;
    public static final int VERSION = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int FLAG_ENCRYPTED = 1;
    public static final int SALT_OFFSET = 32;
    public static final int BODY_LENGTH_OFFSET = 16;
    public static final int BODY_CHECKSUM_OFFSET = 24;
    public static final int HEADER_CHECKSUM_OFFSET = 60;
    public static final int HEADER_LENGTH = 64;

    public static final int MSGS_OFFSET = 0;
    public static final int BYTES_OFFSET = 8;
    public static final int FIRST_SEQ_OFFSET = 16;
    public static final int LAST_SEQ_OFFSET = 24;
    public static final int FIRST_TIME_OFFSET = 32;
    public static final int LAST_TIME_OFFSET = 40;
    public static final int NEXT_BLOCK_ID_OFFSET = 48;
    public static final int BLOCK_COUNT_OFFSET = 56;
    public static final int SUBJECT_COUNT_OFFSET = 60;
    public static final int BLOCKS_OFFSET = 64;

    /** Per subject: msgs, first seq, last seq and flags after the length-prefixed subject. */
    public static final int SUBJECT_FIXED_LENGTH = 2 + 3 * 8 + 1;
    public static final int SUBJECT_FIRST_EXACT = 1;
    public static final int SUBJECT_LAST_EXACT = 2;
    /** Each removed run: first and last sequence. */
    public static final int RUN_LENGTH = 16;

    private StateDescriptor()
    {
    }
}
