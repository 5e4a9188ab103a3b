package io.ferrite.engine.view;

import io.ferrite.engine.state.ProcessIdentity;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Who writes a stream, as its {@value PositionsDescriptor#FILE_NAME} file says, read once (a copy, not a mapping): for
 * tools that must say whether they look at a live stream. Reads the file only; never opens {@code LOCK}.
 *
 * @param state     the writer state ({@link PositionsDescriptor#STATE_RECOVERING}, {@code STATE_OPEN},
 *                  {@code STATE_CLOSED}).
 * @param epoch     the writer's epoch.
 * @param pid       the last writer's process id.
 * @param lastSeq   the last sequence it published.
 * @param alive     whether that process runs now (a live process with its id and, where known, its start time).
 */
public record WriterStatus(int state, long epoch, long pid, long lastSeq, boolean alive)
{
    /**
     * @return the status, or null when the stream has no positions file of this version (never opened by this
     * version, or damaged).
     */
    public static WriterStatus read(final Path streamDir)
    {
        final Path file = streamDir.resolve(PositionsDescriptor.FILE_NAME);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer area = ByteBuffer.allocate(PositionsDescriptor.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            while (area.hasRemaining())
            {
                if (channel.read(area, area.position()) < 0)
                {
                    return null;
                }
            }
            if (area.getInt(PositionsDescriptor.MAGIC_OFFSET) != PositionsDescriptor.MAGIC ||
                area.getInt(PositionsDescriptor.VERSION_OFFSET) != PositionsDescriptor.VERSION)
            {
                return null;
            }
            final long pid = area.getLong(PositionsDescriptor.WRITER_PID_OFFSET);
            final long epoch = area.getLong(PositionsDescriptor.EPOCH_OFFSET);
            // A start time stored by another writer than this epoch's (or by none: a writer before the field) is not
            // this process's: go by the id alone then.
            final long started = area.getLong(PositionsDescriptor.STARTED_KEPT_BY_OFFSET) == epoch ?
                area.getLong(PositionsDescriptor.WRITER_STARTED_OFFSET) : PositionsDescriptor.WRITER_START_UNKNOWN;
            return new WriterStatus(area.getInt(PositionsDescriptor.WRITER_STATE_OFFSET), epoch, pid,
                area.getLong(PositionsDescriptor.LAST_SEQ_OFFSET), ProcessIdentity.runs(pid, started));
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read positions file", file, ex);
        }
    }

    /**
     * @return whether a writer has the stream open now: it announced itself, has not closed, and its process runs.
     */
    public boolean live()
    {
        return alive && state != PositionsDescriptor.STATE_CLOSED;
    }

    /**
     * @return whether the live writer is still recovering the stream.
     */
    public boolean recovering()
    {
        return live() && state == PositionsDescriptor.STATE_RECOVERING;
    }

    /**
     * @return e.g. "stream is open by a writer (pid 4711, epoch 3); reading a live view".
     */
    public String describe()
    {
        return "stream is open by a writer (pid " + pid + ", epoch " + epoch + (recovering() ? ", recovering" : "") +
            "); reading a live view";
    }
}
