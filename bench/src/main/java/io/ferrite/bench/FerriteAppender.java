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
        this.store = FileStreamStore.open(directory, StreamConfig.builder("bench").syncMode(syncMode).build());
        this.payload = payload;
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
