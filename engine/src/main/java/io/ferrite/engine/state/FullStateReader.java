package io.ferrite.engine.state;

import io.ferrite.crypto.BlockKeys;
import io.ferrite.format.BlockEntryDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreIOException;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import static io.ferrite.format.StateDescriptor.*;

/**
 * Reads and validates {@code state.db} into a {@link StateSnapshot}. Any inconsistency is a
 * {@link CorruptFileException} naming the offset, so recovery can say why it fell back to a rebuild.
 */
public final class FullStateReader
{
    private FullStateReader()
    {
    }

    /**
     * @return the snapshot, or null when the file does not exist.
     * @throws CorruptFileException when the file exists but is not a valid state file.
     */
    public static StateSnapshot read(final Path file)
    {
        return read(file, null);
    }

    /**
     * @param cipher the stream's state cipher, or null: then an encrypted state yields a snapshot without subjects
     *               ({@link StateSnapshot#hasSubjects()} is false), as tools that hold no key read it.
     * @return the snapshot, or null when the file does not exist.
     * @throws CorruptFileException when the file exists but is not a valid state file.
     */
    public static StateSnapshot read(final Path file, final StateCipher cipher)
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read state", file, ex);
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        if (bytes.length < HEADER_LENGTH)
        {
            throw new CorruptFileException("state file is shorter (" + bytes.length + " bytes) than its header", file,
                bytes.length);
        }
        if (buffer.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw new CorruptFileException("not a Ferrite state file (bad magic)", file, MAGIC_OFFSET);
        }
        if (checksum(bytes, 0, HEADER_CHECKSUM_OFFSET) != buffer.getInt(HEADER_CHECKSUM_OFFSET))
        {
            throw new CorruptFileException("state header checksum mismatch", file, HEADER_CHECKSUM_OFFSET);
        }
        final int version = buffer.getInt(VERSION_OFFSET);
        if (version != VERSION)
        {
            throw new CorruptFileException("unsupported state version " + version, file, VERSION_OFFSET);
        }
        final long bodyLength = buffer.getLong(BODY_LENGTH_OFFSET);
        if (bodyLength != bytes.length - HEADER_LENGTH)
        {
            throw new CorruptFileException("state body is " + (bytes.length - HEADER_LENGTH) +
                " bytes but its header claims " + bodyLength, file, BODY_LENGTH_OFFSET);
        }
        if (checksum(bytes, HEADER_LENGTH, (int)bodyLength) != buffer.getInt(BODY_CHECKSUM_OFFSET))
        {
            throw new CorruptFileException("state body checksum mismatch", file, HEADER_LENGTH);
        }
        final int body = HEADER_LENGTH;
        final int blockCount = buffer.getInt(body + BLOCK_COUNT_OFFSET);
        final int subjectCount = buffer.getInt(body + SUBJECT_COUNT_OFFSET);
        final long blocksEnd = body + BLOCKS_OFFSET + (long)blockCount * BlockEntryDescriptor.ENTRY_LENGTH;
        if (blockCount < 0 || subjectCount < 0 || blocksEnd > bytes.length)
        {
            throw new CorruptFileException("state counts do not fit the file: " + blockCount + " blocks, " +
                subjectCount + " subjects", file, body + BLOCK_COUNT_OFFSET);
        }
        if (blocksEnd + 8 > bytes.length)
        {
            throw new CorruptFileException("state ends before its removed-sequence section", file, blocksEnd);
        }
        final long runCount = buffer.getLong((int)blocksEnd);
        // Compared by division: runCount * RUN_LENGTH overflows for a count near 2^60 and would pass as small.
        if (runCount < 0 || runCount > (bytes.length - blocksEnd - 8) / RUN_LENGTH)
        {
            throw new CorruptFileException("state removed-sequence runs do not fit the file: " + runCount, file,
                blocksEnd);
        }
        final long runsEnd = blocksEnd + 8 + runCount * RUN_LENGTH;
        if (runsEnd > bytes.length)
        {
            throw new CorruptFileException("state removed-sequence runs do not fit the file: " + runCount, file,
                blocksEnd);
        }
        final long lastSeq = buffer.getLong(body + LAST_SEQ_OFFSET);
        if (!RecordDescriptor.isSequence(lastSeq))
        {
            throw new CorruptFileException("state last sequence " + lastSeq + " is outside [0, " +
                RecordDescriptor.MAX_SEQUENCE + "], the sequences a stream may assign", file,
                body + LAST_SEQ_OFFSET);
        }
        BlockEntryCheck.check(buffer, body + BLOCKS_OFFSET, blockCount, lastSeq, file);
        final long[] runs = new long[(int)runCount * 2];
        long previousLast = 0;
        for (int i = 0; i < runs.length; i += 2)
        {
            final int at = (int)blocksEnd + 8 + i * 8;
            runs[i] = buffer.getLong(at);
            runs[i + 1] = buffer.getLong(at + 8);
            // Runs are written ascending, disjoint and within the stream: anything else would have recovery build
            // removed-sequence bitmaps over spans no block holds (a run up to 2^62 ran the JVM out of memory).
            if (runs[i] <= previousLast || runs[i + 1] < runs[i] || runs[i + 1] > lastSeq)
            {
                throw new CorruptFileException("state removed-sequence run " + (i / 2) + " [" + runs[i] + ", " +
                    runs[i + 1] + "] is not ascending within [1, " + lastSeq + "]", file, at);
            }
            previousLast = runs[i + 1];
        }
        final boolean encrypted = (buffer.getInt(FLAGS_OFFSET) & FLAG_ENCRYPTED) != 0;
        if (encrypted && null == cipher)
        {
            return new StateSnapshot(buffer, body, blockCount, runs, null, null, null);
        }
        final byte[] section;
        int at;
        if (encrypted)
        {
            final byte[] salt = new byte[BlockKeys.SALT_LENGTH];
            buffer.getBytes(SALT_OFFSET, salt);
            section = cipher.open(file, bytes, HEADER_LENGTH, (int)runsEnd, bytes.length - (int)runsEnd, salt);
            at = 0;
        }
        else
        {
            section = bytes;
            at = (int)runsEnd;
        }
        final UnsafeBuffer subjectBuffer = new UnsafeBuffer(section);
        final String[] subjects = new String[subjectCount];
        final long[] subjectValues = new long[subjectCount * 3];
        final byte[] subjectFlags = new byte[subjectCount];
        for (int i = 0; i < subjectCount; i++)
        {
            if (at + SUBJECT_FIXED_LENGTH > section.length)
            {
                throw new CorruptFileException("state subject " + i + " runs past the end", file, at);
            }
            final int length = subjectBuffer.getShort(at) & 0xFFFF;
            if (at + SUBJECT_FIXED_LENGTH + length > section.length)
            {
                throw new CorruptFileException("state subject " + i + " runs past the end", file, at);
            }
            subjects[i] = subjectBuffer.getStringWithoutLengthAscii(at + 2, length);
            at += 2 + length;
            subjectValues[i * 3] = subjectBuffer.getLong(at);
            subjectValues[i * 3 + 1] = subjectBuffer.getLong(at + 8);
            subjectValues[i * 3 + 2] = subjectBuffer.getLong(at + 16);
            subjectFlags[i] = subjectBuffer.getByte(at + 24);
            at += 25;
        }
        if (at != section.length)
        {
            throw new CorruptFileException("state has " + (section.length - at) + " trailing bytes", file, at);
        }
        return new StateSnapshot(buffer, body, blockCount, runs, subjects, subjectValues, subjectFlags);
    }

    private static int checksum(final byte[] bytes, final int offset, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int)crc.getValue();
    }
}
