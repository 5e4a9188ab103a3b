package io.ferrite.engine.environment;

import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StreamStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The environment's catalog in memory: every stream it holds, the store of each one opened and not yet released, and
 * for each other stream its entry as last known (captured at its close, or read at the environment's open). A closed
 * store is dropped once its close ended ({@link #released}): the catalog keeps its entry, a few hundred bytes, not the
 * store with its index and metrics. It keeps no list of
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
            // Never in place of a store: a stored entry is only what is known of a stream not open.
            entry.current.updateAndGet((current) -> current instanceof StreamStore ? current : stored);
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
     * @return the store stream {@code name} was last opened as, open or closing (a close not yet ended), or null when
     * there is none.
     */
    public StreamStore store(final String name)
    {
        final Entry entry = streams.get(name);
        return null == entry ? null : entry.store();
    }

    /**
     * Stream {@code name} is open as {@code store}.
     */
    public void opened(final String name, final StreamStore store)
    {
        streams.computeIfAbsent(name, (key) -> new Entry()).current.set(store);
    }

    /**
     * The close of {@code store} ended: unless the stream was opened again or removed since, keep its entry as of the
     * close in its place. A store whose close failed before its entry was captured stays (listed with zero totals).
     */
    public void released(final String name, final StreamStore store)
    {
        final Entry entry = streams.get(name);
        if (null == entry)
        {
            return;
        }
        final EnvironmentSnapshot.Stream closed = entryOf.apply(store);
        if (null != closed)
        {
            entry.current.compareAndSet(store, closed);
        }
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
            final StreamStore store = entry.store();
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
        final Object current = entry.current.get();
        final EnvironmentSnapshot.Stream copy;
        if (current instanceof StreamStore)
        {
            copy = entryOf.apply((StreamStore)current);
        }
        else
        {
            copy = (EnvironmentSnapshot.Stream)current;
        }
        // Not known: never opened here and no readable state, or a close that failed before its entry was captured.
        return null != copy ? copy : new EnvironmentSnapshot.Stream(name, false, 0, 0, 0, 0, 0, List.of());
    }

    /**
     * One stream: one reference, so that a store and the entry that replaces it at its release never disagree.
     */
    private static final class Entry
    {
        /**
         * The {@link StreamStore} while open or closing; once released, or when not opened since the environment
         * opened, its {@link EnvironmentSnapshot.Stream} as last known; null when nothing is known.
         */
        private final AtomicReference<Object> current = new AtomicReference<>();

        StreamStore store()
        {
            final Object value = current.get();
            return value instanceof StreamStore ? (StreamStore)value : null;
        }
    }
}
