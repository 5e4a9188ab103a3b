package io.ferrite.store;

/**
 * When appended messages are made durable ({@link StreamConfig#syncMode()}). In every mode {@link StreamStore#flush()}
 * forces on demand and {@link StreamStore#close()} forces before it returns.
 */
public enum SyncMode
{
    /**
     * {@code append} returns only once the message is durable. Appenders waiting at the same time share one force
     * (group commit): N concurrent writers cost about one force per disk round trip, not N.
     */
    ALWAYS,

    /**
     * The store's flusher thread forces what was appended every {@link StreamConfig#syncInterval()}; {@code append}
     * never waits on the disk. A power cut loses at most about one interval of acknowledged appends.
     */
    INTERVAL,

    /**
     * The operating system writes back when it decides. The flusher forces only on {@code flush()}, {@code close()},
     * a state write, and once per sealed block (so its file descriptor can be released).
     */
    NONE
}
