package io.ferrite.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of an environment's catalog file, {@code <root>/catalog.snapshot}: a header, one entry per stream with its
 * consumers, and a CRC32C over everything before it. Little-endian. Written whole (temp file, force, rename, root
 * sync), so a reader sees the old file or the new one; the checksum catches damage, not forgery.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "FCAT"                           |    0
 *  +---------------------------------------------------------------+
 *  |                      Layout Version (1)                       |    4
 *  +---------------------------------------------------------------+
 *  |              Taken At: epoch nanoseconds                      |    8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Stream Count                           |   16
 *  +---------------------------------------------------------------+
 *  |             File Length, checksum included                    |   20
 *  +---------------------------------------------------------------+   24
 *  |          Stream entries, one after the other ...              |
 *  +---------------------------------------------------------------+
 *  |         CRC32C of bytes 0 .. File Length - 4                  |   File Length - 4
 *  +---------------------------------------------------------------+
 *
 *  Stream entry (the fixed part, then the name, then its consumers):
 *  +---------------------------------------------------------------+
 *  |     Name Length (16 bits)     |  Flags (8)    | Reserved (8)  |   +0   flags: bit 0 = open
 *  +---------------------------------------------------------------+
 *  |                        Consumer Count                         |   +4
 *  +---------------------------------------------------------------+
 *  |   First Seq, Last Seq, Msgs, Bytes, Durable Seq: 5 x 64 bits  |   +8 .. +48
 *  +---------------------------------------------------------------+
 *  |                  Name: Name Length bytes, ASCII               |   +48
 *  +---------------------------------------------------------------+
 *  Consumer entry:
 *  +---------------------------------------------------------------+
 *  |     Name Length (16 bits)     |        Reserved (16)          |   +0
 *  +---------------------------------------------------------------+
 *  |                        State Length                           |   +4
 *  +---------------------------------------------------------------+
 *  |  Name (Name Length bytes), then the state in the encoding of  |   +8
 *  |  ConsumerStateDescriptor (State Length bytes)                 |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class CatalogDescriptor
{
    /** The file's name in the environment's root (a dot in it: no stream can take it). */
    public static final String FILE_NAME = "catalog.snapshot";

    /** "FCAT", little-endian. */
    public static final int MAGIC = 0x54414346;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int TAKEN_AT_OFFSET = 8;
    public static final int STREAM_COUNT_OFFSET = 16;
    public static final int FILE_LENGTH_OFFSET = 20;
    public static final int HEADER_LENGTH = 24;
    public static final int CHECKSUM_LENGTH = 4;

    public static final int STREAM_NAME_LENGTH_OFFSET = 0;
    public static final int STREAM_FLAGS_OFFSET = 2;
    public static final int STREAM_CONSUMER_COUNT_OFFSET = 4;
    public static final int STREAM_FIRST_SEQ_OFFSET = 8;
    public static final int STREAM_LAST_SEQ_OFFSET = 16;
    public static final int STREAM_MSGS_OFFSET = 24;
    public static final int STREAM_BYTES_OFFSET = 32;
    public static final int STREAM_DURABLE_SEQ_OFFSET = 40;
    public static final int STREAM_FIXED_LENGTH = 48;
    public static final int STREAM_FLAG_OPEN = 1;

    public static final int CONSUMER_NAME_LENGTH_OFFSET = 0;
    public static final int CONSUMER_STATE_LENGTH_OFFSET = 4;
    public static final int CONSUMER_FIXED_LENGTH = 8;

    /** {@link #checkFile} results. */
    public static final int OK = 0;
    public static final int TOO_SHORT = 1;
    public static final int BAD_MAGIC = 2;
    public static final int BAD_VERSION = 3;
    public static final int BAD_LENGTH = 4;
    public static final int BAD_CHECKSUM = 5;

    private CatalogDescriptor()
    {
    }

    /**
     * @return the length of a stream entry's fixed part and name.
     */
    public static int streamEntryLength(final int nameLength)
    {
        return STREAM_FIXED_LENGTH + nameLength;
    }

    /**
     * @return the length of a consumer entry.
     */
    public static int consumerEntryLength(final int nameLength, final int stateLength)
    {
        return CONSUMER_FIXED_LENGTH + nameLength + stateLength;
    }

    /**
     * Write the header of a file of {@code fileLength} bytes into {@code file} (little-endian, position 0).
     */
    public static void putHeader(
        final ByteBuffer file, final long takenAtNanos, final int streamCount, final int fileLength)
    {
        file.order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION)
            .putLong(TAKEN_AT_OFFSET, takenAtNanos).putInt(STREAM_COUNT_OFFSET, streamCount)
            .putInt(FILE_LENGTH_OFFSET, fileLength);
    }

    /**
     * Put the checksum of bytes {@code [0, length - 4)} at {@code length - 4}; the buffer is the whole file.
     */
    public static void putChecksum(final ByteBuffer file)
    {
        final int length = file.getInt(FILE_LENGTH_OFFSET);
        file.putInt(length - CHECKSUM_LENGTH, checksum(file, length));
    }

    /**
     * @param file the whole file read (little-endian), from position 0, {@code file.limit()} bytes.
     * @return {@link #OK}, or the first thing wrong with it; an entry's lengths are the reader's to check.
     */
    public static int checkFile(final ByteBuffer file)
    {
        final int size = file.limit();
        if (size < HEADER_LENGTH + CHECKSUM_LENGTH)
        {
            return TOO_SHORT;
        }
        if (file.getInt(MAGIC_OFFSET) != MAGIC)
        {
            return BAD_MAGIC;
        }
        if (file.getInt(VERSION_OFFSET) != VERSION)
        {
            return BAD_VERSION;
        }
        if (file.getInt(FILE_LENGTH_OFFSET) != size)
        {
            return BAD_LENGTH;
        }
        return file.getInt(size - CHECKSUM_LENGTH) == checksum(file, size) ? OK : BAD_CHECKSUM;
    }

    /**
     * @return the offset {@link #checkFile} found wrong for {@code result}.
     */
    public static int offsetOf(final int result, final int fileSize)
    {
        return switch (result)
        {
            case BAD_MAGIC, TOO_SHORT -> MAGIC_OFFSET;
            case BAD_VERSION -> VERSION_OFFSET;
            case BAD_LENGTH -> FILE_LENGTH_OFFSET;
            default -> Math.max(0, fileSize - CHECKSUM_LENGTH);
        };
    }

    /**
     * @return what {@link #checkFile}'s result means, for messages.
     */
    public static String describe(final int result)
    {
        return switch (result)
        {
            case OK -> "ok";
            case TOO_SHORT -> "shorter than a header and a checksum";
            case BAD_MAGIC -> "not a catalog file (bad magic)";
            case BAD_VERSION -> "unknown layout version (this release reads " + VERSION + ")";
            case BAD_LENGTH -> "recorded length differs from the file's size";
            case BAD_CHECKSUM -> "checksum mismatch";
            default -> "unknown check result " + result;
        };
    }

    private static int checksum(final ByteBuffer file, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(file.duplicate().position(0).limit(length - CHECKSUM_LENGTH));
        return (int)crc.getValue();
    }
}
