package io.ferrite.engine;

import io.ferrite.engine.block.BlockRetiredException;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamTruncatedException;

import java.time.Instant;
import java.util.Objects;

/**
 * A {@link StreamTailer} in the writer's process: a cursor over the published positions ({@link StreamPositions}) and
 * the blocks' sequence tables, with its own verifier and flyweight, so a poll takes no lock and allocates nothing.
 * <p>
 * One poll: check for a truncation (one acquire load), read the horizon (the published last sequence, bounded by the
 * durable one for a durable-only tailer), then the block array — in that order, so every block holding a sequence up
 * to the horizon is in the array read. Within a block the next listed sequence up to the horizon is found in its
 * table (removed, skipped and lost sequences are not listed), verified, and handed over. The block found is kept for
 * the next message and the next poll while the array still holds it at the same place; a block retired under the
 * poll (deleted or rewritten by the reclaimer, or replaced by a truncation) is looked up again.
 * <p>
 * Threading: one thread at a time, as {@link StreamTailer} says.
 */
final class StreamFollower implements StreamTailer
{
    private final FileStreamStore store;
    private final StreamIndex index;
    private final StreamPositions positions;
    private final boolean durableOnly;
    private final boolean boundedByDurable;
    private final StreamReader.Context context = new StreamReader.Context();
    /**
     * The store's context of the thread that polled last ({@link StreamReader#threadContext()}), where a poll counts
     * itself inside its handler: looked up again only when another thread polls, so a poll pays no thread-local lookup.
     */
    private StreamReader.Context pollerContext;
    private Thread poller;
    private long nextSeq;
    private long truncationsSeen;
    private MessageBlock block;
    private int position = -1;
    private boolean closed;

    /**
     * @param boundedByDurable whether the tailer sees only durable messages: when asked, and always in {@code ALWAYS}
     *                         mode, where every reader does.
     */
    StreamFollower(
        final FileStreamStore store, final StreamIndex index, final long fromSeq, final boolean durableOnly,
        final boolean boundedByDurable)
    {
        this(store, index, durableOnly, boundedByDurable);
        seek(fromSeq);
        // Counted only once nothing can fail: a tailer refused here is never closed.
        index.followers().opened();
    }

    /**
     * A tailer resuming at {@code fromSeq}, which was chosen when the truncation count was {@code truncationsSeen}: a
     * truncation since (one may lower the last sequence below {@code fromSeq} before this tailer exists) is reported
     * by the first poll, which moves the tailer back, rather than passed over or refused.
     */
    StreamFollower(
        final FileStreamStore store, final StreamIndex index, final long fromSeq, final long truncationsSeen,
        final boolean boundedByDurable)
    {
        this(store, index, false, boundedByDurable);
        this.truncationsSeen = truncationsSeen;
        this.nextSeq = fromSeq;
        index.followers().opened();
    }

    private StreamFollower(
        final FileStreamStore store, final StreamIndex index, final boolean durableOnly, final boolean boundedByDurable)
    {
        this.store = store;
        this.index = index;
        this.positions = index.positions();
        this.durableOnly = durableOnly;
        this.boundedByDurable = boundedByDurable;
    }

    @Override
    public int poll(final MessageHandler handler, final int limit)
    {
        if (closed)
        {
            throw new IllegalStateException("tailer of stream " + store.config().name() + " is closed");
        }
        if (null == handler)
        {
            throw new NullPointerException("handler");
        }
        if (limit < 1)
        {
            throw new IllegalArgumentException("limit must be >= 1: " + limit);
        }
        // Inside the store's read gate from the first look at a block to the last handler's return: close unmaps the
        // blocks only once no poll is inside.
        final int gate = store.enterRead();
        // Counted inside its store's handlers for the whole poll: an erase from the handler would wait for this poll.
        final StreamReader.Context marks = pollerContext();
        marks.insideHandlers++;
        try
        {
            return pollInside(handler, limit);
        }
        finally
        {
            marks.insideHandlers--;
            store.exitRead(gate);
        }
    }

    private StreamReader.Context pollerContext()
    {
        final Thread thread = Thread.currentThread();
        if (thread != poller)
        {
            pollerContext = store.readContext();
            poller = thread;
        }
        return pollerContext;
    }

    private int pollInside(final MessageHandler handler, final int limit)
    {
        checkTruncation();
        final long horizon = boundedByDurable ?
            Math.min(positions.lastSeq(), positions.durableSeq()) : positions.lastSeq();
        long seq = nextSeq;
        if (seq > horizon)
        {
            return 0;
        }
        final MessageBlock[] blocks = index.blocks();
        int delivered = 0;
        while (delivered < limit && seq <= horizon)
        {
            if (position < 0 || position >= blocks.length || blocks[position] != block ||
                seq < block.baseSeq() || (position + 1 < blocks.length && seq >= blocks[position + 1].baseSeq()))
            {
                position = StreamIndex.positionFor(blocks, seq);
                if (position < 0)
                {
                    // Below the first block: nothing was ever stored there, or it was reclaimed.
                    block = null;
                    seq = blocks.length == 0 ? horizon + 1 : blocks[0].baseSeq();
                    continue;
                }
                block = blocks[position];
            }
            final long end = position + 1 < blocks.length ?
                Math.min(horizon, blocks[position + 1].baseSeq() - 1) : horizon;
            try
            {
                final SequenceTable table = block.table();
                final long found = table.nextListed(seq, end);
                if (found < 0)
                {
                    seq = end + 1;
                    continue;
                }
                final int offset = table.get(found);
                seq = found;
                // The tailer stays on the message until the handler returned: a record that fails verification, or a
                // handler that throws, leaves it there.
                nextSeq = found;
                if (offset != 0 && StreamReader.verifyListed(block, block.buffer(), offset, found, context))
                {
                    if (boundedByDurable && positions.truncations() != truncationsSeen)
                    {
                        // A truncation since the horizon was read: the record found may be one of the new timeline,
                        // above its durable sequence. The next poll reports the truncation.
                        return delivered;
                    }
                    handler.onMessage(context.view.wrap(context.recordBuffer, context.recordOffset));
                    delivered++;
                }
                seq = found + 1;
            }
            catch (final BlockRetiredException ex)
            {
                // Reclaimed under the poll: its messages were removed, or moved to a rewrite that the index holds by
                // the time the retired block has left it.
                SubjectScan.awaitReplaced(index, block, Math.max(seq, block.baseSeq()));
                nextSeq = seq;
                block = null;
                position = -1;
                return delivered + pollInside(handler, limit - delivered);
            }
        }
        nextSeq = seq;
        return delivered;
    }

    /**
     * A truncation since the last poll that cut below where this tailer is moves it back to the first sequence after
     * the cut and says so, once.
     */
    private void checkTruncation()
    {
        final long truncations = positions.truncations();
        if (truncations == truncationsSeen)
        {
            return;
        }
        final long lowest = positions.lowestTruncatedTo(truncationsSeen, truncations);
        truncationsSeen = truncations;
        if (nextSeq > lowest + 1)
        {
            final long was = nextSeq;
            nextSeq = lowest + 1;
            block = null;
            position = -1;
            throw new StreamTruncatedException(store.config().name(), was, lowest);
        }
    }

    @Override
    public long nextSeq()
    {
        return nextSeq;
    }

    /**
     * @return the truncation count as of this tailer's last poll or seek: truncations after it are not reported yet.
     */
    long truncationsSeen()
    {
        return truncationsSeen;
    }

    void ensureUsable(final String what)
    {
        if (closed)
        {
            throw new IllegalStateException("tailer of stream " + store.config().name() + " is closed: cannot " + what);
        }
        store.ensureOpen();
    }

    @Override
    public void seek(final long seq)
    {
        ensureUsable();
        // The count first: a truncation after it is reported by the next poll if it cuts below seq.
        final long truncations = positions.truncations();
        final long lastSeq = positions.lastSeq();
        if (seq < 1 || seq > lastSeq + 1)
        {
            throw new IllegalArgumentException("seq must be in [1, lastSeq + 1 = " + (lastSeq + 1) + "] of stream " +
                store.config().name() + ": " + seq);
        }
        truncationsSeen = truncations;
        nextSeq = seq;
        block = null;
        position = -1;
    }

    @Override
    public void seek(final Instant time)
    {
        Objects.requireNonNull(time, "time");
        ensureUsable();
        final long truncations = positions.truncations();
        final long seq = store.sequenceAt(time);
        truncationsSeen = truncations;
        nextSeq = Math.max(1, seq);
        block = null;
        position = -1;
    }

    @Override
    public boolean isDurableOnly()
    {
        return durableOnly;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            index.followers().closed();
        }
        block = null;
    }

    private void ensureUsable()
    {
        if (closed)
        {
            throw new IllegalStateException("tailer of stream " + store.config().name() + " is closed");
        }
        store.ensureOpen();
    }

    @Override
    public String toString()
    {
        return "StreamTailer[stream=" + store.config().name() + ", nextSeq=" + nextSeq +
            (durableOnly ? ", durableOnly" : "") + "]";
    }
}
