package io.ferrite.memory;

import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.ConsumerTracker;
import io.ferrite.store.StoreClosedException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The consumers of a {@link MemoryStreamStore}: their states on the heap, under the same rules as the file store's
 * ({@link ConsumerTracker}); gone with the store.
 * <p>
 * Threading: the registry under its monitor; each consumer's updates under the consumer's monitor.
 */
final class MemoryConsumers
{
    private final String streamName;
    private final LongSupplier lastSeq;
    private final BooleanSupplier closed;
    private final Map<String, Consumer> consumers = new TreeMap<>();

    /**
     * @param lastSeq the stream's last sequence: no delivery is beyond it.
     * @param closed  whether the store is closed.
     */
    MemoryConsumers(final String streamName, final LongSupplier lastSeq, final BooleanSupplier closed)
    {
        this.streamName = streamName;
        this.lastSeq = lastSeq;
        this.closed = closed;
    }

    synchronized ConsumerStore open(final String name, final ConsumerConfig config)
    {
        final Consumer known = consumers.get(name);
        if (null != known)
        {
            if (!known.config.equals(config))
            {
                throw new IllegalArgumentException("consumer '" + name + "' of stream " + streamName +
                    " is open with " + known.config + ", not " + config);
            }
            return known;
        }
        final Consumer consumer = new Consumer(name, config);
        consumers.put(name, consumer);
        return consumer;
    }

    synchronized List<String> names()
    {
        return new ArrayList<>(consumers.keySet());
    }

    synchronized boolean delete(final String name)
    {
        final Consumer consumer = consumers.remove(name);
        if (null == consumer)
        {
            return false;
        }
        synchronized (consumer)
        {
            consumer.deleted = true;
        }
        return true;
    }

    /**
     * A truncation kept sequences up to {@code seq}: every consumer forgets its deliveries above it, as the file store
     * does, so the reused sequences can be delivered.
     */
    synchronized void onTruncated(final long seq)
    {
        for (final Consumer consumer : consumers.values())
        {
            synchronized (consumer)
            {
                consumer.tracker.forgetBeyond(seq);
            }
        }
    }

    /**
     * One consumer's state.
     */
    private final class Consumer implements ConsumerStore
    {
        private final String name;
        private final ConsumerConfig config;
        private final ConsumerTracker tracker;
        // Under this object's monitor.
        private boolean deleted;

        Consumer(final String name, final ConsumerConfig config)
        {
            this.name = name;
            this.config = config;
            this.tracker = new ConsumerTracker(name, config, ConsumerState.EMPTY);
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public ConsumerConfig config()
        {
            return config;
        }

        @Override
        public synchronized void updateDelivered(
            final long dseq, final long sseq, final long deliveryCount, final long timestampNanos)
        {
            ensureUsable();
            tracker.delivered(dseq, sseq, deliveryCount, timestampNanos, lastSeq.getAsLong());
        }

        @Override
        public synchronized boolean updateAcks(final long dseq, final long sseq)
        {
            ensureUsable();
            return tracker.acked(dseq, sseq);
        }

        @Override
        public synchronized ConsumerState state()
        {
            return tracker.state();
        }

        @Override
        public synchronized byte[] encodedState()
        {
            return tracker.encode();
        }

        @Override
        public boolean delete()
        {
            return MemoryConsumers.this.delete(name);
        }

        private void ensureUsable()
        {
            if (closed.getAsBoolean())
            {
                throw new StoreClosedException(streamName);
            }
            if (deleted)
            {
                throw new IllegalStateException("consumer '" + name + "' of stream " + streamName + " was deleted");
            }
        }
    }
}
