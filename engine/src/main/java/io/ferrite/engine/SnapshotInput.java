package io.ferrite.engine;

import io.ferrite.format.SnapshotDescriptor;
import io.ferrite.store.CorruptSnapshotException;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The reading end of a snapshot ({@link SnapshotDescriptor}): reads exactly what is asked for from the caller's
 * channel, keeps the offset every error names and the running checksum the trailer is checked against. A channel
 * that ends early is a cut snapshot, reported with what it ended in.
 * <p>
 * Not thread-safe: one restore, one thread.
 */
final class SnapshotInput
{
    private final ReadableByteChannel in;
    private final Path target;
    private final CRC32C running = new CRC32C();
    private long position;

    SnapshotInput(final ReadableByteChannel in, final Path target)
    {
        this.in = in;
        this.target = target;
    }

    /**
     * @return the bytes read so far: the snapshot offset of the next byte.
     */
    long position()
    {
        return position;
    }

    /**
     * @return the CRC32C of every byte read so far.
     */
    int runningChecksum()
    {
        return (int)running.getValue();
    }

    /**
     * Read {@code length} bytes, counted in the running checksum.
     *
     * @param entry the entry being read, or null; {@code what} names the part, for the error a cut snapshot raises.
     */
    ByteBuffer read(final int length, final String entry, final String what)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        fill(bytes, entry, what);
        running.update(bytes.duplicate().flip());
        return bytes.flip();
    }

    /**
     * Read a checksum field that is not itself counted in the running checksum: the trailer's last field.
     */
    int readUncountedInt(final String what)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(SnapshotDescriptor.CHECKSUM_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        fill(bytes, null, what);
        return bytes.getInt(0);
    }

    /**
     * Fill {@code buffer} from its position to its limit, counted in the running checksum.
     */
    void readInto(final ByteBuffer buffer, final String entry, final String what)
    {
        final int start = buffer.position();
        fill(buffer, entry, what);
        running.update(buffer.duplicate().flip().position(start));
    }

    private void fill(final ByteBuffer buffer, final String entry, final String what)
    {
        final int wanted = buffer.remaining();
        try
        {
            while (buffer.hasRemaining())
            {
                final int read = in.read(buffer);
                if (read < 0)
                {
                    throw new CorruptSnapshotException("snapshot is cut short: it ends inside the " + what + ", " +
                        buffer.remaining() + " of " + wanted + " bytes missing (truncated?)", target, entry, position);
                }
                position += read;
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read snapshot (" + what + ")", target, position, ex);
        }
    }
}
