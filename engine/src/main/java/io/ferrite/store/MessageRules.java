package io.ferrite.store;

import org.agrona.DirectBuffer;

import java.util.Objects;

/**
 * The checks of a message's headers and payload every {@link StreamStore} makes before an append or a claim, one rule
 * and one wording for all of them: lengths are not negative, headers and payload together fit the stream's
 * {@link StreamConfig#maxMsgSize()}, and an offset and length lie within their buffer.
 */
public final class MessageRules
{
    private MessageRules()
    {
    }

    /**
     * @param headers the headers, never null (an append without headers passes an empty array).
     * @return the bytes of headers and payload together.
     * @throws IllegalArgumentException when they are above the stream's maximum message size.
     * @throws NullPointerException     when {@code payload} is null.
     */
    public static long contentLength(final StreamConfig config, final byte[] headers, final byte[] payload)
    {
        Objects.requireNonNull(payload, "payload");
        final long content = (long)headers.length + payload.length;
        if (content > config.maxMsgSize())
        {
            throw new IllegalArgumentException("headers + payload is " + content + " bytes, above maxMsgSize " +
                config.maxMsgSize() + " of stream " + config.name());
        }
        return content;
    }

    /**
     * @return the bytes of headers and payload together, of a claim or a buffer append.
     * @throws IllegalArgumentException when a length is negative, or together they are above the stream's maximum
     *                                  message size.
     */
    public static long contentLength(final StreamConfig config, final int headersLength, final int payloadLength)
    {
        if (headersLength < 0)
        {
            throw new IllegalArgumentException("headersLength must be >= 0: " + headersLength);
        }
        if (payloadLength < 0)
        {
            throw new IllegalArgumentException("payloadLength must be >= 0: " + payloadLength);
        }
        final long content = (long)headersLength + payloadLength;
        if (content > config.maxMsgSize())
        {
            throw new IllegalArgumentException("headersLength + payloadLength is " + content + " bytes, above " +
                "maxMsgSize " + config.maxMsgSize() + " of stream " + config.name());
        }
        return content;
    }

    /**
     * @return the bytes of headers and payload together, of an append from buffers; the headers buffer is checked
     * only when {@code headersLength} is not zero, so it may be null then.
     * @throws IllegalArgumentException as {@link #contentLength(StreamConfig, int, int)}, or when a range does not lie
     *                                  within its buffer.
     */
    public static long contentLength(
        final StreamConfig config, final DirectBuffer headers, final int headersOffset, final int headersLength,
        final DirectBuffer payload, final int payloadOffset, final int payloadLength)
    {
        final long content = contentLength(config, headersLength, payloadLength);
        if (headersLength > 0)
        {
            requireRange(headers, "headers", headersOffset, headersLength);
        }
        requireRange(payload, "payload", payloadOffset, payloadLength);
        return content;
    }

    /**
     * @throws IllegalArgumentException when {@code buffer} is null or {@code [offset, offset + length)} does not lie
     *                                  within it.
     */
    public static void requireRange(final DirectBuffer buffer, final String name, final int offset, final int length)
    {
        if (null == buffer)
        {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (offset < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IllegalArgumentException(name + "Offset " + offset + " + " + name + "Length " + length +
                " must lie in [0, " + buffer.capacity() + "], the capacity of " + name);
        }
    }
}
