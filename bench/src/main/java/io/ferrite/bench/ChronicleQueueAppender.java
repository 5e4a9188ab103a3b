package io.ferrite.bench;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.nio.file.Path;

/**
 * The peer: Chronicle Queue appending the payload as one excerpt per call through
 * {@link ExcerptAppender#writeBytes(BytesStore)} from a preallocated native {@link BytesStore}, the
 * allocation-free path Chronicle recommends for raw bytes.
 * <p>
 * The queue is built with Chronicle's defaults (binary wire, daily roll cycle, its own block size), as an
 * embedder would get it; it grows its cycle file as it goes, so unlike the {@link AgronaFloorAppender} it
 * keeps touching fresh pages, which is part of what a growing log costs.
 * <p>
 * Single appending thread, the one that opened it: Chronicle binds an appender to its creating thread.
 */
public final class ChronicleQueueAppender implements AppendTarget
{
    private final ChronicleQueue queue;
    private final ExcerptAppender appender;
    private final BytesStore<?, ?> payload;

    /**
     * @param directory the queue's directory; its cycle files are created there.
     * @param payload   bytes every append writes, copied once into native memory.
     */
    public ChronicleQueueAppender(final Path directory, final byte[] payload)
    {
        this.queue = SingleChronicleQueueBuilder.binary(directory).build();
        this.appender = queue.createAppender();
        this.payload = BytesStore.nativeStoreFrom(payload);
    }

    /**
     * @return the queue, for readers that verify what was written.
     */
    public ChronicleQueue queue()
    {
        return queue;
    }

    /**
     * {@inheritDoc}
     */
    public void append()
    {
        appender.writeBytes(payload);
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        try
        {
            appender.close();
            queue.close();
        }
        finally
        {
            payload.releaseLast();
        }
    }
}
