package io.ferrite.engine.recovery;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Erases whatever lies beyond the valid end of the tail block, and forces the erasure, before appends continue there.
 * <p>
 * After a power cut the pages of a block reach the disk in no particular order: a page holding the tail's last
 * records may be lost while a later one survives. Recovery ends the tail where the data stops (a zero word or a torn
 * record), and appends then reuse the sequences that were lost — so the records that survived beyond the end are
 * from an abandoned timeline, with valid checksums and sequences that the new timeline will reach. Left in place, a
 * later scan that re-synchronises past damage would accept them as the new timeline's messages. Zeroing them (and
 * forcing the zeros, since a force of the new records alone would not cover bytes beyond them) prevents that.
 * <p>
 * Costs one read of the tail block's unused remainder (at most a block) per open.
 */
final class StaleTail
{
    private static final Logger LOG = LoggerFactory.getLogger(StaleTail.class);
    private static final int WORD = 8;

    private StaleTail()
    {
    }

    /**
     * @return the number of bytes erased.
     */
    static int erase(final MessageBlock tail, final StorageIO io, final StoreMetrics metrics)
    {
        if (null == tail)
        {
            return 0;
        }
        final UnsafeBuffer buffer = tail.buffer();
        final int end = tail.writeOffset();
        final int limit = Math.min(tail.limit(), buffer.capacity());
        int extent = end;
        for (int offset = (end + WORD - 1) & -WORD; offset + WORD <= limit; offset += WORD)
        {
            if (buffer.getLong(offset) != 0)
            {
                extent = offset + WORD;
            }
        }
        metrics.onBlockBytesRead(Math.max(0, limit - end));
        if (extent <= end)
        {
            return 0;
        }
        tail.truncateTo(end, extent);
        try
        {
            io.forceBlock(tail.file(), null, tail.mapped(), end, extent, false);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("force erased tail of block file", tail.file(), ex);
        }
        LOG.warn("block {}: erased {} bytes of stale records beyond the end of the data at offset {}",
            tail.file(), extent - end, end);
        return extent - end;
    }
}
