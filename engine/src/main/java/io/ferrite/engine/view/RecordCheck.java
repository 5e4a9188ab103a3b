package io.ferrite.engine.view;

import io.ferrite.format.Crc32c;
import org.agrona.concurrent.UnsafeBuffer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * The checksums of a record in a mapped block, as a view checks them: the header's while indexing (it makes the frame
 * length trustworthy), the whole frame's before a record is indexed or handed out. One CRC32C engine, reused.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class RecordCheck
{
    private final Crc32c crc = new Crc32c();

    /**
     * @return whether the record at {@code offset} has a plausible, aligned frame length within the block and a
     * header checksum that verifies.
     */
    boolean headerVerifies(final ViewBlock block, final int offset, final int frameLength)
    {
        return frameLength >= MIN_FRAME_LENGTH && frameLength <= block.limit - offset &&
            (frameLength & (ALIGNMENT - 1)) == 0 &&
            crc.compute(block.mapped, offset, HEADER_CHECKSUM_OFFSET) ==
                block.buffer.getInt(offset + HEADER_CHECKSUM_OFFSET);
    }

    /**
     * To be called right after {@link #headerVerifies} returned true for the same record, with no other check between:
     * the frame checksum goes on from the header's, so the header is not read twice.
     *
     * @return whether the frame checksum of the record at {@code offset} verifies.
     */
    boolean frameVerifiesAfterHeader(final ViewBlock block, final int offset, final int frameLength)
    {
        return crc.extend(offset + HEADER_CHECKSUM_OFFSET, frameLength - CHECKSUM_LENGTH - HEADER_CHECKSUM_OFFSET) ==
            block.buffer.getInt(checksumOffset(offset, frameLength));
    }

    /**
     * Check a record again before it is handed out: the writer may have changed it since it was indexed.
     *
     * @return null when the record at {@code offset} is the message {@code seq} and its checksums verify, else what
     * is wrong.
     */
    String problemWith(final ViewBlock block, final int offset, final long seq)
    {
        final UnsafeBuffer buffer = block.buffer;
        final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
        if (frameLength < MIN_FRAME_LENGTH || frameLength > block.limit - offset ||
            crc.compute(block.mapped, offset, HEADER_CHECKSUM_OFFSET) !=
                buffer.getInt(offset + HEADER_CHECKSUM_OFFSET))
        {
            return "record header does not verify";
        }
        if (!frameVerifiesAfterHeader(block, offset, frameLength))
        {
            return "record checksum does not verify";
        }
        if (buffer.getLong(offset + SEQUENCE_OFFSET) != seq || buffer.getByte(offset + TYPE_OFFSET) != TYPE_MESSAGE)
        {
            return "record at this offset holds another sequence, or is not a message";
        }
        final boolean sealed = (buffer.getByte(offset + FLAGS_OFFSET) & FLAG_ENCRYPTED) != 0;
        if (sealed != (null != block.key))
        {
            return sealed ? "encrypted record in a plaintext block" : "plaintext record in an encrypted block";
        }
        return null;
    }

    void release()
    {
        crc.release();
    }
}
