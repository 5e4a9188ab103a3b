package io.ferrite.engine;

import io.ferrite.format.SnapshotDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.zip.CRC32C;

/**
 * The writing end of a snapshot ({@link SnapshotDescriptor}): everything written goes to the caller's channel, whole
 * (a channel may take part of a buffer per call), and into the running checksum the trailer ends with; an entry's
 * content also goes into the entry's own checksum.
 * <p>
 * Not thread-safe: one snapshot, one thread.
 */
final class SnapshotOutput
{
    private final WritableByteChannel out;
    private final CRC32C running = new CRC32C();
    private final CRC32C content = new CRC32C();
    private final ByteBuffer word = ByteBuffer.allocate(SnapshotDescriptor.CHECKSUM_LENGTH)
        .order(ByteOrder.LITTLE_ENDIAN);
    private long position;

    SnapshotOutput(final WritableByteChannel out)
    {
        this.out = out;
    }

    /**
     * @return the bytes written so far.
     */
    long position()
    {
        return position;
    }

    void write(final byte[] bytes) throws IOException
    {
        write(ByteBuffer.wrap(bytes));
    }

    /**
     * Start an entry: its header, then {@link #content} calls for exactly the length it declares, then
     * {@link #endContent()}.
     */
    void beginEntry(final String path, final long fileLength, final long contentLength) throws IOException
    {
        write(SnapshotDescriptor.encodeEntryHeader(path, fileLength, contentLength));
        content.reset();
    }

    void content(final ByteBuffer bytes) throws IOException
    {
        content.update(bytes.duplicate());
        write(bytes);
    }

    void endContent() throws IOException
    {
        writeWord((int)content.getValue(), true);
    }

    /**
     * End the snapshot: the trailer, whose last field is the running checksum of everything before it.
     */
    void trailer(final int entryCount) throws IOException
    {
        final byte[] trailer = SnapshotDescriptor.encodeTrailer(entryCount, position);
        write(ByteBuffer.wrap(trailer, 0, SnapshotDescriptor.TRAILER_CHECKSUM_OFFSET));
        writeWord((int)running.getValue(), false);
    }

    private void writeWord(final int value, final boolean checksummed) throws IOException
    {
        word.clear();
        word.putInt(0, value);
        if (checksummed)
        {
            write(word);
        }
        else
        {
            drain(word);
        }
    }

    private void write(final ByteBuffer bytes) throws IOException
    {
        running.update(bytes.duplicate());
        drain(bytes);
    }

    private void drain(final ByteBuffer bytes) throws IOException
    {
        while (bytes.hasRemaining())
        {
            position += out.write(bytes);
        }
    }
}
