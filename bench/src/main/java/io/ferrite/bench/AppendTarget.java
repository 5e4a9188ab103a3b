package io.ferrite.bench;

/**
 * One store under test, seen as the only thing every append benchmark and the latency harness need from
 * it: append one record holding a fixed payload. The payload is given when the target is opened, so
 * {@link #append()} measures the store, not the caller building a message.
 * <p>
 * Threading: one appending thread, the one that opened the target; {@link #close()} on that same thread
 * (Chronicle Queue appenders are bound to their creating thread).
 * <p>
 * Contract for implementations: {@link #append()} allocates nothing and never blocks on I/O that a
 * production append would not block on; when the underlying file is full it wraps or rolls by itself,
 * so a caller may append any number of times.
 */
public interface AppendTarget extends AutoCloseable
{
    /**
     * Appends one record holding the payload the target was opened with.
     */
    void append();

    /**
     * Releases files, mappings and native memory. The directory the target was opened in is deleted by
     * whoever created it.
     */
    @Override
    void close();
}
