package io.ferrite.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A message copied out of the store. Every byte in it was covered by a record checksum that verified when it was read.
 *
 * @param seq       the stream sequence, starting at 1.
 * @param timestamp the append time in nanoseconds since the epoch.
 * @param subject   the subject the message was appended under.
 * @param headers   the opaque header bytes, empty when there were none.
 * @param payload   the opaque payload bytes.
 */
public record StoredMessage(long seq, long timestamp, String subject, byte[] headers, byte[] payload)
{
    public StoredMessage
    {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof StoredMessage other &&
            seq == other.seq &&
            timestamp == other.timestamp &&
            subject.equals(other.subject) &&
            Arrays.equals(headers, other.headers) &&
            Arrays.equals(payload, other.payload);
    }

    @Override
    public int hashCode()
    {
        return Long.hashCode(seq) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString()
    {
        return "StoredMessage{seq=" + seq + ", timestamp=" + timestamp + ", subject='" + subject +
            "', headers=" + headers.length + " B, payload=" + payload.length + " B}";
    }
}
