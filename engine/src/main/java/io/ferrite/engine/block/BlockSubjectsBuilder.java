package io.ferrite.engine.block;

import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.Crc32c;
import io.ferrite.store.CorruptRecordException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.IdentityHashMap;
import java.util.Map;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * Builds the subject summary of a block no summary was kept for (one recovered from state) from its records, the
 * first time a filtered read needs it: one pass over the messages its table lists, each verified (and in an encrypted
 * block authenticated and decrypted) before its subject is trusted. A record that does not verify is left out: reading
 * it raises the corruption, a summary has nothing to say about it.
 */
final class BlockSubjectsBuilder
{
    private BlockSubjectsBuilder()
    {
    }

    static BlockSubjects build(final MessageBlock block, final SubjectIndex index)
    {
        final BlockSubjects summary = new BlockSubjects(false);
        final Map<SubjectIndex.Entry, Integer> positions = new IdentityHashMap<>();
        final SequenceTable table = block.table();
        final UnsafeBuffer buffer = block.buffer();
        final Crc32c crc = new Crc32c();
        final RecordCipher cipher = block.isEncrypted() ? new RecordCipher() : null;
        for (long seq = table.nextListed(table.baseSeq()); seq >= 0; seq = table.nextListed(seq + 1))
        {
            final int offset = table.get(seq);
            final DirectBuffer record = verified(block, buffer, offset, seq, crc, cipher);
            if (null == record)
            {
                continue;
            }
            final int at = null == cipher ? offset : 0;
            final int subjectLength = record.getShort(at + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
            final SubjectIndex.Entry entry = index.get(record.getStringWithoutLengthAscii(subjectOffset(at),
                subjectLength));
            if (null != entry)
            {
                summary.onScanned(entry, seq, positions);
            }
        }
        return summary;
    }

    /**
     * @return the record as plaintext (the block itself, or the decrypted copy at index 0), or null when it does not
     * verify.
     */
    static DirectBuffer verified(
        final MessageBlock block, final UnsafeBuffer buffer, final int offset, final long seq, final Crc32c crc,
        final RecordCipher cipher)
    {
        if (offset < BlockDescriptor.DATA_OFFSET || offset > buffer.capacity() - HEADER_LENGTH)
        {
            return null;
        }
        final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
        if (frameLength < MIN_FRAME_LENGTH || frameLength > buffer.capacity() - offset ||
            crc.compute(block.mapped(), offset, frameLength - CHECKSUM_LENGTH) !=
                buffer.getInt(checksumOffset(offset, frameLength)) ||
            buffer.getLong(offset + SEQUENCE_OFFSET) != seq || buffer.getByte(offset + TYPE_OFFSET) != TYPE_MESSAGE)
        {
            return null;
        }
        if (null == cipher)
        {
            return buffer;
        }
        try
        {
            return cipher.open(block.key(), block.mapped(), buffer, offset, seq, block.file());
        }
        catch (final CorruptRecordException ex)
        {
            return null;
        }
    }
}
