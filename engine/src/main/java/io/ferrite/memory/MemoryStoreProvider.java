package io.ferrite.memory;

import io.ferrite.store.StoreProvider;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;

import java.nio.file.Path;

/**
 * {@code "memory"}: {@link MemoryStreamStore#create(StreamConfig)} through {@link StoreProvider}. It keeps no files,
 * so the directory of {@link #open(Path, StreamConfig)} is ignored (an embedder's code can pass one whatever the kind).
 */
public final class MemoryStoreProvider implements StoreProvider
{
    /** The name this provider is found by. */
    public static final String NAME = "memory";

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public boolean needsDirectory()
    {
        return false;
    }

    /**
     * @param dir ignored, may be null.
     */
    @Override
    public StreamStore open(final Path dir, final StreamConfig config)
    {
        return MemoryStreamStore.create(config);
    }
}
