package io.ferrite.format;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C over a range of a direct buffer without allocating. The JDK's CRC32C is an intrinsic (SSE4.2 / ARMv8 CRC
 * instructions) and measured fastest here for record-sized inputs (see docs/BENCHMARKS.md), but it only reads a
 * ByteBuffer through its position and limit, so each thread keeps its own duplicate of the buffer it is checking.
 * <p>
 * Not thread-safe: one instance per thread. Allocates one duplicate when the source buffer changes (a new block).
 */
public final class Crc32c
{
    private final CRC32C crc = new CRC32C();
    private ByteBuffer source;
    private ByteBuffer view;

    public int compute(final ByteBuffer buffer, final int offset, final int length)
    {
        if (buffer != source)
        {
            source = buffer;
            view = buffer.duplicate();
        }
        view.limit(offset + length).position(offset);
        crc.reset();
        crc.update(view);
        return (int)crc.getValue();
    }

    /**
     * Continue the last {@link #compute(ByteBuffer, int, int)} over {@code length} more bytes of the same buffer: the
     * result is the CRC32C of everything covered since that call, without reading the first range again.
     */
    public int extend(final int offset, final int length)
    {
        view.limit(offset + length).position(offset);
        crc.update(view);
        return (int)crc.getValue();
    }

    public int compute(final byte[] bytes, final int offset, final int length)
    {
        crc.reset();
        crc.update(bytes, offset, length);
        return (int)crc.getValue();
    }

    /**
     * Drop the reference to the last buffer so a closed block's mapping can be collected.
     */
    public void release()
    {
        source = null;
        view = null;
    }
}
