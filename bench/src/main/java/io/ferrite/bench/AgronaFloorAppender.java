package io.ferrite.bench;

import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The floor: the least work any store that checksums its records must do per append. Copies the payload
 * into a preallocated memory-mapped file through an Agrona {@link UnsafeBuffer}, CRC32Cs the copy, writes
 * the checksum after it and publishes the length, then advances; when the file is full it wraps to the
 * start, so the same already-faulted pages are reused and no file is ever created on the hot path.
 * <p>
 * No sequence, timestamp, index or flush: whatever Ferrite's append costs above this is the price of its
 * features, and the design targets it to stay within 3× of this figure.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Payload Length                         |
 *  +---------------------------------------------------------------+
 *  |                           Payload                            ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 *  |                     CRC32C of the Payload                     |
 *  +---------------------------------------------------------------+
 *  |                 Padding to an 8-byte boundary                ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Single appending thread; see {@link AppendTarget}.
 */
public final class AgronaFloorAppender implements AppendTarget
{
    /**
     * 64 MiB: larger than any last-level cache here, so the copy pays for memory bandwidth as a real block
     * would, yet small enough to stay resident in the page cache for the whole run.
     */
    public static final int FILE_LENGTH_DEFAULT = 64 * 1024 * 1024;

    /** Name of the mapped file inside the target's directory. */
    public static final String FILE_NAME = "floor.dat";

    /** Offset of the length field within a record. */
    public static final int LENGTH_OFFSET = 0;

    /** Offset of the payload within a record. */
    public static final int PAYLOAD_OFFSET = BitUtil.SIZE_OF_INT;

    /** Records start 8-byte aligned so the length can be published with an aligned ordered store. */
    public static final int RECORD_ALIGNMENT = BitUtil.SIZE_OF_LONG;

    private final MappedByteBuffer mappedFile;
    private final UnsafeBuffer file;
    private final ByteBuffer checksumView;
    private final CRC32C checksum = new CRC32C();
    private final UnsafeBuffer payload;
    private final int payloadLength;
    private final int recordLength;
    private final int fileLength;
    private int position;

    /**
     * Opens the floor over a {@value #FILE_LENGTH_DEFAULT}-byte file.
     *
     * @param directory where the file is created.
     * @param payload   bytes every append copies.
     */
    public AgronaFloorAppender(final Path directory, final byte[] payload)
    {
        this(directory, payload, FILE_LENGTH_DEFAULT);
    }

    /**
     * @param directory  where the file is created.
     * @param payload    bytes every append copies.
     * @param fileLength length of the file, fully written with zeros before it is mapped, so a full disk
     *                   fails here with an {@code IOException} rather than as a SIGBUS inside an append.
     */
    public AgronaFloorAppender(final Path directory, final byte[] payload, final int fileLength)
    {
        this.payloadLength = payload.length;
        this.recordLength = recordLength(payload.length);
        if (recordLength > fileLength)
        {
            throw new IllegalArgumentException(
                "a record of " + recordLength + " bytes does not fit a file of " + fileLength + " bytes");
        }

        this.fileLength = fileLength;
        this.mappedFile = IoUtil.mapNewFile(directory.resolve(FILE_NAME).toFile(), fileLength, true);
        this.file = new UnsafeBuffer(mappedFile);
        this.checksumView = mappedFile.duplicate();

        final ByteBuffer payloadBuffer = ByteBuffer.allocateDirect(payload.length);
        payloadBuffer.put(payload).clear();
        this.payload = new UnsafeBuffer(payloadBuffer);
    }

    /**
     * @param payloadLength of the record's payload.
     * @return bytes the record occupies in the file, padding included.
     */
    public static int recordLength(final int payloadLength)
    {
        return BitUtil.align(PAYLOAD_OFFSET + payloadLength + BitUtil.SIZE_OF_INT, RECORD_ALIGNMENT);
    }

    /**
     * @param recordOffset  where a record starts.
     * @param payloadLength of that record's payload.
     * @return offset of its checksum field.
     */
    public static int checksumOffset(final int recordOffset, final int payloadLength)
    {
        return recordOffset + PAYLOAD_OFFSET + payloadLength;
    }

    /**
     * {@inheritDoc}
     */
    public void append()
    {
        int recordOffset = position;
        if (recordOffset > fileLength - recordLength)
        {
            recordOffset = 0;
        }

        final int payloadOffset = recordOffset + PAYLOAD_OFFSET;
        file.putBytes(payloadOffset, payload, 0, payloadLength);

        // Checksum the copy in the mapping, not the source: that is what a reader will verify. The view
        // is repositioned, never re-created; limit first so the position is always within it.
        checksumView.limit(payloadOffset + payloadLength).position(payloadOffset);
        checksum.reset();
        checksum.update(checksumView);
        file.putInt(checksumOffset(recordOffset, payloadLength), (int)checksum.getValue());

        // Length last with release semantics: a concurrent reader that sees it sees a complete record.
        // On x86 this is a plain store, so the floor does not overstate what publication costs.
        file.putIntOrdered(recordOffset + LENGTH_OFFSET, payloadLength);
        position = recordOffset + recordLength;
    }

    /**
     * @return offset the next record would be written at, before any wrap.
     */
    public int position()
    {
        return position;
    }

    /**
     * @return the mapped file, for readers that verify what was written.
     */
    public UnsafeBuffer file()
    {
        return file;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        IoUtil.unmap(mappedFile);
    }
}
