package io.ferrite.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * A kind of {@link StreamStore}, found by name through {@link ServiceLoader} ({@code META-INF/services}), so an
 * embedder chooses the store in its configuration rather than in its code. Ferrite ships {@code "file"} (block files
 * under a directory) and {@code "memory"} (the heap, nothing on disk).
 * <pre>
 * StreamStore store = StoreProvider.named(kind).open(dir, StreamConfig.builder("orders").build());
 * </pre>
 * {@link #open(Path, StreamConfig)} is the one signature for every kind, so the embedder's code does not change with
 * it: a store that keeps files needs the directory ({@link #needsDirectory()}), one that does not ignores it and may be
 * opened with {@link #open(StreamConfig)}.
 * <p>
 * An implementation is stateless and thread-safe; it must have a public no-argument constructor.
 */
public interface StoreProvider
{
    /**
     * @return the name {@link #named(String)} finds this provider by, e.g. {@code "file"}.
     */
    String name();

    /**
     * @return whether {@link #open(Path, StreamConfig)} needs a directory.
     */
    boolean needsDirectory();

    /**
     * Open (or create) a stream.
     *
     * @param dir    the stream's directory; required when {@link #needsDirectory()}, else ignored and may be null.
     * @param config the stream's configuration.
     * @return the open store; the caller closes it.
     * @throws IllegalArgumentException when {@code dir} is null for a store that needs one.
     */
    StreamStore open(Path dir, StreamConfig config);

    /**
     * Open a stream that keeps no files.
     *
     * @throws IllegalArgumentException when this store needs a directory: use {@link #open(Path, StreamConfig)}.
     */
    default StreamStore open(final StreamConfig config)
    {
        if (needsDirectory())
        {
            throw new IllegalArgumentException("store '" + name() + "' keeps files and needs a directory: use " +
                "open(Path, StreamConfig)");
        }
        return open(null, config);
    }

    /**
     * Open (creating it if absent) an environment of many streams under {@code root}, sharing a few threads; see
     * {@link StoreEnvironment}.
     *
     * @throws UnsupportedOperationException when this kind of store has no environments (only {@code "file"} has).
     */
    default StoreEnvironment openEnvironment(final Path root, final EnvironmentConfig config)
    {
        throw new UnsupportedOperationException("store '" + name() + "' has no environments: use " +
            "StoreProvider.named(\"file\")");
    }

    /**
     * @param name a provider's {@link #name()}, e.g. {@code "file"} or {@code "memory"}.
     * @return the provider of that name on the class path.
     * @throws IllegalArgumentException when none has it; the message lists the names known.
     * @throws IllegalStateException    when two providers claim it.
     */
    static StoreProvider named(final String name)
    {
        Objects.requireNonNull(name, "name");
        final List<StoreProvider> found = new ArrayList<>();
        final TreeSet<String> known = new TreeSet<>();
        for (final StoreProvider provider : providers())
        {
            known.add(provider.name());
            if (provider.name().equals(name))
            {
                found.add(provider);
            }
        }
        if (found.isEmpty())
        {
            throw new IllegalArgumentException("no store named '" + name + "'; the stores known are " + known +
                " (providers are listed in META-INF/services/" + StoreProvider.class.getName() + ")");
        }
        if (found.size() > 1)
        {
            throw new IllegalStateException("more than one store provider is named '" + name + "': " + found);
        }
        return found.get(0);
    }

    /**
     * @return the names of every provider on the class path, sorted.
     */
    static List<String> names()
    {
        final TreeSet<String> known = new TreeSet<>();
        for (final StoreProvider provider : providers())
        {
            known.add(provider.name());
        }
        return List.copyOf(known);
    }

    private static ServiceLoader<StoreProvider> providers()
    {
        return ServiceLoader.load(StoreProvider.class, StoreProvider.class.getClassLoader());
    }
}
