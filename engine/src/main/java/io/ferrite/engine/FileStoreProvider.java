package io.ferrite.engine;

import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StoreProvider;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;

import java.nio.file.Path;

/**
 * {@code "file"}: {@link FileStreamStore#open(Path, StreamConfig)} through {@link StoreProvider}.
 */
public final class FileStoreProvider implements StoreProvider
{
    /** The name this provider is found by. */
    public static final String NAME = "file";

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public boolean needsDirectory()
    {
        return true;
    }

    /**
     * @param dir the stream's directory, required.
     */
    @Override
    public StreamStore open(final Path dir, final StreamConfig config)
    {
        if (null == dir)
        {
            throw new IllegalArgumentException("dir must not be null: store '" + NAME + "' keeps the stream's files " +
                "in it");
        }
        return FileStreamStore.open(dir, config);
    }

    @Override
    public StoreEnvironment openEnvironment(final Path root, final EnvironmentConfig config)
    {
        return FileStoreEnvironment.open(root, config);
    }
}
