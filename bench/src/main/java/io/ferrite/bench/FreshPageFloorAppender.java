package io.ferrite.bench;

import org.agrona.IoUtil;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * The fresh-page floors: the {@link AgronaFloorAppender} record (length, payload, CRC32C, ordered publish of the
 * length) written into sparse {@value #FILE_LENGTH}-byte mapped files that are never reused. When a file is full the
 * appender moves to a new one and the old one keeps its data, as a store's blocks do; so every page is a fresh page
 * of the page cache, which the ring floor, wrapping in one already-faulted file, never pays for.
 * <p>
 * Two variants:
 * <ul>
 *   <li>without a helper, the appender maps each new file itself and takes the first-touch fault of every page;</li>
 *   <li>with a helper ({@code prepared}), a daemon thread keeps {@value #PREPARED_AHEAD} files mapped ahead, each
 *   page made resident by writing one byte through the mapping, and hands them over through a single-producer
 *   single-consumer queue: the appender faults only when it outruns the helper (it then spins for the next file).</li>
 * </ul>
 * Neither reserves disk space before writing (a full disk would be a SIGBUS), nor forces anything: the least a store
 * that keeps its data can do on fresh pages.
 * <p>
 * Single appending thread; see {@link AppendTarget}.
 */
public final class FreshPageFloorAppender implements AppendTarget
{
    /** The size of each file, as in the ring floor. */
    public static final int FILE_LENGTH = AgronaFloorAppender.FILE_LENGTH_DEFAULT;
    /** Files the helper keeps prepared ahead of the appender. */
    public static final int PREPARED_AHEAD = 2;
    private static final int PAGE_SIZE = 4096;
    /** How long the helper sleeps when {@value #PREPARED_AHEAD} files are ready: a file lasts far longer. */
    private static final long PARK_NANOS = 50_000;

    private final Path directory;
    private final boolean prepared;
    private final CRC32C checksum = new CRC32C();
    private final UnsafeBuffer payload;
    private final int payloadLength;
    private final int recordLength;
    private final UnsafeBuffer file = new UnsafeBuffer(0, 0);
    private final OneToOneConcurrentArrayQueue<MappedByteBuffer> ready;
    private final Thread helper;
    private volatile boolean closed;
    private MappedByteBuffer mappedFile;
    private ByteBuffer checksumView;
    private int position;
    /** Files mapped so far, by either thread; names the next one. */
    private int filesMapped;
    private int helperFiles;

    /**
     * @param directory where the files are created.
     * @param payload   bytes every append copies.
     * @param prepared  whether a helper thread maps and touches files ahead of the appender.
     */
    public FreshPageFloorAppender(final Path directory, final byte[] payload, final boolean prepared)
    {
        this.directory = directory;
        this.prepared = prepared;
        this.payloadLength = payload.length;
        this.recordLength = AgronaFloorAppender.recordLength(payload.length);
        final ByteBuffer payloadBuffer = ByteBuffer.allocateDirect(payload.length);
        payloadBuffer.put(payload).clear();
        this.payload = new UnsafeBuffer(payloadBuffer);
        if (prepared)
        {
            ready = new OneToOneConcurrentArrayQueue<>(PREPARED_AHEAD);
            helper = new Thread(this::prepareAhead, "fresh-page-floor-helper");
            helper.setDaemon(true);
            helper.start();
        }
        else
        {
            ready = null;
            helper = null;
        }
        nextFile();
    }

    /**
     * The unprepared variant.
     */
    public static FreshPageFloorAppender sparse(final Path directory, final byte[] payload)
    {
        return new FreshPageFloorAppender(directory, payload, false);
    }

    /**
     * The variant with a helper thread preparing pages ahead.
     */
    public static FreshPageFloorAppender prepared(final Path directory, final byte[] payload)
    {
        return new FreshPageFloorAppender(directory, payload, true);
    }

    /**
     * {@inheritDoc}
     */
    public void append()
    {
        int recordOffset = position;
        if (recordOffset > FILE_LENGTH - recordLength)
        {
            nextFile();
            recordOffset = 0;
        }
        final int payloadOffset = recordOffset + AgronaFloorAppender.PAYLOAD_OFFSET;
        file.putBytes(payloadOffset, payload, 0, payloadLength);
        checksumView.limit(payloadOffset + payloadLength).position(payloadOffset);
        checksum.reset();
        checksum.update(checksumView);
        file.putInt(AgronaFloorAppender.checksumOffset(recordOffset, payloadLength), (int)checksum.getValue());
        file.putIntOrdered(recordOffset + AgronaFloorAppender.LENGTH_OFFSET, payloadLength);
        position = recordOffset + recordLength;
    }

    private void nextFile()
    {
        final MappedByteBuffer previous = mappedFile;
        MappedByteBuffer next;
        if (prepared)
        {
            while (null == (next = ready.poll()))
            {
                Thread.onSpinWait();
            }
        }
        else
        {
            next = map(directory.resolve("fresh-" + filesMapped++ + ".dat"));
        }
        mappedFile = next;
        file.wrap(next);
        checksumView = next.duplicate();
        position = 0;
        if (null != previous)
        {
            // The file keeps its data; only the mapping goes.
            IoUtil.unmap(previous);
        }
    }

    private void prepareAhead()
    {
        while (!closed)
        {
            final MappedByteBuffer next = map(directory.resolve("prepared-" + helperFiles++ + ".dat"));
            for (int page = 0; page < FILE_LENGTH; page += PAGE_SIZE)
            {
                next.put(page, (byte)0);
            }
            while (!ready.offer(next))
            {
                if (closed)
                {
                    IoUtil.unmap(next);
                    return;
                }
                // Parked, not spinning: on two cores a spinning helper would take the appender's CPU.
                LockSupport.parkNanos(PARK_NANOS);
            }
        }
    }

    private static MappedByteBuffer map(final Path path)
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE))
        {
            // Mapping past the end extends the file sparsely: no page is allocated or written until it is touched.
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_LENGTH);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        closed = true;
        if (null != helper)
        {
            try
            {
                helper.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            MappedByteBuffer left;
            while (null != (left = ready.poll()))
            {
                IoUtil.unmap(left);
            }
        }
        IoUtil.unmap(mappedFile);
    }
}
