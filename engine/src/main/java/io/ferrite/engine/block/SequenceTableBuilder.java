package io.ferrite.engine.block;

import io.ferrite.crypto.BlockKey;
import io.ferrite.engine.index.DeletedSequences;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.RecordScanner;
import io.ferrite.store.CorruptRecordException;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import static io.ferrite.format.RecordDescriptor.TYPE_DELETE;
import static io.ferrite.format.RecordDescriptor.TYPE_MESSAGE;

/**
 * Builds the sequence table of a sealed block the first time a read needs it, from the block's own records and what
 * {@code state.db} said about it (where its data ends and its last sequence).
 * <p>
 * Damage found here, after open, must not make messages silently absent: every sequence the damage may have held
 * points at the damaged bytes, so reading it fails checksum verification and raises {@code CorruptRecordException}
 * naming the file, offset and sequence. Zeros before the state's end of data count as damage too (the scan probes
 * past them, bounded by that end).
 * <p>
 * Whole records cut out of the block leave no damage, only a sequence gap: when the block entry's message count says
 * messages are missing, every gap its removed set does not explain points at the offset where the cut was
 * ({@link SequenceGaps}), so those reads fail too.
 */
final class SequenceTableBuilder implements RecordScanner.Visitor
{
    private static final Logger LOG = LoggerFactory.getLogger(SequenceTableBuilder.class);

    private final Path file;
    /** Null for a plaintext block. */
    private final BlockKey key;
    private final MappedByteBuffer mapped;
    private RecordCipher cipher;
    private final SequenceTable table;
    private long lastSeq;
    private int pendingDamageOffset = -1;
    private final SequenceGaps gaps;

    private final DeletedSequences deleted;

    private SequenceTableBuilder(final Path file, final long baseSeq, final long knownLastSeq, final int dataEnd,
        final BlockKey key, final MappedByteBuffer mapped, final DeletedSequences deleted)
    {
        this.deleted = deleted;
        this.gaps = new SequenceGaps(baseSeq, knownLastSeq, deleted::contains);
        this.key = key;
        this.mapped = mapped;
        this.file = file;
        this.table = new SequenceTable(baseSeq, expectedSequences(baseSeq, knownLastSeq, dataEnd));
        this.lastSeq = baseSeq - 1;
    }

    /**
     * @param dataEnd      how far to scan: where the block's records end, from state, or the end of the mapping when
     *                     the file is shorter.
     * @param recordedEnd  where the block's records end, from state: a file cut before it lost the records after
     *                     the cut, and they must fail reads, not read as absent.
     * @param knownLastSeq the block's last sequence, from state.
     * @param expectedMsgs the live messages the block entry counts, less those removed since; -1 when unknown.
     * @return the table; bytes scanned are {@code dataEnd - DATA_OFFSET}.
     */
    static SequenceTable build(
        final Path file, final UnsafeBuffer buffer, final MappedByteBuffer mapped, final long baseSeq,
        final int dataEnd, final int recordedEnd, final long knownLastSeq, final int expectedMsgs, final BlockKey key,
        final DeletedSequences deleted)
    {
        final SequenceTableBuilder builder = new SequenceTableBuilder(file, baseSeq, knownLastSeq, dataEnd, key, mapped,
            deleted);
        final int end = new RecordScanner().wrap(buffer, mapped, dataEnd, null != key).blockBase(baseSeq)
            .scan(BlockDescriptor.DATA_OFFSET, baseSeq - 1, true, builder);
        final boolean bytesMissing = end < Math.max(dataEnd, recordedEnd);
        if (bytesMissing && builder.pendingDamageOffset < 0)
        {
            builder.pendingDamageOffset = end;
        }
        builder.markPendingUpTo(knownLastSeq);
        builder.gaps.onEnd(end, bytesMissing);
        if (builder.gaps.messagesMissing(expectedMsgs))
        {
            builder.markCut(expectedMsgs);
        }
        return builder.table;
    }

    /**
     * The table's first size: the span state names, so a table does not grow by doubling to it — each growth keeps
     * the entries it outgrew until the block's tables are freed (see {@link SequenceTable}). Never more than the
     * block's bytes can hold records for: state may be damaged, and a number it names must not size memory the file
     * cannot back.
     */
    static int expectedSequences(final long baseSeq, final long knownLastSeq, final int dataEnd)
    {
        if (knownLastSeq < baseSeq)
        {
            return 0;
        }
        final long span = Math.min(knownLastSeq - baseSeq, BlockDescriptor.MAX_SEQUENCE_SPAN - 1) + 1;
        final long records = Math.max(0, dataEnd - BlockDescriptor.DATA_OFFSET) / RecordDescriptor.MIN_FRAME_LENGTH;
        return (int)Math.min(span, records);
    }

    @Override
    public void onRecord(
        final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
        final int checksum)
    {
        if (type == TYPE_DELETE)
        {
            // Removals are applied from the block's deleted set, which state.db carries.
            return;
        }
        markPendingUpTo(seq - 1);
        final boolean listed = type == TYPE_MESSAGE || !isAuthentic(buffer, offset, seq);
        if (listed)
        {
            // A skip that does not authenticate may be a message forged into a skip: reading it must fail, not vanish.
            table.put(seq, offset);
        }
        gaps.onRecord(seq, offset, listed);
        lastSeq = seq;
    }

    @Override
    public void onDamage(final int from, final int to, final long knownSeq, final boolean tail)
    {
        if (knownSeq > 0)
        {
            gaps.onRecord(knownSeq, from, true);
        }
        else
        {
            gaps.onDamage();
        }
        if (knownSeq > 0 && deleted.contains(knownSeq))
        {
            // An erased message: its bytes were overwritten on purpose, and it is removed.
            markPendingUpTo(knownSeq - 1);
            lastSeq = knownSeq;
            return;
        }
        LOG.warn("block {} has {} bytes that do not verify at offsets [{}, {}){}; reads of the sequences they held " +
            "raise CorruptRecordException", file, to - from, from, to, knownSeq > 0 ? " (seq " + knownSeq + ")" : "");
        if (knownSeq > 0)
        {
            markPendingUpTo(knownSeq - 1);
            table.put(knownSeq, from);
            lastSeq = knownSeq;
        }
        else if (pendingDamageOffset < 0)
        {
            pendingDamageOffset = from;
        }
    }

    private boolean isAuthentic(final UnsafeBuffer buffer, final int offset, final long seq)
    {
        if (null == key)
        {
            return true;
        }
        cipher = null == cipher ? new RecordCipher() : cipher;
        try
        {
            cipher.open(key, mapped, buffer, offset, seq, file);
            return true;
        }
        catch (final CorruptRecordException ex)
        {
            LOG.warn("{}", ex.getMessage());
            return false;
        }
    }

    /**
     * Messages the block entry counts are missing with no damage to hold them: records were cut out, and reads of the
     * sequences in any gap no removal explains fail naming the offset of the cut.
     */
    private void markCut(final int expectedMsgs)
    {
        final long[] marked = {0, 0};
        gaps.forEachUnexplained((first, last, offset) ->
        {
            for (long seq = first; seq <= last; seq++)
            {
                table.put(seq, offset);
            }
            marked[0] += last - first + 1;
            marked[1]++;
        });
        LOG.warn("block {} accounts for {} of the {} live messages state.db counted, and no damage holds the rest: " +
            "records were cut out of it; reads of the {} sequences in its {} gaps no removal explains raise " +
            "CorruptRecordException naming the offset of the cut", file, gaps.accounted(), expectedMsgs, marked[0],
            marked[1]);
    }

    private void markPendingUpTo(final long seq)
    {
        if (pendingDamageOffset >= 0)
        {
            for (long s = lastSeq + 1; s <= seq; s++)
            {
                table.put(s, pendingDamageOffset);
            }
            lastSeq = Math.max(lastSeq, seq);
            pendingDamageOffset = -1;
        }
    }
}
