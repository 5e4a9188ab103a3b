package io.ferrite.store;

import java.util.List;

/**
 * The operations whose every run the store times by phase, warns about when slow
 * ({@link StreamConfig.Builder#slowOperationThreshold(String, java.time.Duration)}) and reports in
 * {@link StoreStats#histogram(String)}: the metric {@link #metricName()} is the whole run, and
 * {@link #phaseMetricName(int)} each phase of it. The names are stable: tools and dashboards read them.
 */
public enum StoreOperation
{
    /** A snapshot of the stream's state into {@code state.db}. */
    WRITE_FULL_STATE("writeFullState", "serialize", "write", "fsync", "rename", "blocks"),
    /** Opening a stream: reading {@code state.db}, then scanning the blocks past it. */
    RECOVERY("recovery", "state", "scan"),
    /** One force cycle of the flusher: capturing what to force under the append lock, forcing, syncing directories. */
    FLUSH("flush", "capture", "force", "directory"),
    /** Moving appends to a new block: taking the prepared file (or creating one) and sealing the old tail. */
    BLOCK_ROLL("blockRoll", "create");

    private final String metricName;
    private final List<String> phases;

    StoreOperation(final String metricName, final String... phases)
    {
        this.metricName = metricName;
        this.phases = List.of(phases);
    }

    /**
     * @return the name of the histogram of whole runs, and of the operation in log lines.
     */
    public String metricName()
    {
        return metricName;
    }

    /**
     * @return the phases, in the order a run goes through them.
     */
    public List<String> phases()
    {
        return phases;
    }

    /**
     * @return the name of the histogram of phase {@code phase}: {@code <operation>.<phase>}, e.g. {@code flush.force}.
     */
    public String phaseMetricName(final int phase)
    {
        return metricName + '.' + phases.get(phase);
    }

    /**
     * @return the operation named {@code metricName}.
     * @throws IllegalArgumentException naming the known operations when there is none of that name.
     */
    public static StoreOperation of(final String metricName)
    {
        for (final StoreOperation operation : values())
        {
            if (operation.metricName.equals(metricName))
            {
                return operation;
            }
        }
        final StringBuilder known = new StringBuilder();
        for (final StoreOperation operation : values())
        {
            known.append(known.length() == 0 ? "" : ", ").append(operation.metricName);
        }
        throw new IllegalArgumentException("unknown operation '" + metricName + "'; the timed operations are " + known);
    }
}
