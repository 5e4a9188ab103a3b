package io.ferrite.engine;

import io.ferrite.engine.flush.ControllableStorageIO;
import io.ferrite.store.AckPolicy;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The incident's shape: a catalog of 4 streams and 43 consumers, taken while one stream's flusher is stuck inside a
 * force (held on a latch in the {@code StorageIO}) and another stream's state write is stuck inside the fsync of its
 * {@code state.db}. The snapshot, and writing it to {@code catalog.snapshot}, complete
 * while the force is still held, and what they hold is each stream's and each consumer's state. Nothing here measures
 * time: "never waits" is shown by completing while the force cannot, and while a stream's append lock is held. The
 * timeout only stops a hang.
 */
@Timeout(120)
class CatalogSnapshotTest
{
    private static final int STREAMS = 4;
    private static final int CONSUMERS = 43;
    private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path root;

    @Test
    void aSnapshotOfFourStreamsAndFortyThreeConsumersCompletesWhileAFlusherIsStalled() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final EnvironmentConfig config =
            EnvironmentConfig.builder().syncMode(SyncMode.INTERVAL).storageIO(io).build();
        try (StoreEnvironment env = StoreEnvironment.open(root, config))
        {
            final SplittableRandom random = new SplittableRandom(16);
            final List<StreamStore> streams = new ArrayList<>();
            for (int s = 0; s < STREAMS; s++)
            {
                final StreamStore store = env.createStream(StoreEnvironmentTest.small(env, "stream-" + s));
                final int messages = 20 + random.nextInt(20);
                for (int i = 0; i < messages; i++)
                {
                    store.append("s" + s + ".m", null, PAYLOAD);
                }
                store.flush().join();
                streams.add(store);
            }
            final List<ConsumerStore> consumers = new ArrayList<>();
            for (int c = 0; c < CONSUMERS; c++)
            {
                final int s = c % STREAMS;
                final ConsumerStore consumer = env.consumer("stream-" + s, "consumer-" + c,
                    ConsumerConfig.builder().ackPolicy(AckPolicy.EXPLICIT).build());
                final int delivered = 1 + random.nextInt(10);
                for (int d = 1; d <= delivered; d++)
                {
                    consumer.updateDelivered(d, d, 1, 1_000L * d);
                }
                consumer.updateAcks(1, 1);
                consumers.add(consumer);
            }

            io.stallBlockForces();
            final StreamStore stalled = streams.get(0);
            stalled.append("s0.late", null, PAYLOAD);
            final CompletableFuture<Long> force = stalled.flush();
            io.awaitStalled();
            // A second stream in a slow fsync: its state write is held inside the force of its state.db, on a thread
            // of its own, while the first stream's flusher is held inside its block force.
            io.stallFileForcesUnder(root.resolve("stream-1"));
            final CompletableFuture<Void> stateWrite = CompletableFuture.runAsync(streams.get(1)::writeFullState);
            io.awaitFileStalled();

            final EnvironmentSnapshot snapshot = env.snapshot();
            final EnvironmentSnapshot written = env.writeSnapshot();
            assertThat(force).as("the force is still held: the snapshot did not wait for it").isNotDone();
            assertThat(stateWrite).as("the fsync is still held: the snapshot did not wait for it").isNotDone();

            assertThat(snapshot.streams()).hasSize(STREAMS);
            assertThat(snapshot.consumerCount()).isEqualTo(CONSUMERS);
            for (int s = 0; s < STREAMS; s++)
            {
                final StreamState state = streams.get(s).state();
                final EnvironmentSnapshot.Stream entry = snapshot.stream("stream-" + s);
                assertThat(entry.open()).isTrue();
                assertThat(entry.lastSeq()).isEqualTo(state.lastSeq());
                assertThat(entry.firstSeq()).isEqualTo(state.firstSeq());
                assertThat(entry.msgs()).isEqualTo(state.msgs());
                assertThat(entry.bytes()).isEqualTo(state.bytes());
            }
            assertThat(snapshot.stream("stream-0").durableSeq()).as("the stalled stream's last append is not durable")
                .isLessThan(snapshot.stream("stream-0").lastSeq());
            for (int c = 0; c < CONSUMERS; c++)
            {
                final EnvironmentSnapshot.Consumer entry =
                    snapshot.stream("stream-" + (c % STREAMS)).consumer("consumer-" + c);
                assertThat(entry).as("consumer-" + c).isNotNull();
                assertThat(entry.state()).isEqualTo(consumers.get(c).state());
            }
            assertThat(written.streams()).isEqualTo(snapshot.streams());
            assertThat(env.readSnapshot()).isEqualTo(written);

            io.releaseFileStall();
            stateWrite.get();
            io.releaseStall();
            assertThat(force.get()).isEqualTo(stalled.lastSeq());
        }
    }

    @Test
    void aSnapshotCompletesWhileAStreamsAppendLockIsHeld() throws Exception
    {
        try (StoreEnvironment env = StoreEnvironment.open(root, EnvironmentConfig.builder().build()))
        {
            final StreamStore locked = env.createStream(StoreEnvironmentTest.small(env, "locked"));
            locked.append("before", null, PAYLOAD);
            env.consumer("locked", "reader", ConsumerConfig.builder().build()).updateDelivered(1, 1, 1, 1L);
            // An open claim holds the stream's append lock until it is committed, on this thread.
            final MessageClaim claim = new MessageClaim();
            locked.tryClaim(locked.subject("during"), 0, PAYLOAD.length, claim);
            try
            {
                final CompletableFuture<EnvironmentSnapshot> snapshot =
                    CompletableFuture.supplyAsync(env::snapshot);
                final EnvironmentSnapshot taken = snapshot.get();
                assertThat(taken.stream("locked").lastSeq()).isEqualTo(1);
                assertThat(taken.stream("locked").consumer("reader").state().delivered().stream()).isEqualTo(1);
                assertThat(claim.isOpen()).as("the lock was held throughout").isTrue();
            }
            finally
            {
                claim.commit();
            }
            assertThat(env.snapshot().stream("locked").lastSeq()).isEqualTo(2);
        }
    }
}
