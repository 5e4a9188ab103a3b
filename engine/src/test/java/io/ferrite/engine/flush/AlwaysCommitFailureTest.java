package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.store.CommitOutcomeUnknownException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Issue 12, item 6: in {@code ALWAYS} mode a commit reported as failed must never have been visible, and its failure
 * must say what is true — the record was written, its force failed, and whether it survives a reopen is unknown
 * ({@link CommitOutcomeUnknownException}, carrying the sequence so the caller can check after reopening). Readers see
 * nothing beyond the durable sequence; no public operation lets a {@code CompletionException} escape after a force
 * failed; close reports a {@link StoreException}.
 */
class AlwaysCommitFailureTest
{
    private static final int BLOCK_SIZE = 64 * 1024;
    private static final int MAX_PAYLOAD = 500;
    private static final long TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(30);

    @TempDir
    Path tmp;

    private final TestMessages messages = new TestMessages(MAX_PAYLOAD);

    @Test
    void aFailedCommitIsUnknownCarriesItsSequenceAndIsNeverShownToReaders()
    {
        final Path dir = tmp.resolve("stream");
        final ControllableStorageIO io = new ControllableStorageIO();
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS), io);
        io.failBlockForcesAfter(12, "injected EIO");
        CommitOutcomeUnknownException unknown = null;
        long acknowledged = 0;
        while (null == unknown)
        {
            try
            {
                acknowledged = messages.appendNext(store);
            }
            catch (final CommitOutcomeUnknownException ex)
            {
                unknown = ex;
            }
        }
        final long failed = unknown.seq();
        assertThat(acknowledged).as("the first 12 forces succeeded").isGreaterThanOrEqualTo(12);
        assertThat(failed).as("the failed commit took the next sequence").isEqualTo(acknowledged + 1);
        assertThat(unknown.operation()).isEqualTo("append");
        assertThat(unknown).hasMessageContaining("outcome is unknown").hasMessageContaining("injected EIO")
            .hasMessageContaining("seq=" + failed).hasMessageContaining(".blk");
        assertThat(unknown.file()).as("names the block whose force failed").isNotNull();

        // Never shown to a reader, by any read.
        assertThat(store.load(failed)).isNull();
        assertThat(store.read(failed, view -> { })).isFalse();
        assertThat(store.loadNext(">", failed)).isNull();
        assertThat(store.loadNext(messages.subject(failed), 1))
            .satisfies(m -> assertThat(null == m || m.seq() < failed).isTrue());
        final StoredMessage lastOfSubject = store.loadLast(messages.subject(failed));
        assertThat(null == lastOfSubject ? 0 : lastOfSubject.seq()).as("the subject's last durable message")
            .isEqualTo(lastDerivedWithSubject(messages.subject(failed), acknowledged));
        assertThat(store.loadLast(">").seq()).isEqualTo(acknowledged);
        for (long seq = 1; seq <= acknowledged; seq++)
        {
            assertThat(messages.mismatch(store.load(seq), seq)).isNull();
        }
        // Counts include it (documented): they describe what was written.
        assertThat(store.state().lastSeq()).isEqualTo(failed);

        // Later commits are refused before anything is written: that outcome is known.
        assertThatThrownBy(() -> messages.appendNext(store)).isInstanceOf(StoreIOException.class)
            .isNotInstanceOf(CommitOutcomeUnknownException.class).hasMessageContaining("append refused");
        assertThatThrownBy(store::skip).isInstanceOf(StoreIOException.class);
        assertThat(store.state().lastSeq()).isEqualTo(failed);
        assertThat(store.load(failed)).isNull();

        assertStoreExceptionOrNothing(catchThrowable(store::writeFullState));
        final Throwable closed = catchThrowable(store::close);
        assertThat(closed).as("close after a failed force").isInstanceOf(StoreException.class)
            .hasMessageContaining("injected EIO");

        // The outcome resolves at reopen: here the page cache kept the record, and the reopen forced it.
        try (FileStreamStore reopened = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            assertThat(reopened.recoveryReport().lost()).isEmpty();
            for (long seq = 1; seq <= failed; seq++)
            {
                assertThat(messages.mismatch(reopened.load(seq), seq)).isNull();
            }
            assertThat(messages.appendNext(reopened)).isEqualTo(failed + 1);
        }
    }

    @Test
    void concurrentReadersNeverSeeACommitWhoseWriterWasToldItFailed() throws Exception
    {
        final int appenders = 4;
        final Path dir = tmp.resolve("stream");
        final ControllableStorageIO io = new ControllableStorageIO();
        final FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS), io);
        io.failBlockForcesAfter(40, "injected EIO");
        final Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        final Map<Long, String> unknown = new ConcurrentHashMap<>();
        final Set<Long> seen = ConcurrentHashMap.newKeySet();
        final AtomicReference<Throwable> unexpected = new AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < appenders; t++)
        {
            final int thread = t;
            threads.add(new Thread(() ->
            {
                for (int i = 0; ; i++)
                {
                    final String payload = "appender " + thread + " message " + i;
                    try
                    {
                        acknowledged.put(store.append("t." + thread, null, payload.getBytes(StandardCharsets.UTF_8)),
                            payload);
                    }
                    catch (final CommitOutcomeUnknownException ex)
                    {
                        unknown.put(ex.seq(), payload);
                        return;
                    }
                    catch (final StoreIOException ex)
                    {
                        return; // refused: nothing written
                    }
                    catch (final Throwable ex)
                    {
                        unexpected.set(ex);
                        return;
                    }
                }
            }, "appender-" + t));
        }
        threads.forEach(Thread::start);
        final Thread reader = new Thread(() ->
        {
            try
            {
                while (threads.stream().anyMatch(Thread::isAlive))
                {
                    scanVisible(store, seen);
                }
                scanVisible(store, seen);
            }
            catch (final Throwable ex)
            {
                unexpected.set(ex);
            }
        }, "reader");
        reader.start();
        for (final Thread thread : threads)
        {
            thread.join(TIMEOUT_MILLIS);
        }
        reader.join(TIMEOUT_MILLIS);
        assertThat(unexpected.get()).isNull();
        assertThat(unknown).as("some commit was in flight when the force failed").isNotEmpty();
        assertThat(seen).as("a reader saw a commit its writer was told failed").doesNotContainAnyElementsOf(
            unknown.keySet());
        assertThat(seen).containsAll(acknowledged.keySet());
        final long lastAcknowledged = acknowledged.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat(unknown.keySet()).allSatisfy(seq -> assertThat(seq).isGreaterThan(lastAcknowledged));
        assertThat(catchThrowable(store::close)).isInstanceOf(StoreException.class);

        try (FileStreamStore reopened = FileStreamStore.open(dir, config(SyncMode.ALWAYS)))
        {
            for (final Map.Entry<Long, String> entry : acknowledged.entrySet())
            {
                assertThat(payload(reopened.load(entry.getKey()))).isEqualTo(entry.getValue());
            }
            for (final Map.Entry<Long, String> entry : unknown.entrySet())
            {
                // Present or not, but if present it is exactly what the writer tried to commit at that sequence.
                final StoredMessage message = reopened.load(entry.getKey());
                if (null != message)
                {
                    assertThat(payload(message)).isEqualTo(entry.getValue());
                }
            }
        }
    }

    @Test
    void aReaderSeesAnAlwaysCommitOnlyOnceItsForceReturned() throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        try (FileStreamStore store = FileStreamStore.open(tmp, config(SyncMode.ALWAYS), io))
        {
            final long before = messages.appendNext(store);
            io.stallBlockForces();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread appender = new Thread(() ->
            {
                try
                {
                    messages.appendNext(store);
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            }, "always-appender");
            appender.start();
            // The appender writes its record before it queues the commit that starts the force.
            io.awaitStalled();
            final long pending = before + 1;
            try
            {
                assertThat(store.state().lastSeq()).isEqualTo(pending);
                assertThat(store.load(pending)).isNull();
                assertThat(store.read(pending, view -> { })).isFalse();
                assertThat(store.loadNext(">", pending)).isNull();
                assertThat(store.loadLast(">").seq()).isEqualTo(before);
                assertThat(store.stats().durableSeq()).isEqualTo(before);
            }
            finally
            {
                // A failed assertion must not leave close() waiting on the stalled force.
                io.releaseStall();
            }
            io.releaseStall();
            appender.join(TIMEOUT_MILLIS);
            assertThat(failure.get()).isNull();
            assertThat(messages.mismatch(store.load(pending), pending)).isNull();
            assertThat(store.loadLast(">").seq()).isEqualTo(pending);
            assertThat(store.loadNext(">", pending).seq()).isEqualTo(pending);
        }
    }

    /**
     * Each removal-side operation, with its force failing while it waits: the failure is a {@link StoreException}
     * (for {@code remove}, {@link CommitOutcomeUnknownException} with the sequence), never the future's wrapper.
     * {@code truncate} is left out here: it forces the cut block through the small-file route on the caller's thread
     * and its flushes then find no block data to force, so no block force can be stalled under it; it is called after
     * the failure below, like every other operation.
     */
    @ParameterizedTest
    @EnumSource(value = Operation.class, mode = EnumSource.Mode.EXCLUDE, names = "TRUNCATE")
    void aForceFailingUnderAnOperationIsAStoreExceptionNeverACompletionException(final Operation operation)
        throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final FileStreamStore store = FileStreamStore.open(tmp.resolve("stream"), config(SyncMode.ALWAYS), io);
        for (int i = 0; i < 10; i++)
        {
            messages.appendNext(store);
        }
        io.stallBlockForces();
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread caller = new Thread(() ->
        {
            try
            {
                operation.action.accept(store);
            }
            catch (final Throwable ex)
            {
                thrown.set(ex);
            }
        }, "caller");
        caller.start();
        io.awaitStalled();
        io.failBlockForces("injected EIO");
        io.releaseStall();
        caller.join(TIMEOUT_MILLIS);
        assertThat(caller.isAlive()).isFalse();
        assertThat(thrown.get()).as(operation.name()).isInstanceOf(StoreException.class)
            .hasMessageContaining("injected EIO");
        if (operation == Operation.REMOVE)
        {
            assertThat(thrown.get()).isInstanceOf(CommitOutcomeUnknownException.class);
            assertThat(((CommitOutcomeUnknownException)thrown.get()).seq()).isEqualTo(3);
            assertThat(((CommitOutcomeUnknownException)thrown.get()).operation()).isEqualTo("removal");
        }
        for (final Operation next : Operation.values())
        {
            assertStoreExceptionOrNothing(catchThrowable(() -> next.action.accept(store)));
        }
        assertStoreExceptionOrNothing(catchThrowable(store::writeFullState));
        assertThat(catchThrowable(() -> messages.appendNext(store))).isInstanceOf(StoreException.class);
        assertThat(catchThrowable(store::close)).isInstanceOf(StoreException.class);
    }

    @Test
    void alwaysReadersSeeWhatACrashLeftAtOnceBecauseTheOpenForcesIt() throws Exception
    {
        final Path live = tmp.resolve("live");
        final Path image = tmp.resolve("image");
        try (FileStreamStore store = FileStreamStore.open(live, config(SyncMode.NONE)))
        {
            for (int i = 0; i < 50; i++)
            {
                messages.appendNext(store);
            }
            store.whileQuiescent(() -> copy(live, image));
        }
        final ControllableStorageIO io = new ControllableStorageIO();
        try (FileStreamStore recovered = FileStreamStore.open(image, config(SyncMode.ALWAYS), io))
        {
            assertThat(recovered.recoveryReport().outcome().name()).isNotEqualTo("LOADED_STATE");
            assertThat(io.blockForces()).as("the open forced what recovery found").isPositive();
            assertThat(recovered.stats().durableSeq()).isEqualTo(50);
            for (long seq = 1; seq <= 50; seq++)
            {
                assertThat(messages.mismatch(recovered.load(seq), seq)).isNull();
            }
        }
    }

    @Test
    void anAlwaysOpenWhoseForceOfRecoveredDataFailsFailsAndReleasesTheStream()
    {
        final Path live = tmp.resolve("live");
        final Path image = tmp.resolve("image");
        try (FileStreamStore store = FileStreamStore.open(live, config(SyncMode.NONE)))
        {
            for (int i = 0; i < 20; i++)
            {
                messages.appendNext(store);
            }
            store.whileQuiescent(() -> copy(live, image));
        }
        final ControllableStorageIO io = new ControllableStorageIO();
        io.failBlockForces("injected EIO");
        assertThatThrownBy(() -> FileStreamStore.open(image, config(SyncMode.ALWAYS), io))
            .isInstanceOf(StoreException.class).hasMessageContaining("injected EIO");
        try (FileStreamStore reopened = FileStreamStore.open(image, config(SyncMode.ALWAYS)))
        {
            for (long seq = 1; seq <= 20; seq++)
            {
                assertThat(messages.mismatch(reopened.load(seq), seq)).isNull();
            }
        }
    }

    enum Operation
    {
        REMOVE(store -> store.remove(3)),
        ERASE(store -> store.erase(4)),
        PURGE(StreamStore::purge),
        PURGE_FILTER(store -> store.purge(">", 6, 0)),
        COMPACT(store -> store.compact(5)),
        TRUNCATE(store -> store.truncate(7));

        final Consumer<StreamStore> action;

        Operation(final Consumer<StreamStore> action)
        {
            this.action = action;
        }
    }

    private static void scanVisible(final StreamStore store, final Set<Long> seen)
    {
        final long last = store.state().lastSeq();
        for (long seq = 1; seq <= last; seq++)
        {
            if (!seen.contains(seq) && null != store.load(seq))
            {
                seen.add(seq);
            }
        }
        final StoredMessage newest = store.loadLast(">");
        if (null != newest)
        {
            seen.add(newest.seq());
        }
    }

    private long lastDerivedWithSubject(final String subject, final long upTo)
    {
        for (long seq = upTo; seq >= 1; seq--)
        {
            if (messages.subject(seq).equals(subject))
            {
                return seq;
            }
        }
        return 0;
    }

    private static void assertStoreExceptionOrNothing(final Throwable thrown)
    {
        if (null != thrown)
        {
            assertThat(thrown).isInstanceOf(StoreException.class);
        }
    }

    private static String payload(final StoredMessage message)
    {
        return null == message ? null : new String(message.payload(), StandardCharsets.UTF_8);
    }

    private static void copy(final Path from, final Path to)
    {
        try (Stream<Path> files = Files.walk(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file))
                {
                    Files.createDirectories(target);
                }
                else if (!file.getFileName().toString().equals("LOCK"))
                {
                    Files.copy(file, target);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("copy " + from + " to " + to + " failed", ex);
        }
    }

    private static StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("always").blockSize(BLOCK_SIZE).maxMsgSize(MAX_PAYLOAD + 64).syncMode(mode)
            .syncInterval(Duration.ofMillis(1)).build();
    }
}
