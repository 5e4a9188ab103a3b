package io.ferrite.store;

import io.ferrite.block.Crc32c;
import io.ferrite.block.RecordCipher;
import io.ferrite.block.MessageBlock;
import io.ferrite.index.SequenceTable;
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
        long from = fromSeq;
        long to = index.publishedLastSeq();
        if (Subjects.isLiteral(filter))
        {
            final long last = index.subjects().lastSeq(filter);
            if (last < from)
            {
                return null;
            }
            from = Math.max(from, index.subjects().firstSeq(filter));
            to = Math.min(to, last);
        }
        final Context context = contexts.get();
        final MessageBlock[] blocks = index.blocks();
        for (int b = positionFor(from); b >= 0 && b < blocks.length && from <= to; b++)
        {
            final MessageBlock block = blocks[b];
            final long end = b + 1 < blocks.length ? Math.min(to, blocks[b + 1].baseSeq() - 1) : to;
            final SequenceTable table = block.table();
            final UnsafeBuffer buffer = block.buffer();
            for (long seq = Math.max(from, block.baseSeq()); seq <= end; seq++)
            {
                final int offset = table.get(seq);
                if (offset == 0)
                {
                    continue;
                }
                // Verify before matching: a damaged subject must not make a matching message look like one to skip.
                verify(block, buffer, offset, seq, context);
                if (matchesSubject(filter, context.recordBuffer, context.recordOffset, context.subject))
                {
                    return context.view.wrap(context.recordBuffer, context.recordOffset).toStoredMessage();
                }
            }
            from = end + 1;
        }
        return null;
    }

    StoredMessage loadLast(final String subject)
    {
        Subjects.validateFilter(subject);
        final long seq = Subjects.isLiteral(subject) ?
            index.subjects().lastSeq(subject) : index.subjects().lastSeqMatching(subject);
        return seq == 0 ? null : load(seq);
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
        final int offset = block.table().get(seq);
        if (offset == 0)
        {
            return null;
        }
        final UnsafeBuffer buffer = block.buffer();
        verify(block, buffer, offset, seq, context);
        context.view.wrap(context.recordBuffer, context.recordOffset);
        return block;
    }

    private static boolean matchesSubject(
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
    private static void verify(
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

    private int positionFor(final long seq)
    {
        final MessageBlock block = index.blockFor(seq);
        return null == block ? 0 : index.positionOf(block);
    }

    static void requirePositive(final long seq, final String name)
    {
        if (seq < 1)
        {
            throw new IllegalArgumentException(name + " must be >= 1: " + seq);
        }
    }

    private static final class Context
    {
        final Crc32c crc = new Crc32c();
        final MessageView view = new MessageView();
        final AsciiSequenceView subject = new AsciiSequenceView();
        final RecordCipher cipher = new RecordCipher();
        DirectBuffer recordBuffer;
        int recordOffset;
    }
}
