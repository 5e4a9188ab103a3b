package io.ferrite.engine.metrics;

import java.util.concurrent.TimeUnit;

/**
 * How fast the disk takes forced bytes, measured from recent force cycles: bytes forced over the time the forces took.
 * Both sums are halved whenever the time passes {@link #DECAY_AFTER_NANOS}, so the rate follows the last second or two
 * of forcing rather than the store's lifetime: what an operator needs next to a back-pressure warning is what the disk
 * does now, not what it did an hour ago when the page cache was empty.
 * <p>
 * Threading: {@link #record} by one thread at a time (the flusher's cycle); {@link #bytesPerSecond()} from any.
 */
public final class ForceRate
{
    /** Force time after which the history is halved: about a second of forcing weighs as much as all before it. */
    static final long DECAY_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What {@link #bytesPerSecond()} answers before any force carried bytes. */
    public static final long UNKNOWN = -1;

    private long bytes;
    private long nanos;
    private volatile long bytesPerSecond = UNKNOWN;

    /**
     * One force cycle made {@code bytes} durable in {@code nanos}. A cycle that forced no block bytes (a directory
     * sync, a sealed block's release) says nothing about the rate and is left out.
     */
    public void record(final long bytes, final long nanos)
    {
        if (bytes <= 0)
        {
            return;
        }
        this.bytes += bytes;
        this.nanos += Math.max(1, nanos);
        if (this.nanos > DECAY_AFTER_NANOS)
        {
            this.bytes >>= 1;
            this.nanos >>= 1;
        }
        bytesPerSecond = (long)(this.bytes * (double)TimeUnit.SECONDS.toNanos(1) / this.nanos);
    }

    /**
     * @return bytes per second over recent force cycles, or {@link #UNKNOWN} before the first that carried bytes.
     */
    public long bytesPerSecond()
    {
        return bytesPerSecond;
    }

    /**
     * @return the rate for a log line: {@code 187.3 MB/s}, {@code 32.9 kB/s} (a new file's first forces, which also
     * allocate it), or {@code unknown (no force carried bytes yet)}.
     */
    public static String describe(final long bytesPerSecond)
    {
        if (bytesPerSecond < 0)
        {
            return "unknown (no force carried bytes yet)";
        }
        return bytesPerSecond >= 1_000_000 ? String.format("%.1f MB/s", bytesPerSecond / 1e6) :
            String.format("%.1f kB/s", bytesPerSecond / 1e3);
    }
}
