package io.ferrite.store;

import java.nio.file.Path;
import java.util.List;

/**
 * Many streams under one root directory, sharing a few threads: whatever the number of streams, an environment runs
 * one flusher, one reclaimer and one block-preparer thread (made by {@link EnvironmentConfig#threadFactory()}), where
 * standalone stores run three threads each. Each stream is the directory {@code <root>/<name>}, a stream directory
 * as {@code FileStreamStore.open} knows it.
 * <pre>
 * try (StoreEnvironment env = StoreEnvironment.open(root, EnvironmentConfig.builder().build()))
 * {
 *     StreamStore orders = env.createStream(env.streamConfig("orders").build());
 *     ConsumerStore billing = env.consumer("orders", "billing", ConsumerConfig.builder().build());
 *     EnvironmentSnapshot catalog = env.snapshot();
 * }
 * </pre>
 * Creating and deleting a stream are crash-safe: after a crash either the whole stream exists or none of it does.
 * <p>
 * Threading: any thread. A stream is open at most once: {@link #openStream} of an open stream returns the same
 * instance. Closing a stream returned here (its {@code close()}) is allowed; the environment then treats it as closed.
 */
public interface StoreEnvironment extends AutoCloseable
{
    /** The name {@link #open} finds its provider by. */
    String FILE_PROVIDER = "file";

    /**
     * Open (creating it if absent) the environment under {@code root}, through the {@code "file"}
     * {@link StoreProvider}. Leftovers of a create or delete a crash interrupted are finished: a half-created stream
     * is removed, a half-deleted one is deleted.
     *
     * @throws StreamLockedException when this or another process has it open.
     * @throws StoreException       when the root cannot be used; the message names the path.
     */
    static StoreEnvironment open(final Path root, final EnvironmentConfig config)
    {
        return StoreProvider.named(FILE_PROVIDER).openEnvironment(root, config);
    }

    /**
     * @return the environment's root directory.
     */
    Path root();

    /**
     * @return the configuration it was opened with.
     */
    EnvironmentConfig config();

    /**
     * @return a builder for stream {@code name} starting from the environment's defaults (its sync mode).
     * @throws IllegalArgumentException when the name breaks {@link StreamNames}.
     */
    StreamConfig.Builder streamConfig(String name);

    /**
     * Create stream {@code config.name()} and open it.
     *
     * @throws IllegalArgumentException when the name breaks {@link StreamNames}, or the stream exists.
     * @throws StoreException           when it cannot be created; nothing of it is left.
     */
    StreamStore createStream(StreamConfig config);

    /**
     * Open an existing stream with the configuration it was created with (its {@code stream.json}); the same instance
     * when it is open already.
     *
     * @throws IllegalArgumentException when there is no such stream.
     */
    StreamStore openStream(String name);

    /**
     * Open an existing stream with {@code config} (needed for an encrypted stream: the key); the same instance when it
     * is open already.
     *
     * @throws IllegalArgumentException when there is no such stream.
     */
    StreamStore openStream(StreamConfig config);

    /**
     * @return the names of every stream, open or not, ascending; read from memory.
     */
    List<String> streamNames();

    /**
     * Close the stream if open and delete it with all its files; crash-safe.
     *
     * @return false when there was no such stream.
     */
    boolean deleteStream(String name);

    /**
     * The consumer {@code consumer} of stream {@code stream} (opening the stream when needed), as
     * {@link StreamStore#consumer}; the environment's {@link #snapshot()} lists it from then on.
     */
    ConsumerStore consumer(String stream, String consumer, ConsumerConfig config);

    /**
     * @return the catalog, copied from memory; never waits on I/O.
     */
    EnvironmentSnapshot snapshot();

    /**
     * Take a {@link #snapshot()} and write it to {@code <root>/catalog.snapshot} atomically (temp file, force, rename,
     * directory sync); the I/O happens after the copy, under no stream's lock.
     *
     * @return the snapshot written.
     */
    EnvironmentSnapshot writeSnapshot();

    /**
     * @return the snapshot last written by {@link #writeSnapshot()}, read back and verified, or null when none was.
     * @throws CorruptFileException naming the file and offset when it does not verify.
     */
    EnvironmentSnapshot readSnapshot();

    /**
     * Close every open stream, then the shared threads. The first failure is thrown after everything was closed.
     */
    @Override
    void close();
}
