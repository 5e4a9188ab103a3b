package io.ferrite.bench;

import io.ferrite.store.SyncMode;
import org.openjdk.jmh.annotations.Param;

import java.nio.file.Path;

/**
 * Ferrite append, read against {@link AgronaFloorBenchmark} and {@link ChronicleQueueAppendBenchmark} in the same run.
 * <p>
 * A fresh store per iteration: an append-only store grows by about a gigabyte per second here, and one iteration's
 * worth of blocks is what a real stream would be rolling through; block creation (preallocating 8 MiB) is part of the
 * measured cost, as Chronicle's cycle-file creation is part of its.
 */
public class FerriteAppendBenchmark extends AppendBenchmark
{
    /**
     * INTERVAL: durable within 100 ms, the configuration the targets name; sustained, it is bounded by how fast the
     * disk absorbs the forces. NONE: page cache only, what the Chronicle peer promises.
     */
    @Param({ "INTERVAL", "NONE" })
    public SyncMode syncMode;

    @Override
    protected String storeName()
    {
        return "ferrite-append";
    }

    @Override
    protected AppendTarget open(final Path directory, final byte[] payload)
    {
        return new FerriteAppender(directory, payload, syncMode);
    }
}
