package io.ferrite.engine;

import io.ferrite.engine.environment.DirectoryMoves;
import io.ferrite.engine.environment.EnvironmentRoot;
import io.ferrite.engine.flush.ControllableStorageIO;
import io.ferrite.engine.agent.AgentSlot;
import io.ferrite.engine.agent.AgentWakeUp;
import io.ferrite.engine.agent.StreamThreads;
import io.ferrite.engine.environment.EnvironmentThreads;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.StorageIO;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StoreProvider;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamListener;
import io.ferrite.store.StreamLockedException;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.agrona.concurrent.Agent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Many streams under one root: created, listed, opened, deleted, and reopened after a close; names that could escape
 * the root refused; what a crash left half-created rolled back and half-deleted finished at open; and however many
 * streams, the environment runs three threads, made by its factory, and a closed or deleted stream leaves no agent on
 * them. The timeout only stops a hang.
 */
@Timeout(120)
class StoreEnvironmentTest
{
    private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path root;

    private final List<Thread> made = new CopyOnWriteArrayList<>();
    private final ThreadFactory factory = (runnable) ->
    {
        final Thread thread = new Thread(runnable);
        thread.setDaemon(true);
        made.add(thread);
        return thread;
    };

    static StreamConfig small(final StoreEnvironment env, final String name)
    {
        return env.streamConfig(name).blockSize(64 << 10).maxMsgSize(4096).build();
    }

    private StoreEnvironment open()
    {
        return StoreEnvironment.open(root, EnvironmentConfig.builder().syncMode(SyncMode.INTERVAL)
            .threadFactory(factory).threadNamePrefix("test-env-").build());
    }

    @Test
    void streamsAreCreatedListedOpenedAndDeleted()
    {
        try (StoreEnvironment env = open())
        {
            assertThat(env).isInstanceOf(FileStoreEnvironment.class);
            final StreamStore orders = env.createStream(small(env, "orders"));
            final StreamStore audit = env.createStream(small(env, "audit"));
            orders.append("o.1", null, PAYLOAD);
            audit.append("a.1", null, PAYLOAD);
            assertThat(env.streamNames()).containsExactly("audit", "orders");
            assertThat(env.openStream("orders")).as("an open stream is handed out once").isSameAs(orders);
            assertThat(Files.isDirectory(root.resolve("orders").resolve("blocks"))).isTrue();
            assertThatThrownBy(() -> env.createStream(small(env, "orders")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'orders' exists");
            assertThatThrownBy(() -> env.openStream("missing"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no stream 'missing'");

            assertThat(env.deleteStream("audit")).isTrue();
            assertThat(env.deleteStream("audit")).isFalse();
            assertThat(env.streamNames()).containsExactly("orders");
            assertThat(root.resolve("audit")).doesNotExist();
            assertThat(root.resolve(".audit" + EnvironmentRoot.DELETING_SUFFIX)).doesNotExist();
        }
    }

    @Test
    void aClosedEnvironmentReopensWithItsStreamsAndTheirMessages()
    {
        try (StoreEnvironment env = open())
        {
            final StreamStore orders = env.createStream(small(env, "orders"));
            for (int i = 0; i < 10; i++)
            {
                orders.append("o." + i, null, PAYLOAD);
            }
            env.createStream(small(env, "empty"));
        }
        try (StoreEnvironment env = open())
        {
            assertThat(env.streamNames()).containsExactly("empty", "orders");
            final StreamStore orders = env.openStream("orders");
            assertThat(orders.state().msgs()).isEqualTo(10);
            assertThat(orders.load(10).subject()).isEqualTo("o.9");
            assertThat(((FileStreamStore)orders).config().syncMode()).isEqualTo(SyncMode.INTERVAL);
            // A store closed by its user is opened anew.
            orders.close();
            final StreamStore again = env.openStream("orders");
            assertThat(again).isNotSameAs(orders);
            assertThat(again.lastSeq()).isEqualTo(10);
        }
    }

    @Test
    void namesThatCouldLeaveTheRootOrCollideAreRefused()
    {
        try (StoreEnvironment env = open())
        {
            for (final String bad : List.of("", "a/b", "a\\b", "..", ".", ".hidden", "a b", "a.b", "x".repeat(201)))
            {
                assertThatThrownBy(() -> env.streamConfig(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream name");
                assertThatThrownBy(() -> env.openStream(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream name");
                assertThatThrownBy(() -> env.deleteStream(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
            }
            assertThatThrownBy(() -> env.openStream("../etc")).hasMessageContaining("'../etc'");
            assertThat(env.streamNames()).isEmpty();
        }
    }

    @Test
    void crashLeftoversAreRolledBackOrFinishedAtOpen() throws IOException
    {
        try (StoreEnvironment env = open())
        {
            env.createStream(small(env, "kept")).append("k", null, PAYLOAD);
        }
        // A create that stopped before its rename: a whole stream under its temporary name.
        final Path creating = root.resolve(".half" + EnvironmentRoot.CREATING_SUFFIX);
        try (FileStreamStore half = FileStreamStore.open(creating, StreamConfig.builder("half").blockSize(64 << 10)
            .maxMsgSize(4096).build()))
        {
            half.append("h", null, PAYLOAD);
        }
        // A delete that stopped after its rename.
        final Path deleting = root.resolve(".gone" + EnvironmentRoot.DELETING_SUFFIX);
        Files.createDirectories(deleting.resolve("blocks"));
        Files.write(deleting.resolve("stream.json"), "{}".getBytes(StandardCharsets.US_ASCII));

        try (StoreEnvironment env = open())
        {
            assertThat(creating).doesNotExist();
            assertThat(deleting).doesNotExist();
            assertThat(env.streamNames()).containsExactly("kept");
            assertThat(env.openStream("kept").lastSeq()).isEqualTo(1);
        }
    }

    @Test
    void aSecondEnvironmentOnTheSameRootIsRefused()
    {
        try (StoreEnvironment env = open())
        {
            assertThatThrownBy(this::open).isInstanceOf(StreamLockedException.class);
        }
        // Released by close.
        open().close();
    }

    @Test
    void manyStreamsRunOnThreeThreadsMadeByTheFactory()
    {
        final int streams = 24;
        try (StoreEnvironment env = open())
        {
            final FileStoreEnvironment file = (FileStoreEnvironment)env;
            final List<StreamStore> stores = new ArrayList<>();
            for (int i = 0; i < streams; i++)
            {
                final StreamStore store = env.createStream(small(env, "s" + i));
                store.append("x", null, PAYLOAD);
                stores.add(store);
            }
            for (final StreamStore store : stores)
            {
                assertThat(store.flush().join()).isEqualTo(1);
            }
            assertThat(made).as("threads made for %d streams", streams).hasSizeLessThanOrEqualTo(3);
            assertThat(made).extracting(Thread::getName)
                .containsExactlyInAnyOrder("test-env-flusher", "test-env-reclaimer", "test-env-preparer");
            assertThat(ferriteThreadsAlive()).as("Ferrite threads running").isLessThanOrEqualTo(8);
            assertThat(file.agentCount()).as("three agents per open stream").isEqualTo(3 * streams);

            stores.get(0).close();
            env.deleteStream("s1");
            assertThat(file.agentCount()).as("a closed or deleted stream leaves no agent").isEqualTo(3 * streams - 6);
        }
        for (final Thread thread : made)
        {
            assertThat(thread.isAlive()).as(thread.getName()).isFalse();
        }
    }

    @Test
    void aStreamThatFailsToOpenLeavesNoAgentOnTheSharedThreads()
    {
        try (EnvironmentThreads threads = new EnvironmentThreads(factory, "test-env-"))
        {
            final StreamThreads shared = threads.streamThreads();
            // The last agent to start (the reclaimer) fails to: the flusher and the preparer had joined by then.
            final StreamThreads failing = new StreamThreads(shared.flusher(), () ->
            {
                final AgentSlot slot = shared.reclaimer().newSlot();
                return new AgentSlot()
                {
                    @Override
                    public AgentWakeUp wakeUp()
                    {
                        return slot.wakeUp();
                    }

                    @Override
                    public void start(final Agent agent)
                    {
                        throw new IllegalStateException("injected start failure");
                    }

                    @Override
                    public void close()
                    {
                        slot.close();
                    }
                };
            }, shared.preparer());
            final StreamConfig config = StreamConfig.builder("failing").blockSize(64 << 10).maxMsgSize(4096).build();
            assertThatThrownBy(() -> FileStreamStore.open(root.resolve("failing"), config, StorageIO.standard(),
                failing)).hasMessageContaining("injected start failure");
            assertThat(threads.agentCount()).as("the failed open took its agents off the shared threads").isZero();
            try (FileStreamStore store = FileStreamStore.open(root.resolve("failing"), config, StorageIO.standard(),
                shared))
            {
                assertThat(threads.agentCount()).as("and it opens after").isEqualTo(3);
                store.append("x", null, PAYLOAD);
                assertThat(store.flush().join()).isEqualTo(1);
            }
            assertThat(threads.agentCount()).isZero();
        }
    }

    @Test
    void consumersAndTheCatalogFileRoundTrip() throws IOException
    {
        try (StoreEnvironment env = open())
        {
            final StreamStore orders = env.createStream(small(env, "orders"));
            for (int i = 0; i < 5; i++)
            {
                orders.append("o", null, PAYLOAD);
            }
            env.createStream(small(env, "idle"));
            final ConsumerStore billing = env.consumer("orders", "billing", ConsumerConfig.builder().build());
            billing.updateDelivered(1, 1, 1, 1_000L);
            billing.updateDelivered(2, 2, 1, 2_000L);
            billing.updateAcks(1, 1);

            final EnvironmentSnapshot written = env.writeSnapshot();
            final EnvironmentSnapshot.Stream stream = written.stream("orders");
            assertThat(stream.open()).isTrue();
            assertThat(stream.lastSeq()).isEqualTo(5);
            assertThat(stream.msgs()).isEqualTo(5);
            assertThat(stream.consumer("billing").state()).isEqualTo(billing.state());
            assertThat(written.stream("idle").consumers()).isEmpty();
            assertThat(env.readSnapshot()).isEqualTo(written);
        }
        final Path file = root.resolve("catalog.snapshot");
        final byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);
        try (StoreEnvironment env = open())
        {
            assertThatThrownBy(env::readSnapshot).isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("checksum mismatch").hasMessageContaining("catalog.snapshot");
            assertThat(env.streamNames()).as("the catalog file is no stream").containsExactly("idle", "orders");
        }
    }

    @Test
    void aSecondCloseReturnsOnlyOnceTheFirstClosedEveryStream() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final StoreEnvironment env = StoreEnvironment.open(root, EnvironmentConfig.builder()
            .syncMode(SyncMode.INTERVAL).storageIO(io).threadFactory(factory).build());
        final StreamStore store = env.createStream(small(env, "slow"));
        store.append("s", null, PAYLOAD);
        io.stallBlockForces();
        final CompletableFuture<Void> first = CompletableFuture.runAsync(env::close);
        io.awaitStalled();
        final Thread second = new Thread(env::close, "second-close");
        second.start();
        awaitParked(second);
        assertThat(second.isAlive()).as("the second close waits for the first").isTrue();
        assertThat(first).isNotDone();
        io.releaseStall();
        first.get();
        second.join();
        assertThat(((FileStreamStore)store).isClosed()).isTrue();
        assertThat(made).allSatisfy((thread) -> assertThat(thread.isAlive()).isFalse());
    }

    @Test
    void changesFromASharedThreadFailFastInsteadOfWaitingOnThemselves() throws Exception
    {
        try (StoreEnvironment env = open())
        {
            final StreamStore orders = env.createStream(small(env, "orders"));
            env.createStream(small(env, "audit"));
            final CompletableFuture<List<Throwable>> refused = new CompletableFuture<>();
            final AtomicBoolean armed = new AtomicBoolean(true);
            orders.addListener(new StreamListener()
            {
                @Override
                public void onDurable(final long seq)
                {
                    if (!armed.getAndSet(false))
                    {
                        return;
                    }
                    final List<Throwable> failures = new ArrayList<>();
                    failures.add(attempt(() -> env.deleteStream("audit")));
                    failures.add(attempt(() -> env.createStream(small(env, "more"))));
                    failures.add(attempt(orders::close));
                    failures.add(attempt(env::close));
                    // An open stream is handed out as it is: nothing waits.
                    failures.add(attempt(() -> assertThat(env.openStream("audit")).isNotNull()));
                    refused.complete(failures);
                }
            });
            orders.append("o", null, PAYLOAD);
            orders.flush().join();
            final List<Throwable> failures = refused.get();
            for (int i = 0; i < 4; i++)
            {
                assertThat(failures.get(i)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("test-env-flusher").hasMessageContaining("another thread");
            }
            assertThat(failures.get(4)).isNull();
            assertThat(env.streamNames()).containsExactly("audit", "orders");
            orders.append("o", null, PAYLOAD);
            assertThat(orders.flush().join()).isEqualTo(2);
        }
    }

    @Test
    void aStreamClosingOrBeingDeletedHoldsUpNeitherTheCatalogNorOtherStreams() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        try (StoreEnvironment env = StoreEnvironment.open(root, EnvironmentConfig.builder()
            .syncMode(SyncMode.INTERVAL).storageIO(io).threadFactory(factory).build()))
        {
            final StreamStore slow = env.createStream(small(env, "slow"));
            final StreamStore other = env.createStream(small(env, "other"));
            env.createStream(small(env, "closed")).close();
            slow.append("s", null, PAYLOAD);
            io.stallBlockForces();
            final CompletableFuture<Boolean> deleted = CompletableFuture.supplyAsync(() -> env.deleteStream("slow"));
            io.awaitStalled();

            assertThat(env.openStream("other")).isSameAs(other);
            final EnvironmentSnapshot snapshot = env.snapshot();
            assertThat(snapshot.stream("closed").open()).isFalse();
            assertThat(snapshot.stream("slow")).isNotNull();
            // Opening a stream not open holds no lock another call waits for, but its agents join the shared threads
            // between duty cycles: with the flusher inside a stalled force it completes once that force returns.
            final CompletableFuture<StreamStore> reopenClosed =
                CompletableFuture.supplyAsync(() -> env.openStream("closed"));
            // The same name waits for the delete and finds no stream.
            final CompletableFuture<StreamStore> reopen = CompletableFuture.supplyAsync(() -> env.openStream("slow"));
            assertThat(deleted).isNotDone();
            io.releaseStall();
            assertThat(deleted.get()).isTrue();
            assertThatThrownBy(reopen::join).hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no stream 'slow'");
            assertThat(env.streamNames()).containsExactly("closed", "other");
            assertThat(reopenClosed.get().lastSeq()).isZero();
            assertThat(env.snapshot().stream("closed").open()).isTrue();
        }
    }

    @Test
    void anOpenWhileItsOwnerClosesTheStreamWaitsAndOpensItAgain() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        try (StoreEnvironment env = StoreEnvironment.open(root, EnvironmentConfig.builder()
            .syncMode(SyncMode.INTERVAL).storageIO(io).threadFactory(factory).build()))
        {
            final StreamStore store = env.createStream(small(env, "s"));
            store.append("s", null, PAYLOAD);
            io.stallBlockForces();
            final CompletableFuture<Void> closing = CompletableFuture.runAsync(store::close);
            io.awaitStalled();
            final CompletableFuture<StreamStore> reopen = CompletableFuture.supplyAsync(() -> env.openStream("s"));
            io.releaseStall();
            closing.get();
            final StreamStore again = reopen.get();
            assertThat(again).isNotSameAs(store);
            assertThat(again.lastSeq()).isEqualTo(1);
            assertThat(env.openStream("s")).isSameAs(again);
            assertThat(((FileStoreEnvironment)env).heldStores()).isEqualTo(1);
        }
    }

    @Test
    void theCatalogListsConsumersTheStreamHoldsAndStreamsNotOpen() throws IOException
    {
        try (StoreEnvironment env = open())
        {
            final StreamStore orders = env.createStream(small(env, "orders"));
            orders.append("o", null, PAYLOAD);
            orders.append("o", null, PAYLOAD);
            // Opened and deleted on the stream itself, not through the environment: the catalog still follows.
            final ConsumerStore direct = orders.consumer("direct", ConsumerConfig.builder().build());
            direct.updateDelivered(1, 1, 1, 1_000L);
            orders.consumer("dropped", ConsumerConfig.builder().build());
            assertThat(env.snapshot().stream("orders").consumers()).extracting(EnvironmentSnapshot.Consumer::name)
                .containsExactly("direct", "dropped");
            orders.deleteConsumer("dropped");
            assertThat(env.snapshot().stream("orders").consumers()).extracting(EnvironmentSnapshot.Consumer::name)
                .containsExactly("direct");

            orders.close();
            assertThat(((FileStoreEnvironment)env).heldStores()).as("the closed store is not held, its entry is")
                .isZero();
            final EnvironmentSnapshot.Stream closed = env.snapshot().stream("orders");
            assertThat(closed.open()).isFalse();
            assertThat(closed.lastSeq()).isEqualTo(2);
            assertThat(closed.msgs()).isEqualTo(2);
            assertThat(closed.durableSeq()).isEqualTo(2);
            assertThat(closed.consumer("direct").state().delivered().stream()).isEqualTo(1);
        }
        try (StoreEnvironment env = open())
        {
            // Never opened in this environment: read from what its close wrote.
            final EnvironmentSnapshot.Stream stored = env.snapshot().stream("orders");
            assertThat(stored.open()).isFalse();
            assertThat(stored.firstSeq()).isEqualTo(1);
            assertThat(stored.lastSeq()).isEqualTo(2);
            assertThat(stored.msgs()).isEqualTo(2);
            assertThat(stored.consumers()).extracting(EnvironmentSnapshot.Consumer::name).containsExactly("direct");
            assertThat(stored.consumer("direct").state().delivered().stream()).isEqualTo(1);
            final EnvironmentSnapshot.Stream open = env.snapshot().stream("orders");
            assertThat(env.openStream("orders").state().lastSeq()).isEqualTo(open.lastSeq());
        }
    }

    @Test
    void aRenameThatFailsLeavesTheCatalogAndTheRootAgreeing() throws IOException
    {
        final AtomicReference<String> failing = new AtomicReference<>();
        final DirectoryMoves moves = (source, target) ->
        {
            final String mode = failing.getAndSet(null);
            if ("after".equals(mode))
            {
                DirectoryMoves.ATOMIC.move(source, target);
            }
            if (null != mode)
            {
                throw new IOException("injected rename failure " + mode + " the rename");
            }
            DirectoryMoves.ATOMIC.move(source, target);
        };
        final EnvironmentConfig config = EnvironmentConfig.builder().syncMode(SyncMode.INTERVAL).build();
        try (FileStoreEnvironment env = FileStoreEnvironment.open(root, config, moves))
        {
            env.createStream(small(env, "kept")).append("k", null, PAYLOAD);
            // Publishing fails after the rename took effect: the create is rolled back whole.
            failing.set("after");
            assertThatThrownBy(() -> env.createStream(small(env, "created"))).hasMessageContaining("injected");
            assertAgree(env);
            assertThat(env.streamNames()).containsExactly("kept");
            // Failing before it took effect.
            failing.set("before");
            assertThatThrownBy(() -> env.createStream(small(env, "created"))).hasMessageContaining("injected");
            assertAgree(env);

            // A delete whose rename fails before it took effect: the stream stays, closed, and opens again.
            failing.set("before");
            assertThatThrownBy(() -> env.deleteStream("kept")).hasMessageContaining("injected");
            assertAgree(env);
            assertThat(env.streamNames()).containsExactly("kept");
            assertThat(env.openStream("kept").lastSeq()).isEqualTo(1);
            // After it took effect: the stream is gone.
            failing.set("after");
            assertThatThrownBy(() -> env.deleteStream("kept")).hasMessageContaining("injected");
            assertAgree(env);
            assertThat(env.streamNames()).isEmpty();
            assertThat(env.createStream(small(env, "created")).lastSeq()).isZero();
        }
        try (StoreEnvironment env = open())
        {
            assertThat(env.streamNames()).containsExactly("created");
        }
    }

    private void assertAgree(final StoreEnvironment env)
    {
        assertThat(env.streamNames()).as("the catalog lists what the root holds")
            .isEqualTo(((FileStoreEnvironment)env).rootListing());
        assertThat(env.snapshot().streams()).extracting(EnvironmentSnapshot.Stream::name)
            .isEqualTo(env.streamNames());
    }

    private static Throwable attempt(final Runnable action)
    {
        try
        {
            action.run();
            return null;
        }
        catch (final RuntimeException | AssertionError ex)
        {
            return ex;
        }
    }

    private static void awaitParked(final Thread thread)
    {
        // Spins until the thread waits (or ended): what it waits for is then asserted, nothing is timed.
        while (thread.isAlive() && thread.getState() != Thread.State.WAITING &&
            thread.getState() != Thread.State.BLOCKED)
        {
            Thread.onSpinWait();
        }
    }

    @Test
    void theMemoryStoreHasNoEnvironments()
    {
        assertThatThrownBy(() -> StoreProvider.named("memory").openEnvironment(root,
            EnvironmentConfig.builder().build())).isInstanceOf(UnsupportedOperationException.class);
    }

    private static int ferriteThreadsAlive()
    {
        int count = 0;
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().startsWith("test-env-") || thread.getName().startsWith("ferrite-"))
            {
                count++;
            }
        }
        return count;
    }
}
