package io.ferrite.engine;

import io.ferrite.engine.flush.DurabilityListener;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.store.ListenerSet;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's {@link StreamListener}s (a {@link ListenerSet}, failures logged at error level), and the hook that
 * publishes the durable sequence to lock-free readers.
 * <p>
 * Threading: {@link #add} from any thread; each event on the thread {@link StreamListener} documents for it.
 */
final class StreamListeners implements DurabilityListener
{
    private static final Logger LOG = LoggerFactory.getLogger(StreamListeners.class);

    private final ListenerSet listeners;
    private final StreamPositions positions;
    /** Guarded by this: the durable sequence as published, and the highest told since the last lowering. */
    private long published = -1;
    private long durableTold = -1;

    StreamListeners(final String streamName, final StreamPositions positions)
    {
        this.listeners = new ListenerSet(streamName, (ex) -> LOG.error(ex.getMessage(), ex.getCause()));
        this.positions = positions;
    }

    /**
     * @return closing it removes {@code listener}.
     */
    AutoCloseable add(final StreamListener listener)
    {
        return listeners.add(listener);
    }

    void onAppended(final long seq, final int bytes)
    {
        listeners.onAppended(seq, bytes);
    }

    void onRemoved(final long seq)
    {
        listeners.onRemoved(seq);
    }

    void onRemovedRange(final long fromSeq, final long toSeq)
    {
        listeners.onRemovedRange(fromSeq, toSeq);
    }

    void onTruncated(final long seq)
    {
        listeners.onTruncated(seq);
    }

    /**
     * Publish the durable sequence to tailers. A truncation lowers it silently ({@link StreamListener#onTruncated} said
     * so already), and the next raise above the cut is told again.
     */
    @Override
    public void onDurableSeq(final long durableSeq)
    {
        positions.publishDurableSeq(durableSeq);
        synchronized (this)
        {
            published = durableSeq;
            if (durableTold < 0 || durableSeq < durableTold)
            {
                durableTold = durableSeq;
            }
        }
    }

    /**
     * Tell the listeners, with no lock of the store held, when a force raised the durable sequence and no truncation
     * has lowered it since.
     */
    @Override
    public void afterDurableSeq(final long durableSeq)
    {
        synchronized (this)
        {
            if (durableSeq <= durableTold || published < durableSeq)
            {
                return;
            }
            durableTold = durableSeq;
        }
        listeners.onDurable(durableSeq);
    }

    @Override
    public void onForceFailed(final StoreException failure)
    {
        listeners.onFailure(failure);
    }
}
