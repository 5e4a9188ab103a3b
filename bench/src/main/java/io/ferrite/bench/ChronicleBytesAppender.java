package io.ferrite.bench;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import org.agrona.IoUtil;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Chronicle Bytes without the queue: a raw {@link MappedBytes} append of the payload into a preallocated,
 * single-mapped file, wrapping to the start when full, exactly like the {@link AgronaFloorAppender} but
 * with no length, checksum or publication. It isolates the cost of Chronicle Bytes' bounds and reference
 * checks around a copy, which is the layer Chronicle Queue is built on.
 * <p>
 * Single appending thread; see {@link AppendTarget}.
 */
public final class ChronicleBytesAppender implements AppendTarget
{
    /** Same length as the floor's file, so the two touch the same number of pages. */
    public static final int FILE_LENGTH_DEFAULT = AgronaFloorAppender.FILE_LENGTH_DEFAULT;

    /** Name of the mapped file inside the target's directory. */
    public static final String FILE_NAME = "bytes.dat";

    private final MappedBytes bytes;
    private final BytesStore<?, ?> payload;
    private final long lastStart;

    /**
     * Opens the target over a {@value #FILE_LENGTH_DEFAULT}-byte file.
     *
     * @param directory where the file is created.
     * @param payload   bytes every append writes, copied once into native memory.
     */
    public ChronicleBytesAppender(final Path directory, final byte[] payload)
    {
        this(directory, payload, FILE_LENGTH_DEFAULT);
    }

    /**
     * @param directory  where the file is created.
     * @param payload    bytes every append writes, copied once into native memory.
     * @param fileLength length of the file, fully written with zeros before it is mapped so that every page
     *                   exists on disk, as for the floor.
     */
    public ChronicleBytesAppender(final Path directory, final byte[] payload, final int fileLength)
    {
        if (payload.length > fileLength)
        {
            throw new IllegalArgumentException(
                "a payload of " + payload.length + " bytes does not fit a file of " + fileLength + " bytes");
        }

        final File file = directory.resolve(FILE_NAME).toFile();
        try
        {
            IoUtil.createEmptyFile(file, fileLength, true).close();
            this.bytes = MappedBytes.singleMappedBytes(file, fileLength);
        }
        catch (final FileNotFoundException ex)
        {
            throw new UncheckedIOException("cannot map " + file, ex);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot close " + file + " after preallocating it", ex);
        }

        this.payload = BytesStore.nativeStoreFrom(payload);
        this.lastStart = fileLength - payload.length;
    }

    /**
     * @return the mapped bytes, for readers that verify what was written.
     */
    public MappedBytes bytes()
    {
        return bytes;
    }

    /**
     * {@inheritDoc}
     */
    public void append()
    {
        if (bytes.writePosition() > lastStart)
        {
            bytes.clear();
        }

        bytes.write(payload);
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        try
        {
            bytes.releaseLast();
        }
        finally
        {
            payload.releaseLast();
        }
    }
}
