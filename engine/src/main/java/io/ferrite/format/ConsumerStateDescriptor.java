package io.ferrite.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Layout of a consumer's state: the compact encoding ({@code ConsumerStore.encodedState()}) and the file that holds
 * it, {@code consumers/<name>.state} under the stream's directory.
 * <p>
 * <b>The encoding</b> — two bytes, then unsigned LEB128 varints ({@code u}) and one zigzag varint ({@code z}):
 * <pre>
 *  0  magic 0xC5       1  encoding version (1)
 *  2  u ack floor consumer seq   u ack floor stream seq   u delivered consumer seq   u delivered stream seq
 *  .. u pending count P
 *     when P &gt; 0:  z base timestamp (the smallest pending timestamp, epoch nanos)
 *                   P x { u stream seq delta, u consumer seq delta, u timestamp - base }
 *  .. u redelivered count R
 *     R x { u stream seq delta, u redelivery count }
 * </pre>
 * Pending and redelivered entries are in ascending stream sequence; each stream delta is from the entry before (the
 * first from the ack floor's stream seq), each consumer delta from the pending entry before (the first from the ack
 * floor's consumer seq), so every delta is at least 1 and a long run of pending messages costs 3 to 4 bytes each.
 * Timestamps are kept whole (nanoseconds), so a state decodes to exactly what was encoded.
 * <p>
 * <b>The file</b> — little-endian, {@value #HEADER_LENGTH} bytes of header, the body, a checksum:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                         Magic "FCON"                          |    0
 *  +---------------------------------------------------------------+
 *  |                      Layout Version (1)                       |    4
 *  +---------------------------------------------------------------+
 *  |                  Flags: bit 0 body sealed                     |    8
 *  +---------------------------------------------------------------+
 *  |            Body Length n: as stored (sealed: + tag)           |   12
 *  +---------------------------------------------------------------+
 *  |       Salt of the body's key (16 bytes), zero when plain      |   16
 *  +---------------------------------------------------------------+
 *  |         Body: the encoding, or it sealed (AES-GCM + tag)      |   32
 *  +---------------------------------------------------------------+
 *  |                 CRC32C of bytes 0 .. 32 + n - 1               |   32 + n
 *  +---------------------------------------------------------------+
 * </pre>
 * The checksum tells damage (a torn or flipped file) from everything else. In an encrypted stream the body is sealed
 * under a key derived from the stream key and a fresh random salt per write (so the one GCM nonce per key never
 * repeats), with {@link #associatedData} — a context string no other file uses, the consumer's name and bytes 0..15
 * — as associated data: a state file cannot pass for {@code state.db}, for another consumer's, or with altered
 * flags or length. A file is only ever replaced whole (temp file, force, rename, directory force).
 */
public final class ConsumerStateDescriptor
{
    /** The directory of the consumer state files, under the stream's directory. */
    public static final String DIRECTORY = "consumers";
    public static final String SUFFIX = ".state";

    public static final byte ENCODING_MAGIC = (byte)0xC5;
    public static final byte ENCODING_VERSION = 1;

    /** "FCON", little-endian. */
    public static final int MAGIC = 0x4E4F4346;
    public static final int VERSION = 1;
    public static final int FLAG_SEALED = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int FLAGS_OFFSET = 8;
    public static final int BODY_LENGTH_OFFSET = 12;
    public static final int SALT_OFFSET = 16;
    public static final int SALT_LENGTH = 16;
    /** Bytes 0 up to here are authenticated in a sealed file (the salt picks the key, so it needs no binding). */
    public static final int AUTHENTICATED_HEADER_LENGTH = 16;
    public static final int HEADER_LENGTH = 32;
    public static final int CHECKSUM_LENGTH = 4;
    /**
     * The longest body a state file may hold: 64 MiB, some 16 million pending messages at 3 to 4 bytes each — far
     * beyond any consumer a stream serves, and small enough that a reader (a restore, {@code inspect}) can refuse a
     * hostile length before it allocates.
     */
    public static final int MAX_BODY_LENGTH = 64 << 20;
    /** The longest state file: {@link #fileLength} of {@link #MAX_BODY_LENGTH}. */
    public static final int MAX_FILE_LENGTH = HEADER_LENGTH + MAX_BODY_LENGTH + CHECKSUM_LENGTH;

    /** {@link #checkFile} results. */
    public static final int OK = 0;
    public static final int BAD_LENGTH = 1;
    public static final int BAD_MAGIC = 2;
    public static final int BAD_VERSION = 3;
    public static final int BAD_CHECKSUM = 4;
    public static final int BAD_FLAGS = 5;

    private static final byte[] CONTEXT = "ferrite consumer state v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_VARINT_LENGTH = 10;
    private static final long MAX_SEQUENCE = RecordDescriptor.MAX_SEQUENCE;

    private ConsumerStateDescriptor()
    {
    }

    /**
     * A consumer's state as plain values: what {@link #encode} writes and {@link #decode} returns. Pending arrays are
     * parallel and ascending by stream sequence, as are the redelivered ones.
     *
     * @param ackFloorConsumer    consumer sequence of the ack floor.
     * @param ackFloorStream      stream sequence of the ack floor.
     * @param deliveredConsumer   the last consumer sequence delivered.
     * @param deliveredStream     the last stream sequence delivered.
     * @param pendingStream       stream sequence of each message delivered and not acknowledged.
     * @param pendingConsumer     the consumer sequence of its first delivery.
     * @param pendingTimestamp    the time of its last delivery, epoch nanos.
     * @param redeliveredStream   stream sequence of each message delivered more than once.
     * @param redeliveredCount    how many times it was redelivered (deliveries - 1).
     */
    public record Image(
        long ackFloorConsumer, long ackFloorStream, long deliveredConsumer, long deliveredStream,
        long[] pendingStream, long[] pendingConsumer, long[] pendingTimestamp,
        long[] redeliveredStream, long[] redeliveredCount)
    {
    }

    /**
     * An encoding or a file that does not hold a consumer state.
     */
    public static final class MalformedException extends IllegalArgumentException
    {
        private static final long serialVersionUID = 1L;
        private final int offset;

        public MalformedException(final String message, final int offset)
        {
            super(message + " at offset " + offset);
            this.offset = offset;
        }

        /**
         * @return the offset in the encoding where the problem was found.
         */
        public int offset()
        {
            return offset;
        }
    }

    /**
     * @return the file name of consumer {@code name}'s state.
     */
    public static String fileName(final String name)
    {
        return name + SUFFIX;
    }

    /**
     * @return the consumer name a file name stands for, or null when it is no state file (a temp file, say).
     */
    public static String nameOf(final String fileName)
    {
        return fileName.endsWith(SUFFIX) && fileName.length() > SUFFIX.length() && fileName.charAt(0) != '.' ?
            fileName.substring(0, fileName.length() - SUFFIX.length()) : null;
    }

    /**
     * @return the encoding of {@code image}; the arrays must be ascending as {@link Image} says.
     */
    public static byte[] encode(final Image image)
    {
        final int pending = image.pendingStream().length;
        final int redelivered = image.redeliveredStream().length;
        final byte[] out = new byte[2 + MAX_VARINT_LENGTH * (6 + 3 * pending + 2 * redelivered)];
        out[0] = ENCODING_MAGIC;
        out[1] = ENCODING_VERSION;
        int at = 2;
        at = putVarint(out, at, image.ackFloorConsumer());
        at = putVarint(out, at, image.ackFloorStream());
        at = putVarint(out, at, image.deliveredConsumer());
        at = putVarint(out, at, image.deliveredStream());
        at = putVarint(out, at, pending);
        if (pending > 0)
        {
            long base = Long.MAX_VALUE;
            for (final long timestamp : image.pendingTimestamp())
            {
                base = Math.min(base, timestamp);
            }
            at = putVarint(out, at, (base << 1) ^ (base >> 63));
            long stream = image.ackFloorStream();
            long consumer = image.ackFloorConsumer();
            for (int i = 0; i < pending; i++)
            {
                at = putVarint(out, at, image.pendingStream()[i] - stream);
                at = putVarint(out, at, image.pendingConsumer()[i] - consumer);
                at = putVarint(out, at, image.pendingTimestamp()[i] - base);
                stream = image.pendingStream()[i];
                consumer = image.pendingConsumer()[i];
            }
        }
        at = putVarint(out, at, redelivered);
        long stream = image.ackFloorStream();
        for (int i = 0; i < redelivered; i++)
        {
            at = putVarint(out, at, image.redeliveredStream()[i] - stream);
            at = putVarint(out, at, image.redeliveredCount()[i]);
            stream = image.redeliveredStream()[i];
        }
        return Arrays.copyOf(out, at);
    }

    /**
     * Decode and check an encoding: every sequence in range, the ack floor not above what was delivered, entries
     * ascending and between the two, nothing left over.
     *
     * @throws MalformedException naming the offset of the first problem.
     */
    public static Image decode(final byte[] bytes)
    {
        if (bytes.length < 2 || bytes[0] != ENCODING_MAGIC)
        {
            throw new MalformedException("not a consumer state encoding (bad magic)", 0);
        }
        if (bytes[1] != ENCODING_VERSION)
        {
            throw new MalformedException("unsupported consumer state encoding version " + bytes[1], 1);
        }
        final Reader in = new Reader(bytes, 2);
        final long floorConsumer = in.sequence("ack floor consumer seq");
        final long floorStream = in.sequence("ack floor stream seq");
        final long deliveredConsumer = in.sequence("delivered consumer seq");
        final long deliveredStream = in.sequence("delivered stream seq");
        if (floorConsumer > deliveredConsumer || floorStream > deliveredStream)
        {
            throw new MalformedException("ack floor (" + floorConsumer + ", " + floorStream + ") above delivered (" +
                deliveredConsumer + ", " + deliveredStream + ")", 2);
        }
        // Each entry takes at least 3 bytes: a count beyond what is left is damage, not a reason to allocate.
        final int pending = in.count("pending count", 3);
        final long[] pendingStream = new long[pending];
        final long[] pendingConsumer = new long[pending];
        final long[] pendingTimestamp = new long[pending];
        if (pending > 0)
        {
            final long zigzag = in.varint("base timestamp");
            final long base = (zigzag >>> 1) ^ -(zigzag & 1);
            long stream = floorStream;
            long consumer = floorConsumer;
            for (int i = 0; i < pending; i++)
            {
                stream = in.above(stream, deliveredStream, "pending stream seq");
                consumer = in.above(consumer, deliveredConsumer, "pending consumer seq");
                pendingStream[i] = stream;
                pendingConsumer[i] = consumer;
                pendingTimestamp[i] = base + in.varint("pending timestamp");
            }
        }
        final int redelivered = in.count("redelivered count", 2);
        final long[] redeliveredStream = new long[redelivered];
        final long[] redeliveredCount = new long[redelivered];
        long stream = floorStream;
        for (int i = 0; i < redelivered; i++)
        {
            stream = in.above(stream, deliveredStream, "redelivered stream seq");
            redeliveredStream[i] = stream;
            redeliveredCount[i] = in.varint("redelivery count");
            if (redeliveredCount[i] < 1)
            {
                throw new MalformedException("redelivery count " + redeliveredCount[i] + " of stream seq " + stream,
                    in.at);
            }
        }
        if (in.at != bytes.length)
        {
            throw new MalformedException((bytes.length - in.at) + " bytes after the consumer state", in.at);
        }
        return new Image(floorConsumer, floorStream, deliveredConsumer, deliveredStream, pendingStream,
            pendingConsumer, pendingTimestamp, redeliveredStream, redeliveredCount);
    }

    /**
     * @return the length of a file whose body is {@code bodyLength} bytes as stored.
     */
    public static int fileLength(final int bodyLength)
    {
        return HEADER_LENGTH + bodyLength + CHECKSUM_LENGTH;
    }

    /**
     * Write the header into {@code file} (a buffer of {@link #fileLength} bytes): magic, version, flags, body length,
     * salt (null for a plain body).
     */
    public static void putHeader(final byte[] file, final int flags, final int bodyLength, final byte[] salt)
    {
        final ByteBuffer header = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(FLAGS_OFFSET, flags)
            .putInt(BODY_LENGTH_OFFSET, bodyLength);
        if (null != salt)
        {
            System.arraycopy(salt, 0, file, SALT_OFFSET, SALT_LENGTH);
        }
    }

    /**
     * Write the trailing checksum of a file whose header is in place.
     */
    public static void putChecksum(final byte[] file)
    {
        final int end = file.length - CHECKSUM_LENGTH;
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(end, checksum(file, end));
    }

    /**
     * @return {@link #OK}, or what is wrong with the whole file {@code file}.
     */
    public static int checkFile(final byte[] file)
    {
        if (file.length < HEADER_LENGTH + CHECKSUM_LENGTH)
        {
            return BAD_LENGTH;
        }
        final ByteBuffer header = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (header.getInt(MAGIC_OFFSET) != MAGIC)
        {
            return BAD_MAGIC;
        }
        if (header.getInt(VERSION_OFFSET) != VERSION)
        {
            return BAD_VERSION;
        }
        if (header.getInt(BODY_LENGTH_OFFSET) != file.length - HEADER_LENGTH - CHECKSUM_LENGTH)
        {
            return BAD_LENGTH;
        }
        final int end = file.length - CHECKSUM_LENGTH;
        if (header.getInt(end) != checksum(file, end))
        {
            return BAD_CHECKSUM;
        }
        return (header.getInt(FLAGS_OFFSET) & ~FLAG_SEALED) == 0 ? OK : BAD_FLAGS;
    }

    public static boolean sealed(final byte[] file)
    {
        return (ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(FLAGS_OFFSET) & FLAG_SEALED) != 0;
    }

    public static int bodyLength(final byte[] file)
    {
        return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(BODY_LENGTH_OFFSET);
    }

    public static byte[] salt(final byte[] file)
    {
        return Arrays.copyOfRange(file, SALT_OFFSET, SALT_OFFSET + SALT_LENGTH);
    }

    /**
     * @return the associated data a sealed body of consumer {@code name} is bound to: the context string, the name
     * and the file's bytes 0..15 (header with the body length as stored).
     */
    public static ByteBuffer associatedData(final String name, final byte[] file)
    {
        final byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer data = ByteBuffer.allocate(CONTEXT.length + 2 + utf8.length + AUTHENTICATED_HEADER_LENGTH);
        data.put(CONTEXT).putShort((short)utf8.length).put(utf8).put(file, 0, AUTHENTICATED_HEADER_LENGTH).flip();
        return data;
    }

    public static String describe(final int problem)
    {
        return switch (problem)
        {
            case OK -> "ok";
            case BAD_LENGTH -> "wrong length (torn or truncated)";
            case BAD_MAGIC -> "not a consumer state file (bad magic)";
            case BAD_VERSION -> "unsupported consumer state layout version";
            case BAD_CHECKSUM -> "checksum mismatch";
            case BAD_FLAGS -> "unknown flags";
            default -> "problem " + problem;
        };
    }

    private static int checksum(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }

    private static int putVarint(final byte[] out, final int offset, final long value)
    {
        int at = offset;
        long rest = value;
        while ((rest & ~0x7FL) != 0)
        {
            out[at++] = (byte)((rest & 0x7F) | 0x80);
            rest >>>= 7;
        }
        out[at++] = (byte)rest;
        return at;
    }

    /**
     * Reads varints, naming the field and offset of anything out of place.
     */
    private static final class Reader
    {
        private final byte[] bytes;
        private int at;

        Reader(final byte[] bytes, final int at)
        {
            this.bytes = bytes;
            this.at = at;
        }

        long varint(final String field)
        {
            final int start = at;
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (at >= bytes.length)
                {
                    throw new MalformedException("consumer state ends inside " + field, start);
                }
                final byte b = bytes[at++];
                value |= (long)(b & 0x7F) << shift;
                if (b >= 0)
                {
                    return value;
                }
            }
            throw new MalformedException("varint of " + field + " longer than 10 bytes", start);
        }

        long sequence(final String field)
        {
            final int start = at;
            final long value = varint(field);
            if (value < 0 || value > MAX_SEQUENCE)
            {
                throw new MalformedException(field + " " + Long.toUnsignedString(value) + " out of range", start);
            }
            return value;
        }

        int count(final String field, final int minBytesEach)
        {
            final int start = at;
            final long value = varint(field);
            if (value < 0 || value > (bytes.length - at) / minBytesEach)
            {
                throw new MalformedException(field + " " + Long.toUnsignedString(value) + " exceeds what the " +
                    "encoding holds", start);
            }
            return (int)value;
        }

        long above(final long previous, final long limit, final String field)
        {
            final int start = at;
            final long delta = varint(field);
            if (delta < 1 || delta > limit - previous)
            {
                throw new MalformedException(field + " delta " + Long.toUnsignedString(delta) + " after " + previous +
                    " is not in [1, " + (limit - previous) + "]", start);
            }
            return previous + delta;
        }
    }
}
