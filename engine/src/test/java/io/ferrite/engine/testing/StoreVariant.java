package io.ferrite.engine.testing;

import io.ferrite.store.StoreProvider;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;

import java.nio.file.Path;

/**
 * Every store a behavioural test that is not about files runs against, opened through {@link StoreProvider}: the file
 * store plain and encrypted, and the memory store. A test parameterized over these cannot let the stores drift.
 */
public enum StoreVariant
{
    FILE_PLAINTEXT("file", StreamMode.PLAINTEXT),
    FILE_ENCRYPTED("file", StreamMode.ENCRYPTED),
    MEMORY("memory", StreamMode.PLAINTEXT);

    private final String kind;
    private final StreamMode mode;

    StoreVariant(final String kind, final StreamMode mode)
    {
        this.kind = kind;
        this.mode = mode;
    }

    /**
     * @return the builder, with the test key for the encrypted file store.
     */
    public StreamConfig.Builder apply(final StreamConfig.Builder builder)
    {
        return mode.apply(builder);
    }

    /**
     * Open the store this variant names; {@code dir} holds the file store's files and is ignored by the memory store.
     */
    public StreamStore open(final Path dir, final StreamConfig config)
    {
        return StoreProvider.named(kind).open(dir, config);
    }
}
