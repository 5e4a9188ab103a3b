package io.ferrite.replication;

import io.ferrite.store.Discard;
import io.ferrite.store.StreamLimits;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Layout of the commands a replicated stream writes into the Raft log, of the read-only queries, and of the replies
 * the state machine sends back. Little-endian; strings are UTF-8. The only code that knows these offsets.
 * <pre>
 *  Command (a Raft log entry's state machine data)
 *   0  type (32): APPEND 1, REMOVE 2, PURGE 3, UPDATE_LIMITS 4, APPEND_ONCE 5, ERASE 6, COMPACT 7, TRUNCATE 8,
 *      SKIP 9, PURGE_UP_TO 10                                      4  reserved, zero (32)
 *   8  timestamp, epoch nanos (64): zero from the client; the leader stamps it once, in startTransaction
 *  16  body, by type:
 *      APPEND         16 subject length s (32)   20 headers length h (32)   24 payload length p (32)   28 zero (32)
 *                     32 subject (s)   32 + s headers (h)   32 + s + h payload (p)
 *      APPEND_ONCE    16 subject length s (32)   20 headers length h (32)   24 payload length p (32)
 *                     28 message id length i (32)   32 duplicate window, nanos (64)
 *                     40 subject (s)   40 + s headers (h)   40 + s + h payload (p)   40 + s + h + p message id (i)
 *      REMOVE, ERASE, COMPACT, TRUNCATE
 *                     16 sequence (64)
 *      SKIP           16 count (64)
 *      PURGE          16 filter length f (32)    20 zero (32)               24 filter (f)
 *      PURGE_UP_TO    16 filter length f (32)    20 zero (32)   24 up to sequence, exclusive (64)   32 filter (f)
 *      UPDATE_LIMITS  16 maxMsgs (64)   24 maxBytes (64)   32 maxAge nanos (64)   40 maxMsgsPerSubject (64)
 *                     48 discard ordinal (32)    52 zero (32)
 *
 *  Query (a read-only request)
 *   0  type (32): LAST_SEQ 16
 *
 *  Reply
 *   0  status (32): OK 0, REJECTED 1    4  message length m (32)   8  value (64): a sequence or a count
 *  16  message (m): why a command was refused, when REJECTED
 * </pre>
 * The duplicate window travels in each APPEND_ONCE, so whether a peer finds a message id inside it depends only on
 * the log (the leader's stamps), never on a peer's own configuration.
 * <p>
 * No sequence travels in an append: every peer derives it from the order of the committed log (the state machine's
 * last sequence plus one), so a sequence is assigned exactly once, at the log position the leader gave the entry.
 */
public final class ReplicationCommandDescriptor
{
    public static final int APPEND = 1;
    public static final int REMOVE = 2;
    public static final int PURGE = 3;
    public static final int UPDATE_LIMITS = 4;
    public static final int APPEND_ONCE = 5;
    public static final int ERASE = 6;
    public static final int COMPACT = 7;
    public static final int TRUNCATE = 8;
    public static final int SKIP = 9;
    public static final int PURGE_UP_TO = 10;
    public static final int QUERY_LAST_SEQ = 16;

    public static final int TYPE_OFFSET = 0;
    public static final int TIMESTAMP_OFFSET = 8;
    public static final int BODY_OFFSET = 16;

    public static final int SUBJECT_LENGTH_OFFSET = 16;
    public static final int HEADERS_LENGTH_OFFSET = 20;
    public static final int PAYLOAD_LENGTH_OFFSET = 24;
    public static final int APPEND_DATA_OFFSET = 32;

    public static final int MESSAGE_ID_LENGTH_OFFSET = 28;
    public static final int WINDOW_OFFSET = 32;
    public static final int APPEND_ONCE_DATA_OFFSET = 40;

    /** The sequence of REMOVE, ERASE, COMPACT and TRUNCATE, and the count of SKIP. */
    public static final int REMOVE_SEQ_OFFSET = 16;
    public static final int REMOVE_LENGTH = 24;

    public static final int FILTER_LENGTH_OFFSET = 16;
    public static final int FILTER_OFFSET = 24;
    public static final int UP_TO_SEQ_OFFSET = 24;
    public static final int UP_TO_FILTER_OFFSET = 32;

    public static final int MAX_MSGS_OFFSET = 16;
    public static final int MAX_BYTES_OFFSET = 24;
    public static final int MAX_AGE_OFFSET = 32;
    public static final int MAX_MSGS_PER_SUBJECT_OFFSET = 40;
    public static final int DISCARD_OFFSET = 48;
    public static final int LIMITS_LENGTH = 56;

    public static final int QUERY_LENGTH = 4;

    public static final int STATUS_OK = 0;
    public static final int STATUS_REJECTED = 1;
    public static final int REPLY_STATUS_OFFSET = 0;
    public static final int REPLY_MESSAGE_LENGTH_OFFSET = 4;
    public static final int REPLY_VALUE_OFFSET = 8;
    public static final int REPLY_MESSAGE_OFFSET = 16;

    private ReplicationCommandDescriptor()
    {
    }

    /**
     * @return a little-endian view of {@code bytes}.
     */
    public static ByteBuffer wrap(final byte[] bytes)
    {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Encode an append, its timestamp zero for the leader to stamp.
     *
     * @param headers null or empty for none.
     */
    public static byte[] encodeAppend(final String subject, final byte[] headers, final byte[] payload)
    {
        final byte[] subjectBytes = subject.getBytes(StandardCharsets.UTF_8);
        final int headersLength = null == headers ? 0 : headers.length;
        final byte[] bytes = new byte[APPEND_DATA_OFFSET + subjectBytes.length + headersLength + payload.length];
        final ByteBuffer buffer = wrap(bytes);
        buffer.putInt(TYPE_OFFSET, APPEND);
        buffer.putInt(SUBJECT_LENGTH_OFFSET, subjectBytes.length);
        buffer.putInt(HEADERS_LENGTH_OFFSET, headersLength);
        buffer.putInt(PAYLOAD_LENGTH_OFFSET, payload.length);
        System.arraycopy(subjectBytes, 0, bytes, APPEND_DATA_OFFSET, subjectBytes.length);
        if (headersLength > 0)
        {
            System.arraycopy(headers, 0, bytes, APPEND_DATA_OFFSET + subjectBytes.length, headersLength);
        }
        System.arraycopy(payload, 0, bytes, APPEND_DATA_OFFSET + subjectBytes.length + headersLength, payload.length);
        return bytes;
    }

    /**
     * Encode an append that every peer stores at most once per {@code messageId} within {@code windowNanos} of the
     * leader's clock.
     *
     * @param headers null or empty for none.
     */
    public static byte[] encodeAppendOnce(
        final String messageId, final long windowNanos, final String subject, final byte[] headers,
        final byte[] payload)
    {
        final byte[] idBytes = messageId.getBytes(StandardCharsets.UTF_8);
        final byte[] subjectBytes = subject.getBytes(StandardCharsets.UTF_8);
        final int headersLength = null == headers ? 0 : headers.length;
        final int dataLength = subjectBytes.length + headersLength + payload.length;
        final byte[] bytes = new byte[APPEND_ONCE_DATA_OFFSET + dataLength + idBytes.length];
        final ByteBuffer buffer = wrap(bytes);
        buffer.putInt(TYPE_OFFSET, APPEND_ONCE);
        buffer.putInt(SUBJECT_LENGTH_OFFSET, subjectBytes.length);
        buffer.putInt(HEADERS_LENGTH_OFFSET, headersLength);
        buffer.putInt(PAYLOAD_LENGTH_OFFSET, payload.length);
        buffer.putInt(MESSAGE_ID_LENGTH_OFFSET, idBytes.length);
        buffer.putLong(WINDOW_OFFSET, windowNanos);
        int offset = APPEND_ONCE_DATA_OFFSET;
        System.arraycopy(subjectBytes, 0, bytes, offset, subjectBytes.length);
        offset += subjectBytes.length;
        if (headersLength > 0)
        {
            System.arraycopy(headers, 0, bytes, offset, headersLength);
            offset += headersLength;
        }
        System.arraycopy(payload, 0, bytes, offset, payload.length);
        System.arraycopy(idBytes, 0, bytes, offset + payload.length, idBytes.length);
        return bytes;
    }

    public static byte[] encodeRemove(final long seq)
    {
        return encodeSequenceCommand(REMOVE, seq);
    }

    /**
     * @param type REMOVE, ERASE, COMPACT or TRUNCATE (a sequence), or SKIP (a count).
     */
    public static byte[] encodeSequenceCommand(final int type, final long value)
    {
        final byte[] bytes = new byte[REMOVE_LENGTH];
        wrap(bytes).putInt(TYPE_OFFSET, type).putLong(REMOVE_SEQ_OFFSET, value);
        return bytes;
    }

    public static byte[] encodePurge(final String filter)
    {
        final byte[] filterBytes = filter.getBytes(StandardCharsets.UTF_8);
        final byte[] bytes = new byte[FILTER_OFFSET + filterBytes.length];
        wrap(bytes).putInt(TYPE_OFFSET, PURGE).putInt(FILTER_LENGTH_OFFSET, filterBytes.length);
        System.arraycopy(filterBytes, 0, bytes, FILTER_OFFSET, filterBytes.length);
        return bytes;
    }

    /**
     * @param upToSeq remove only below this sequence (exclusive); 0 for no bound.
     */
    public static byte[] encodePurgeUpTo(final String filter, final long upToSeq)
    {
        final byte[] filterBytes = filter.getBytes(StandardCharsets.UTF_8);
        final byte[] bytes = new byte[UP_TO_FILTER_OFFSET + filterBytes.length];
        wrap(bytes).putInt(TYPE_OFFSET, PURGE_UP_TO).putInt(FILTER_LENGTH_OFFSET, filterBytes.length)
            .putLong(UP_TO_SEQ_OFFSET, upToSeq);
        System.arraycopy(filterBytes, 0, bytes, UP_TO_FILTER_OFFSET, filterBytes.length);
        return bytes;
    }

    public static byte[] encodeUpdateLimits(final StreamLimits limits)
    {
        final byte[] bytes = new byte[LIMITS_LENGTH];
        final ByteBuffer buffer = wrap(bytes);
        buffer.putInt(TYPE_OFFSET, UPDATE_LIMITS);
        putLimits(buffer, MAX_MSGS_OFFSET, limits);
        return bytes;
    }

    public static byte[] encodeQuery(final int type)
    {
        final byte[] bytes = new byte[QUERY_LENGTH];
        wrap(bytes).putInt(TYPE_OFFSET, type);
        return bytes;
    }

    /**
     * Write {@code limits} as five fields from {@code offset}: maxMsgs, maxBytes, maxAge nanos, maxMsgsPerSubject
     * (64 each) and the discard ordinal (32). The snapshot header carries the same 36 bytes.
     */
    public static void putLimits(final ByteBuffer buffer, final int offset, final StreamLimits limits)
    {
        buffer.putLong(offset, limits.maxMsgs());
        buffer.putLong(offset + 8, limits.maxBytes());
        buffer.putLong(offset + 16, limits.maxAge().toNanos());
        buffer.putLong(offset + 24, limits.maxMsgsPerSubject());
        buffer.putInt(offset + 32, limits.discard().ordinal());
    }

    /**
     * @throws IllegalArgumentException when a field is out of range (a damaged or foreign command).
     */
    public static StreamLimits getLimits(final ByteBuffer buffer, final int offset)
    {
        final int discard = buffer.getInt(offset + 32);
        if (discard < 0 || discard >= Discard.values().length)
        {
            throw new IllegalArgumentException("discard ordinal out of range: " + discard);
        }
        final long maxAgeNanos = buffer.getLong(offset + 16);
        if (maxAgeNanos < 0)
        {
            throw new IllegalArgumentException("maxAge negative: " + maxAgeNanos);
        }
        return new StreamLimits(
            buffer.getLong(offset), buffer.getLong(offset + 8), Duration.ofNanos(maxAgeNanos),
            buffer.getLong(offset + 24), Discard.values()[discard]);
    }

    /**
     * @return the UTF-8 string of {@code length} bytes at {@code offset}, after checking it lies within the buffer.
     */
    public static String getString(final ByteBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = getBytes(buffer, offset, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * @return a copy of {@code length} bytes at {@code offset}.
     * @throws IllegalArgumentException when the range lies outside the buffer.
     */
    public static byte[] getBytes(final ByteBuffer buffer, final int offset, final int length)
    {
        if (length < 0 || offset < 0 || (long)offset + length > buffer.limit())
        {
            throw new IllegalArgumentException(
                "field of " + length + " bytes at " + offset + " outside a command of " + buffer.limit() + " bytes");
        }
        final byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        return bytes;
    }

    public static byte[] encodeReply(final int status, final long value, final String message)
    {
        final byte[] messageBytes = null == message ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
        final byte[] bytes = new byte[REPLY_MESSAGE_OFFSET + messageBytes.length];
        wrap(bytes)
            .putInt(REPLY_STATUS_OFFSET, status)
            .putInt(REPLY_MESSAGE_LENGTH_OFFSET, messageBytes.length)
            .putLong(REPLY_VALUE_OFFSET, value);
        System.arraycopy(messageBytes, 0, bytes, REPLY_MESSAGE_OFFSET, messageBytes.length);
        return bytes;
    }
}
