package io.ferrite.engine.block;

import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
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
        final RecordVerifier verifier = new RecordVerifier();
        for (long seq = table.nextListed(table.baseSeq()); seq >= 0; seq = table.nextListed(seq + 1))
        {
            final int offset = table.get(seq);
            final DirectBuffer record = verifier.verifiedOrNull(block, buffer, offset, seq);
            if (null == record)
            {
                continue;
            }
            final int at = block.isEncrypted() ? 0 : offset;
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
}
