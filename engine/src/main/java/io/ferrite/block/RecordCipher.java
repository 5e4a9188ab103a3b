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
 *  sealed body = AES-256-GCM(block key, nonce = prefix | frame counter, AAD = key id | frame counter | record offset)
 *                over  [timestamp copy (64)] [subject length copy (32)] [headers length copy (32)]
 *                      [subject] [headers] [payload]                       followed by a 16-byte tag
 * </pre>
 * The frame counter is the record's sequence, or for a tombstone its offset in a disjoint domain
 * ({@link FrameCounters}). The record header stays plaintext (recovery and tools need sequence, time and lengths
 * without a key) and is bound to the body: the sequence and offset through the nonce and associated data, the total
 * length through the ciphertext length, and the timestamp and where the subject, headers and payload split through
 * their authenticated copies,
 * compared after decryption (without the copies, a header whose lengths were shifted and whose checksums were
 * recomputed would hand out authenticated bytes as the wrong fields).
 * <p>
 * Not thread-safe: one per appending thread and one per reading thread.
 */
public final class RecordCipher
{
    /**
     * Authenticated copies of header fields that lead the sealed body: timestamp (64), subject length (16), record
     * type (8), reserved (8), headers length (32). The type makes a skip record as unforgeable as a message: turning a
     * message into a skip (to make it vanish) fails authentication.
     */
    private static final int PREFIX_LENGTH = 16;
    private static final int PREFIX_SUBJECT_LENGTH = Long.BYTES;
    private static final int PREFIX_TYPE = Long.BYTES + Short.BYTES;
    private static final int PREFIX_HEADERS_LENGTH = Long.BYTES + Integer.BYTES;

    /** Bytes an encrypted body adds to the plaintext one: the authenticated header copies and the tag. */
    public static final int OVERHEAD = PREFIX_LENGTH + FrameCipher.TAG_LENGTH;

    private final FrameCipher cipher = new FrameCipher();
    private ByteBuffer staging = allocate(4096);
    private UnsafeBuffer stagingView = new UnsafeBuffer(staging);
    private ByteBuffer mappedSource;
    private ByteBuffer mappedView;

    /**
     * Encrypt a record body into the block at {@code recordOffset + HEADER_LENGTH}: a message's, or a skip record's
     * (empty subject, headers and payload: only the authenticated prefix).
     */
    public void seal(
        final BlockKey key, final ByteBuffer mapped, final int recordOffset, final long seq, final long timestamp,
        final byte type, final byte[] subject, final byte[] headers, final byte[] payload)
    {
        seal(key, mapped, recordOffset, seq, timestamp, type, subject, headers, payload, 0);
    }

    /**
     * As {@link #seal(BlockKey, ByteBuffer, int, long, long, byte, byte[], byte[], byte[])}, for a tombstone of
     * {@code epoch} (see {@link FrameCounters}).
     */
    public void seal(
        final BlockKey key, final ByteBuffer mapped, final int recordOffset, final long seq, final long timestamp,
        final byte type, final byte[] subject, final byte[] headers, final byte[] payload, final int epoch)
    {
        final int subjectLength = subject.length;
        final int plainLength = PREFIX_LENGTH + subjectLength + headers.length + payload.length;
        ensureStaging(plainLength);
        stagingView.putLong(0, timestamp);
        stagingView.putShort(PREFIX_SUBJECT_LENGTH, (short)subjectLength);
        stagingView.putByte(PREFIX_TYPE, type);
        stagingView.putByte(PREFIX_TYPE + 1, (byte)0);
        stagingView.putInt(PREFIX_HEADERS_LENGTH, headers.length);
        stagingView.putBytes(PREFIX_LENGTH, subject);
        stagingView.putBytes(PREFIX_LENGTH + subjectLength, headers);
        stagingView.putBytes(PREFIX_LENGTH + subjectLength + headers.length, payload);
        cipher.seal(key, FrameCounters.of(type, seq, recordOffset, epoch), recordOffset, staging, 0, plainLength, view(mapped),
            recordOffset + HEADER_LENGTH);
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
        final byte type = block.getByte(recordOffset + TYPE_OFFSET);
        if (type != TYPE_DELETE && !isSequence(seq))
        {
            throw new CorruptRecordException("record sequence is above the highest a stream may assign, " +
                MAX_SEQUENCE, file, recordOffset, seq);
        }
        final int subjectLength = block.getShort(recordOffset + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        final int headersLength = block.getInt(recordOffset + HEADERS_LENGTH_OFFSET);
        final int payloadLength = block.getInt(recordOffset + PAYLOAD_LENGTH_OFFSET);
        final long content = (long)subjectLength + headersLength + payloadLength;
        // Checked before anything is sized from them: lengths that do not fill exactly this frame are damage.
        if (headersLength < 0 || payloadLength < 0 ||
            frameLengthForContent(content, true) != block.getInt(recordOffset + FRAME_LENGTH_OFFSET))
        {
            throw new CorruptRecordException("record lengths do not match its frame length", file, recordOffset, seq);
        }
        final int contentLength = (int)content;
        final int plainLength = PREFIX_LENGTH + contentLength;
        final int prefix = HEADER_LENGTH - PREFIX_LENGTH;
        ensureStaging(HEADER_LENGTH + contentLength);
        try
        {
            // A tombstone's epoch is in its header (covered by the header checksum; a changed one fails the tag).
            final int epoch = type == TYPE_DELETE ? block.getInt(recordOffset + TOMBSTONE_EPOCH_OFFSET) : 0;
            if (epoch < 0)
            {
                throw new CorruptRecordException("tombstone epoch " + epoch + " is negative", file, recordOffset, seq);
            }
            cipher.open(key, FrameCounters.of(type, seq, recordOffset, epoch), recordOffset,
                view(mapped), recordOffset + HEADER_LENGTH,
                plainLength + FrameCipher.TAG_LENGTH, staging, prefix);
        }
        catch (final AuthenticationFailedException ex)
        {
            throw new CorruptRecordException("record body does not authenticate (tampered, moved or wrong key)",
                file, recordOffset, seq);
        }
        if (stagingView.getLong(prefix) != block.getLong(recordOffset + TIMESTAMP_OFFSET))
        {
            throw new CorruptRecordException("record timestamp does not match its authenticated copy", file,
                recordOffset, seq);
        }
        if ((stagingView.getShort(prefix + PREFIX_SUBJECT_LENGTH) & 0xFFFF) != subjectLength ||
            stagingView.getInt(prefix + PREFIX_HEADERS_LENGTH) != headersLength ||
            stagingView.getByte(prefix + PREFIX_TYPE) != block.getByte(recordOffset + TYPE_OFFSET))
        {
            throw new CorruptRecordException("record type, subject or headers length does not match its " +
                "authenticated copy", file, recordOffset, seq);
        }
        // The authenticated copies have served; the plaintext view needs the header itself in front of the subject.
        stagingView.putBytes(0, block, recordOffset, HEADER_LENGTH);
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
