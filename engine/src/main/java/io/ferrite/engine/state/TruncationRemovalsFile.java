package io.ferrite.engine.state;

import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * {@code truncation.removals}: the sequences at or below a truncation point that were removed when the truncation
 * began, written durably before it deletes or zeroes anything. The tombstones that removed them may lie in what the
 * truncation cuts, {@code state.db} is set aside meanwhile, and the truncation writes them again only after the cut:
 * until those are durable this file is the only record of the removals that survives a crash, and a rebuild from the
 * blocks applies it. Deleted once they are. Little-endian:
 * <pre>
 *   0  magic "FERTRUNC" (64)      8  version (32)      12  run count (32)      16  truncation point (64)
 *  24  runs, 16 bytes each: first sequence (64), last sequence (64), ascending, within [1, truncation point]
 *  24 + 16 x count: CRC32C of every byte before it (32)
 * </pre>
 * It holds sequences only, which an encrypted block's plaintext record headers show anyway. No sequence at or below
 * the point is assigned again while the file exists (only a truncation reassigns sequences, and the next one replaces
 * the file before it cuts), so a file a crash left behind, even after the truncation's state was written, is still
 * true.
 */
public final class TruncationRemovalsFile
{
    public static final String FILE_NAME = "truncation.removals";
    /** "FERTRUNC" little-endian. */
    public static final long MAGIC = 0x434E555254524546L;
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int COUNT_OFFSET = 12;
    public static final int POINT_OFFSET = 16;
    public static final int RUNS_OFFSET = 24;
    public static final int RUN_LENGTH = 16;
    public static final int CHECKSUM_LENGTH = 4;

    /**
     * A run of removed sequences.
     */
    public interface RunConsumer
    {
        void accept(long fromSeq, long toSeq);
    }

    /**
     * Where the runs come from: visits each, ascending.
     */
    public interface Runs
    {
        void forEach(RunConsumer consumer);
    }

    private TruncationRemovalsFile()
    {
    }

    public static Path file(final StreamDirectory directory)
    {
        return directory.root().resolve(FILE_NAME);
    }

    /**
     * Replace the file, durably, with the runs at or below {@code point} that {@code runs} visits (clipped there); with
     * none, delete it instead: a truncation of a stream with no removal at or below its point then needs no disk
     * space (it may be what frees some), and no file of an earlier truncation outlives it.
     */
    public static void write(final StreamDirectory directory, final long point, final Runs runs)
    {
        final int[] count = new int[1];
        runs.forEach((from, to) ->
        {
            if (from <= point)
            {
                count[0]++;
            }
        });
        if (count[0] == 0)
        {
            delete(directory);
            return;
        }
        final int checksumOffset = RUNS_OFFSET + count[0] * RUN_LENGTH;
        final ByteBuffer content = ByteBuffer.allocate(checksumOffset + CHECKSUM_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        content.putLong(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(COUNT_OFFSET, count[0])
            .putLong(POINT_OFFSET, point);
        final int[] at = { RUNS_OFFSET };
        runs.forEach((from, to) ->
        {
            if (from <= point && at[0] < checksumOffset)
            {
                content.putLong(at[0], from).putLong(at[0] + Long.BYTES, Math.min(to, point));
                at[0] += RUN_LENGTH;
            }
        });
        content.putInt(checksumOffset, checksum(content.array(), checksumOffset));
        directory.replaceAtomically(file(directory), content, null);
    }

    /**
     * Delete the file, durably, if it exists.
     */
    public static void delete(final StreamDirectory directory)
    {
        final Path file = file(directory);
        try
        {
            if (Files.deleteIfExists(file))
            {
                directory.sync(directory.root());
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("delete", file, ex);
        }
    }

    public static boolean exists(final StreamDirectory directory)
    {
        return Files.exists(file(directory));
    }

    /**
     * Visit the runs the file lists, none when it is absent.
     *
     * @throws CorruptFileException naming the file and offset when it is not a whole, valid list.
     */
    public static void forEachRun(final StreamDirectory directory, final RunConsumer consumer)
    {
        final Path file = file(directory);
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException none)
        {
            return;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read", file, ex);
        }
        final ByteBuffer content = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < RUNS_OFFSET + CHECKSUM_LENGTH || content.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw corrupt("not a truncation-removals file (" + bytes.length + " bytes)", file, MAGIC_OFFSET);
        }
        if (content.getInt(VERSION_OFFSET) != VERSION)
        {
            throw corrupt("unsupported version " + content.getInt(VERSION_OFFSET), file, VERSION_OFFSET);
        }
        final int count = content.getInt(COUNT_OFFSET);
        if (count < 0 || (long)RUNS_OFFSET + (long)count * RUN_LENGTH + CHECKSUM_LENGTH != bytes.length)
        {
            throw corrupt("run count " + count + " does not match the file's length " + bytes.length, file,
                COUNT_OFFSET);
        }
        final int checksumOffset = RUNS_OFFSET + count * RUN_LENGTH;
        if (content.getInt(checksumOffset) != checksum(bytes, checksumOffset))
        {
            throw corrupt("checksum mismatch", file, checksumOffset);
        }
        final long point = content.getLong(POINT_OFFSET);
        long previous = 0;
        for (int i = 0; i < count; i++)
        {
            final int at = RUNS_OFFSET + i * RUN_LENGTH;
            final long from = content.getLong(at);
            final long to = content.getLong(at + Long.BYTES);
            if (from <= previous || to < from || to > point)
            {
                throw corrupt("run " + i + " [" + from + ", " + to + "] is impossible below truncation point " +
                    point, file, at);
            }
            previous = to;
        }
        for (int i = 0; i < count; i++)
        {
            final int at = RUNS_OFFSET + i * RUN_LENGTH;
            consumer.accept(content.getLong(at), content.getLong(at + Long.BYTES));
        }
    }

    private static CorruptFileException corrupt(final String why, final Path file, final long offset)
    {
        return new CorruptFileException("truncation removals: " + why + "; the removals a truncation recorded " +
            "cannot be applied (delete the file to open the stream without them: removed messages may come back)",
            file, offset);
    }

    private static int checksum(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }
}
