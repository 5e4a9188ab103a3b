package io.ferrite.engine.block;

import org.agrona.DirectBuffer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * What removing a message needs to know about it — its subject and its size — read from its verified (in an
 * encrypted block, authenticated and decrypted) record.
 * <p>
 * Not thread-safe: one per remover.
 */
public final class MessageFacts
{
    private final RecordVerifier verifier = new RecordVerifier();
    private String subject;
    private int messageBytes;
    private long timestamp;

    /**
     * @return false when the record at {@code offset} does not verify (damaged, or erased).
     */
    public boolean read(final MessageBlock block, final int offset, final long seq)
    {
        final DirectBuffer record = block.verifiedRecord(offset, seq, verifier);
        if (null == record)
        {
            return false;
        }
        final int at = block.isEncrypted() ? 0 : offset;
        final int subjectLength = record.getShort(at + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        subject = record.getStringWithoutLengthAscii(subjectOffset(at), subjectLength);
        messageBytes = subjectLength + record.getInt(at + HEADERS_LENGTH_OFFSET) + record.getInt(at +
            PAYLOAD_LENGTH_OFFSET);
        timestamp = record.getLong(at + TIMESTAMP_OFFSET);
        return true;
    }

    public String subject()
    {
        return subject;
    }

    public int messageBytes()
    {
        return messageBytes;
    }

    public long timestamp()
    {
        return timestamp;
    }
}
