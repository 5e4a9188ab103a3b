package io.ferrite.engine.index;

import io.ferrite.format.PositionsDescriptor;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.VarHandle;

import static io.ferrite.format.PositionsDescriptor.BEGUN_KEPT_BY_OFFSET;
import static io.ferrite.format.PositionsDescriptor.BLOCKS_VERSION_OFFSET;
import static io.ferrite.format.PositionsDescriptor.BOOT_ID_HIGH_OFFSET;
import static io.ferrite.format.PositionsDescriptor.BOOT_ID_LOW_OFFSET;
import static io.ferrite.format.PositionsDescriptor.DURABLE_SEQ_OFFSET;
import static io.ferrite.format.PositionsDescriptor.EPOCH_OFFSET;
import static io.ferrite.format.PositionsDescriptor.FIRST_SEQ_OFFSET;
import static io.ferrite.format.PositionsDescriptor.IDENTITY_KEPT_BY_OFFSET;
import static io.ferrite.format.PositionsDescriptor.LAST_SEQ_OFFSET;
import static io.ferrite.format.PositionsDescriptor.TRUNCATION_BEGUN_OFFSET;
import static io.ferrite.format.PositionsDescriptor.TRUNCATIONS_OFFSET;
import static io.ferrite.format.PositionsDescriptor.TRUNCATION_RING;
import static io.ferrite.format.PositionsDescriptor.WRITER_PID_OFFSET;
import static io.ferrite.format.PositionsDescriptor.WRITER_START_OFFSET;
import static io.ferrite.format.PositionsDescriptor.WRITER_STATE_OFFSET;
import static io.ferrite.format.PositionsDescriptor.truncatedToOffset;

/**
 * The positions a stream publishes to lock-free readers (tailers, {@code lastSeq()}, {@code durableSeq()},
 * {@code firstSeq()}), laid out by {@link PositionsDescriptor} in a buffer of their own: direct memory while the
 * stream recovers, then the writer's mapped positions file ({@link #moveTo}), which readers in other processes map
 * too (the same class reads it there).
 * <p>
 * Threading: the last and first sequences and the truncations are written under the append lock; the durable sequence
 * by the flusher under its truncation monitor (and lowered there by a truncation). Any thread reads. Stores are
 * release stores, loads acquire loads: a reader that loads the last sequence sees every record up to it.
 */
public final class StreamPositions
{
    /**
     * Direct memory until {@link #moveTo} puts the area in the mapped positions file; switched once, while the store
     * opens and before any other thread of it runs.
     */
    private UnsafeBuffer buffer = new UnsafeBuffer(
        BufferUtil.allocateDirectAligned(PositionsDescriptor.LENGTH, Long.BYTES * 8));

    public StreamPositions()
    {
        buffer.putInt(PositionsDescriptor.MAGIC_OFFSET, PositionsDescriptor.MAGIC);
        buffer.putInt(PositionsDescriptor.VERSION_OFFSET, PositionsDescriptor.VERSION);
    }

    /**
     * Positions over an existing area: a reader's mapping of another process's positions file.
     */
    public StreamPositions(final UnsafeBuffer area)
    {
        this.buffer = area;
    }

    /**
     * Copy the positions published so far into {@code mapped} (the writer's positions file) and publish through it
     * from now on. The writer identity fields of {@code mapped} are left as they are; the caller marks it open after.
     * Called once, before any thread other than the opener's uses this object.
     * <p>
     * The truncations carry on from the writer before, whose count and ring are still in {@code mapped}: a reader that
     * followed that writer and looks again only after this one published (the writer before truncated, then closed or
     * was killed, and this one appended past the reader) learns how far back they went, where a new epoch alone says
     * nothing about the sequences below the new last one. For the same reason, when this writer kept less than the
     * one before had published, that is recorded as one more truncation, to what was kept.
     */
    public void moveTo(final UnsafeBuffer mapped)
    {
        // The writer's epoch went into this area (PositionsFile.openForWriter) before recovery: no position stored
        // below may become visible before it, or a reader's epoch re-check could pair it with the writer before.
        VarHandle.storeStoreFence();
        final long publishedBefore = mapped.getLong(LAST_SEQ_OFFSET);
        final long lastSeq = buffer.getLong(LAST_SEQ_OFFSET);
        // A count below 0 is no count a writer stored (a damaged file): start from none.
        long count = Math.max(0, mapped.getLong(TRUNCATIONS_OFFSET));
        final long recovered = buffer.getLong(TRUNCATIONS_OFFSET);
        for (long truncation = 1; truncation <= recovered; truncation++)
        {
            count++;
            mapped.putLong(truncatedToOffset(count), buffer.getLong(truncatedToOffset(truncation)));
        }
        if (lastSeq < publishedBefore)
        {
            count++;
            mapped.putLong(truncatedToOffset(count), lastSeq);
        }
        mapped.putLong(DURABLE_SEQ_OFFSET, buffer.getLong(DURABLE_SEQ_OFFSET));
        mapped.putLong(FIRST_SEQ_OFFSET, buffer.getLong(FIRST_SEQ_OFFSET));
        // The writer before may have been killed inside a truncation: its begun count must not outlive its epoch.
        mapped.putLong(TRUNCATION_BEGUN_OFFSET, count);
        mapped.putLong(TRUNCATIONS_OFFSET, count);
        mapped.putLong(BLOCKS_VERSION_OFFSET, mapped.getLong(BLOCKS_VERSION_OFFSET) + buffer.getLong(
            BLOCKS_VERSION_OFFSET) + 1);
        mapped.putLongRelease(LAST_SEQ_OFFSET, lastSeq);
        buffer = mapped;
    }

    /**
     * A block file came or went (a roll, a reclaim, a rewrite, a truncation): readers in other processes list the
     * block directory again when they see the count move. Under the append lock, after the file is in place (a roll)
     * or out of the array (a removal), before the last sequence of a record in a new block is published.
     */
    public void onBlocksChanged()
    {
        buffer.putLongRelease(BLOCKS_VERSION_OFFSET, buffer.getLong(BLOCKS_VERSION_OFFSET) + 1);
    }

    public long blocksVersion()
    {
        return buffer.getLongAcquire(BLOCKS_VERSION_OFFSET);
    }

    public int writerState()
    {
        return buffer.getIntVolatile(WRITER_STATE_OFFSET);
    }

    public long epoch()
    {
        return buffer.getLongAcquire(EPOCH_OFFSET);
    }

    public long writerPid()
    {
        return buffer.getLongAcquire(WRITER_PID_OFFSET);
    }

    /**
     * @return the writer process's start, clock ticks since boot (-1 unknown); one writer's only inside the seqlock
     * {@link PositionsDescriptor} describes, as are {@link #bootIdHigh()} and {@link #bootIdLow()}.
     */
    public long writerStart()
    {
        return buffer.getLongAcquire(WRITER_START_OFFSET);
    }

    /**
     * @return the epoch of the writer that stored the start and boot id, 0 while one stores them or none did.
     */
    public long identityKeptBy()
    {
        return buffer.getLongAcquire(IDENTITY_KEPT_BY_OFFSET);
    }

    public long bootIdHigh()
    {
        return buffer.getLongAcquire(BOOT_ID_HIGH_OFFSET);
    }

    public long bootIdLow()
    {
        return buffer.getLongAcquire(BOOT_ID_LOW_OFFSET);
    }

    /**
     * Make every record up to {@code lastSeq} visible to readers; under the append lock, after the records.
     */
    public void publishLastSeq(final long lastSeq)
    {
        buffer.putLongRelease(LAST_SEQ_OFFSET, lastSeq);
    }

    public long lastSeq()
    {
        return buffer.getLongAcquire(LAST_SEQ_OFFSET);
    }

    public void publishFirstSeq(final long firstSeq)
    {
        buffer.putLongRelease(FIRST_SEQ_OFFSET, firstSeq);
    }

    public long firstSeq()
    {
        return buffer.getLongAcquire(FIRST_SEQ_OFFSET);
    }

    /**
     * Publish the durable sequence; called in order by one thread at a time (the flusher's truncation monitor), so a
     * lowered value (a truncation) is never overtaken by an older, higher one.
     */
    public void publishDurableSeq(final long durableSeq)
    {
        buffer.putLongRelease(DURABLE_SEQ_OFFSET, durableSeq);
    }

    public long durableSeq()
    {
        return buffer.getLongAcquire(DURABLE_SEQ_OFFSET);
    }

    /**
     * Record that the stream was truncated to {@code keptLastSeq}: the ring slot first, then the count. Called under
     * the append lock before the lowered last sequence is published, so a reader that sees any record of the new
     * timeline can see the truncation too.
     */
    public void onTruncated(final long keptLastSeq)
    {
        final long next = buffer.getLong(TRUNCATIONS_OFFSET) + 1;
        buffer.putLongRelease(truncatedToOffset(next), keptLastSeq);
        buffer.putLongRelease(TRUNCATIONS_OFFSET, next);
    }

    /**
     * A truncation is about to change blocks: under the append lock, before it deletes or zeroes anything, so a
     * reader in another process that meets its zeros can tell them from damage ({@link #truncationBegun()}).
     */
    public void beginTruncation()
    {
        buffer.putLongRelease(TRUNCATION_BEGUN_OFFSET, buffer.getLong(TRUNCATIONS_OFFSET) + 1);
        // A release orders what came before it; the zeros and deletions come after, and must not be seen first.
        VarHandle.storeStoreFence();
    }

    /**
     * The truncation begun failed before it published its count: it is no longer under way (what it changed before it
     * failed is read for what it is).
     */
    public void abandonTruncation()
    {
        buffer.putLongRelease(TRUNCATION_BEGUN_OFFSET, buffer.getLong(TRUNCATIONS_OFFSET));
    }

    /**
     * @return the truncation count a truncation under way will reach, the count itself when none is (an acquire load).
     * Meaningful only while {@link #begunKeptBy()} is the writer's epoch.
     */
    public long truncationBegun()
    {
        return buffer.getLongAcquire(TRUNCATION_BEGUN_OFFSET);
    }

    /**
     * @return the epoch of the writer that keeps the truncation-begun count; another epoch (a writer from before the
     * field existed) says nothing about truncations under way.
     */
    public long begunKeptBy()
    {
        return buffer.getLongAcquire(BEGUN_KEPT_BY_OFFSET);
    }

    /**
     * @return how many times the stream was truncated, counted on from writer to writer since the positions file was
     * made ({@link #moveTo}).
     */
    public long truncations()
    {
        return buffer.getLongAcquire(TRUNCATIONS_OFFSET);
    }

    /**
     * @param seen a count of {@link #truncations()} read earlier.
     * @param now  the count read since, above {@code seen}.
     * @return the lowest sequence kept by truncations {@code seen + 1} to {@code now}; 0 when more than
     * {@link PositionsDescriptor#TRUNCATION_RING} truncations followed {@code seen}, since a ring slot it needs may
     * have been reused: how far back they went is then unknown, so assume all of it.
     */
    public long lowestTruncatedTo(final long seen, final long now)
    {
        if (now - seen > TRUNCATION_RING)
        {
            return 0;
        }
        long lowest = Long.MAX_VALUE;
        for (long truncation = seen + 1; truncation <= now; truncation++)
        {
            lowest = Math.min(lowest, buffer.getLong(truncatedToOffset(truncation)));
        }
        // The slots are read before the count is checked again: slot k is reused only by truncation k + 16.
        VarHandle.loadLoadFence();
        return truncations() - seen > TRUNCATION_RING ? 0 : lowest;
    }
}
