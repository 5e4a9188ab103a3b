package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The writing side of the write-to-read latency benchmarks: appends messages whose first 8 bytes carry
 * {@code System.nanoTime()} (little-endian) when the append began, to a Ferrite stream, a Chronicle queue or the floor
 * (a {@link MemoryHandover}: the message copied into shared memory and published, nothing else), paced to a rate or
 * flat out. The reader subtracts the stamp from its own clock on receipt.
 */
final class StampingAppender implements AutoCloseable
{
    /** The floor's ring: 16 MiB of slots, as much as a few of a store's pages in flight and more. */
    private static final int FLOOR_BYTES = 16 << 20;

    private final long intervalNanos;
    private long nextAt;

    private StreamStore ferrite;
    private byte[] payload;
    private UnsafeBuffer payloadBuffer;

    private ChronicleQueue queue;
    private ExcerptAppender appender;
    private BytesStore<?, ?> chroniclePayload;

    private MemoryHandover handover;

    private StampingAppender(final long rate)
    {
        this.intervalNanos = rate == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / rate;
    }

    /**
     * @param rate messages per second, 0 for flat out.
     */
    static StampingAppender ferrite(final Path directory, final SyncMode mode, final int payloadLength, final long rate)
    {
        final StampingAppender stamping = new StampingAppender(rate);
        stamping.ferrite = FileStreamStore.open(directory, StreamConfig.builder("bench").syncMode(mode).build());
        stamping.payload = new byte[payloadLength];
        stamping.payloadBuffer = new UnsafeBuffer(stamping.payload);
        return stamping;
    }

    /**
     * @param rate messages per second, 0 for flat out.
     */
    static StampingAppender chronicle(final Path directory, final int payloadLength, final long rate)
    {
        final StampingAppender stamping = new StampingAppender(rate);
        stamping.queue = SingleChronicleQueueBuilder.binary(directory).build();
        stamping.appender = stamping.queue.createAppender();
        stamping.chroniclePayload = BytesStore.nativeStoreFrom(new byte[payloadLength]);
        return stamping;
    }

    /**
     * @param rate messages per second, 0 for flat out.
     */
    static StampingAppender floor(final int payloadLength, final long rate)
    {
        final StampingAppender stamping = new StampingAppender(rate);
        stamping.handover = new MemoryHandover(payloadLength, FLOOR_BYTES);
        stamping.payload = new byte[payloadLength];
        stamping.payloadBuffer = new UnsafeBuffer(stamping.payload);
        return stamping;
    }

    /**
     * @return the floor's hand-over, or null when it is a store.
     */
    MemoryHandover floorHandover()
    {
        return handover;
    }

    /**
     * @return the Ferrite stream written, or null when it is Chronicle Queue.
     */
    StreamStore ferriteStore()
    {
        return ferrite;
    }

    /**
     * @return the Chronicle queue written, or null when it is Ferrite.
     */
    ChronicleQueue chronicleQueue()
    {
        return queue;
    }

    /**
     * Start the pace from now: after setting up, before the first measured append.
     */
    void startPace()
    {
        nextAt = System.nanoTime();
    }

    /**
     * Wait for the next slot of the pace (none flat out), then append one stamped message.
     *
     * @return the sequence appended (0 for Chronicle Queue and the floor).
     */
    long append()
    {
        if (intervalNanos > 0)
        {
            // Behind by more than a millisecond (an iteration boundary, a pause): start the pace again from now
            // rather than burst to catch up.
            nextAt = Math.max(nextAt + intervalNanos, System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(1));
            while (System.nanoTime() < nextAt)
            {
                Thread.onSpinWait();
            }
        }
        if (null != ferrite)
        {
            payloadBuffer.putLong(0, System.nanoTime(), ByteOrder.LITTLE_ENDIAN);
            return ferrite.append(FerriteAppender.SUBJECT, null, payload);
        }
        if (null != handover)
        {
            payloadBuffer.putLong(0, System.nanoTime(), ByteOrder.LITTLE_ENDIAN);
            while (!handover.offer(payloadBuffer, 0, payload.length))
            {
                // Full: the reader is a ring behind; wait for it, as a store's appender would wait for space.
                Thread.onSpinWait();
            }
            return 0;
        }
        chroniclePayload.writeLong(0, System.nanoTime());
        appender.writeBytes(chroniclePayload);
        return 0;
    }

    @Override
    public void close()
    {
        if (null != ferrite)
        {
            ferrite.close();
        }
        if (null != queue)
        {
            appender.close();
            queue.close();
            chroniclePayload.releaseLast();
        }
    }
}
