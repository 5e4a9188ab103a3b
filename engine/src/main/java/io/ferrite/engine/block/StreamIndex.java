package io.ferrite.engine.block;

import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.RemovalVersion;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StreamState;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

abstract class StreamTotalsLhsPadding
{
    byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
    byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
    byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
    byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
}

abstract class StreamTotals extends StreamTotalsLhsPadding
{
    /** Odd while the totals below are being changed; see {@link StreamIndex#state()}. */
    long totalsVersion;

    long msgs;
    long bytes;
    long firstSeq;
    long lastSeq;
    long firstTime;
    long lastTime;
}

/**
 * 72 bytes, not 64: the JVM puts the first of these bytes in the 4-byte gap before the totals (they are 8-byte
 * aligned), which leaves 68 after them.
 */
abstract class StreamTotalsRhsPadding extends StreamTotals
{
    byte p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079, p080, p081;
    byte p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095, p096, p097, p098, p099;
    byte p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111, p112, p113, p114, p115, p116, p117;
    byte p118, p119, p120, p121, p122, p123, p124, p125, p126, p127, p128, p129, p130, p131, p132, p133, p134, p135;
}

/**
 * Everything the store knows in memory: the blocks in sequence order, their off-heap index entries, per-subject state
 * and the stream totals. Recovery builds it, the appender mutates it, readers look up through it, and state writes
 * copy it — never reading a block file.
 * <p>
 * Threading: mutations happen on the appending thread under the store's append lock. Readers use only
 * {@link #publishedLastSeq()}, {@link #blockFor(long)} and the subject index, which are safe without the lock: the
 * block array is copy-on-write and the last sequence is published with a release store after everything it covers
 * ({@link #positions()}). {@link #state()} reads the totals without the lock too: every change to them is made
 * between two increments of a version, seqlock fashion, so a reader retries a copy that a change overlapped. Every
 * change that takes messages or blocks away moves {@link #removals()} the same way, for queries that read more than
 * the totals without the lock.
 * <p>
 * The totals, which every append changes, sit between paddings (the superclasses above, as in Agrona): the block
 * array every tailer poll reads would otherwise share their cache line and be lost to each append.
 */
public final class StreamIndex extends StreamTotalsRhsPadding
{
    private static final MessageBlock[] NO_BLOCKS = new MessageBlock[0];

    private final BlockIndex blockIndex = new BlockIndex();
    private final SubjectIndex subjects = new SubjectIndex();
    private volatile MessageBlock[] blocks = NO_BLOCKS;
    /**
     * Blocks that left {@link #blocks}, in that order, for the store to unmap once no reader can hold them (removed or
     * replaced under the append lock, taken by the flusher or by close): a deletion or rewrite is rare, so a linked
     * queue's node per block costs nothing that matters.
     */
    private final Queue<MessageBlock> left = new ConcurrentLinkedQueue<>();

    private final StreamPositions positions = new StreamPositions();
    private final RemovalVersion removals = new RemovalVersion();
    private final FollowerCount followers = new FollowerCount();
    /**
     * Truncations begun in this process: raised under the append lock before a truncation uncounts or cuts anything,
     * so a reader working without the lock (a pending count's scan) can tell one is under way, which the completed
     * count in {@link #positions} says only once the cut is published.
     */
    private volatile long truncationsBegun;
    private long nextBlockId = 1;

    public StreamIndex()
    {
        // An empty stream's first sequence is the one after its last, 0.
        positions.publishFirstSeq(1);
    }

    /**
     * @return the tailers of this process that follow the stream.
     */
    public FollowerCount followers()
    {
        return followers;
    }

    /**
     * @return the positions published to lock-free readers.
     */
    public StreamPositions positions()
    {
        return positions;
    }

    /**
     * @return the version every removal, purge, compaction, truncation and block removal moves: what queries that read
     * without the append lock check their answer against.
     */
    public RemovalVersion removals()
    {
        return removals;
    }

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
        addBlock(block, null);
    }

    /**
     * As {@link #addBlock(MessageBlock)}, filling {@code spare} instead of allocating the grown array when it has the
     * length needed (made ahead, off the append lock, by the block preparer) and is not the array in use.
     *
     * @param spare an array nobody else holds, or null; used only when exactly one longer than the current one.
     */
    public void addBlock(final MessageBlock block, final MessageBlock[] spare)
    {
        final MessageBlock[] current = blocks;
        final MessageBlock[] grown;
        if (null != spare && spare.length == current.length + 1)
        {
            System.arraycopy(current, 0, spare, 0, current.length);
            grown = spare;
        }
        else
        {
            grown = Arrays.copyOf(current, current.length + 1);
        }
        grown[current.length] = block;
        blocks = grown;
        positions.onBlocksChanged();
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

    /**
     * Count a message record written at the end of the last block and publish its sequence to readers: within the
     * totals' change, so that {@link #state()} never counts a message a reader cannot load yet.
     */
    public void onMessage(final long seq, final long timestamp, final int messageBytes)
    {
        beginTotals();
        if (msgs == 0)
        {
            firstSeq = seq;
            firstTime = timestamp;
        }
        msgs++;
        bytes += messageBytes;
        lastSeq = seq;
        lastTime = timestamp;
        // Inside the change: a reader whose state() counts this message must find it when it loads it.
        positions.publishLastSeq(seq);
        endTotals();
    }

    /**
     * Count a skip to {@code seq} (a skip record, or a purge's gap) and publish it, within the totals' change as
     * {@link #onMessage} does: {@link #state()} never shows a last sequence readers do not see yet.
     */
    public void onSkip(final long seq)
    {
        beginTotals();
        lastSeq = seq;
        positions.publishLastSeq(seq);
        endTotals();
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
        removals.begin();
        try
        {
            // The subject's bounds move first: a lock-free loadLast that still sees the old last sequence finds its
            // record until the block forgets it just after.
            subjects.onRemove(entry, seq);
            block.contents().markDeleted(seq, entry);
            blockIndex.onRemove(position, messageBytes);
            beginTotals();
            try
            {
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
            finally
            {
                endTotals();
            }
        }
        finally
        {
            removals.end();
        }
    }

    /**
     * Apply the removal of every message of the block at {@code position}, whose subjects the caller has uncounted.
     * The first sequence is left for {@link #refreshFirst(long)}: removals of many blocks search for it once.
     */
    public void onEmptied(final int position)
    {
        final MessageBlock block = blocks[position];
        removals.begin();
        try
        {
            beginTotals();
            msgs -= blockIndex.msgs(position);
            bytes -= blockIndex.bytes(position);
            endTotals();
            blockIndex.onEmptied(position);
            block.contents().markEmptied(blockIndex.lastSeq(position));
        }
        finally
        {
            removals.end();
        }
    }

    /**
     * Find the first stored message again, knowing none is stored below {@code fromSeq}.
     */
    public void refreshFirst(final long fromSeq)
    {
        beginTotals();
        try
        {
            refreshFirstInTotals(fromSeq);
        }
        finally
        {
            endTotals();
        }
    }

    private void refreshFirstInTotals(final long fromSeq)
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
        removals.begin();
        beginTotals();
        try
        {
            this.msgs = msgs;
            this.bytes = bytes;
            this.lastSeq = lastSeq;
            this.lastTime = lastTime;
            refreshFirstInTotals(1);
        }
        finally
        {
            endTotals();
            removals.end();
        }
    }

    /**
     * Drop the block at {@code position} (every message removed, its file about to be deleted); its index slot goes
     * with it.
     */
    public void removeBlock(final int position)
    {
        final MessageBlock[] current = blocks;
        final MessageBlock gone = current[position];
        final MessageBlock[] shrunk = new MessageBlock[current.length - 1];
        System.arraycopy(current, 0, shrunk, 0, position);
        System.arraycopy(current, position + 1, shrunk, position, current.length - position - 1);
        removals.begin();
        try
        {
            blockIndex.remove(position);
            blocks = shrunk;
            positions.onBlocksChanged();
        }
        finally
        {
            removals.end();
        }
        left.offer(gone);
    }

    /**
     * Put {@code block} (a rewrite, or a reopened tail) in place of the block at {@code position}.
     */
    public void replaceBlock(final int position, final MessageBlock block)
    {
        final MessageBlock[] replaced = blocks.clone();
        final MessageBlock gone = replaced[position];
        replaced[position] = block;
        blocks = replaced;
        positions.onBlocksChanged();
        left.offer(gone);
    }

    /**
     * @return a block that left the index ({@link #removeBlock}, {@link #replaceBlock}), oldest first, or null: its
     * mappings are to be unmapped once no reader can still hold it.
     */
    public MessageBlock pollLeft()
    {
        return left.poll();
    }

    /**
     * Restore totals read from a state file.
     */
    public void restoreTotals(
        final long msgs, final long bytes, final long firstSeq, final long lastSeq, final long firstTime,
        final long lastTime)
    {
        beginTotals();
        this.msgs = msgs;
        this.bytes = bytes;
        this.firstSeq = firstSeq;
        this.lastSeq = lastSeq;
        this.firstTime = firstTime;
        this.lastTime = lastTime;
        endTotals();
    }

    /**
     * Make every record up to {@link #lastSeq()} visible to readers.
     */
    public void publish()
    {
        positions.publishLastSeq(lastSeq);
    }

    public long publishedLastSeq()
    {
        return positions.lastSeq();
    }

    /**
     * Tell lock-free readers (tailers) that the stream was truncated to {@code keptLastSeq}: under the append lock,
     * before the lowered last sequence is published.
     */
    public void onTruncated(final long keptLastSeq)
    {
        positions.onTruncated(keptLastSeq);
    }

    /**
     * A truncation is about to uncount and cut: under the append lock, before it changes anything.
     */
    public void beginTruncation()
    {
        // One writer (under the append lock): a plain increment of the volatile publishes it.
        truncationsBegun = truncationsBegun + 1;
        positions.beginTruncation();
    }

    /**
     * The truncation begun failed before {@link #onTruncated}: readers in other processes stop waiting for its count.
     */
    public void abandonTruncation()
    {
        positions.abandonTruncation();
    }

    /**
     * @return how many truncations began in this process (a volatile read); one above those completed while one is
     * under way.
     */
    public long truncationsBegun()
    {
        return truncationsBegun;
    }

    /**
     * @return a consistent copy of the totals, taken without the append lock: retried while a change overlaps it. A
     * change that scans a block for the new first message (a removal of the first one from a block not yet read) makes
     * it wait that long.
     */
    public StreamState state()
    {
        for (int attempt = 0; ; attempt++)
        {
            final long version = (long)TOTALS_VERSION.getAcquire(this);
            if ((version & 1) == 0)
            {
                // Plain loads of fields the appender writes: a torn or mixed copy is possible and is what the second
                // version check catches (64-bit longs are not torn on the JVMs Ferrite runs on: it needs 64-bit).
                final long copyMsgs = msgs;
                final long copyBytes = bytes;
                final long copyFirstSeq = firstSeq;
                final long copyLastSeq = lastSeq;
                final long copyFirstTime = firstTime;
                final long copyLastTime = lastTime;
                VarHandle.loadLoadFence();
                if ((long)TOTALS_VERSION.getOpaque(this) == version)
                {
                    final long first = copyMsgs == 0 ? copyLastSeq + 1 : copyFirstSeq;
                    final long deleted = copyMsgs == 0 ? 0 : copyLastSeq - first + 1 - copyMsgs;
                    return new StreamState(copyMsgs, copyBytes, first, copyLastSeq, copyMsgs == 0 ? 0 : copyFirstTime,
                        copyLastTime, deleted, subjects.size());
                }
            }
            if (attempt < 100)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
        }
    }

    /**
     * Start a change of the totals: the version goes odd before any field changes.
     */
    private void beginTotals()
    {
        TOTALS_VERSION.setOpaque(this, totalsVersion + 1);
        VarHandle.storeStoreFence();
    }

    /**
     * End a change of the totals: the version goes even after every field changed, and the first sequence is
     * published to lock-free readers.
     */
    private void endTotals()
    {
        TOTALS_VERSION.setRelease(this, totalsVersion + 1);
        positions.publishFirstSeq(firstSeq());
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
     * @return the message count for a reader on any thread ({@code counters()}): one opaque load, no lock, no retry. A
     * racy read of a field the appender writes, and a benign one: a long is not torn on the 64-bit JVMs Ferrite needs,
     * the value is one the appender stored (or the one before), and opaque keeps a caller's polling loop from having
     * the load hoisted out of it. {@link #state()} is the copy that agrees with the other totals.
     */
    public long msgsOpaque()
    {
        return (long)MSGS.getOpaque(this);
    }

    /**
     * @return the byte count for a reader on any thread; as {@link #msgsOpaque()}.
     */
    public long bytesOpaque()
    {
        return (long)BYTES.getOpaque(this);
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

    private static final VarHandle TOTALS_VERSION;
    private static final VarHandle MSGS;
    private static final VarHandle BYTES;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            TOTALS_VERSION = lookup.findVarHandle(StreamTotals.class, "totalsVersion", long.class);
            MSGS = lookup.findVarHandle(StreamTotals.class, "msgs", long.class);
            BYTES = lookup.findVarHandle(StreamTotals.class, "bytes", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }
}
