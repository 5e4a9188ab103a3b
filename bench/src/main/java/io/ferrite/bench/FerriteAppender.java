package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;

import java.nio.file.Path;

/**
 * Ferrite's append as an {@link AppendTarget}: one subject, no headers, default 8 MiB blocks, nothing forced on the
 * append path (INTERVAL by default, the configuration the targets are set for).
 */
public final class FerriteAppender implements AppendTarget
{
    /** The subject every benchmark append uses: a realistic three-token subject. */
    public static final String SUBJECT = "bench.orders.new";

    private final StreamStore store;
    private final byte[] payload;

    public FerriteAppender(final Path directory, final byte[] payload)
    {
        this(directory, payload, StreamConfig.SYNC_MODE_DEFAULT);
    }

    public FerriteAppender(final Path directory, final byte[] payload, final SyncMode syncMode)
    {
        this.store = openStore(directory, syncMode);
        this.payload = payload;
    }

    /**
     * The store every Ferrite append target opens, so the {@code byte[]}, buffer and claim forms compare on one
     * configuration: stream "bench", default blocks ({@link StreamConfig#BLOCK_SIZE_DEFAULT}), no limits.
     *
     * @param directory an empty directory for the stream's files.
     * @param syncMode  when appends are made durable.
     * @return the opened store.
     */
    public static StreamStore openStore(final Path directory, final SyncMode syncMode)
    {
        return FileStreamStore.open(directory, StreamConfig.builder("bench").syncMode(syncMode).build());
    }

    @Override
    public void append()
    {
        store.append(SUBJECT, null, payload);
    }

    /**
     * @return the store, for benchmarks that read back what was appended.
     */
    public StreamStore store()
    {
        return store;
    }

    @Override
    public void close()
    {
        store.close();
    }
}
