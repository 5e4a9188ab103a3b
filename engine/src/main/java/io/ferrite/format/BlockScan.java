package io.ferrite.format;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.LongConsumer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * One walk over one block's records with the {@link RecordScanner}, and what the walk has found so far: the cursor
 * that recovery ({@code Replay}) and {@code ferrite verify} both keep per block, apart from what they keep per run.
 * {@link #begin} starts a block and forgets everything about the one before; nothing else resets it.
 * <p>
 * The walk hands every record and every damaged range on to the caller's {@link RecordScanner.Visitor} after noting
 * it, so the caller may read the cursor from inside its callbacks. A caller that refuses a record the scanner found
 * valid (its sealed body does not authenticate, a tombstone body is malformed) says so with {@link #reject}: the
 * record then counts as damage, not as a message or tombstone.
 * <p>
 * Two ends are kept. {@link #validEnd()} is where the last record that verified whole ends: what a reader can use.
 * The <em>written</em> end ({@link #writtenEnd()}, with its checksum and sequence) also counts a record whose header
 * verifies but whose body does not (erased on purpose, or damaged): the records as the engine wrote them, which is
 * what a block footer and {@code state.db} describe.
 * <p>
 * Not thread-safe; reused block after block; allocates nothing per record.
 */
public final class BlockScan
{
    /**
     * For a caller that shows no progress.
     */
    public static final LongConsumer NO_PROGRESS = (offset) -> {};

    private final RecordScanner scanner = new RecordScanner();
    private final Crc32c crc = new Crc32c();
    private final RecordScanner.Visitor noting = new Noting();
    private RecordScanner.Visitor visitor;

    // The block: set by begin() and wrap().
    private Path file;
    private int replayFrom;
    private boolean last;
    private LongConsumer progress;
    private UnsafeBuffer buffer;
    private ByteBuffer mapped;
    private long expectedEnd;
    private int expectedChecksum;

    // What the walk found: reset by begin() alone.
    private long messages;
    private long skips;
    private long tombstones;
    private long authenticated;
    private long firstSeq;
    private long lastSeq;
    private int validEnd;
    private int writtenEnd;
    private int writtenLastChecksum;
    private long writtenLastSeq;
    private long writtenMessages;
    private int damageEnd;
    private int damagedRecordEnd;
    private long damagedRecordSeq;
    private boolean expectedTailFound;

    /**
     * Start a block: everything found in the block before is forgotten, and the mapping let go until {@link #wrap}.
     *
     * @param file       the block file, for the caller's reports.
     * @param replayFrom where the records new to the caller begin (records before it are known to it already, e.g.
     *                   from {@code state.db}); {@link BlockDescriptor#DATA_OFFSET} when all are new.
     * @param last       whether the block is the stream's last: its zero tail is where appends continue.
     * @param progress   told the offset the walk has reached after each record or damaged range.
     */
    public BlockScan begin(final Path file, final int replayFrom, final boolean last, final LongConsumer progress)
    {
        if (replayFrom < BlockDescriptor.DATA_OFFSET)
        {
            throw new IllegalArgumentException("replayFrom " + replayFrom + " is before the data of " + file +
                " (offset " + BlockDescriptor.DATA_OFFSET + ")");
        }
        this.file = file;
        this.replayFrom = replayFrom;
        this.last = last;
        this.progress = progress;
        buffer = null;
        mapped = null;
        expectedEnd = -1;
        expectedChecksum = 0;
        messages = 0;
        skips = 0;
        tombstones = 0;
        authenticated = 0;
        firstSeq = 0;
        lastSeq = 0;
        validEnd = BlockDescriptor.DATA_OFFSET;
        writtenEnd = BlockDescriptor.DATA_OFFSET;
        writtenLastChecksum = 0;
        writtenLastSeq = 0;
        writtenMessages = 0;
        damageEnd = 0;
        damagedRecordEnd = 0;
        damagedRecordSeq = 0;
        expectedTailFound = false;
        return this;
    }

    /**
     * The block's mapping: records are walked up to {@code limit}, and must be sealed exactly when {@code encrypted}.
     * The scanner's sequence bounds are lifted until {@link #blockBase}.
     */
    public BlockScan wrap(final UnsafeBuffer buffer, final ByteBuffer mapped, final int limit, final boolean encrypted)
    {
        this.buffer = buffer;
        this.mapped = mapped;
        scanner.wrap(buffer, mapped, limit, encrypted);
        return this;
    }

    /**
     * Hold messages and skips to the sequences a block based at {@code baseSeq} can carry
     * ({@link RecordScanner#blockBase(long)}).
     */
    public BlockScan blockBase(final long baseSeq)
    {
        scanner.blockBase(baseSeq);
        return this;
    }

    /**
     * Watch for a record ending at {@code end} with {@code checksum} (where {@code state.db} says the block's records
     * end): {@link #expectedTailFound()} tells whether the walk wrote one there.
     */
    public BlockScan expectTail(final long end, final int checksum)
    {
        expectedEnd = end;
        expectedChecksum = checksum;
        return this;
    }

    /**
     * Walk the block's records from {@link BlockDescriptor#DATA_OFFSET}.
     *
     * @param afterSeq      records must carry sequences above this.
     * @param probeZeroTail whether zeros followed by records are damage rather than the end of the data.
     * @return the end of the valid data, as {@link RecordScanner#scan} returns it.
     */
    public int scan(final long afterSeq, final boolean probeZeroTail, final RecordScanner.Visitor visitor)
    {
        if (null == buffer)
        {
            throw new IllegalStateException("no mapping of " + file + " to scan: wrap() it after begin()");
        }
        this.visitor = visitor;
        try
        {
            return scanner.scan(BlockDescriptor.DATA_OFFSET, afterSeq, probeZeroTail, noting);
        }
        finally
        {
            this.visitor = null;
        }
    }

    /**
     * The caller refuses a record the scanner found valid: it counts as damage from {@code fromOffset} to
     * {@code toOffset}, and no longer as a message or tombstone.
     *
     * @param knownSeq the sequence the caller takes the record to have held, else 0.
     */
    public void reject(final int fromOffset, final int toOffset, final long knownSeq)
    {
        final byte type = buffer.getByte(fromOffset + TYPE_OFFSET);
        if (type == TYPE_MESSAGE)
        {
            messages--;
        }
        else if (type == TYPE_DELETE)
        {
            tombstones--;
        }
        else
        {
            skips--;
        }
        noteDamage(toOffset, knownSeq);
    }

    /**
     * The caller authenticated the body of the record it was just handed.
     */
    public void authenticated()
    {
        authenticated++;
    }

    /**
     * Let go of the mapping and of the checksum's view of it, so an unmapped block can be collected.
     */
    public void release()
    {
        buffer = null;
        mapped = null;
        crc.release();
    }

    /**
     * @return whether exactly {@code fromOffset..toOffset} is a tombstone whose header verifies: its body is what is
     * damaged. (The scanner reports such a tombstone without a sequence: its header's is not one it held.)
     */
    public boolean isTombstoneHeader(final int fromOffset, final int toOffset)
    {
        return toOffset - fromOffset >= MIN_FRAME_LENGTH &&
            buffer.getByte(fromOffset + TYPE_OFFSET) == TYPE_DELETE &&
            buffer.getInt(fromOffset + FRAME_LENGTH_OFFSET) == toOffset - fromOffset &&
            crc.compute(mapped, fromOffset, HEADER_CHECKSUM_OFFSET) ==
                buffer.getInt(fromOffset + HEADER_CHECKSUM_OFFSET);
    }

    public Path file()
    {
        return file;
    }

    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    public ByteBuffer mapped()
    {
        return mapped;
    }

    public int replayFrom()
    {
        return replayFrom;
    }

    public boolean isLast()
    {
        return last;
    }

    /**
     * @return the valid messages walked, less those {@link #reject rejected}.
     */
    public long messages()
    {
        return messages;
    }

    /**
     * @return the valid skips walked, less those {@link #reject rejected}.
     */
    public long skips()
    {
        return skips;
    }

    /**
     * @return the valid tombstones walked, less those {@link #reject rejected}.
     */
    public long tombstones()
    {
        return tombstones;
    }

    /**
     * @return the bodies the caller said it {@link #authenticated()}.
     */
    public long authenticatedCount()
    {
        return authenticated;
    }

    /**
     * @return the sequence of the first valid message or skip, 0 when none.
     */
    public long firstSeq()
    {
        return firstSeq;
    }

    /**
     * @return the sequence of the last valid message or skip, 0 when none.
     */
    public long lastSeq()
    {
        return lastSeq;
    }

    /**
     * @return where the last record that verified whole ends; {@link BlockDescriptor#DATA_OFFSET} when none did.
     */
    public int validEnd()
    {
        return validEnd;
    }

    /**
     * @return where the last record the engine wrote ends (its header verifies), {@link BlockDescriptor#DATA_OFFSET}
     * when none.
     */
    public int writtenEnd()
    {
        return writtenEnd;
    }

    /**
     * @return the checksum stored at the end of the last record written, 0 when none.
     */
    public int writtenLastChecksum()
    {
        return writtenLastChecksum;
    }

    /**
     * @return the highest sequence of a message or skip written (tombstones hold none), 0 when none.
     */
    public long writtenLastSeq()
    {
        return writtenLastSeq;
    }

    /**
     * @return the messages written, whether their bodies verify or not.
     */
    public long writtenMessages()
    {
        return writtenMessages;
    }

    /**
     * @return where the damage found so far ends, 0 when none: a footer may describe records past it.
     */
    public int damageEnd()
    {
        return damageEnd;
    }

    /**
     * @return where the latest damaged record whose sequence is known ends, 0 when none.
     */
    public int damagedRecordEnd()
    {
        return damagedRecordEnd;
    }

    /**
     * @return the sequence of the latest damaged record whose sequence is known, 0 when none.
     */
    public long damagedRecordSeq()
    {
        return damagedRecordSeq;
    }

    /**
     * @return whether a record written ends where {@link #expectTail} said, with the checksum it said.
     */
    public boolean expectedTailFound()
    {
        return expectedTailFound;
    }

    private void noteDamage(final int toOffset, final long knownSeq)
    {
        damageEnd = Math.max(damageEnd, toOffset);
        if (knownSeq > 0)
        {
            damagedRecordEnd = toOffset;
            damagedRecordSeq = knownSeq;
        }
    }

    private void noteWritten(final int end, final int checksum, final long seq)
    {
        writtenEnd = end;
        writtenLastChecksum = checksum;
        writtenLastSeq = Math.max(writtenLastSeq, seq);
        if (end == expectedEnd && checksum == expectedChecksum)
        {
            expectedTailFound = true;
        }
    }

    /**
     * Notes each finding in the cursor, then hands it on.
     */
    private final class Noting implements RecordScanner.Visitor
    {
        @Override
        public void onRecord(
            final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
            final int checksum)
        {
            validEnd = offset + frameLength;
            noteWritten(validEnd, checksum, type == TYPE_DELETE ? 0 : seq);
            if (type == TYPE_DELETE)
            {
                tombstones++;
            }
            else
            {
                firstSeq = 0 == firstSeq ? seq : firstSeq;
                lastSeq = seq;
                if (type == TYPE_MESSAGE)
                {
                    messages++;
                    writtenMessages++;
                }
                else
                {
                    skips++;
                }
            }
            visitor.onRecord(buffer, offset, frameLength, type, seq, checksum);
            progress.accept(validEnd);
        }

        @Override
        public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
        {
            noteDamage(toOffset, knownSeq);
            if (knownSeq > 0 && buffer.getByte(fromOffset + TYPE_OFFSET) == TYPE_MESSAGE)
            {
                // A message whose header verified: its length and the checksum the writer stored at its end are as
                // written, though its body no longer matches them.
                noteWritten(toOffset, buffer.getInt(toOffset - CHECKSUM_LENGTH), knownSeq);
                writtenMessages++;
            }
            else if (isTombstoneHeader(fromOffset, toOffset))
            {
                noteWritten(toOffset, buffer.getInt(toOffset - CHECKSUM_LENGTH), 0);
            }
            visitor.onDamage(fromOffset, toOffset, knownSeq, tail);
            progress.accept(toOffset);
        }
    }
}
