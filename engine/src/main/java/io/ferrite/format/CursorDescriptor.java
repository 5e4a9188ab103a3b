package io.ferrite.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of a named tailer's cursor file, {@code cursors/<name>.cursor}: two fixed slots, each a whole, checksummed
 * cursor. A write puts the next generation into the slot the current one does not occupy and forces it, so a write
 * torn by a crash or a power cut damages only that slot, and a reader falls back to the other — an older position,
 * never a newer one than was acknowledged. The newest slot whose checksum verifies wins; a file where neither does is
 * damaged. Little-endian, {@value #FILE_LENGTH} bytes.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "FCUR"                           |    0   slot 0: even generations
 *  +---------------------------------------------------------------+
 *  |                      Layout Version (1)                       |    4
 *  +---------------------------------------------------------------+
 *  |                   Generation: one more per write              |    8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |         Acked Sequence: last acknowledged, 0 for none         |   16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       Reserved (zero)                         |   24
 *  +---------------------------------------------------------------+
 *  |                  CRC32C of bytes 0..27 of the slot            |   28
 *  +---------------------------------------------------------------+
 *  |          slot 1 (odd generations), the same 32 bytes          |   32
 *  +---------------------------------------------------------------+   64
 * </pre>
 * A cursor holds a sequence and nothing of the messages, so it is plaintext in an encrypted stream too; the checksum
 * detects damage, not forgery (whoever can write the stream's directory can delete its blocks as well). A new file is
 * written whole (temp file, force, rename, directory force) with both slots holding the same position.
 */
public final class CursorDescriptor
{
    /** The directory of the cursor files, under the stream's directory. */
    public static final String DIRECTORY = "cursors";
    public static final String SUFFIX = ".cursor";

    /** "FCUR", little-endian. */
    public static final int MAGIC = 0x52554346;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int GENERATION_OFFSET = 8;
    public static final int ACKED_SEQ_OFFSET = 16;
    public static final int RESERVED_OFFSET = 24;
    public static final int CHECKSUM_OFFSET = 28;
    public static final int SLOT_LENGTH = 32;
    public static final int FILE_LENGTH = 2 * SLOT_LENGTH;

    /** {@link #checkSlot} results. */
    public static final int OK = 0;
    public static final int BAD_MAGIC = 1;
    public static final int BAD_VERSION = 2;
    public static final int BAD_CHECKSUM = 3;
    public static final int BAD_VALUE = 4;

    private CursorDescriptor()
    {
    }

    /**
     * @return the file name of cursor {@code name}.
     */
    public static String fileName(final String name)
    {
        return name + SUFFIX;
    }

    /**
     * @return the cursor name a file name stands for, or null when it is no cursor file (a temp file, say).
     */
    public static String nameOf(final String fileName)
    {
        return fileName.endsWith(SUFFIX) && fileName.length() > SUFFIX.length() && fileName.charAt(0) != '.' ?
            fileName.substring(0, fileName.length() - SUFFIX.length()) : null;
    }

    /**
     * @return the offset of the slot that holds {@code generation}.
     */
    public static int slotOffset(final long generation)
    {
        return (int)(generation & 1) * SLOT_LENGTH;
    }

    /**
     * Encode one slot, checksum included, at {@code offset} of {@code bytes}.
     */
    public static void encodeSlot(final byte[] bytes, final int offset, final long generation, final long ackedSeq)
    {
        final ByteBuffer slot = ByteBuffer.wrap(bytes, offset, SLOT_LENGTH).slice().order(ByteOrder.LITTLE_ENDIAN);
        slot.putInt(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putLong(GENERATION_OFFSET, generation)
            .putLong(ACKED_SEQ_OFFSET, ackedSeq).putInt(RESERVED_OFFSET, 0)
            .putInt(CHECKSUM_OFFSET, checksum(bytes, offset));
    }

    /**
     * @return a whole new file: both slots holding {@code ackedSeq}, generations 0 and 1.
     */
    public static byte[] newFile(final long ackedSeq)
    {
        final byte[] bytes = new byte[FILE_LENGTH];
        encodeSlot(bytes, 0, 0, ackedSeq);
        encodeSlot(bytes, SLOT_LENGTH, 1, ackedSeq);
        return bytes;
    }

    /**
     * @return {@link #OK}, or what is wrong with the slot at {@code offset}.
     */
    public static int checkSlot(final byte[] bytes, final int offset)
    {
        final ByteBuffer slot = ByteBuffer.wrap(bytes, offset, SLOT_LENGTH).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (slot.getInt(MAGIC_OFFSET) != MAGIC)
        {
            return BAD_MAGIC;
        }
        if (slot.getInt(VERSION_OFFSET) != VERSION)
        {
            return BAD_VERSION;
        }
        if (slot.getInt(CHECKSUM_OFFSET) != checksum(bytes, offset))
        {
            return BAD_CHECKSUM;
        }
        final long generation = slot.getLong(GENERATION_OFFSET);
        final long acked = slot.getLong(ACKED_SEQ_OFFSET);
        final boolean possible = generation >= 0 && slotOffset(generation) == offset && acked >= 0 &&
            acked <= RecordDescriptor.MAX_SEQUENCE;
        return possible ? OK : BAD_VALUE;
    }

    /**
     * @return the offset of the newest slot that verifies, or -1 when neither does (or the file is not
     * {@value #FILE_LENGTH} bytes long).
     */
    public static int newestSlot(final byte[] bytes)
    {
        if (bytes.length != FILE_LENGTH)
        {
            return -1;
        }
        final boolean first = checkSlot(bytes, 0) == OK;
        final boolean second = checkSlot(bytes, SLOT_LENGTH) == OK;
        if (first && second)
        {
            return generation(bytes, 0) > generation(bytes, SLOT_LENGTH) ? 0 : SLOT_LENGTH;
        }
        return first ? 0 : second ? SLOT_LENGTH : -1;
    }

    public static long generation(final byte[] bytes, final int slotOffset)
    {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(slotOffset + GENERATION_OFFSET);
    }

    public static long ackedSeq(final byte[] bytes, final int slotOffset)
    {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(slotOffset + ACKED_SEQ_OFFSET);
    }

    public static String describe(final int problem)
    {
        return switch (problem)
        {
            case OK -> "ok";
            case BAD_MAGIC -> "not a cursor slot (bad magic)";
            case BAD_VERSION -> "unsupported cursor layout version";
            case BAD_CHECKSUM -> "checksum mismatch";
            case BAD_VALUE -> "impossible generation or sequence";
            default -> "problem " + problem;
        };
    }

    private static int checksum(final byte[] bytes, final int offset)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, offset, CHECKSUM_OFFSET);
        return (int)crc.getValue();
    }
}
