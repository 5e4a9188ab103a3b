package io.ferrite.tools;

import io.ferrite.store.RecoveryReport;
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
    private static final String[] STATE_PHASES = { "serialize", "write", "fsync", "rename" };
    private static final String[] FLUSH_PHASES = { "force", "directory" };
    private static final String[] RECOVERY_PHASES = { "state", "scan" };

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
        printPhases(stats, "flush", FLUSH_PHASES);
    }

    void stateWrites(final StoreStats stats)
    {
        out.println("writeFullState  x" + stats.histogram("writeFullState").getTotalCount() + " (state.db from " +
            "memory: no block file read), per phase from store.stats():");
        printPhases(stats, "writeFullState", STATE_PHASES);
    }

    void blockRolls(final StoreStats stats)
    {
        final Histogram rolls = stats.histogram("blockRoll");
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
        printPhases(reopenStats, "recovery", RECOVERY_PHASES);
        out.println("recovered " + Units.count(reopened.msgs()) + " messages, sequences " +
            (reopened.msgs() == 0 ? "none" : reopened.firstSeq() + ".." + reopened.lastSeq()) + ", " +
            reopened.numSubjects() + " subjects; " + (recovery.isClean() ? "nothing lost" :
            recovery.lost().size() + " range(s) LOST: " + recovery.lost()));
    }

    private void printPhases(final StoreStats stats, final String operation, final String[] phases)
    {
        final Table table = LatencySummary.phaseTable();
        for (final String phase : phases)
        {
            table.row(LatencySummary.of(stats.histogram(operation + "." + phase)).phaseCells(phase));
        }
        table.row(LatencySummary.of(stats.histogram(operation)).phaseCells("total"));
        table.print(out, "    ");
    }
}
