package io.ferrite.engine.block;

import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.format.RecordDescriptor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Everything the store knows in memory: the blocks in sequence order, their off-heap index entries, per-subject state
 * and the stream totals. Recovery builds it, the appender mutates it, readers look up through it, and state writes
 * copy it — never reading a block file.
 * <p>
 * Threading: mutations happen on the appending thread under the store's append lock. Readers use only
 * {@link #publishedLastSeq()}, {@link #blockFor(long)} and the subject index, which are safe without the lock: the
 * block array is copy-on-write and the last sequence is published with a release store after everything it covers.
 */
public final class StreamIndex
{
    private static final MessageBlock[] NO_BLOCKS = new MessageBlock[0];

    private final BlockIndex blockIndex = new BlockIndex();
    private final SubjectIndex subjects = new SubjectIndex();
    private volatile MessageBlock[] blocks = NO_BLOCKS;

    /** Published with release semantics; read by readers with acquire. */
    @SuppressWarnings("unused")
    private long publishedLastSeq;

    private long msgs;
    private long bytes;
    private long firstSeq;
    private long lastSeq;
    private long firstTime;
    private long lastTime;
    private long nextBlockId = 1;

    public BlockIndex blockIndex()
    {
        return blockIndex;
    }

    public SubjectIndex subjects()
    {
        return subjects;
    }

    /**
     * Add a block after the current last one; its slot in {@link #blockIndex()} equals its position.
     */
    public void addBlock(final MessageBlock block)
    {
        final MessageBlock[] current = blocks;
        final MessageBlock[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = block;
        blocks = grown;
        nextBlockId = Math.max(nextBlockId, block.id() + 1);
    }

    public MessageBlock[] blocks()
    {
        return blocks;
    }

    public int blockCount()
    {
        return blocks.length;
    }

    public MessageBlock lastBlock()
    {
        final MessageBlock[] current = blocks;
        return current.length == 0 ? null : current[current.length - 1];
    }

    public long nextBlockId()
    {
        return nextBlockId;
    }

    public void nextBlockId(final long nextBlockId)
    {
        this.nextBlockId = nextBlockId;
    }

    /**
     * @return the block whose sequence range covers {@code seq}, or null.
     */
    public MessageBlock blockFor(final long seq)
    {
        final MessageBlock[] current = blocks;
        final int position = positionFor(current, seq);
        return position < 0 ? null : current[position];
    }

    /**
     * @return the position of the block whose sequence range covers {@code seq}, or -1.
     */
    public int positionFor(final long seq)
    {
        return positionFor(blocks, seq);
    }

    /**
     * @return the position in {@code current} of the block whose sequence range covers {@code seq}, or -1.
     */
    public static int positionFor(final MessageBlock[] current, final long seq)
    {
        int low = 0;
        int high = current.length - 1;
        if (high < 0 || seq < current[0].baseSeq())
        {
            return -1;
        }
        if (seq >= current[high].baseSeq())
        {
            return high;
        }
        while (low < high)
        {
            final int mid = (low + high + 1) >>> 1;
            if (current[mid].baseSeq() <= seq)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }
        return low;
    }

    /**
     * @return the block's position (and index slot), or -1.
     */
    public int positionOf(final MessageBlock block)
    {
        final MessageBlock[] current = blocks;
        for (int i = current.length - 1; i >= 0; i--)
        {
            if (current[i] == block)
            {
                return i;
            }
        }
        return -1;
    }

    public void onMessage(final long seq, final long timestamp, final int messageBytes)
    {
        if (msgs == 0)
        {
            firstSeq = seq;
            firstTime = timestamp;
        }
        msgs++;
        bytes += messageBytes;
        lastSeq = seq;
        lastTime = timestamp;
    }

    public void onSkip(final long seq)
    {
        lastSeq = seq;
    }

    /**
     * Apply the removal of the message at {@code seq}: the block forgets it, and the block entry, the subject (with
     * the block's summary) and the totals uncount it. The caller has recorded the removal durably (a tombstone).
     *
     * @param position     the block's position (and index slot).
     * @param entry        the message's subject.
     * @param messageBytes its subject, headers and payload lengths.
     */
    public void onRemove(
        final int position, final long seq, final SubjectIndex.Entry entry, final int messageBytes)
    {
        final MessageBlock block = blocks[position];
        // The subject's bounds move first: a lock-free loadLast that still sees the old last sequence finds its record
        // until the block forgets it just after.
        subjects.onRemove(entry, seq);
        block.contents().markDeleted(seq, entry);
        blockIndex.onRemove(position, messageBytes);
        msgs--;
        bytes -= messageBytes;
        if (msgs == 0)
        {
            firstTime = 0;
        }
        else if (seq == firstSeq)
        {
            advanceFirst(position, seq + 1);
        }
    }

    /**
     * Apply the removal of every message of the block at {@code position}, whose subjects the caller has uncounted.
     * The first sequence is left for {@link #refreshFirst(long)}: removals of many blocks search for it once.
     */
    public void onEmptied(final int position)
    {
        final MessageBlock block = blocks[position];
        msgs -= blockIndex.msgs(position);
        bytes -= blockIndex.bytes(position);
        blockIndex.onEmptied(position);
        block.contents().markEmptied(blockIndex.lastSeq(position));
    }

    /**
     * Find the first stored message again, knowing none is stored below {@code fromSeq}.
     */
    public void refreshFirst(final long fromSeq)
    {
        if (msgs == 0)
        {
            firstTime = 0;
            return;
        }
        final int position = positionFor(fromSeq);
        advanceFirst(Math.max(0, position), fromSeq);
    }

    /**
     * Find the first stored message at or after {@code fromSeq}, starting at block {@code position}: the blocks'
     * message counts skip empty blocks, their tables the gaps. May map and scan a block recovered from state.
     */
    private void advanceFirst(final int position, final long fromSeq)
    {
        final MessageBlock[] current = blocks;
        for (int i = position; i < current.length; i++)
        {
            if (blockIndex.msgs(i) <= 0)
            {
                continue;
            }
            final SequenceTable table = current[i].table();
            final long seq = table.nextListed(Math.max(fromSeq, current[i].baseSeq()));
            if (seq > 0)
            {
                firstSeq = seq;
                firstTime = current[i].buffer().getLong(table.get(seq) + RecordDescriptor.TIMESTAMP_OFFSET);
                return;
            }
        }
        throw new IllegalStateException("the stream counts " + msgs + " messages but none is stored after " + fromSeq);
    }

    /**
     * Set the totals after a purge or truncation recounted them.
     */
    public void recount(final long msgs, final long bytes, final long lastSeq, final long lastTime)
    {
        this.msgs = msgs;
        this.bytes = bytes;
        this.lastSeq = lastSeq;
        this.lastTime = lastTime;
        refreshFirst(1);
    }

    /**
     * Drop the block at {@code position} (every message removed, its file about to be deleted); its index slot goes
     * with it.
     */
    public void removeBlock(final int position)
    {
        final MessageBlock[] current = blocks;
        final MessageBlock[] shrunk = new MessageBlock[current.length - 1];
        System.arraycopy(current, 0, shrunk, 0, position);
        System.arraycopy(current, position + 1, shrunk, position, current.length - position - 1);
        blockIndex.remove(position);
        blocks = shrunk;
    }

    /**
     * Put {@code block} (a rewrite, or a reopened tail) in place of the block at {@code position}.
     */
    public void replaceBlock(final int position, final MessageBlock block)
    {
        final MessageBlock[] replaced = blocks.clone();
        replaced[position] = block;
        blocks = replaced;
    }

    /**
     * Restore totals read from a state file.
     */
    public void restoreTotals(
        final long msgs, final long bytes, final long firstSeq, final long lastSeq, final long firstTime,
        final long lastTime)
    {
        this.msgs = msgs;
        this.bytes = bytes;
        this.firstSeq = firstSeq;
        this.lastSeq = lastSeq;
        this.firstTime = firstTime;
        this.lastTime = lastTime;
    }

    /**
     * Make every record up to {@link #lastSeq()} visible to readers.
     */
    public void publish()
    {
        PUBLISHED_LAST_SEQ.setRelease(this, lastSeq);
    }

    public long publishedLastSeq()
    {
        return (long)PUBLISHED_LAST_SEQ.getAcquire(this);
    }

    public long msgs()
    {
        return msgs;
    }

    public long bytes()
    {
        return bytes;
    }

    /**
     * @return the first stored message's sequence, or {@code lastSeq + 1} when none is stored.
     */
    public long firstSeq()
    {
        return msgs == 0 ? lastSeq + 1 : firstSeq;
    }

    public long lastSeq()
    {
        return lastSeq;
    }

    public long firstTime()
    {
        return msgs == 0 ? 0 : firstTime;
    }

    public long lastTime()
    {
        return lastTime;
    }

    private static final VarHandle PUBLISHED_LAST_SEQ;

    static
    {
        try
        {
            PUBLISHED_LAST_SEQ = MethodHandles.lookup().findVarHandle(StreamIndex.class, "publishedLastSeq",
                long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }
}
