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
     * The store's flusher thread forces what was appended every {@link StreamConfig#syncInterval()}, and sooner when
     * half of {@link StreamConfig#maxUnforcedBytes()} is written and not yet forced. {@code append} does not wait on
     * the disk until the whole bound is unforced; then it waits for the flusher (back-pressure). A power cut loses at
     * most about one interval of returned appends, and never more than {@code maxUnforcedBytes} of them plus one
     * record, however far appends outrun the disk.
     */
    INTERVAL,

    /**
     * The operating system writes back when it decides. The flusher forces only on {@code flush()}, {@code close()},
     * a state write, and once per sealed block (so its file descriptor can be released).
     */
    NONE
}
