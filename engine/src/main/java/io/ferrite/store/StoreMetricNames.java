package io.ferrite.store;

/**
 * Names of the latency distributions {@link StoreStats#histogram(String)} holds besides the timed operations of
 * {@link StoreOperation}: one registry, so the engine, the tools and an application's dashboards cannot disagree on a
 * spelling. All are in nanoseconds.
 */
public final class StoreMetricNames
{
    /** One append in {@code 64}, from the call to its return. */
    public static final String APPEND = "append";
    /** From an append's return to the force that made it durable. */
    public static final String APPEND_TO_DURABLE = "appendToDurable";
    /** An {@code ALWAYS} append's wait for its group commit. */
    public static final String GROUP_COMMIT = "groupCommit";
    /** An {@code INTERVAL} append's wait for room under {@code maxUnforcedBytes}. */
    public static final String BACK_PRESSURE = "backPressure";

    private StoreMetricNames()
    {
    }
}
