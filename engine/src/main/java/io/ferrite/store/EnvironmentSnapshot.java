package io.ferrite.store;

import java.util.List;
import java.util.Objects;

/**
 * The catalog of a {@link StoreEnvironment} at one moment: every stream with its positions and totals, and the
 * consumers opened through the environment with their state. {@link StoreEnvironment#snapshot()} copies it from
 * memory: it never waits on a stream's I/O (a stalled force, a slow state write), never takes a stream's append lock,
 * and costs the same on a fast disk and a hung one.
 * <p>
 * Each stream's entry is consistent in itself (its totals are one moment of that stream); entries of different streams
 * are taken one after the other, not at one instant.
 *
 * @param takenAtNanos when the copy began, epoch nanoseconds.
 * @param streams      every stream of the environment, by name, ascending.
 */
public record EnvironmentSnapshot(long takenAtNanos, List<Stream> streams)
{
    /**
     * @param takenAtNanos when the copy began, epoch nanoseconds.
     * @param streams      the streams, by name, ascending; copied.
     */
    public EnvironmentSnapshot
    {
        streams = List.copyOf(streams);
    }

    /**
     * @return the stream named {@code name}, or null when the environment had none.
     */
    public Stream stream(final String name)
    {
        for (final Stream stream : streams)
        {
            if (stream.name().equals(name))
            {
                return stream;
            }
        }
        return null;
    }

    /**
     * @return how many consumers the snapshot holds, over every stream.
     */
    public int consumerCount()
    {
        int count = 0;
        for (final Stream stream : streams)
        {
            count += stream.consumers().size();
        }
        return count;
    }

    /**
     * One stream. A stream that was not open in the environment has {@code open} false and zero totals: reading them
     * would mean opening its files, which a snapshot never does.
     *
     * @param name       the stream's name.
     * @param open       whether it was open in the environment.
     * @param firstSeq   the first sequence held, as {@link StreamState#firstSeq()}.
     * @param lastSeq    the last sequence assigned, as {@link StreamState#lastSeq()}.
     * @param msgs       messages held.
     * @param bytes      bytes of the messages held.
     * @param durableSeq the highest sequence known durable.
     * @param consumers  its consumers opened through the environment, by name, ascending.
     */
    public record Stream(
        String name, boolean open, long firstSeq, long lastSeq, long msgs, long bytes, long durableSeq,
        List<Consumer> consumers)
    {
        /**
         * @throws NullPointerException when the name or the consumers are null.
         */
        public Stream
        {
            Objects.requireNonNull(name, "name");
            consumers = List.copyOf(consumers);
        }

        /**
         * @return the consumer named {@code name}, or null.
         */
        public Consumer consumer(final String name)
        {
            for (final Consumer consumer : consumers)
            {
                if (consumer.name().equals(name))
                {
                    return consumer;
                }
            }
            return null;
        }
    }

    /**
     * One consumer.
     *
     * @param name  the consumer's name.
     * @param state its state, including updates not durable yet.
     */
    public record Consumer(String name, ConsumerState state)
    {
        /**
         * @throws NullPointerException when either is null.
         */
        public Consumer
        {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(state, "state");
        }
    }
}
