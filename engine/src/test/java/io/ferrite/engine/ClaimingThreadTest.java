package io.ferrite.engine;

import io.ferrite.store.MessageClaim;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectHandle;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * What the file store does around a thread that holds an open claim, and so the append lock: the calls of that
 * thread that would wait for the flusher or for the maintenance lock are refused, not left waiting for ever; other
 * threads' appenders park behind it rather than spin; and a claim whose thread ended makes close fail, naming the
 * thread, rather than hang. Each scenario runs under a bound that turns a hang into a failure.
 */
class ClaimingThreadTest
{
    /** For a deadlock, not for a slow disk: every step here takes milliseconds. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static StreamConfig config()
    {
        return StreamConfig.builder("claims").blockSize(64 * 1024).maxMsgSize(1024).syncMode(SyncMode.INTERVAL)
            .build();
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void snapshotFlushAndWhileQuiescentOnTheClaimingThreadAreRefusedNotLeftWaitingForTheFlusher()
    {
        assertTimeoutPreemptively(HANG_GUARD, () ->
        {
            try (FileStreamStore store = FileStreamStore.open(dir, config()))
            {
                store.append("a", null, bytes("one"));
                final MessageClaim claim = new MessageClaim();
                store.tryClaim(store.subject("a"), 0, 3, claim);

                final ByteArrayOutputStream copied = new ByteArrayOutputStream();
                final WritableByteChannel out = Channels.newChannel(copied);
                assertThatThrownBy(() -> store.snapshot(out)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot snapshot").hasMessageContaining("open claim for sequence 2");
                assertThat(copied.size()).as("nothing of a snapshot was written").isZero();
                assertThatThrownBy(store::flush).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot flush").hasMessageContaining("open claim for sequence 2");
                final AtomicBoolean ran = new AtomicBoolean();
                assertThatThrownBy(() -> store.whileQuiescent(() -> ran.set(true)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("open claim for sequence 2");
                assertThat(ran).isFalse();

                claim.buffer().putStringWithoutLengthAscii(0, "two");
                assertThat(claim.commit()).isEqualTo(2);
                assertThat(store.flush().join()).isEqualTo(2);
                assertThat(store.snapshot(out)).isPositive();
            }
        });
    }

    /**
     * A truncation holds the maintenance lock while it waits for the append lock the claim holds; a call of the
     * claiming thread that takes the maintenance lock would wait for the truncation, which waits for the claim.
     */
    @Test
    void theClaimingThreadIsRefusedMaintenanceWhileATruncationWaitsForTheAppendLock()
    {
        assertTimeoutPreemptively(HANG_GUARD, () ->
        {
            try (FileStreamStore store = FileStreamStore.open(dir, config()))
            {
                for (int i = 1; i <= 3; i++)
                {
                    store.append("a", null, bytes("m" + i));
                }
                final MessageClaim claim = new MessageClaim();
                store.tryClaim(store.subject("a"), 0, 3, claim);
                final AtomicReference<Throwable> truncationFailure = new AtomicReference<>();
                final Thread truncating = new Thread(() ->
                {
                    try
                    {
                        store.truncate(1);
                    }
                    catch (final Throwable ex)
                    {
                        truncationFailure.set(ex);
                    }
                }, "truncating");
                truncating.start();
                // It takes the maintenance lock before the append lock: queued for the latter, it holds the former.
                awaitQueued(store.appendLock(), truncating);

                final WritableByteChannel out = Channels.newChannel(new ByteArrayOutputStream());
                assertThatThrownBy(() -> store.erase(2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot erase").hasMessageContaining("open claim for sequence 4");
                assertThatThrownBy(() -> store.truncate(2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot truncate").hasMessageContaining("open claim for sequence 4");
                assertThatThrownBy(() -> store.snapshot(out)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("open claim for sequence 4");
                assertThatThrownBy(() -> store.whileQuiescent(() ->
                {
                })).isInstanceOf(IllegalStateException.class).hasMessageContaining("open claim for sequence 4");
                assertThatThrownBy(store::writeFullState).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("open claim for sequence 4");
                assertThat(store.load(2).payload()).as("the refused erase changed nothing").isEqualTo(bytes("m2"));

                claim.abort();
                truncating.join();
                assertThat(truncationFailure.get()).isNull();
                assertThat(store.lastSeq()).isEqualTo(1);
                assertThat(store.load(2)).isNull();
                assertThat(store.append("a", null, bytes("after"))).isEqualTo(2);
            }
        });
    }

    /**
     * The reported case: appenders behind a long claim, with a query announced for the lock ahead of them, burnt
     * both cores yielding for as long as the claim lasted. They park instead.
     */
    @Test
    void appendersBehindAClaimAndAnAnnouncedWaiterPark()
    {
        assertTimeoutPreemptively(HANG_GUARD, () ->
        {
            try (FileStreamStore store = FileStreamStore.open(dir, config()))
            {
                final ReentrantLock appendLock = store.appendLock();
                final MessageClaim claim = new MessageClaim();
                store.tryClaim(store.subject("a"), 0, 5, claim);
                final List<Thread> threads = new ArrayList<>();
                // A query takes the append lock ahead of appenders (AppendLock.lock()).
                final Thread querying = new Thread(() -> store.subjects(">"), "querying");
                threads.add(querying);
                querying.start();
                awaitQueued(appendLock, querying);
                for (int i = 0; i < 3; i++)
                {
                    final String subject = "b." + i;
                    final Thread appender = new Thread(() -> store.append(subject, null, bytes("x")), "appender-" + i);
                    threads.add(appender);
                    appender.start();
                }
                for (final Thread appender : threads.subList(1, threads.size()))
                {
                    awaitQueued(appendLock, appender);
                    awaitParked(appender);
                }

                claim.buffer().putStringWithoutLengthAscii(0, "first");
                assertThat(claim.commit()).isEqualTo(1);
                for (final Thread thread : threads)
                {
                    thread.join();
                }
                assertThat(store.lastSeq()).isEqualTo(4);
                assertThat(store.load(1).payload()).isEqualTo(bytes("first"));
            }
        });
    }

    /**
     * A claim left open by a thread that ended keeps the append lock for good: it is a {@link ReentrantLock}, which
     * only its owner may release. Close from another thread fails at once naming that thread, and changes nothing;
     * a restart (here: the directory's files opened elsewhere, as a crash leaves them) finds no loss and no ghost.
     */
    @Test
    void closeFailsFastOnAClaimWhoseThreadEndedAndARestartFindsTheStreamAsBeforeTheClaim() throws Exception
    {
        final FileStreamStore store = FileStreamStore.open(dir.resolve("live"), config());
        for (int i = 1; i <= 3; i++)
        {
            store.append("a", null, bytes("m" + i));
        }
        final SubjectHandle subject = store.subject("a");
        final Thread abandoning = new Thread(() ->
        {
            final MessageClaim claim = new MessageClaim();
            store.tryClaim(subject, 16, 500, claim);
            // Encoded, as far as it got, straight into the mapped block: a record without a header yet.
            claim.buffer().setMemory(0, 516, (byte)0x5A);
            throw new IllegalStateException("the encoder failed and nothing aborted the claim");
        }, "abandoning-claimer");
        abandoning.setUncaughtExceptionHandler((thread, ex) ->
        {
        });
        abandoning.start();
        abandoning.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(abandoning.isAlive()).isFalse();

        assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(store::close)
            .isInstanceOfSatisfying(StoreException.class, (ex) -> assertThat(ex.seq()).isEqualTo(4))
            .hasMessageContaining("'abandoning-claimer'").hasMessageContaining("sequence 4")
            .hasMessageContaining("restart"));
        assertThat(store.isClosing()).as("the refused close began nothing").isFalse();
        assertThat(store.lastSeq()).isEqualTo(3);

        final Path restarted = dir.resolve("restarted");
        copyWithoutLock(dir.resolve("live"), restarted);
        try (StreamStore reopened = FileStreamStore.open(restarted, config()))
        {
            assertThat(reopened.recoveryReport().lost()).isEmpty();
            assertThat(reopened.lastSeq()).isEqualTo(3);
            assertThat(reopened.state().msgs()).isEqualTo(3);
            assertThat(reopened.load(4)).isNull();
            assertThat(reopened.append("a", null, bytes("m4"))).isEqualTo(4);
        }
        try (StreamStore again = FileStreamStore.open(restarted, config()))
        {
            assertThat(again.recoveryReport().lost()).isEmpty();
            assertThat(again.load(4).payload()).isEqualTo(bytes("m4"));
            assertThat(again.lastSeq()).isEqualTo(4);
        }
    }

    private static void awaitQueued(final ReentrantLock lock, final Thread thread)
    {
        while (!lock.hasQueuedThread(thread))
        {
            assertThat(thread.isAlive()).as(thread.getName() + " ended instead of waiting for the lock").isTrue();
            Thread.onSpinWait();
        }
    }

    private static void awaitParked(final Thread thread)
    {
        Thread.State state;
        while ((state = thread.getState()) != Thread.State.WAITING && state != Thread.State.TIMED_WAITING)
        {
            assertThat(state).as(thread.getName()).isNotEqualTo(Thread.State.TERMINATED);
            Thread.onSpinWait();
        }
    }

    /**
     * The files as a crash of this process would leave them, but for {@code LOCK}: opening that from the holding
     * process drops the holder's lock (see {@code StreamLock}).
     */
    private static void copyWithoutLock(final Path from, final Path to)
    {
        try (Stream<Path> paths = Files.walk(from))
        {
            for (final Path source : paths.toList())
            {
                final Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source))
                {
                    Files.createDirectories(target);
                }
                else if (!"LOCK".equals(source.getFileName().toString()))
                {
                    Files.copy(source, target);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
