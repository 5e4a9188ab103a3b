package io.ferrite.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Layout of a stream snapshot, the online backup that {@code StreamStore.snapshot(WritableByteChannel)} streams out and
 * {@code FileStreamStore.restore} reads back: a header, one entry per file of the stream directory, a trailer. It is
 * written and read front to back in one pass (a pipe or a socket will do), so every checksum follows what it covers.
 * Little-endian; strings are ASCII.
 * <pre>
 *  Header
 *   0  magic "FERSNAP1" (64)
 *   8  format version (32)                 12 flags (32), bit 0: the stream is encrypted
 *  16  last sequence of the snapshot (64)
 *  24  entry count (32)                    28 stream name length n (16)    30 reserved, zero (16)
 *  32  stream name (n bytes)
 *  32 + n  CRC32C of header bytes 0 .. 32 + n - 1 (32)
 *
 *  Entry (entry count times)
 *   0  magic "FENT" (32)                    4 path length p (16)             6 reserved, zero (16)
 *   8  file length (64): the size of the restored file
 *  16  content length c (64), at most the file length: the file's first c bytes; the rest are zeros
 *  24  relative path (p bytes), see {@link #checkPath}
 *  24 + p  CRC32C of entry header bytes 0 .. 24 + p - 1 (32)
 *  28 + p  content (c bytes)
 *  28 + p + c  CRC32C of the content (32)
 *
 *  Trailer
 *   0  magic "FERSNEND" (64)
 *   8  entry count (32)                    12 reserved, zero (32)
 *  16  snapshot length before the trailer (64)
 *  24  CRC32C of every byte of the snapshot before this field (32)
 * </pre>
 * The entry header has its own checksum so that a damaged length is reported as such and never read as a length; the
 * content checksum comes after the content so the writer copies each file once, computing it on the way. The trailer
 * checksum covers the whole snapshot again (headers included), so a snapshot cut after a complete entry, or with
 * entries spliced from another snapshot, is refused too. The tail block of a stream is written only up to its last
 * record: its file length is the block's size and its content length the end of that record.
 */
public final class SnapshotDescriptor
{
    /** "FERSNAP1", little-endian. */
    public static final long MAGIC = 0x3150414E53524546L;
    public static final int VERSION = 1;
    public static final int FLAG_ENCRYPTED = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int LAST_SEQ_OFFSET = 16;
    public static final int ENTRY_COUNT_OFFSET = 24;
    public static final int NAME_LENGTH_OFFSET = 28;
    public static final int NAME_OFFSET = 32;
    /** Stream names are at most this long ({@code StreamConfig}). */
    public static final int MAX_NAME_LENGTH = 255;

    /** "FENT", little-endian. */
    public static final int ENTRY_MAGIC = 0x544E4546;
    public static final int ENTRY_MAGIC_OFFSET = 0;
    public static final int PATH_LENGTH_OFFSET = 4;
    public static final int FILE_LENGTH_OFFSET = 8;
    public static final int CONTENT_LENGTH_OFFSET = 16;
    public static final int PATH_OFFSET = 24;
    /** Longer than any path {@link #checkPath} accepts: {@code cursors/} and a 128-character name. */
    public static final int MAX_PATH_LENGTH = 255;
    /** The largest file an entry may describe: block files are addressed with 32-bit offsets. */
    public static final long MAX_FILE_LENGTH = Integer.MAX_VALUE;

    /** "FERSNEND", little-endian. */
    public static final long TRAILER_MAGIC = 0x444E45534E524546L;
    public static final int TRAILER_MAGIC_OFFSET = 0;
    public static final int TRAILER_ENTRY_COUNT_OFFSET = 8;
    public static final int TRAILER_SNAPSHOT_LENGTH_OFFSET = 16;
    public static final int TRAILER_CHECKSUM_OFFSET = 24;
    public static final int TRAILER_LENGTH = 28;

    public static final int CHECKSUM_LENGTH = 4;

    /** The files of a stream directory a snapshot may hold, besides blocks and cursors. */
    public static final String METADATA_PATH = "stream.json";
    public static final String KEY_PATH = "stream.key";
    public static final String STATE_PATH = "state.db";
    public static final String BLOCKS_PREFIX = "blocks/";
    public static final String CURSORS_PREFIX = CursorDescriptor.DIRECTORY + "/";
    public static final String CONSUMERS_PREFIX = ConsumerStateDescriptor.DIRECTORY + "/";
    /** At most this many cursor or consumer name characters (the API's tailer- and consumer-name rule). */
    public static final int MAX_CURSOR_NAME_LENGTH = 128;

    private SnapshotDescriptor()
    {
    }

    /**
     * @return the header's length for a stream name of {@code nameLength} bytes, its checksum included.
     */
    public static int headerLength(final int nameLength)
    {
        return NAME_OFFSET + nameLength + CHECKSUM_LENGTH;
    }

    /**
     * @return the entry header's length for a path of {@code pathLength} bytes, its checksum included.
     */
    public static int entryHeaderLength(final int pathLength)
    {
        return PATH_OFFSET + pathLength + CHECKSUM_LENGTH;
    }

    /**
     * @return a little-endian view of the first {@code length} bytes of {@code bytes}.
     */
    public static ByteBuffer view(final byte[] bytes, final int length)
    {
        return ByteBuffer.wrap(bytes, 0, length).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Encode the header, checksum included.
     *
     * @return the header.
     */
    public static byte[] encodeHeader(final String streamName, final boolean encrypted, final long lastSeq,
        final int entryCount)
    {
        final byte[] name = streamName.getBytes(StandardCharsets.US_ASCII);
        final byte[] bytes = new byte[headerLength(name.length)];
        final ByteBuffer header = view(bytes, bytes.length);
        header.putLong(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION)
            .putInt(FLAGS_OFFSET, encrypted ? FLAG_ENCRYPTED : 0).putLong(LAST_SEQ_OFFSET, lastSeq)
            .putInt(ENTRY_COUNT_OFFSET, entryCount).putShort(NAME_LENGTH_OFFSET, (short)name.length);
        System.arraycopy(name, 0, bytes, NAME_OFFSET, name.length);
        header.putInt(NAME_OFFSET + name.length, checksum(bytes, 0, NAME_OFFSET + name.length));
        return bytes;
    }

    /**
     * Encode an entry header, checksum included; the content and its checksum follow it.
     */
    public static byte[] encodeEntryHeader(final String path, final long fileLength, final long contentLength)
    {
        final byte[] pathBytes = path.getBytes(StandardCharsets.US_ASCII);
        final byte[] bytes = new byte[entryHeaderLength(pathBytes.length)];
        final ByteBuffer header = view(bytes, bytes.length);
        header.putInt(ENTRY_MAGIC_OFFSET, ENTRY_MAGIC).putShort(PATH_LENGTH_OFFSET, (short)pathBytes.length)
            .putLong(FILE_LENGTH_OFFSET, fileLength).putLong(CONTENT_LENGTH_OFFSET, contentLength);
        System.arraycopy(pathBytes, 0, bytes, PATH_OFFSET, pathBytes.length);
        header.putInt(PATH_OFFSET + pathBytes.length, checksum(bytes, 0, PATH_OFFSET + pathBytes.length));
        return bytes;
    }

    /**
     * Encode the trailer up to (not including) its checksum: the caller appends the running checksum of everything
     * before that field.
     */
    public static byte[] encodeTrailer(final int entryCount, final long snapshotLength)
    {
        final byte[] bytes = new byte[TRAILER_LENGTH];
        view(bytes, bytes.length).putLong(TRAILER_MAGIC_OFFSET, TRAILER_MAGIC)
            .putInt(TRAILER_ENTRY_COUNT_OFFSET, entryCount).putLong(TRAILER_SNAPSHOT_LENGTH_OFFSET, snapshotLength);
        return bytes;
    }

    /**
     * The only paths a snapshot may name, relative to the stream directory: {@value #METADATA_PATH},
     * {@value #KEY_PATH}, {@value #STATE_PATH}, {@code blocks/} and a block file name ({@link BlockDescriptor}), and
     * {@code cursors/} and a cursor file name, and {@code consumers/} and a consumer state file name, whose cursor or
     * consumer name is 1 to 128 characters of {@code A-Z a-z 0-9 . _ -} not starting with a dot. A closed list, so no
     * path can leave the directory ({@code ..}, absolute paths, separators of another system) or land on a file the
     * store would not expect.
     *
     * @return null when {@code path} is acceptable, else why not.
     */
    public static String checkPath(final String path)
    {
        if (path.equals(METADATA_PATH) || path.equals(KEY_PATH) || path.equals(STATE_PATH))
        {
            return null;
        }
        if (path.startsWith(BLOCKS_PREFIX))
        {
            return BlockDescriptor.parseFileName(path.substring(BLOCKS_PREFIX.length())) >= 0 ? null :
                "not a block file name (20 digits and " + BlockDescriptor.FILE_SUFFIX + ")";
        }
        if (path.startsWith(CURSORS_PREFIX))
        {
            final String name = CursorDescriptor.nameOf(path.substring(CURSORS_PREFIX.length()));
            return null != name && isCursorName(name) ? null : "not a cursor file name";
        }
        if (path.startsWith(CONSUMERS_PREFIX))
        {
            final String name = ConsumerStateDescriptor.nameOf(path.substring(CONSUMERS_PREFIX.length()));
            return null != name && isCursorName(name) ? null : "not a consumer state file name";
        }
        return "not a file of a stream directory (" + METADATA_PATH + ", " + KEY_PATH + ", " + STATE_PATH + ", " +
            BLOCKS_PREFIX + "<id>" + BlockDescriptor.FILE_SUFFIX + ", " + CURSORS_PREFIX + "<name>" +
            CursorDescriptor.SUFFIX + ", " + CONSUMERS_PREFIX + "<name>" + ConsumerStateDescriptor.SUFFIX + ")";
    }

    /**
     * @return the CRC32C of {@code length} bytes of {@code bytes} from {@code offset}.
     */
    public static int checksum(final byte[] bytes, final int offset, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int)crc.getValue();
    }

    private static boolean isCursorName(final String name)
    {
        if (name.isEmpty() || name.length() > MAX_CURSOR_NAME_LENGTH || name.charAt(0) == '.')
        {
            return false;
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' ||
                c == '-'))
            {
                return false;
            }
        }
        return true;
    }
}
