package io.ferrite.bench;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The write-to-read floor: one writer hands fixed-length messages to one reader through a ring of slots in direct
 * memory. The writer copies the message into the next slot and publishes its position (an ordered store); the reader
 * reads the published position, reads each slot in place and publishes how far it read, so the writer can reuse the
 * slots. Nothing is framed, checksummed or zeroed: it is the cost of moving a message between two cores, which a store
 * can only add to.
 * <p>
 * Threading: {@link #offer} from one writing thread, {@link #poll} from one reading thread.
 */
final class MemoryHandover
{
    /** The writer's published position, alone on its cache lines. */
    private static final int WRITTEN = 0;
    /** The reader's published position, alone on its cache lines. */
    private static final int READ = 128;
    private static final int SLOTS_OFFSET = 256;

    private final UnsafeBuffer buffer;
    private final int slotLength;
    private final int slots;
    /** Writer only: the reader's position as last read. */
    private long readCache;

    /**
     * What the reader does with one slot.
     */
    @FunctionalInterface
    interface SlotHandler
    {
        /**
         * @param buffer the ring.
         * @param offset where the slot's message starts in it.
         */
        void onSlot(DirectBuffer buffer, int offset);
    }

    /**
     * @param slotLength the length of every message.
     * @param ringBytes  about how many bytes of slots: rounded down to a power of two number of slots, at least 2.
     */
    MemoryHandover(final int slotLength, final int ringBytes)
    {
        if (slotLength < Long.BYTES)
        {
            throw new IllegalArgumentException("slotLength must be >= 8: " + slotLength);
        }
        this.slotLength = slotLength;
        this.slots = Math.max(2, Integer.highestOneBit(ringBytes / slotLength));
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SLOTS_OFFSET + slots * slotLength, 64));
    }

    /**
     * Copy {@code length} bytes (at most a slot) into the next slot and publish it.
     *
     * @return false when the ring is full (the reader is a whole ring behind).
     */
    boolean offer(final DirectBuffer source, final int offset, final int length)
    {
        final long written = buffer.getLong(WRITTEN);
        if (written - readCache >= slots)
        {
            readCache = buffer.getLongVolatile(READ);
            if (written - readCache >= slots)
            {
                return false;
            }
        }
        buffer.putBytes(slotOffset(written), source, offset, Math.min(length, slotLength));
        buffer.putLongOrdered(WRITTEN, written + 1);
        return true;
    }

    /**
     * Hand up to {@code limit} published slots to {@code handler}, in order.
     *
     * @return how many.
     */
    int poll(final SlotHandler handler, final int limit)
    {
        final long read = buffer.getLong(READ);
        final long available = buffer.getLongVolatile(WRITTEN) - read;
        final int count = (int)Math.min(available, limit);
        for (int i = 0; i < count; i++)
        {
            handler.onSlot(buffer, slotOffset(read + i));
        }
        if (count > 0)
        {
            buffer.putLongOrdered(READ, read + count);
        }
        return count;
    }

    private int slotOffset(final long position)
    {
        return SLOTS_OFFSET + (int)(position & (slots - 1)) * slotLength;
    }
}
