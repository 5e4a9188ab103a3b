package io.ferrite.engine.state;

import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreIOException;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.ferrite.format.PositionsDescriptor.*;

/**
 * The writer's side of the {@value PositionsDescriptor#FILE_NAME} file (layout in {@link PositionsDescriptor}): created
 * or reused at open, mapped for the store's lifetime, and through it every position a reader in another process
 * needs. Opened while the stream's lock is held, so one writer at a time writes it.
 * <p>
 * The file is never shrunk: readers keep it mapped across writer restarts, and a mapping of a shrunk file faults.
 * The mapping is not unmapped explicitly (nothing in the JDK unmaps safely); it goes with the garbage collector.
 * The area is not forced: it describes the running writer, not the disk, and a reader after a power cut needs a
 * new writer (recovery) anyway.
 */
public final class PositionsFile
{
    private final Path file;
    private final UnsafeBuffer area;

    private PositionsFile(final Path file, final UnsafeBuffer area)
    {
        this.file = file;
        this.area = area;
    }

    /**
     * Map the stream's positions file (creating it when absent), and announce a new writer: the next epoch, this
     * process's id, {@link PositionsDescriptor#STATE_RECOVERING}. Call with the stream's lock held, before recovery
     * touches a block.
     *
     * @throws CorruptFileException when an existing file is not a positions file: nothing is written to it.
     */
    public static PositionsFile openForWriter(final Path streamDir)
    {
        final Path file = streamDir.resolve(FILE_NAME);
        try (FileChannel channel = FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            // The file is never forced: after a power cut it may be empty, shorter than its layout or all zeros. No
            // reader can have mapped a short one, and a zero magic was never published, so both start afresh.
            // Growing to the layout's length; an existing file is never shrunk under readers' mappings.
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, LENGTH);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            final UnsafeBuffer area = new UnsafeBuffer(mapped);
            final int magic = area.getInt(MAGIC_OFFSET);
            if (magic != 0 && (magic != MAGIC || area.getInt(VERSION_OFFSET) != VERSION))
            {
                throw new CorruptFileException("not a positions file of this version (magic " +
                    Integer.toHexString(area.getInt(MAGIC_OFFSET)) + ", version " + area.getInt(VERSION_OFFSET) +
                    "); delete it while no process has the stream open", file, MAGIC_OFFSET);
            }
            area.putIntVolatile(WRITER_STATE_OFFSET, STATE_RECOVERING);
            final long epoch = area.getLong(EPOCH_OFFSET) + 1;
            // Who writes, before the epoch that announces it, in the order a reader's seqlock needs (the layout).
            final long pid = ProcessHandle.current().pid();
            area.putLongVolatile(IDENTITY_KEPT_BY_OFFSET, 0);
            area.putLongVolatile(WRITER_PID_OFFSET, pid);
            area.putLongVolatile(WRITER_START_OFFSET, ProcessIdentity.startTicks(pid));
            area.putLongVolatile(BOOT_ID_HIGH_OFFSET, ProcessIdentity.bootHigh());
            area.putLongVolatile(BOOT_ID_LOW_OFFSET, ProcessIdentity.bootLow());
            area.putLongVolatile(IDENTITY_KEPT_BY_OFFSET, epoch);
            area.putLongVolatile(EPOCH_OFFSET, epoch);
            // This writer keeps the truncation-begun count: readers trust it only while it names their epoch.
            area.putLong(TRUNCATION_BEGUN_OFFSET, 0);
            area.putLongVolatile(BEGUN_KEPT_BY_OFFSET, epoch);
            area.putInt(VERSION_OFFSET, VERSION);
            area.putIntVolatile(MAGIC_OFFSET, MAGIC);
            // Nothing recovery writes (blocks, then the positions) may become visible before the new epoch: a reader
            // that sees a change of this writer's must see its epoch too.
            VarHandle.storeStoreFence();
            return new PositionsFile(file, area);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("map positions file", file, ex);
        }
    }

    /**
     * @return the mapped area, for {@code StreamPositions.moveTo}.
     */
    public UnsafeBuffer area()
    {
        return area;
    }

    public Path file()
    {
        return file;
    }

    /**
     * The positions of the recovered stream are in place: readers may use them (release).
     */
    public void markOpen()
    {
        area.putIntVolatile(WRITER_STATE_OFFSET, STATE_OPEN);
    }

    /**
     * The writer closed the stream; the positions stay as the last published ones.
     */
    public void markClosed()
    {
        area.putIntVolatile(WRITER_STATE_OFFSET, STATE_CLOSED);
    }
}
