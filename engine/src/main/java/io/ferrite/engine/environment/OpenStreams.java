package io.ferrite.engine.environment;

import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StreamStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The environment's catalog in memory: every stream it holds, the store of each one opened, and for each stream not
 * open its entry as last known (captured at its close, or read at the environment's open). It keeps no list of
 * consumers of its own: an open stream's entry, consumers included, is asked of the stream itself, so the catalog
 * cannot drift from what the streams hold. {@link #snapshot()} reads only memory: each store's entry is a seqlock copy
 * of its totals, a volatile read of its durable sequence and each consumer's state under that consumer's own monitor
 * (which its writes to disk do not hold), so it never waits on a force, a state write or any other I/O, and never
 * takes a stream's append lock.
 * <p>
 * Threading: any thread; the map is concurrent. Changes (open, close, create, delete) are serialized by the
 * environment; a snapshot may see a stream being opened or closed either way.
 */
public final class OpenStreams
{
    private final ConcurrentSkipListMap<String, Entry> streams = new ConcurrentSkipListMap<>();
    private final Predicate<StreamStore> isOpen;
    private final Function<StreamStore, EnvironmentSnapshot.Stream> entryOf;

    /**
     * @param isOpen  whether a store handed out is still open (its owner may have closed it, or be closing it).
     * @param entryOf a store's catalog entry copied from memory: its state now while open, its state at its close
     *                once closed (null when not known).
     */
    public OpenStreams(
        final Predicate<StreamStore> isOpen, final Function<StreamStore, EnvironmentSnapshot.Stream> entryOf)
    {
        this.isOpen = isOpen;
        this.entryOf = entryOf;
    }

    /**
     * A stream exists (found at open, or created), open or not.
     *
     * @param stored its entry as stored on disk, or null when not known (then it is listed with zero totals).
     */
    public void known(final String name, final EnvironmentSnapshot.Stream stored)
    {
        final Entry entry = streams.computeIfAbsent(name, (key) -> new Entry());
        if (null != stored)
        {
            entry.stored = stored;
        }
    }

    /**
     * @return the open store of stream {@code name}, or null when it is closed, closing or unknown.
     */
    public StreamStore openStore(final String name)
    {
        final StreamStore store = store(name);
        return null != store && isOpen.test(store) ? store : null;
    }

    /**
     * @return the store stream {@code name} was last opened as, open or not, or null when it never was.
     */
    public StreamStore store(final String name)
    {
        final Entry entry = streams.get(name);
        return null == entry ? null : entry.store;
    }

    /**
     * Stream {@code name} is open as {@code store}.
     */
    public void opened(final String name, final StreamStore store)
    {
        streams.computeIfAbsent(name, (key) -> new Entry()).store = store;
    }

    /**
     * Stream {@code name} is gone.
     */
    public void removed(final String name)
    {
        streams.remove(name);
    }

    public boolean contains(final String name)
    {
        return streams.containsKey(name);
    }

    /**
     * @return every stream's name, ascending.
     */
    public List<String> names()
    {
        return new ArrayList<>(streams.keySet());
    }

    /**
     * @return the store of every stream opened, for closing (closing a closed one does nothing).
     */
    public List<StreamStore> openStores()
    {
        final List<StreamStore> open = new ArrayList<>();
        for (final Entry entry : streams.values())
        {
            final StreamStore store = entry.store;
            if (null != store)
            {
                open.add(store);
            }
        }
        return open;
    }

    /**
     * @return the catalog as of now, copied from memory: every stream, open or not, and the consumers of each.
     */
    public EnvironmentSnapshot snapshot()
    {
        final long takenAt = System.currentTimeMillis() * 1_000_000L;
        final List<EnvironmentSnapshot.Stream> copy = new ArrayList<>(streams.size());
        for (final Map.Entry<String, Entry> stream : streams.entrySet())
        {
            copy.add(copyOf(stream.getKey(), stream.getValue()));
        }
        return new EnvironmentSnapshot(takenAt, copy);
    }

    private EnvironmentSnapshot.Stream copyOf(final String name, final Entry entry)
    {
        final StreamStore store = entry.store;
        final EnvironmentSnapshot.Stream current = null == store ? null : entryOf.apply(store);
        if (null != current)
        {
            return current;
        }
        final EnvironmentSnapshot.Stream stored = entry.stored;
        return null != stored ? stored : new EnvironmentSnapshot.Stream(name, false, 0, 0, 0, 0, 0, List.of());
    }

    /**
     * One stream: its store once opened, and its entry as stored when it was not opened yet.
     */
    private static final class Entry
    {
        private volatile StreamStore store;
        private volatile EnvironmentSnapshot.Stream stored;
    }
}
