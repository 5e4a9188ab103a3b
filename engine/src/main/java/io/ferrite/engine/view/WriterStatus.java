package io.ferrite.engine.view;

import io.ferrite.engine.index.StreamPositions;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.StoreIOException;
import org.agrona.concurrent.UnsafeBuffer;

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
 * @param alive     whether that process runs now ({@link WriterProcess}: its id, and where stored its start and boot).
 */
public record WriterStatus(int state, long epoch, long pid, long lastSeq, boolean alive)
{
    /** The writer's state, epoch and identity: {@link PositionsDescriptor#LAST_SEQ_OFFSET} begins the next line. */
    private static final int IDENTITY_BYTES = PositionsDescriptor.LAST_SEQ_OFFSET;
    private static final int MAX_COPIES = 16;

    /**
     * @return the status, or null when the stream has no positions file of this version (never opened by this
     * version, or damaged).
     */
    public static WriterStatus read(final Path streamDir)
    {
        final Path file = streamDir.resolve(PositionsDescriptor.FILE_NAME);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            // A copy is not read atomically against a writer storing into its mapping: one taken while a writer opens
            // may pair two writers' fields. Two copies in a row that agree on who writes (the first cache line) are
            // one writer's; a writer opening again and again between them gets the last copy.
            ByteBuffer area = copy(channel);
            for (int attempt = 0; null != area && attempt < MAX_COPIES; attempt++)
            {
                final ByteBuffer again = copy(channel);
                final boolean settled =
                    null == again || again.slice(0, IDENTITY_BYTES).equals(area.slice(0, IDENTITY_BYTES));
                area = again;
                if (settled)
                {
                    break;
                }
            }
            if (null == area || area.getInt(PositionsDescriptor.MAGIC_OFFSET) != PositionsDescriptor.MAGIC ||
                area.getInt(PositionsDescriptor.VERSION_OFFSET) != PositionsDescriptor.VERSION)
            {
                return null;
            }
            final int running = WriterProcess.state(new StreamPositions(new UnsafeBuffer(area)));
            return new WriterStatus(area.getInt(PositionsDescriptor.WRITER_STATE_OFFSET),
                area.getLong(PositionsDescriptor.EPOCH_OFFSET), area.getLong(PositionsDescriptor.WRITER_PID_OFFSET),
                area.getLong(PositionsDescriptor.LAST_SEQ_OFFSET), running != WriterProcess.GONE);
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
     * @return a copy of the positions area, or null when the file is shorter (a power cut can leave it so).
     */
    private static ByteBuffer copy(final FileChannel channel) throws IOException
    {
        final ByteBuffer area = ByteBuffer.allocate(PositionsDescriptor.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        while (area.hasRemaining())
        {
            if (channel.read(area, area.position()) < 0)
            {
                return null;
            }
        }
        return area.clear();
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
