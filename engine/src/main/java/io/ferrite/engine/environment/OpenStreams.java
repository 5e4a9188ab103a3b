package io.ferrite.engine.environment;

import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * The environment's catalog in memory: every stream it holds, the store of each open one, and the consumers opened
 * through the environment. {@link #snapshot()} reads only this and what each store already publishes without a lock
 * ({@link StreamStore#state()} is a seqlock copy of the stream's totals, {@link StreamStore#durableSeq()} a volatile
 * read, {@link ConsumerStore#state()} a copy under the consumer's own monitor, which its writes to disk do not hold),
 * so it never waits on a force, a state write or any other I/O, and never takes a stream's append lock.
 * <p>
 * Threading: any thread; the maps are concurrent. Changes (open, close, create, delete) are serialized by the
 * environment; a snapshot may see a stream being opened or closed either way.
 */
public final class OpenStreams
{
    private final ConcurrentSkipListMap<String, Entry> streams = new ConcurrentSkipListMap<>();
    private final Predicate<StreamStore> isOpen;

    /**
     * @param isOpen whether a store handed out is still open (its owner may have closed it).
     */
    public OpenStreams(final Predicate<StreamStore> isOpen)
    {
        this.isOpen = isOpen;
    }

    /**
     * A stream exists (found at open, or created), open or not.
     */
    public void known(final String name)
    {
        streams.computeIfAbsent(name, (key) -> new Entry());
    }

    /**
     * @return the open store of stream {@code name}, or null when it is closed or unknown.
     */
    public StreamStore openStore(final String name)
    {
        final Entry entry = streams.get(name);
        if (null == entry)
        {
            return null;
        }
        final StreamStore store = entry.store;
        return null != store && isOpen.test(store) ? store : null;
    }

    /**
     * Stream {@code name} is open as {@code store}; its consumers are forgotten (a reopened store hands out new ones).
     */
    public void opened(final String name, final StreamStore store)
    {
        final Entry entry = streams.computeIfAbsent(name, (key) -> new Entry());
        entry.consumers.clear();
        entry.store = store;
    }

    /**
     * Record a consumer opened through the environment, for the snapshot.
     */
    public void consumerOpened(final String stream, final ConsumerStore consumer)
    {
        final Entry entry = streams.get(stream);
        if (null != entry)
        {
            entry.consumers.put(consumer.name(), consumer);
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
     * @return the store of every open stream, for closing.
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
     * @return the catalog as of now, copied from memory.
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
        if (null == store || !isOpen.test(store))
        {
            return closed(name);
        }
        final StreamState state;
        final long durableSeq;
        try
        {
            // Durable first: it never passes the last sequence, so read before the state it is never above it.
            durableSeq = store.durableSeq();
            state = store.state();
        }
        catch (final StoreClosedException ex)
        {
            // Closed between the check and the copy: a snapshot may see a close either way.
            return closed(name);
        }
        final List<EnvironmentSnapshot.Consumer> consumers = new ArrayList<>(entry.consumers.size());
        for (final ConsumerStore consumer : entry.consumers.values())
        {
            final ConsumerState consumerState = consumerState(consumer);
            if (null != consumerState)
            {
                consumers.add(new EnvironmentSnapshot.Consumer(consumer.name(), consumerState));
            }
        }
        return new EnvironmentSnapshot.Stream(name, true, state.firstSeq(), state.lastSeq(), state.msgs(),
            state.bytes(), durableSeq, consumers);
    }

    private static ConsumerState consumerState(final ConsumerStore consumer)
    {
        try
        {
            return consumer.state();
        }
        catch (final StoreClosedException | IllegalStateException ex)
        {
            // Closed with its stream, or deleted, since it was listed: not in the catalog any more.
            return null;
        }
    }

    private static EnvironmentSnapshot.Stream closed(final String name)
    {
        return new EnvironmentSnapshot.Stream(name, false, 0, 0, 0, 0, 0, List.of());
    }

    /**
     * One stream: its store while open, and its consumers by name.
     */
    private static final class Entry
    {
        private final ConcurrentSkipListMap<String, ConsumerStore> consumers = new ConcurrentSkipListMap<>();
        private volatile StreamStore store;
    }
}
