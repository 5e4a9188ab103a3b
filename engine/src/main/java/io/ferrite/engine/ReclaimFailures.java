package io.ferrite.engine;

import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StoreStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Failed reclaim passes, kept so that a failure is neither fatal nor silent. Before, the first failure (a full disk
 * during a tombstone rehome, say) stopped the reclaim thread, and in {@code INTERVAL} and {@code NONE} no purge gave
 * space back until the next open, with one log line to say so. Now every failure is counted and named in
 * {@code stats()} ({@link StoreStats#reclaimFailures()}, {@link StoreStats#reclaimFailure()}) and logged, and the
 * pass is retried after a delay that doubles while it keeps failing, so a fault that clears (space freed, a disk
 * back) lets reclaiming resume without a reopen, and one that does not costs a pass and a log line every
 * {@link #MAX_BACKOFF_NANOS} at most.
 * <p>
 * Threading: {@link #failed} and {@link #succeeded} under the reclaimer's maintenance lock (a pass runs under it, on
 * the reclaim thread or a purge's caller); {@link #backoffNanos()} from the reclaim thread.
 */
final class ReclaimFailures
{
    /** The reclaimer's logger, which these lines always went to: log configurations that name it keep working. */
    private static final Logger LOG = LoggerFactory.getLogger(Reclaimer.class);

    static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final String name;
    private final StoreMetrics metrics;
    /** Failed passes since the last that succeeded. */
    private volatile int consecutive;

    ReclaimFailures(final String name, final StoreMetrics metrics)
    {
        this.name = name;
        this.metrics = metrics;
    }

    /**
     * A pass failed with {@code cause}: count it, name it in the stats, and log it — with its stack trace the first
     * time in a row, as one line after that.
     */
    void failed(final Throwable cause)
    {
        final int failures = consecutive + 1;
        consecutive = failures;
        metrics.onReclaimFailed(cause.toString());
        final long retryMillis = TimeUnit.NANOSECONDS.toMillis(backoffNanos());
        if (failures == 1)
        {
            LOG.error("stream {}: reclaiming space failed; removed messages stay removed, their space comes back " +
                "once a retry succeeds (next in {} ms)", name, retryMillis, cause);
        }
        else
        {
            LOG.warn("stream {}: reclaiming space failed again ({} passes in a row, next try in {} ms): {}", name,
                failures, retryMillis, cause.toString());
        }
    }

    /**
     * A pass completed: reclaiming works again, if it had failed.
     */
    void succeeded()
    {
        final int failures = consecutive;
        if (failures > 0)
        {
            consecutive = 0;
            LOG.info("stream {}: reclaiming space works again after {} failed passes", name, failures);
        }
        metrics.onReclaimSucceeded();
    }

    /**
     * @return how long to wait before retrying after the failures so far: {@link #FIRST_BACKOFF_NANOS}, doubling
     * with each failure in a row up to {@link #MAX_BACKOFF_NANOS}.
     */
    long backoffNanos()
    {
        final int doublings = Math.min(Math.max(0, consecutive - 1), 16);
        return Math.min(MAX_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << doublings);
    }
}
