package io.ferrite.bench;

import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StreamStore;

/**
 * The catalog the snapshot benchmarks take: streams of a few 128 B messages each, and consumers spread over them with
 * a few deliveries, one pending; everything stays open and idle, as in a running broker. Shapes are written
 * "streams/consumers" and shrink under the smoke test.
 */
final class CatalogFixture
{
    private CatalogFixture()
    {
    }

    /**
     * Create the shape's streams and consumers in {@code env}.
     *
     * @return the streams, in creation order ({@code stream-0} first).
     */
    static StreamStore[] populate(final StoreEnvironment env, final String shape)
    {
        final String[] parts = shape.split("/");
        if (2 != parts.length)
        {
            throw new IllegalArgumentException("shape must be streams/consumers: " + shape);
        }
        final int streams = SmokeScale.scale(Integer.parseInt(parts[0]));
        final int consumers = Math.max(streams, SmokeScale.scale(Integer.parseInt(parts[1])));
        final byte[] payload = Payloads.random(128);
        final StreamStore[] stores = new StreamStore[streams];
        for (int s = 0; s < streams; s++)
        {
            stores[s] = env.createStream(env.streamConfig("stream-" + s).blockSize(64 << 10).maxMsgSize(4096)
                .preparedBlocks(1).build());
            for (int i = 0; i < 4; i++)
            {
                stores[s].append(FerriteAppender.SUBJECT, null, payload);
            }
        }
        for (int c = 0; c < consumers; c++)
        {
            final ConsumerStore consumer =
                env.consumer("stream-" + (c % streams), "consumer-" + c, ConsumerConfig.builder().build());
            consumer.updateDelivered(1, 1, 1, System.nanoTime());
            consumer.updateDelivered(2, 2, 1, System.nanoTime());
            consumer.updateAcks(1, 1);
        }
        final EnvironmentSnapshot snapshot = env.snapshot();
        if (snapshot.streams().size() != streams || snapshot.consumerCount() != consumers)
        {
            throw new IllegalStateException("catalog of " + snapshot.streams().size() + " streams and " +
                snapshot.consumerCount() + " consumers, wanted " + streams + " and " + consumers);
        }
        return stores;
    }
}
