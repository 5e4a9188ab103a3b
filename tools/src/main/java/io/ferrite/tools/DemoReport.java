package io.ferrite.tools;

import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreOperation;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamState;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;

/**
 * Prints what the demo measured. The store's own numbers come from {@link StoreStats} histograms (nanoseconds,
 * cumulative since open), named {@code operation} and {@code operation.phase}.
 */
final class DemoReport
{
    private static final int[] STATE_PHASES =
        { StoreMetrics.STATE_SERIALIZE, StoreMetrics.STATE_WRITE, StoreMetrics.STATE_FSYNC, StoreMetrics.STATE_RENAME };
    private static final int[] FLUSH_PHASES = { StoreMetrics.FLUSH_FORCE, StoreMetrics.FLUSH_DIRECTORY };
    private static final int[] RECOVERY_PHASES = { StoreMetrics.RECOVERY_STATE, StoreMetrics.RECOVERY_SCAN };

    private final PrintWriter out;
    private final long messages;
    private final int payloadSize;

    DemoReport(final PrintWriter out, final long messages, final int payloadSize)
    {
        this.out = out;
        this.messages = messages;
        this.payloadSize = payloadSize;
    }

    void appends(final long appendNanos, final Histogram latency)
    {
        final double seconds = appendNanos / 1e9;
        out.println("append   " + Units.count(messages) + " in " + Units.nanos(appendNanos) + ": " +
            Units.count(Math.round(messages / seconds)) + " msgs/s, " +
            Units.bytes(Math.round(messages * (double)payloadSize / seconds)) + "/s of payload, one thread");
        out.println("  latency of each append (System.nanoTime around it; into the mapping, durable at flush):");
        final Table table = LatencySummary.table();
        table.row(LatencySummary.of(latency).cells("append"));
        table.print(out, "    ");
    }

    void flush(final long flushNanos, final StoreStats stats)
    {
        out.println("flush    " + Units.nanos(flushNanos) + " to make " + Units.count(messages) + " messages durable");
        printPhases(stats, StoreOperation.FLUSH, FLUSH_PHASES);
    }

    void stateWrites(final StoreStats stats)
    {
        final long writes = stats.histogram(StoreOperation.WRITE_FULL_STATE.metricName()).getTotalCount();
        out.println("writeFullState  x" + writes + " (state.db from memory: no block file read), per phase from " +
            "store.stats():");
        printPhases(stats, StoreOperation.WRITE_FULL_STATE, STATE_PHASES);
    }

    void blockRolls(final StoreStats stats)
    {
        final Histogram rolls = stats.histogram(StoreOperation.BLOCK_ROLL.metricName());
        out.println("blocks   " + stats.blocksCreated() + " created" + (rolls.getTotalCount() == 0 ? "" :
            ", each roll (create + preallocate) p50 " + Units.nanos(rolls.getValueAtPercentile(50)) + ", max " +
            Units.nanos(rolls.getMaxValue())));
    }

    void closeAndReopen(
        final long closeNanos, final long reopenNanos, final RecoveryReport recovery, final StreamState reopened,
        final StoreStats reopenStats)
    {
        out.println("close    " + Units.nanos(closeNanos) + " (flush + writeFullState + release)");
        out.println("reopen   " + Units.nanos(reopenNanos) + ": " + recovery.outcome() + " — " + recovery.reason() +
            "; " + recovery.blocksScanned() + " block(s) scanned (" + Units.bytes(recovery.bytesScanned()) + "), " +
            reopenStats.blockFileOpens() + " block file(s) opened");
        printPhases(reopenStats, StoreOperation.RECOVERY, RECOVERY_PHASES);
        out.println("recovered " + Units.count(reopened.msgs()) + " messages, sequences " +
            (reopened.msgs() == 0 ? "none" : reopened.firstSeq() + ".." + reopened.lastSeq()) + ", " +
            reopened.numSubjects() + " subjects; " + (recovery.isClean() ? "nothing lost" :
            recovery.lost().size() + " range(s) LOST: " + recovery.lost()));
    }

    private void printPhases(final StoreStats stats, final StoreOperation operation, final int[] phases)
    {
        final Table table = LatencySummary.phaseTable();
        for (final int phase : phases)
        {
            table.row(LatencySummary.of(stats.histogram(operation.phaseMetricName(phase)))
                .phaseCells(operation.phases().get(phase)));
        }
        table.row(LatencySummary.of(stats.histogram(operation.metricName())).phaseCells("total"));
        table.print(out, "    ");
    }
}
