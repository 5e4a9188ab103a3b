package io.ferrite.store;

import io.ferrite.format.RecordDescriptor;
import org.agrona.DirectBuffer;

/**
 * A flyweight over one verified record in mapped memory, re-pointed for every read. Nothing here allocates except the
 * explicitly copying accessors ({@link #subject()}, {@link #headers()}, {@link #payload()}).
 * <p>
 * Valid only inside {@link MessageHandler#onMessage(MessageView)}: the memory belongs to the store.
 */
public final class MessageView
{
    private DirectBuffer buffer;
    private int offset;

    /**
     * Point this view at a record whose checksums have been verified.
     */
    public MessageView wrap(final DirectBuffer buffer, final int recordOffset)
    {
        this.buffer = buffer;
        this.offset = recordOffset;
        return this;
    }

    public long seq()
    {
        return buffer.getLong(offset + RecordDescriptor.SEQUENCE_OFFSET);
    }

    public long timestamp()
    {
        return buffer.getLong(offset + RecordDescriptor.TIMESTAMP_OFFSET);
    }

    /**
     * @return the mapped buffer holding the record; read it with the offsets below.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    public int subjectOffset()
    {
        return RecordDescriptor.subjectOffset(offset);
    }

    public int subjectLength()
    {
        return buffer.getShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET) & 0xFFFF;
    }

    public int headersOffset()
    {
        return RecordDescriptor.headersOffset(offset, subjectLength());
    }

    public int headersLength()
    {
        return buffer.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET);
    }

    public int payloadOffset()
    {
        return RecordDescriptor.payloadOffset(offset, subjectLength(), headersLength());
    }

    public int payloadLength()
    {
        return buffer.getInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET);
    }

    /** Copies: allocates a String. */
    public String subject()
    {
        return buffer.getStringWithoutLengthAscii(subjectOffset(), subjectLength());
    }

    /** Copies: allocates an array. */
    public byte[] headers()
    {
        final byte[] headers = new byte[headersLength()];
        buffer.getBytes(headersOffset(), headers);
        return headers;
    }

    /** Copies: allocates an array. */
    public byte[] payload()
    {
        final byte[] payload = new byte[payloadLength()];
        buffer.getBytes(payloadOffset(), payload);
        return payload;
    }

    /**
     * @return a heap copy of the whole message.
     */
    public StoredMessage toStoredMessage()
    {
        return new StoredMessage(seq(), timestamp(), subject(), headers(), payload());
    }
}
