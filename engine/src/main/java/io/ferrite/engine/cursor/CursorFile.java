package io.ferrite.engine.cursor;

import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.CursorDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads and writes one cursor file ({@link CursorDescriptor}): created whole and atomically, then one slot per write,
 * forced before the write returns.
 */
final class CursorFile
{
    /**
     * The newest slot that verifies.
     *
     * @param generation its generation.
     * @param ackedSeq   the sequence it holds.
     */
    record Slot(long generation, long ackedSeq)
    {
    }

    private CursorFile()
    {
    }

    /**
     * @return the newest slot of {@code file} that verifies.
     * @throws CorruptFileException naming the file when it has the wrong length or neither slot verifies.
     * @throws StoreIOException     when it cannot be read.
     */
    static Slot read(final Path file)
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read cursor", file, ex);
        }
        if (bytes.length != CursorDescriptor.FILE_LENGTH)
        {
            throw new CorruptFileException("cursor file is " + bytes.length + " bytes long, not " +
                CursorDescriptor.FILE_LENGTH + ": delete the tailer (deleteTailer) to start it again", file,
                Math.min(bytes.length, CursorDescriptor.FILE_LENGTH));
        }
        final int newest = CursorDescriptor.newestSlot(bytes);
        if (newest < 0)
        {
            throw new CorruptFileException("cursor file is damaged: slot 0 " +
                CursorDescriptor.describe(CursorDescriptor.checkSlot(bytes, 0)) + ", slot 1 " +
                CursorDescriptor.describe(CursorDescriptor.checkSlot(bytes, CursorDescriptor.SLOT_LENGTH)) +
                "; its position is unknown, so the tailer is not resumed (deleteTailer starts it again)", file, 0);
        }
        return new Slot(CursorDescriptor.generation(bytes, newest), CursorDescriptor.ackedSeq(bytes, newest));
    }

    /**
     * Create (or replace) {@code file} whole, both slots holding {@code ackedSeq}: temp file, force, rename, directory
     * force.
     *
     * @return the generation of the newest slot written.
     */
    static long create(final StreamDirectory directory, final Path file, final long ackedSeq)
    {
        directory.replaceAtomically(file, ByteBuffer.wrap(CursorDescriptor.newFile(ackedSeq)), null);
        return 1;
    }

    /**
     * Write {@code ackedSeq} as {@code generation} into its slot and force the file.
     */
    static void writeSlot(final Path file, final long generation, final long ackedSeq, final StorageIO io)
    {
        final byte[] bytes = new byte[CursorDescriptor.FILE_LENGTH];
        final int offset = CursorDescriptor.slotOffset(generation);
        CursorDescriptor.encodeSlot(bytes, offset, generation, ackedSeq);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer slot = ByteBuffer.wrap(bytes, offset, CursorDescriptor.SLOT_LENGTH);
            long position = offset;
            while (slot.hasRemaining())
            {
                position += channel.write(slot, position);
            }
            io.forceFile(file, channel);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("write cursor slot " + (offset / CursorDescriptor.SLOT_LENGTH) +
                " (sequence " + ackedSeq + ")", file, ex);
        }
    }
}
