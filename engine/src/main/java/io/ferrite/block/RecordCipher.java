package io.ferrite.block;

import io.ferrite.crypto.AuthenticationFailedException;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.store.CorruptRecordException;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static io.ferrite.block.RecordDescriptor.*;

/**
 * Seals and opens the body of one record of an encrypted block. Each record is its own AES-GCM frame, so reading one
 * message authenticates and decrypts exactly that message (a frame is at most one record: maxMsgSize plus its subject).
 * <pre>
 *  sealed body = AES-256-GCM(block key, nonce = prefix | seq, AAD = key id | seq | record offset)
 *                over  [timestamp copy (64)] [subject] [headers] [payload]   followed by a 16-byte tag
 * </pre>
 * The record header stays plaintext (recovery and tools need sequence, time and lengths without a key) and is bound to
 * the body: the sequence and offset through the nonce and associated data, the lengths through the ciphertext length,
 * and the timestamp through its authenticated copy, compared after decryption.
 * <p>
 * Not thread-safe: one per appending thread and one per reading thread.
 */
public final class RecordCipher
{
    /** Bytes an encrypted body adds to the plaintext one: the authenticated timestamp copy and the tag. */
    public static final int OVERHEAD = Long.BYTES + FrameCipher.TAG_LENGTH;

    private final FrameCipher cipher = new FrameCipher();
    private ByteBuffer staging = allocate(4096);
    private UnsafeBuffer stagingView = new UnsafeBuffer(staging);
    private ByteBuffer mappedSource;
    private ByteBuffer mappedView;

    /**
     * Encrypt a message body into the block at {@code recordOffset + HEADER_LENGTH}.
     */
    public void seal(
        final BlockKey key, final ByteBuffer mapped, final int recordOffset, final long seq, final long timestamp,
        final String subject, final byte[] headers, final byte[] payload)
    {
        final int subjectLength = subject.length();
        final int plainLength = Long.BYTES + subjectLength + headers.length + payload.length;
        ensureStaging(plainLength);
        stagingView.putLong(0, timestamp);
        stagingView.putStringWithoutLengthAscii(Long.BYTES, subject);
        stagingView.putBytes(Long.BYTES + subjectLength, headers);
        stagingView.putBytes(Long.BYTES + subjectLength + headers.length, payload);
        cipher.seal(key, seq, recordOffset, staging, 0, plainLength, view(mapped), recordOffset + HEADER_LENGTH);
    }

    /**
     * Authenticate and decrypt the record at {@code recordOffset}, whose checksums have verified.
     *
     * @return a buffer holding the record as if it were plaintext, starting at index 0, valid until the next call.
     * @throws CorruptRecordException when the body does not authenticate.
     */
    public DirectBuffer open(
        final BlockKey key, final ByteBuffer mapped, final DirectBuffer block, final int recordOffset, final long seq,
        final Path file)
    {
        final int contentLength = (block.getShort(recordOffset + SUBJECT_LENGTH_OFFSET) & 0xFFFF) +
            block.getInt(recordOffset + HEADERS_LENGTH_OFFSET) + block.getInt(recordOffset + PAYLOAD_LENGTH_OFFSET);
        final int plainLength = Long.BYTES + contentLength;
        final int timestampCopy = HEADER_LENGTH - Long.BYTES;
        ensureStaging(HEADER_LENGTH + contentLength);
        try
        {
            cipher.open(key, seq, recordOffset, view(mapped), recordOffset + HEADER_LENGTH,
                plainLength + FrameCipher.TAG_LENGTH, staging, timestampCopy);
        }
        catch (final AuthenticationFailedException ex)
        {
            throw new CorruptRecordException("record body does not authenticate (tampered, moved or wrong key)",
                file, recordOffset, seq);
        }
        if (stagingView.getLong(timestampCopy) != block.getLong(recordOffset + TIMESTAMP_OFFSET))
        {
            throw new CorruptRecordException("record timestamp does not match its authenticated copy", file,
                recordOffset, seq);
        }
        stagingView.putBytes(0, block, recordOffset, timestampCopy);
        return stagingView;
    }

    /**
     * Drop the reference to the last mapping so a closed block can be collected.
     */
    public void release()
    {
        mappedSource = null;
        mappedView = null;
    }

    private ByteBuffer view(final ByteBuffer mapped)
    {
        if (mapped != mappedSource)
        {
            mappedSource = mapped;
            mappedView = mapped.duplicate().clear();
        }
        return mappedView;
    }

    private void ensureStaging(final int length)
    {
        if (length > staging.capacity())
        {
            staging = allocate(BitUtil.findNextPositivePowerOfTwo(length));
            stagingView = new UnsafeBuffer(staging);
        }
    }

    private static ByteBuffer allocate(final int capacity)
    {
        return ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }
}
