package io.ferrite.engine.block;

import io.ferrite.crypto.BlockKey;
import io.ferrite.format.Crc32c;
import io.ferrite.format.RecordDescriptor;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.MappedByteBuffer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * Writes one record in the layout of {@link RecordDescriptor}: header, body (plaintext, or sealed by
 * {@link RecordCipher} when the block has a key), zero padding, then the header and record checksums — the record
 * checksum continues the header's CRC pass rather than reading the header again.
 * <p>
 * Before anything is written, a message's body is checked to end before the frame's record checksum, and the frame
 * is checked once against the block's buffer; the header, a plaintext body's {@code byte[]}s and the padding then go
 * in without a check per field (a dozen per record, a measurable part of an append's CPU). A sealed body is written
 * by {@link RecordCipher} through the mapped {@code ByteBuffer}, which checks its own bounds; skips and tombstones
 * have fixed bodies that every frame of theirs holds.
 * <p>
 * Stateless; called by the appending thread for the block it owns.
 */
final class RecordWriter
{
    private static final byte[] NO_BYTES = new byte[0];

    private RecordWriter()
    {
    }

    /**
     * @return the record checksum.
     */
    static int writeMessage(
        final UnsafeBuffer out, final MappedByteBuffer mapped, final BlockKey key, final int offset, final long seq,
        final long timestamp, final byte[] subject, final byte[] headers, final byte[] payload, final int frameLength,
        final Crc32c crc, final RecordCipher cipher)
    {
        final int bodyEnd = checkedBodyEnd(offset, frameLength, subject.length, (long)headers.length + payload.length,
            null != key);
        writeHeader(out, offset, frameLength, TYPE_MESSAGE, null != key, subject.length, seq, timestamp,
            headers.length, payload.length);
        if (null == key)
        {
            final int headersOffset = headersOffset(offset, subject.length);
            copy(out, subjectOffset(offset), subject);
            copy(out, headersOffset, headers);
            copy(out, headersOffset + headers.length, payload);
        }
        else
        {
            cipher.seal(key, mapped, offset, seq, timestamp, TYPE_MESSAGE, subject, headers, payload);
        }
        return pad(out, mapped, offset, bodyEnd, frameLength, crc);
    }

    /**
     * Write a message whose content (headers, then payload) is already in place: for a plaintext block in the block
     * itself at {@code headersOffset(offset, subject.length)}, for an encrypted one staged in {@code cipher} (see
     * {@link RecordCipher#stage}). The frame length, the record's first word, is written here, so until this runs the
     * record's start holds zeros, which every scan reads as the end of the data.
     *
     * @return the record checksum.
     */
    static int writePlacedMessage(
        final UnsafeBuffer out, final MappedByteBuffer mapped, final BlockKey key, final int offset, final long seq,
        final long timestamp, final byte[] subject, final int headersLength, final int payloadLength,
        final int frameLength, final Crc32c crc, final RecordCipher cipher)
    {
        final int bodyEnd = checkedBodyEnd(offset, frameLength, subject.length, (long)headersLength + payloadLength,
            null != key);
        writeHeader(out, offset, frameLength, TYPE_MESSAGE, null != key, subject.length, seq, timestamp,
            headersLength, payloadLength);
        if (null == key)
        {
            copy(out, subjectOffset(offset), subject);
        }
        else
        {
            cipher.sealStaged(key, mapped, offset, seq, timestamp, subject, headersLength,
                headersLength + payloadLength);
        }
        return pad(out, mapped, offset, bodyEnd, frameLength, crc);
    }

    /**
     * @return the record checksum.
     */
    static int writeSkip(
        final UnsafeBuffer out, final MappedByteBuffer mapped, final BlockKey key, final int offset, final long seq,
        final long timestamp, final int frameLength, final Crc32c crc, final RecordCipher cipher)
    {
        writeHeader(out, offset, frameLength, TYPE_SKIP, null != key, 0, seq, timestamp, 0, 0);
        int bodyEnd = subjectOffset(offset);
        if (null != key)
        {
            cipher.seal(key, mapped, offset, seq, timestamp, TYPE_SKIP, NO_BYTES, NO_BYTES, NO_BYTES);
            bodyEnd += RecordCipher.OVERHEAD;
        }
        return pad(out, mapped, offset, bodyEnd, frameLength, crc);
    }

    /**
     * @param lastSeq the stream's last sequence, stamped in the header: a tombstone takes no sequence of its own.
     * @return the record checksum.
     */
    static int writeTombstone(
        final UnsafeBuffer out, final MappedByteBuffer mapped, final BlockKey key, final int offset, final long lastSeq,
        final long timestamp, final long fromSeq, final long toSeq, final long flags, final int frameLength,
        final Crc32c crc, final RecordCipher cipher, final byte[] scratch, final int epoch)
    {
        writeHeader(out, offset, frameLength, TYPE_DELETE, null != key, 0, lastSeq, timestamp, 0, TOMBSTONE_LENGTH);
        out.putInt(offset + TOMBSTONE_EPOCH_OFFSET, epoch);
        final UnsafeBuffer body = new UnsafeBuffer(scratch);
        body.putLong(TOMBSTONE_FROM_OFFSET, fromSeq);
        body.putLong(TOMBSTONE_TO_OFFSET, toSeq);
        body.putLong(TOMBSTONE_FLAGS_OFFSET, flags);
        int bodyEnd = subjectOffset(offset);
        if (null == key)
        {
            out.putBytes(bodyEnd, scratch, 0, TOMBSTONE_LENGTH);
            bodyEnd += TOMBSTONE_LENGTH;
        }
        else
        {
            cipher.seal(key, mapped, offset, lastSeq, timestamp, TYPE_DELETE, NO_BYTES, NO_BYTES, scratch, epoch);
            bodyEnd += TOMBSTONE_LENGTH + RecordCipher.OVERHEAD;
        }
        return pad(out, mapped, offset, bodyEnd, frameLength, crc);
    }

    private static void writeHeader(
        final UnsafeBuffer out, final int offset, final int frameLength, final byte type, final boolean encrypted,
        final int subjectLength, final long seq, final long timestamp, final int headersLength, final int payloadLength)
    {
        if (!isSequence(seq))
        {
            // The writer refuses such a sequence before it gets here; this is the last line, before a byte is written.
            throw new IllegalStateException("refusing to write a record with sequence " + seq + ", outside [0, " +
                MAX_SEQUENCE + "]");
        }
        // The one bounds check of the frame: every write below and in pad() lies inside it.
        out.boundsCheck(offset, frameLength);
        final byte[] array = out.byteArray();
        final long address = out.addressOffset() + offset;
        UnsafeApi.putInt(array, address + FRAME_LENGTH_OFFSET, frameLength);
        UnsafeApi.putByte(array, address + TYPE_OFFSET, type);
        UnsafeApi.putByte(array, address + FLAGS_OFFSET, encrypted ? FLAG_ENCRYPTED : 0);
        UnsafeApi.putShort(array, address + SUBJECT_LENGTH_OFFSET, (short)subjectLength);
        UnsafeApi.putLong(array, address + SEQUENCE_OFFSET, seq);
        UnsafeApi.putLong(array, address + TIMESTAMP_OFFSET, timestamp);
        UnsafeApi.putInt(array, address + HEADERS_LENGTH_OFFSET, headersLength);
        UnsafeApi.putInt(array, address + PAYLOAD_LENGTH_OFFSET, payloadLength);
        UnsafeApi.putInt(array, address + RESERVED_OFFSET, 0);
    }

    /**
     * Check, before anything of the record is written, that its body ends before the frame's record checksum: the
     * header goes in after a bounds check of the frame alone, and a plaintext body without a bounds check of its own.
     *
     * @return where the body ends: after the subject and content, and the seal's overhead when {@code sealed}.
     * @throws IllegalStateException when it does not fit the frame; nothing was written then.
     */
    private static int checkedBodyEnd(
        final int offset, final int frameLength, final int subjectLength, final long contentLength,
        final boolean sealed)
    {
        final long bodyEnd = (long)subjectOffset(offset) + subjectLength + contentLength +
            (sealed ? RecordCipher.OVERHEAD : 0);
        if (frameLength < HEADER_LENGTH + CHECKSUM_LENGTH || bodyEnd > (long)offset + frameLength - CHECKSUM_LENGTH)
        {
            throw new IllegalStateException("a record of " + (bodyEnd - offset) + " bytes before its checksum does " +
                "not fit the frame of " + frameLength + " bytes at offset " + offset);
        }
        return (int)bodyEnd;
    }

    /**
     * Copy {@code bytes} to {@code index} of {@code out}, inside a frame whose bounds and body end were checked.
     */
    private static void copy(final UnsafeBuffer out, final int index, final byte[] bytes)
    {
        UnsafeApi.copyMemory(bytes, BufferUtil.ARRAY_BASE_OFFSET, out.byteArray(), out.addressOffset() + index,
            bytes.length);
    }

    private static int pad(
        final UnsafeBuffer out, final MappedByteBuffer mapped, final int offset, final int bodyEnd,
            final int frameLength,
        final Crc32c crc)
    {
        final int checksumOffset = checksumOffset(offset, frameLength);
        final byte[] array = out.byteArray();
        final long address = out.addressOffset();
        // Fewer than 8 bytes (a frame is its content's length aligned to 8): a loop, not the native setMemory, whose
        // call cost more than all the record's other writes together.
        for (long at = address + bodyEnd, end = address + checksumOffset; at < end; at++)
        {
            UnsafeApi.putByte(array, at, (byte)0);
        }
        UnsafeApi.putInt(array, address + offset + HEADER_CHECKSUM_OFFSET,
            crc.compute(mapped, offset, HEADER_CHECKSUM_OFFSET));
        final int checksum = crc.extend(offset + HEADER_CHECKSUM_OFFSET,
            checksumOffset - offset - HEADER_CHECKSUM_OFFSET);
        UnsafeApi.putInt(array, address + checksumOffset, checksum);
        return checksum;
    }
}
