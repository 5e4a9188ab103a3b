package io.ferrite.tools;

import io.ferrite.format.RecordDescriptor;
import org.agrona.DirectBuffer;

import java.nio.file.Path;

/**
 * One tombstone record ({@link RecordDescriptor#TYPE_DELETE}) as the tools read it: the sequence range it removed,
 * whether the removal was an {@code erase}, and where it sits. Its header sequence is the stream's last sequence when
 * it was written, not a sequence of its own.
 * <p>
 * In an encrypted stream read without the key its body is sealed: the range is then {@link #UNKNOWN}.
 *
 * @param fromSeq   first removed sequence, or {@link #UNKNOWN} when the body is sealed and no key was given.
 * @param toSeq     last removed sequence, or {@link #UNKNOWN}.
 * @param flags     the tombstone's flags ({@link RecordDescriptor#TOMBSTONE_FLAG_ERASE}), 0 when sealed.
 * @param headerSeq the stream's last sequence when the tombstone was written.
 * @param timestamp when it was written, epoch nanos.
 * @param offset    where the record starts in {@code file}.
 */
record Tombstone(long fromSeq, long toSeq, long flags, long headerSeq, long timestamp, Path file, int offset)
{
    static final long UNKNOWN = -1;

    /**
     * Read the tombstone whose header and plaintext body start at {@code at} of {@code record}: the block itself for a
     * plaintext block, or the buffer {@code RecordCipher.open} returned (header at 0, body after it) for an encrypted
     * one. Its checksums (and tag) must have verified already.
     *
     * @param offset where the record sits in {@code file}.
     * @return the tombstone, or null when its body is not a tombstone body: see {@link #problem}.
     */
    static Tombstone read(final DirectBuffer record, final int at, final Path file, final int offset)
    {
        if (null != problem(record, at))
        {
            return null;
        }
        final int body = RecordDescriptor.payloadOffset(at, 0, 0);
        return new Tombstone(
            record.getLong(body + RecordDescriptor.TOMBSTONE_FROM_OFFSET),
            record.getLong(body + RecordDescriptor.TOMBSTONE_TO_OFFSET),
            record.getLong(body + RecordDescriptor.TOMBSTONE_FLAGS_OFFSET),
            record.getLong(at + RecordDescriptor.SEQUENCE_OFFSET),
            record.getLong(at + RecordDescriptor.TIMESTAMP_OFFSET),
            file, offset);
    }

    /**
     * A tombstone of an encrypted stream read without its key: only its header is readable.
     */
    static Tombstone sealed(final DirectBuffer block, final int offset, final Path file)
    {
        return new Tombstone(UNKNOWN, UNKNOWN, 0, block.getLong(offset + RecordDescriptor.SEQUENCE_OFFSET),
            block.getLong(offset + RecordDescriptor.TIMESTAMP_OFFSET), file, offset);
    }

    /**
     * @return what makes the record at {@code at} of {@code record} not a well-formed tombstone, or null. Checked after
     * its checksums verified, so a failure here was written so (a bug, or an alteration with checksums recomputed),
     * not damaged on disk.
     */
    static String problem(final DirectBuffer record, final int at)
    {
        final int subjectLength = record.getShort(at + RecordDescriptor.SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        final int headersLength = record.getInt(at + RecordDescriptor.HEADERS_LENGTH_OFFSET);
        final int payloadLength = record.getInt(at + RecordDescriptor.PAYLOAD_LENGTH_OFFSET);
        if (subjectLength != 0 || headersLength != 0 || payloadLength != RecordDescriptor.TOMBSTONE_LENGTH)
        {
            return "subject " + subjectLength + ", headers " + headersLength + " and body " + payloadLength +
                " bytes where a tombstone has 0, 0 and " + RecordDescriptor.TOMBSTONE_LENGTH;
        }
        final int body = RecordDescriptor.payloadOffset(at, 0, 0);
        final long from = record.getLong(body + RecordDescriptor.TOMBSTONE_FROM_OFFSET);
        final long to = record.getLong(body + RecordDescriptor.TOMBSTONE_TO_OFFSET);
        if (from < 1 || to < from)
        {
            return "it removes sequences " + from + ".." + to + ", not a range of sequences";
        }
        return null;
    }

    /** Whether the body was readable: a plaintext stream, or an encrypted one read with its key. */
    boolean isOpen()
    {
        return fromSeq != UNKNOWN;
    }

    boolean erase()
    {
        return (flags & RecordDescriptor.TOMBSTONE_FLAG_ERASE) != 0;
    }

    boolean overlaps(final long first, final long last)
    {
        return isOpen() && fromSeq <= last && toSeq >= first;
    }

    String range()
    {
        return !isOpen() ? "(sealed)" : fromSeq == toSeq ? Long.toString(fromSeq) : fromSeq + ".." + toSeq;
    }

    /** {@code delete 10..20 (erase)}, the way {@code dump} prints it. */
    String label()
    {
        return "delete " + range() + (erase() ? " (erase)" : "");
    }
}
