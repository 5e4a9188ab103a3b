package io.ferrite.engine;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.MessageFacts;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordScanner;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * {@code truncate(seq)}: every message above {@code seq} goes and the stream's last sequence becomes {@code seq}, as a
 * replica rolling back to its leader needs. Blocks wholly above go; the block holding {@code seq} is cut after its last
 * record at or below it (the bytes after are zeroed and forced) and becomes the tail again — in an encrypted stream
 * only until the next record, which starts a block under a fresh key, since the cut sequences' nonces were used under
 * its key. Tombstones that lay in the cut region are written again from the blocks' removed sets before the
 * truncation is published; the caller records those removals in {@code truncation.removals} before the cut.
 * <p>
 * The cut block's bytes are zeroed only once the readers that may hold a cut record have left (a grace period of the
 * read gate, begun once the cut records left the index): a read's or a tailer's handler reads a plaintext record
 * through a flyweight over the very mapping the zeros go to. The wait holds the append lock, so nothing is appended
 * over those bytes meanwhile; a call from a handler waited for that needs the lock (an append, a removal, a query)
 * tries it and is refused once it sees this wait ({@link InsideHandlerLock}), and a handler blocked otherwise (on
 * another thread's append, say) would never return, so the wait is bounded by {@link #GRACE_NANOS}, after which the
 * cut goes on as before, with a warning.
 * <p>
 * Threading: {@link #truncate} under the append lock, within {@code FullStateWriter.whileReplacingBlocks}; never from
 * inside a handler of the store ({@code StreamRemovals} refuses it), which would wait for itself.
 */
final class StreamTruncation implements RecordScanner.Visitor
{
    /**
     * The longest wait for the readers that may hold a cut record: far longer than a handler should run, short enough
     * that a handler blocked on a lock the truncation holds (waiting for another thread's append) costs a pause, not a
     * hang.
     */
    static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final StreamIndex index;
    private final StreamWriter writer;
    private final StreamRemover remover;
    private final StorageIO io;
    private final BlockFlusher blockFlusher;
    private final StoreMetrics metrics;
    private final BlockCrypto crypto;
    private final ReadGate readGate;
    private final MessageFacts facts = new MessageFacts();
    private final RecordScanner scanner = new RecordScanner();

    private long cutSeq;
    private int cutEnd;
    private long keptLastSeq;
    private long keptLastTime;
    private SequenceTable keptTable;
    private MessageBlock cutBlock;

    StreamTruncation(
        final StreamIndex index, final StreamWriter writer, final StreamRemover remover,
            final BlockFlusher blockFlusher,
        final StoreMetrics metrics, final BlockCrypto crypto, final StorageIO io, final ReadGate readGate)
    {
        this.io = io;
        this.readGate = readGate;
        this.remover = remover;
        this.index = index;
        this.writer = writer;
        this.blockFlusher = blockFlusher;
        this.metrics = metrics;
        this.crypto = crypto;
    }

    /**
     * @throws IllegalArgumentException when {@code seq} is outside {@code [0, lastSeq]}.
     */
    void check(final long seq)
    {
        writer.ensureOpenForMaintenance();
        if (seq < 0 || seq > index.lastSeq())
        {
            throw new IllegalArgumentException("seq must be in [0, lastSeq " + index.lastSeq() + "]: " + seq);
        }
    }

    /**
     * As {@link #truncate(long, LongConsumer)}, telling no one before the cut.
     */
    void truncate(final long seq)
    {
        truncate(seq, (kept) ->
        {
        });
    }

    /**
     * @param beforeCut told {@code seq} once every record above it verified and before the first is uncounted or cut:
     *                  the consumers and cursors are lowered there first, so a crash anywhere after leaves none of
     *                  their files above the cut (and a truncation refused for damage lowers nothing).
     */
    void truncate(final long seq, final LongConsumer beforeCut)
    {
        check(seq);
        if (seq == index.lastSeq())
        {
            return;
        }
        forEachAbove(seq, false);
        beforeCut.accept(seq);
        // Before the first message is uncounted: a pending count scanning without the lock counts again.
        index.beginTruncation();
        try
        {
            cutAbove(seq);
        }
        catch (final RuntimeException | Error ex)
        {
            // Not published: readers in other processes would otherwise take every look for the truncation under way.
            index.abandonTruncation();
            throw ex;
        }
        try
        {
            // Tombstones that lay in what was cut are written again from the remaining blocks' removed sets, while the
            // truncation is still under way: a view keeps the index it holds until the count is published, then
            // builds it again from the blocks alone, which must hold them by then. A crash before they are durable
            // leaves blocks without them and state.db set aside: truncation.removals, written before the cut, has them.
            remover.rewriteRemovalsBefore(index.blockCount(), List.of());
        }
        finally
        {
            // Even when the write failed: the cut is done, and readers must learn of it. Before the lowered last
            // sequence: a tailer that sees a record of the new timeline sees the truncation too.
            index.onTruncated(seq);
            index.publish();
            writer.listeners().onTruncated(seq);
        }
    }

    /**
     * Uncount and cut everything above {@code seq}: delete the blocks based above it, cut the block holding it, and
     * make {@code seq} a record when it fell in a gap.
     */
    private void cutAbove(final long seq)
    {
        forEachAbove(seq, true);
        long lastTime = 0;
        long recorded = 0;
        while (index.blockCount() > 0 && index.lastBlock().baseSeq() > seq)
        {
            final MessageBlock gone = index.lastBlock();
            index.removeBlock(index.blockCount() - 1);
            gone.retire();
            delete(gone.file());
        }
        if (index.blockCount() > 0)
        {
            lastTime = cut(index.blockCount() - 1, seq);
            recorded = keptLastSeq;
        }
        blockFlusher.onBlockDeleted();
        index.recount(index.msgs(), index.bytes(), recorded, lastTime);
        if (seq > recorded)
        {
            // The cut fell in a gap: a skip record makes the new last sequence a record, as every last sequence is,
            // so the next block's proof of it (its header's previous last sequence) is true.
            writer.skipTo(seq);
        }
    }

    /**
     * Read every message above {@code seq}, newest first, and when {@code uncount}, uncount it. {@link #truncate}
     * verifies every record first: a truncation refused for damage leaves the index as it was, rather than with
     * messages it no longer lists and no tombstone removing them.
     */
    private void forEachAbove(final long seq, final boolean uncount)
    {
        final MessageBlock[] blocks = index.blocks();
        for (int p = blocks.length - 1; p >= 0; p--)
        {
            final MessageBlock block = blocks[p];
            final SequenceTable table = block.table();
            for (long s = table.previousListed(table.endSeq() - 1); s > seq; s = table.previousListed(s - 1))
            {
                final int offset = table.get(s);
                if (!facts.read(block, offset, s))
                {
                    throw new CorruptRecordException("cannot truncate over a message whose record does not verify",
                        block.file(), offset, s);
                }
                final SubjectIndex.Entry entry = uncount ? index.subjects().get(facts.subject()) : null;
                if (null != entry)
                {
                    index.onRemove(p, s, entry, facts.messageBytes());
                }
            }
            if (block.baseSeq() <= seq)
            {
                break;
            }
        }
    }

    /**
     * Cut the block at {@code position} after its last record at or below {@code seq}, and make it the tail.
     *
     * @return the time of the last message kept in it, or the block entry's when none.
     */
    private long cut(final int position, final long seq)
    {
        final MessageBlock old = index.blocks()[position];
        final BlockIndex entries = index.blockIndex();
        cutSeq = seq;
        cutEnd = BlockDescriptor.DATA_OFFSET;
        keptLastSeq = old.baseSeq() - 1;
        keptLastTime = 0;
        keptTable = new SequenceTable(old.baseSeq());
        cutBlock = old;
        final UnsafeBuffer buffer = old.buffer();
        final int dataEnd = Math.min(old.limit(), entries.writeOffset(position));
        // Probing past zeros (bounded by the block's end of data): a page a power cut dropped inside a sealed block
        // is damage with valid records after it, which the cut must keep.
        scanner.wrap(buffer, old.mapped(), dataEnd, old.isEncrypted()).blockBase(old.baseSeq()).scan(
            BlockDescriptor.DATA_OFFSET, old.baseSeq() - 1, true, this);
        final int zeroTo = entries.writeOffset(position);

        final MessageBlock tail = MessageBlock.open(old.file(), old.id(), old.baseSeq(), true, metrics, crypto);
        tail.recovered(keptTable, cutEnd);
        tail.contents().subjects(new BlockSubjects(true));
        tail.contents().removedUpTo(old.contents().removalWritten());
        old.contents().deleted().forEachRun((from, to) ->
        {
            if (from <= seq)
            {
                tail.contents().deleted().addRange(from, Math.min(to, seq));
            }
        });
        final int lastChecksum = cutEnd > BlockDescriptor.DATA_OFFSET ? tail.buffer().getInt(cutEnd - CHECKSUM_LENGTH) :
            0;
        final long lastTime = keptLastTime == 0 ? entries.firstTime(position) : keptLastTime;
        entries.reset(position, old.id(), entries.firstSeq(position), keptLastSeq, entries.firstTime(position),
            keptLastTime, entries.msgs(position), entries.bytes(position), cutEnd, lastChecksum);
        index.replaceBlock(position, tail);
        old.retire();
        // The cut records are in no table now (the blocks above left the index before), so only a reader inside
        // already may hold one; nothing is appended to the tail before the append lock goes.
        awaitReaders(old);
        zero(old.file(), cutEnd, zeroTo, old.isEncrypted() ? old.footerOffset() : -1, io);
        if (null != crypto)
        {
            writer.rollBeforeNextRecord();
        }
        return lastTime;
    }

    @Override
    public void onRecord(
        final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
        final int checksum)
    {
        if (seq > cutSeq)
        {
            return;
        }
        cutEnd = offset + frameLength;
        if (type == TYPE_DELETE)
        {
            return;
        }
        keptLastSeq = Math.max(keptLastSeq, seq);
        if (type == TYPE_MESSAGE)
        {
            keptLastTime = buffer.getLong(offset + TIMESTAMP_OFFSET);
            if (!cutBlock.contents().deleted().contains(seq))
            {
                keptTable.put(seq, offset);
            }
        }
    }

    @Override
    public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
    {
        if (knownSeq > 0 && knownSeq <= cutSeq)
        {
            // An erased (or damaged) record at or below the cut stays as it is.
            cutEnd = toOffset;
            keptLastSeq = Math.max(keptLastSeq, knownSeq);
        }
    }

    /**
     * A grace period of the read gate, bounded by {@link #GRACE_NANOS}.
     */
    private void awaitReaders(final MessageBlock cut)
    {
        final long ticket = readGate.startGrace();
        if (!readGate.pollGrace(ticket) && !readGate.awaitGraceHoldingAppendLock(ticket, GRACE_NANOS))
        {
            LoggerFactory.getLogger(StreamTruncation.class).warn("block {}: a read or tailer handler inside since " +
                "before the truncation to seq {} did not return within {} s (blocked on the append lock the " +
                "truncation holds?); the cut records it may hold are zeroed under it", cut.file(), cutSeq,
                TimeUnit.NANOSECONDS.toSeconds(GRACE_NANOS));
        }
    }

    /**
     * Zero {@code [from, to)} of the file and, when {@code footerAt >= 0}, the footer there; then force.
     */
    private static void zero(
        final Path file, final int from, final int to, final int footerAt, final StorageIO io)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            if (to > from)
            {
                write(channel, ByteBuffer.allocate(to - from), from);
            }
            if (footerAt >= 0)
            {
                write(channel, ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH), footerAt);
            }
            io.forceFile(file, channel);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("zero truncated records", file, ex);
        }
    }

    private static void write(final FileChannel channel, final ByteBuffer zeros, final long position)
        throws IOException
    {
        long at = position;
        while (zeros.hasRemaining())
        {
            at += channel.write(zeros, at);
        }
    }

    private static void delete(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("delete truncated block file", file, ex);
        }
    }
}
