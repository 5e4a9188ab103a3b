package io.ferrite.engine.index;

import io.ferrite.format.BlockEntryDescriptor;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import static io.ferrite.format.BlockEntryDescriptor.*;

/**
 * Off-heap table with one fixed-width entry per block: everything a state write needs about a block, updated on every
 * append without allocation, so writing state is a memory copy and never a block-file read.
 * Each entry is laid out as {@link BlockEntryDescriptor} draws it; {@code state.db} stores the entries verbatim.
 * Threading: mutated only by the appending thread (or recovery before the store is published) and copied by state
 * writers while they hold the append lock.
 */
public final class BlockIndex
{
    private static final int INITIAL_CAPACITY = 64;

    private UnsafeBuffer entries;
    private int count;

    public BlockIndex()
    {
        entries = allocate(INITIAL_CAPACITY);
    }

    public int count()
    {
        return count;
    }

    /**
     * Add an entry for a new, empty block.
     *
     * @return the entry's slot.
     */
    public int add(final long blockId, final long baseSeq, final int writeOffset)
    {
        ensureCapacity(count + 1);
        final int slot = count++;
        final int at = slot * ENTRY_LENGTH;
        entries.setMemory(at, ENTRY_LENGTH, (byte)0);
        entries.putLong(at + BLOCK_ID_OFFSET, blockId);
        entries.putLong(at + BASE_SEQ_OFFSET, baseSeq);
        entries.putLong(at + LAST_SEQ_OFFSET, baseSeq - 1);
        entries.putInt(at + WRITE_OFFSET_OFFSET, writeOffset);
        return slot;
    }

    /**
     * Add an entry copied verbatim from a state file.
     *
     * @return the entry's slot.
     */
    public int add(final DirectBuffer source, final int sourceOffset)
    {
        ensureCapacity(count + 1);
        final int slot = count++;
        entries.putBytes(slot * ENTRY_LENGTH, source, sourceOffset, ENTRY_LENGTH);
        return slot;
    }

    /**
     * Record one message appended to the block in {@code slot}.
     */
    public void onMessage(
        final int slot, final long seq, final long timestamp, final int messageBytes, final int writeOffset,
            final int checksum)
    {
        final UnsafeBuffer buffer = entries;
        final int at = slot * ENTRY_LENGTH;
        // One bounds check for the entry rather than one per field: this runs on every append.
        buffer.boundsCheck(at, ENTRY_LENGTH);
        final byte[] array = buffer.byteArray();
        final long entry = buffer.addressOffset() + at;
        final int msgs = UnsafeApi.getInt(array, entry + MSGS_OFFSET);
        if (msgs == 0)
        {
            UnsafeApi.putLong(array, entry + FIRST_SEQ_OFFSET, seq);
            UnsafeApi.putLong(array, entry + FIRST_TIME_OFFSET, timestamp);
        }
        UnsafeApi.putLong(array, entry + LAST_SEQ_OFFSET, seq);
        UnsafeApi.putLong(array, entry + LAST_TIME_OFFSET, timestamp);
        UnsafeApi.putInt(array, entry + MSGS_OFFSET, msgs + 1);
        UnsafeApi.putInt(array, entry + BYTES_OFFSET, UnsafeApi.getInt(array, entry + BYTES_OFFSET) + messageBytes);
        UnsafeApi.putInt(array, entry + WRITE_OFFSET_OFFSET, writeOffset);
        UnsafeApi.putInt(array, entry + LAST_CHECKSUM_OFFSET, checksum);
    }

    /**
     * Record one skip record appended to the block in {@code slot}.
     */
    public void onSkip(final int slot, final long seq, final int writeOffset, final int checksum)
    {
        final int at = slot * ENTRY_LENGTH;
        entries.putLong(at + LAST_SEQ_OFFSET, seq);
        entries.putInt(at + WRITE_OFFSET_OFFSET, writeOffset);
        entries.putInt(at + LAST_CHECKSUM_OFFSET, checksum);
    }

    /**
     * Record a tombstone appended to the block in {@code slot}: it moves the write offset and last checksum only.
     */
    public void onTombstone(final int slot, final int writeOffset, final int checksum)
    {
        final int at = slot * ENTRY_LENGTH;
        entries.putInt(at + WRITE_OFFSET_OFFSET, writeOffset);
        entries.putInt(at + LAST_CHECKSUM_OFFSET, checksum);
    }

    /**
     * Raise the last sequence of the block in {@code slot} to {@code seq}: recovery found a record of it there that no
     * longer verifies (an erased message).
     */
    public void raiseLastSeq(final int slot, final long seq)
    {
        final int at = slot * ENTRY_LENGTH + LAST_SEQ_OFFSET;
        entries.putLong(at, Math.max(entries.getLong(at), seq));
    }

    /**
     * Uncount a removed message of the block in {@code slot}. Its first sequence and time stay as they were: a lower
     * bound of what is left, which is all the time search and state need.
     */
    public void onRemove(final int slot, final int messageBytes)
    {
        final int at = slot * ENTRY_LENGTH;
        entries.putInt(at + MSGS_OFFSET, entries.getInt(at + MSGS_OFFSET) - 1);
        entries.putInt(at + BYTES_OFFSET, entries.getInt(at + BYTES_OFFSET) - messageBytes);
    }

    /**
     * Uncount every message of the block in {@code slot}.
     */
    public void onEmptied(final int slot)
    {
        final int at = slot * ENTRY_LENGTH;
        entries.putInt(at + MSGS_OFFSET, 0);
        entries.putInt(at + BYTES_OFFSET, 0);
    }

    /**
     * Overwrite the entry in {@code slot} after its block was cut or rewritten.
     */
    public void reset(
        final int slot, final long blockId, final long firstSeq, final long lastSeq, final long firstTime,
        final long lastTime, final int msgs, final int bytes, final int writeOffset, final int checksum)
    {
        final int at = slot * ENTRY_LENGTH;
        entries.putLong(at + BLOCK_ID_OFFSET, blockId);
        entries.putLong(at + FIRST_SEQ_OFFSET, firstSeq);
        entries.putLong(at + LAST_SEQ_OFFSET, lastSeq);
        entries.putLong(at + FIRST_TIME_OFFSET, firstTime);
        entries.putLong(at + LAST_TIME_OFFSET, lastTime);
        entries.putInt(at + MSGS_OFFSET, msgs);
        entries.putInt(at + BYTES_OFFSET, bytes);
        entries.putInt(at + WRITE_OFFSET_OFFSET, writeOffset);
        entries.putInt(at + LAST_CHECKSUM_OFFSET, checksum);
    }

    /**
     * Remove the entry in {@code slot}; later entries move down one slot, as their blocks move down one position.
     */
    public void remove(final int slot)
    {
        final int from = (slot + 1) * ENTRY_LENGTH;
        entries.putBytes(slot * ENTRY_LENGTH, entries, from, (count - slot - 1) * ENTRY_LENGTH);
        count--;
    }

    public long blockId(final int slot)
    {
        return entries.getLong(slot * ENTRY_LENGTH + BLOCK_ID_OFFSET);
    }

    public long baseSeq(final int slot)
    {
        return entries.getLong(slot * ENTRY_LENGTH + BASE_SEQ_OFFSET);
    }

    public long firstSeq(final int slot)
    {
        return entries.getLong(slot * ENTRY_LENGTH + FIRST_SEQ_OFFSET);
    }

    public long lastSeq(final int slot)
    {
        return entries.getLong(slot * ENTRY_LENGTH + LAST_SEQ_OFFSET);
    }

    public long firstTime(final int slot)
    {
        return entries.getLong(slot * ENTRY_LENGTH + FIRST_TIME_OFFSET);
    }

    public long lastTime(final int slot)
    {
        return entries.getLong(slot * ENTRY_LENGTH + LAST_TIME_OFFSET);
    }

    public int msgs(final int slot)
    {
        return entries.getInt(slot * ENTRY_LENGTH + MSGS_OFFSET);
    }

    public int bytes(final int slot)
    {
        return entries.getInt(slot * ENTRY_LENGTH + BYTES_OFFSET);
    }

    public int writeOffset(final int slot)
    {
        return entries.getInt(slot * ENTRY_LENGTH + WRITE_OFFSET_OFFSET);
    }

    public int lastChecksum(final int slot)
    {
        return entries.getInt(slot * ENTRY_LENGTH + LAST_CHECKSUM_OFFSET);
    }

    /**
     * Copy every entry, in slot order, to {@code destination}.
     *
     * @return bytes copied.
     */
    public int copyTo(final MutableDirectBuffer destination, final int destinationOffset)
    {
        final int length = count * ENTRY_LENGTH;
        destination.putBytes(destinationOffset, entries, 0, length);
        return length;
    }

    private void ensureCapacity(final int required)
    {
        final int capacity = entries.capacity() / ENTRY_LENGTH;
        if (required > capacity)
        {
            final UnsafeBuffer grown = allocate(Math.max(required, capacity * 2));
            grown.putBytes(0, entries, 0, count * ENTRY_LENGTH);
            entries = grown;
        }
    }

    private static UnsafeBuffer allocate(final int entries)
    {
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(entries * ENTRY_LENGTH, 64));
    }
}
