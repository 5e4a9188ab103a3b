package io.ferrite.engine.state;

import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * {@code erasures.pending}: the erasures begun whose message bytes may still be on disk, written before any
 * {@code state.db} that counts one of them removed. Once such a state is written, the next open no longer replays the
 * erase tombstone (it is older than the state), so without this file a process that died between that state write and
 * the overwrite would leave the bytes for good. Absent when no erasure is pending. Little-endian:
 * <pre>
 *   0  magic "FERERASE" (64)      8  version (32)      12  entry count (32)
 *  16  entries, 24 bytes each: sequence (64), block id (64), record offset in the block (32), reserved (32)
 *  16 + 24 x count: CRC32C of every byte before it (32)
 * </pre>
 * It holds sequences, block ids and offsets only — what an encrypted block's plaintext record headers show anyway.
 * Written by {@link StreamDirectory#replaceAtomically}, so a crash leaves the old list or the new one; a list naming
 * an erasure already finished is harmless (the record is checked to be that message, and zeroing zeros changes
 * nothing).
 */
public final class PendingErasuresFile
{
    public static final String FILE_NAME = "erasures.pending";
    /** "FERERASE" little-endian. */
    public static final long MAGIC = 0x4553415245524546L;
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int COUNT_OFFSET = 12;
    public static final int ENTRIES_OFFSET = 16;
    public static final int ENTRY_LENGTH = 24;
    public static final int ENTRY_SEQ_OFFSET = 0;
    public static final int ENTRY_BLOCK_ID_OFFSET = 8;
    public static final int ENTRY_RECORD_OFFSET_OFFSET = 16;
    public static final int CHECKSUM_LENGTH = 4;

    /**
     * One pending erasure.
     *
     * @param seq          the erased message's sequence.
     * @param blockId      the block holding its record.
     * @param recordOffset the record's offset in that block.
     */
    public record Entry(long seq, long blockId, int recordOffset)
    {
    }

    private PendingErasuresFile()
    {
    }

    public static Path file(final StreamDirectory directory)
    {
        return directory.root().resolve(FILE_NAME);
    }

    /**
     * Replace the file with {@code entries}, durably; delete it, durably, when there are none.
     */
    public static void write(final StreamDirectory directory, final List<Entry> entries)
    {
        final Path file = file(directory);
        if (entries.isEmpty())
        {
            try
            {
                if (Files.deleteIfExists(file))
                {
                    // A list left behind after a truncation could name a sequence assigned again at the same offset.
                    directory.sync(directory.root());
                }
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("delete", file, ex);
            }
            return;
        }
        final int checksumOffset = ENTRIES_OFFSET + entries.size() * ENTRY_LENGTH;
        final ByteBuffer content = ByteBuffer.allocate(checksumOffset + CHECKSUM_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        content.putLong(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(COUNT_OFFSET, entries.size());
        for (int i = 0; i < entries.size(); i++)
        {
            final Entry entry = entries.get(i);
            final int at = ENTRIES_OFFSET + i * ENTRY_LENGTH;
            content.putLong(at + ENTRY_SEQ_OFFSET, entry.seq());
            content.putLong(at + ENTRY_BLOCK_ID_OFFSET, entry.blockId());
            content.putInt(at + ENTRY_RECORD_OFFSET_OFFSET, entry.recordOffset());
        }
        content.putInt(checksumOffset, checksum(content.array(), checksumOffset));
        directory.replaceAtomically(file, content, null);
    }

    /**
     * @return the pending erasures the file lists, none when it is absent.
     * @throws CorruptFileException naming the file and offset when it is not a whole, valid list.
     */
    public static List<Entry> read(final StreamDirectory directory)
    {
        final Path file = file(directory);
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException none)
        {
            return List.of();
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read", file, ex);
        }
        final ByteBuffer content = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < ENTRIES_OFFSET + CHECKSUM_LENGTH || content.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw corrupt("not a pending-erasures file (" + bytes.length + " bytes)", file, MAGIC_OFFSET);
        }
        if (content.getInt(VERSION_OFFSET) != VERSION)
        {
            throw corrupt("unsupported version " + content.getInt(VERSION_OFFSET), file, VERSION_OFFSET);
        }
        final int count = content.getInt(COUNT_OFFSET);
        if (count < 0 || (long)ENTRIES_OFFSET + (long)count * ENTRY_LENGTH + CHECKSUM_LENGTH != bytes.length)
        {
            throw corrupt("entry count " + count + " does not match the file's length " + bytes.length, file,
                COUNT_OFFSET);
        }
        final int checksumOffset = ENTRIES_OFFSET + count * ENTRY_LENGTH;
        if (content.getInt(checksumOffset) != checksum(bytes, checksumOffset))
        {
            throw corrupt("checksum mismatch", file, checksumOffset);
        }
        final List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int at = ENTRIES_OFFSET + i * ENTRY_LENGTH;
            final Entry entry = new Entry(content.getLong(at + ENTRY_SEQ_OFFSET),
                content.getLong(at + ENTRY_BLOCK_ID_OFFSET), content.getInt(at + ENTRY_RECORD_OFFSET_OFFSET));
            if (entry.seq() < 1 || entry.blockId() < 0 || entry.recordOffset() < 0)
            {
                throw corrupt("entry " + i + " is impossible: " + entry, file, at);
            }
            entries.add(entry);
        }
        return entries;
    }

    private static CorruptFileException corrupt(final String why, final Path file, final long offset)
    {
        return new CorruptFileException("pending erasures: " + why + "; the erasures it lists cannot be finished " +
            "(delete the file to open the stream without finishing them)", file, offset);
    }

    private static int checksum(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }
}
