package io.ferrite.store;

import io.ferrite.block.BlockRetiredException;
import io.ferrite.block.Crc32c;
import io.ferrite.block.RecordCipher;
import io.ferrite.block.MessageBlock;
import io.ferrite.index.BlockSubjects;
import io.ferrite.index.SequenceTable;
import io.ferrite.index.SubjectIndex;
import io.ferrite.index.StreamIndex;
import io.ferrite.index.Subjects;
import org.agrona.AsciiSequenceView;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.ferrite.block.RecordDescriptor.*;

/**
 * The read path. Lock-free: a reader acquires the published last sequence, finds the block by binary search over the
 * copy-on-write block array, the record by its block's sequence table, and verifies both checksums before handing out
 * a byte. Each thread keeps its own flyweights, so {@link #read} allocates nothing while consecutive reads stay within
 * one block.
 */
final class StreamReader
{
    private final StreamIndex index;
    private final ThreadLocal<Context> contexts = ThreadLocal.withInitial(Context::new);

    StreamReader(final StreamIndex index)
    {
        this.index = index;
    }

    StoredMessage load(final long seq)
    {
        final Context context = contexts.get();
        final MessageBlock block = locate(seq, context);
        return null == block ? null : context.view.toStoredMessage();
    }

    boolean read(final long seq, final MessageHandler handler)
    {
        final Context context = contexts.get();
        final MessageBlock block = locate(seq, context);
        if (null == block)
        {
            return false;
        }
        handler.onMessage(context.view);
        return true;
    }

    StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        requirePositive(fromSeq, "fromSeq");
        final Context context = contexts.get();
        final long seq = findNext(filter, fromSeq, index.publishedLastSeq(), context);
        return seq < 0 ? null : context.view.wrap(context.recordBuffer, context.recordOffset).toStoredMessage();
    }

    /**
     * @return the last message whose subject matches, found from the subject index; a removal that took a subject's
     * last message leaves an upper bound there, resolved here by searching back from it.
     */
    StoredMessage loadLast(final String subject)
    {
        Subjects.validateFilter(subject);
        if (Subjects.isLiteral(subject))
        {
            final SubjectIndex.Entry entry = index.subjects().get(subject);
            if (null == entry)
            {
                return null;
            }
            final long last = entry.lastSeq();
            final long seq = entry.lastExact() ? last : findPrevious(subject, last, contexts.get());
            return seq <= 0 ? null : load(seq);
        }
        final long upper = index.subjects().lastSeqMatching(subject);
        final long seq = upper == 0 ? -1 : findPrevious(subject, upper, contexts.get());
        return seq <= 0 ? null : load(seq);
    }

    /**
     * Find the first message at or after {@code from} and at or before {@code to} whose subject matches, skipping
     * blocks whose subject summary holds no matching subject and starting inside a block at the first matching
     * sequence the summary knows.
     *
     * @return its sequence with the context's record on it, or -1.
     */
    long findNext(final String filter, final long fromSeq, final long toSeq, final Context context)
    {
        long from = fromSeq;
        long to = toSeq;
        final boolean literal = Subjects.isLiteral(filter);
        final SubjectIndex.Entry literalEntry = literal ? index.subjects().get(filter) : null;
        if (literal)
        {
            if (null == literalEntry || literalEntry.lastSeq() < from)
            {
                return -1;
            }
            from = Math.max(from, literalEntry.firstSeq());
            to = Math.min(to, literalEntry.lastSeq());
        }
        final MessageBlock[] blocks = index.blocks();
        final boolean all = Subjects.matchesAll(filter);
        for (int b = Math.max(0, StreamIndex.positionFor(blocks, from)); b < blocks.length && from <= to; b++)
        {
            final MessageBlock block = blocks[b];
            final long blockEnd = b + 1 < blocks.length ? Math.min(to, blocks[b + 1].baseSeq() - 1) : to;
            long start = Math.max(from, block.baseSeq());
            long end = blockEnd;
            try
            {
                if (!all)
                {
                    final BlockSubjects summary = block.subjects(index.subjects());
                    if (!summary.isPartial())
                    {
                        final long[] range = context.range;
                        if (!matchingRange(summary, filter, literalEntry, start, end, range))
                        {
                            from = blockEnd + 1;
                            continue;
                        }
                        start = range[0];
                        end = range[1];
                    }
                }
                final long seq = findNextIn(block, filter, all, start, end, context);
                if (seq > 0)
                {
                    return seq;
                }
            }
            catch (final BlockRetiredException ex)
            {
                // Reclaimed after we looked it up: everything it held was removed or moved to its rewrite.
                return findNext(filter, from, to, context);
            }
            from = blockEnd + 1;
        }
        return -1;
    }

    /**
     * @return the last message at or before {@code upTo} whose subject matches {@code filter}, or -1; the context's
     * record is on it.
     */
    long findPrevious(final String filter, final long upTo, final Context context)
    {
        final MessageBlock[] blocks = index.blocks();
        final boolean literal = Subjects.isLiteral(filter);
        final SubjectIndex.Entry literalEntry = literal ? index.subjects().get(filter) : null;
        if (literal && null == literalEntry)
        {
            return -1;
        }
        long to = Math.min(upTo, index.publishedLastSeq());
        for (int b = StreamIndex.positionFor(blocks, to); b >= 0; b--)
        {
            final MessageBlock block = blocks[b];
            long start = block.baseSeq();
            long end = to;
            final BlockSubjects summary = block.subjects(index.subjects());
            if (!summary.isPartial())
            {
                final long[] range = context.range;
                if (!matchingRange(summary, filter, literalEntry, start, end, range))
                {
                    to = block.baseSeq() - 1;
                    continue;
                }
                start = range[0];
                end = range[1];
            }
            final SequenceTable table = block.table();
            final UnsafeBuffer buffer = block.buffer();
            for (long seq = table.previousListed(end); seq >= start; seq = table.previousListed(seq - 1))
            {
                verify(block, buffer, table.get(seq), seq, context);
                if (matchesSubject(filter, context.recordBuffer, context.recordOffset, context.subject))
                {
                    return seq;
                }
            }
            to = block.baseSeq() - 1;
        }
        return -1;
    }

    /**
     * Narrow {@code [start, end]} to where the summary says messages of matching subjects may be.
     *
     * @return false when the block holds none.
     */
    private static boolean matchingRange(
        final BlockSubjects summary, final String filter, final SubjectIndex.Entry literalEntry, final long start,
        final long end, final long[] range)
    {
        final int size = summary.size();
        final BlockSubjects.Columns columns = summary.columns();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (int i = 0; i < size; i++)
        {
            final SubjectIndex.Entry entry = columns.entry(i);
            if (columns.count(i) <= 0 ||
                (null != literalEntry ? entry != literalEntry : !Subjects.matches(filter, entry.subject())))
            {
                continue;
            }
            first = Math.min(first, columns.first(i));
            last = Math.max(last, columns.last(i));
        }
        range[0] = Math.max(start, first);
        range[1] = Math.min(end, last);
        return first != Long.MAX_VALUE && range[0] <= range[1];
    }

    /**
     * @return the first message of {@code block} in {@code [start, end]} whose subject matches, or -1; the context's
     * record is on it.
     */
    long findNextIn(
        final MessageBlock block, final String filter, final boolean all, final long start, final long end,
        final Context context)
    {
        final SequenceTable table = block.table();
        final UnsafeBuffer buffer = block.buffer();
        for (long seq = table.nextListed(start); seq > 0 && seq <= end; seq = table.nextListed(seq + 1))
        {
            final int offset = table.get(seq);
            if (offset == 0)
            {
                continue;
            }
            // Verify before matching: a damaged subject must not make a matching message look like one to skip.
            verify(block, buffer, offset, seq, context);
            if (all || matchesSubject(filter, context.recordBuffer, context.recordOffset, context.subject))
            {
                return seq;
            }
        }
        return -1;
    }

    Context context()
    {
        return contexts.get();
    }

    /**
     * Find and verify {@code seq}, leaving the context's view on it.
     *
     * @return the block holding it, or null when no message is stored there.
     */
    private MessageBlock locate(final long seq, final Context context)
    {
        requirePositive(seq, "seq");
        if (seq > index.publishedLastSeq())
        {
            return null;
        }
        final MessageBlock block = index.blockFor(seq);
        if (null == block)
        {
            return null;
        }
        try
        {
            final int offset = block.table().get(seq);
            if (offset == 0)
            {
                return null;
            }
            final UnsafeBuffer buffer = block.buffer();
            verify(block, buffer, offset, seq, context);
        }
        catch (final BlockRetiredException ex)
        {
            // Reclaimed after the lookup: its messages were removed, or moved to a rewrite the index now holds.
            final MessageBlock current = index.blockFor(seq);
            return current == block || null == current ? null : locate(seq, context);
        }
        context.view.wrap(context.recordBuffer, context.recordOffset);
        return block;
    }

    static boolean matchesSubject(
        final String filter, final DirectBuffer buffer, final int offset, final AsciiSequenceView view)
    {
        final int length = buffer.getShort(offset + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        if (subjectOffset(offset) + length > buffer.capacity())
        {
            return true;
        }
        return Subjects.matches(filter, view.wrap(buffer, subjectOffset(offset), length));
    }

    /**
     * Verify the record's checksums (and, in an encrypted block, authenticate and decrypt its body), leaving the
     * plaintext record in {@code context.recordBuffer} at {@code context.recordOffset}.
     */
    static void verify(
        final MessageBlock block, final UnsafeBuffer buffer, final int offset, final long seq, final Context context)
    {
        final Crc32c crc = context.crc;
        if (offset < 0 || offset > buffer.capacity() - HEADER_LENGTH)
        {
            throw new CorruptRecordException("record lies past the end of the block file (" + buffer.capacity() +
                " bytes mapped)", block.file(), offset, seq);
        }
        final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
        if (frameLength < MIN_FRAME_LENGTH || frameLength > buffer.capacity() - offset ||
            crc.compute(block.mapped(), offset, HEADER_CHECKSUM_OFFSET) != buffer.getInt(offset + HEADER_CHECKSUM_OFFSET))
        {
            throw new CorruptRecordException("record header does not verify", block.file(), offset, seq);
        }
        if (crc.compute(block.mapped(), offset, frameLength - CHECKSUM_LENGTH) !=
            buffer.getInt(checksumOffset(offset, frameLength)))
        {
            throw new CorruptRecordException("record checksum does not verify", block.file(), offset, seq);
        }
        if (buffer.getLong(offset + SEQUENCE_OFFSET) != seq || buffer.getByte(offset + TYPE_OFFSET) != TYPE_MESSAGE)
        {
            throw new CorruptRecordException("record at this offset holds sequence " +
                buffer.getLong(offset + SEQUENCE_OFFSET), block.file(), offset, seq);
        }
        final boolean sealed = (buffer.getByte(offset + FLAGS_OFFSET) & FLAG_ENCRYPTED) != 0;
        if (sealed != block.isEncrypted())
        {
            throw new CorruptRecordException(sealed ? "encrypted record in a plaintext block" :
                "plaintext record in an encrypted block", block.file(), offset, seq);
        }
        if (sealed)
        {
            context.recordBuffer = context.cipher.open(block.key(), block.mapped(), buffer, offset, seq, block.file());
            context.recordOffset = 0;
        }
        else
        {
            context.recordBuffer = buffer;
            context.recordOffset = offset;
        }
    }

    static void requirePositive(final long seq, final String name)
    {
        if (seq < 1)
        {
            throw new IllegalArgumentException(name + " must be >= 1: " + seq);
        }
    }

    static final class Context
    {
        final long[] range = new long[2];
        final Crc32c crc = new Crc32c();
        final MessageView view = new MessageView();
        final AsciiSequenceView subject = new AsciiSequenceView();
        final RecordCipher cipher = new RecordCipher();
        DirectBuffer recordBuffer;
        int recordOffset;
    }
}
