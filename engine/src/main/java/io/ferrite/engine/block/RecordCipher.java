package io.ferrite.engine.block;

import io.ferrite.crypto.AuthenticationFailedException;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.format.FrameCounters;
import io.ferrite.format.SealedBodyDescriptor;
import io.ferrite.store.CorruptRecordException;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * Seals and opens the body of one record of an encrypted block, laid out as {@link SealedBodyDescriptor} draws it.
 * <p>
 * Not thread-safe: one per appending thread and one per reading thread.
 */
public final class RecordCipher
{
    /** Bytes an encrypted body adds to the plaintext one ({@link SealedBodyDescriptor#OVERHEAD}). */
    public static final int OVERHEAD = SealedBodyDescriptor.OVERHEAD;

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
        final int plainLength = SealedBodyDescriptor.PREFIX_LENGTH + subjectLength + headers.length + payload.length;
        ensureStaging(plainLength);
        putPrefix(timestamp, subjectLength, type, headers.length);
        stagingView.putBytes(SealedBodyDescriptor.PREFIX_LENGTH, subject);
        stagingView.putBytes(SealedBodyDescriptor.PREFIX_LENGTH + subjectLength, headers);
        stagingView.putBytes(SealedBodyDescriptor.PREFIX_LENGTH + subjectLength + headers.length, payload);
        cipher.seal(key, FrameCounters.of(type, seq, recordOffset, epoch), recordOffset, staging, 0, plainLength,
            view(mapped),
            recordOffset + HEADER_LENGTH);
    }

    /**
     * Make the staging buffer ready for a message body whose content (headers, then payload) the caller writes at
     * {@link #stagedContentOffset(int)}, before {@link #sealStaged}. Valid until the next call on this cipher. The
     * content starts as zeros, as a plaintext claim's does in its block: the buffer last held another record's
     * plaintext (a message sealed or opened before, an aborted claim), which a byte the caller leaves unwritten would
     * otherwise seal into this message, under its subject.
     *
     * @return the staging buffer.
     */
    public UnsafeBuffer stage(final int subjectLength, final int contentLength)
    {
        ensureStaging(SealedBodyDescriptor.PREFIX_LENGTH + subjectLength + contentLength);
        stagingView.setMemory(stagedContentOffset(subjectLength), contentLength, (byte)0);
        return stagingView;
    }

    /**
     * @return where in the staging buffer a staged message's content starts.
     */
    public static int stagedContentOffset(final int subjectLength)
    {
        return SealedBodyDescriptor.PREFIX_LENGTH + subjectLength;
    }

    /**
     * Encrypt a message body whose content the caller staged (see {@link #stage}) into the block at
     * {@code recordOffset + HEADER_LENGTH}, with its authenticated prefix and subject.
     */
    public void sealStaged(
        final BlockKey key, final ByteBuffer mapped, final int recordOffset, final long seq, final long timestamp,
        final byte[] subject, final int headersLength, final int contentLength)
    {
        final int subjectLength = subject.length;
        final int plainLength = SealedBodyDescriptor.PREFIX_LENGTH + subjectLength + contentLength;
        putPrefix(timestamp, subjectLength, TYPE_MESSAGE, headersLength);
        stagingView.putBytes(SealedBodyDescriptor.PREFIX_LENGTH, subject);
        cipher.seal(key, FrameCounters.of(TYPE_MESSAGE, seq, recordOffset, 0), recordOffset, staging, 0, plainLength,
            view(mapped), recordOffset + HEADER_LENGTH);
    }

    private void putPrefix(final long timestamp, final int subjectLength, final byte type, final int headersLength)
    {
        stagingView.putLong(SealedBodyDescriptor.TIMESTAMP_OFFSET, timestamp);
        stagingView.putShort(SealedBodyDescriptor.SUBJECT_LENGTH_OFFSET, (short)subjectLength);
        stagingView.putByte(SealedBodyDescriptor.TYPE_OFFSET, type);
        stagingView.putByte(SealedBodyDescriptor.RESERVED_OFFSET, (byte)0);
        stagingView.putInt(SealedBodyDescriptor.HEADERS_LENGTH_OFFSET, headersLength);
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
        final int plainLength = SealedBodyDescriptor.PREFIX_LENGTH + contentLength;
        final int prefix = HEADER_LENGTH - SealedBodyDescriptor.PREFIX_LENGTH;
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
        if (stagingView.getLong(prefix + SealedBodyDescriptor.TIMESTAMP_OFFSET) != block.getLong(recordOffset +
            TIMESTAMP_OFFSET))
        {
            throw new CorruptRecordException("record timestamp does not match its authenticated copy", file,
                recordOffset, seq);
        }
        if ((stagingView.getShort(prefix + SealedBodyDescriptor.SUBJECT_LENGTH_OFFSET) & 0xFFFF) != subjectLength ||
            stagingView.getInt(prefix + SealedBodyDescriptor.HEADERS_LENGTH_OFFSET) != headersLength ||
            stagingView.getByte(prefix + SealedBodyDescriptor.TYPE_OFFSET) != block.getByte(recordOffset + TYPE_OFFSET))
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
        // On the heap: FrameCipher hands an array-backed source straight to the provider, and a direct one it would
        // first have to copy into an array of its own.
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }
}
