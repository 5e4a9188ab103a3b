package io.ferrite.engine.flush;

import io.ferrite.engine.metrics.ForceRate;
import org.slf4j.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The warning logged when appends meet the unforced-bytes bound: at most one per {@link #PERIOD_NANOS}, since under a
 * sustained overload every append would otherwise log. It names the bound and the rate the disk forced at recently,
 * which together say how long a window the bound stands for and whether the disk, not the bound, is the limit.
 * <p>
 * Threading: any appender thread; one of those racing for the same period logs (a CAS), the others return at once.
 */
final class BackPressureWarning
{
    /** One warning per 10 s: a sustained overload stays visible in the log without flooding it. */
    static final long PERIOD_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final long NEVER = Long.MIN_VALUE;

    private final String streamName;
    private final Logger log;
    private final AtomicLong lastWarnedNanos = new AtomicLong(NEVER);

    BackPressureWarning(final String streamName, final Logger log)
    {
        this.streamName = streamName;
        this.log = log;
    }

    /**
     * @param nowNanos            {@link System#nanoTime()} now.
     * @param bound               the configured {@code maxUnforcedBytes}.
     * @param forceBytesPerSecond the disk's recent force rate, or {@link ForceRate#UNKNOWN}.
     * @param waits               appends that waited so far, this one included.
     * @return whether this call logged.
     */
    boolean maybeWarn(final long nowNanos, final long bound, final long forceBytesPerSecond, final long waits)
    {
        final long last = lastWarnedNanos.get();
        if (last != NEVER && nowNanos - last < PERIOD_NANOS)
        {
            return false;
        }
        if (!lastWarnedNanos.compareAndSet(last, nowNanos))
        {
            return false;
        }
        final String window = forceBytesPerSecond > 0 ?
            String.format(", about %.0f ms of forcing for the bound", bound * 1e3 / forceBytesPerSecond) : "";
        log.warn("stream {}: {} bytes (maxUnforcedBytes) are written and not yet forced, so appends wait for the " +
            "flusher (SyncMode.INTERVAL back-pressure); the disk forced {} over recent cycles{}; {} appends have " +
            "waited since open", streamName, bound, ForceRate.describe(forceBytesPerSecond), window, waits);
        return true;
    }
}
