package io.ferrite.conformance;

import io.ferrite.store.Discard;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreProvider;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamListener;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamTruncatedException;
import io.ferrite.store.SubjectHandle;
import org.agrona.concurrent.UnsafeBuffer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The following and zero-allocation side of the {@link StreamStore} contract — tailers, listeners, subject handles,
 * appends from buffers, claims, and the lock-free positions — run against each store found through
 * {@link StoreProvider}, so the memory store cannot drift from the file store there either. Durability differs by
 * design (the memory store is durable as far as it gets at once); everything else must match.
 */
class FollowAndClaimConformanceTest
{
    /**
     * With {@link #RACING_APPENDS}, enough for the memory store as it was (onDurable under a monitor a truncation took
     * under the write lock) to deadlock in every run tried. The file store's window (a listener run under the flusher's
     * truncation monitor) is narrower and was not hit here; the race is kept for both.
     */
    private static final int TRUNCATIONS = 12;
    private static final int RACING_APPENDS = 1_500;

    @TempDir
    Path root;

    private final List<String> delivered = new ArrayList<>();

    private StreamStore open(final String kind, final StreamConfig config)
    {
        return StoreProvider.named(kind).open(root.resolve(kind), config);
    }

    private static StreamConfig.Builder config()
    {
        return StreamConfig.builder("follow").blockSize(4096).maxMsgSize(256);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private void record(final MessageView view)
    {
        delivered.add(view.seq() + " " + view.subject() + " " + new String(view.payload(), StandardCharsets.US_ASCII));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aTailerFollowsInOrderAndPassesOverRemovedAndSkippedSequences(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            final StreamTailer tailer = store.createTailer(1);
            assertThat(tailer.poll(this::record, 10)).isZero();
            assertThat(tailer.nextSeq()).isEqualTo(1);
            for (int i = 1; i <= 5; i++)
            {
                store.append("t." + i, null, bytes("m" + i));
            }
            store.remove(2);
            store.skip();
            store.append("t.7", null, bytes("m7"));
            assertThat(tailer.poll(this::record, 2)).isEqualTo(2);
            assertThat(delivered).containsExactly("1 t.1 m1", "3 t.3 m3");
            assertThat(tailer.nextSeq()).isEqualTo(4);
            assertThat(tailer.poll(this::record, 100)).isEqualTo(3);
            assertThat(delivered).endsWith("4 t.4 m4", "5 t.5 m5", "7 t.7 m7");
            assertThat(tailer.nextSeq()).isEqualTo(8);
            store.skip();
            assertThat(tailer.poll(this::record, 100)).isZero();
            assertThat(tailer.nextSeq()).as("a trailing skip is passed over").isEqualTo(9);

            final StreamTailer late = store.createTailer(5);
            delivered.clear();
            assertThat(late.poll(this::record, 100)).isEqualTo(2);
            assertThat(delivered).containsExactly("5 t.5 m5", "7 t.7 m7");
            assertThat(late.isDurableOnly()).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aTruncationBelowTheTailerIsReportedOnceAndTheTailerMovesBack(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            for (int i = 1; i <= 6; i++)
            {
                store.append("t", null, bytes("a" + i));
            }
            final StreamTailer tailer = store.createTailer(1);
            final StreamTailer behind = store.createTailer(1);
            assertThat(tailer.poll(this::record, 100)).isEqualTo(6);
            store.truncate(3);
            store.append("t", null, bytes("b4"));
            assertThatThrownBy(() -> tailer.poll(this::record, 100)).isInstanceOfSatisfying(
                StreamTruncatedException.class, (ex) ->
                {
                    assertThat(ex.truncatedTo()).isEqualTo(3);
                    assertThat(ex.tailerSeq()).isEqualTo(7);
                });
            assertThat(tailer.nextSeq()).isEqualTo(4);
            delivered.clear();
            assertThat(tailer.poll(this::record, 100)).isEqualTo(1);
            assertThat(delivered).containsExactly("4 t b4");
            assertThat(behind.poll(this::record, 2)).as("a tailer that never passed the cut is not told").isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aHandlerThatThrowsLeavesTheTailerOnItsMessage(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            store.append("t", null, bytes("one"));
            store.append("t", null, bytes("two"));
            final StreamTailer tailer = store.createTailer(1);
            assertThatThrownBy(() -> tailer.poll((view) ->
            {
                if (view.seq() == 2)
                {
                    throw new IllegalStateException("consumer bug");
                }
                record(view);
            }, 10)).hasMessage("consumer bug");
            assertThat(tailer.nextSeq()).isEqualTo(2);
            assertThat(tailer.poll(this::record, 10)).isEqualTo(1);
            assertThat(delivered).containsExactly("1 t one", "2 t two");

            assertThatThrownBy(() -> tailer.seek(4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lastSeq + 1 = 3");
            assertThatThrownBy(() -> store.createTailer(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> tailer.poll(this::record, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit");
            tailer.seek(1);
            assertThat(tailer.poll(this::record, 1)).isEqualTo(1);
            tailer.close();
            tailer.close();
            assertThatThrownBy(() -> tailer.poll(this::record, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
            final StreamTailer open = store.createTailer(1);
            store.close();
            assertThatThrownBy(() -> open.poll(this::record, 1)).isInstanceOf(StoreClosedException.class);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void listenersHearEachChangeAndAThrowingOneStaysRegistered(final String kind) throws Exception
    {
        final List<String> events = new ArrayList<>();
        final List<Long> durable = new ArrayList<>();
        final StreamListener listener = new StreamListener()
        {
            @Override
            public void onAppended(final long seq, final int bytes)
            {
                events.add("appended " + seq + " " + bytes);
            }

            @Override
            public void onRemoved(final long seq)
            {
                events.add("removed " + seq);
            }

            @Override
            public void onRemovedRange(final long fromSeq, final long toSeq)
            {
                events.add("removed " + fromSeq + ".." + toSeq);
            }

            @Override
            public void onTruncated(final long seq)
            {
                events.add("truncated " + seq);
            }

            @Override
            public void onDurable(final long seq)
            {
                synchronized (durable)
                {
                    durable.add(seq);
                }
            }
        };
        try (StreamStore store = open(kind, config().build()))
        {
            final AutoCloseable registration = store.addListener(listener);
            final List<String> thrown = new ArrayList<>();
            final AutoCloseable thrower = store.addListener(new StreamListener()
            {
                @Override
                public void onAppended(final long seq, final int bytes)
                {
                    thrown.add("threw at " + seq);
                    throw new IllegalStateException("a listener's bug, logged by the store");
                }
            });
            for (int i = 1; i <= 6; i++)
            {
                store.append("t.h", bytes("hh"), bytes("0123456789"));
            }
            store.remove(2);
            store.compact(4);
            assertThat(store.flush().join()).isEqualTo(6);
            synchronized (durable)
            {
                assertThat(durable).as("durable sequences only rise").isSorted().last().isEqualTo(6L);
            }
            store.truncate(5);
            store.purge();
            thrower.close();
            registration.close();
            store.append("t.h", null, bytes("x"));
            assertThat(events).containsExactly("appended 1 15", "appended 2 15", "appended 3 15", "appended 4 15",
                "appended 5 15", "appended 6 15", "removed 2", "removed 1..3", "truncated 5", "removed 4..5");
            assertThat(thrown).as("a listener that throws keeps being called").hasSize(6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void retentionRemovalsReachListeners(final String kind)
    {
        final List<String> events = new ArrayList<>();
        try (StreamStore store = open(kind, config().maxMsgsPerSubject(2).build()))
        {
            store.addListener(new StreamListener()
            {
                @Override
                public void onRemoved(final long seq)
                {
                    events.add("removed " + seq);
                }
            });
            for (int i = 0; i < 4; i++)
            {
                store.append("r", null, bytes("v" + i));
            }
            assertThat(events).containsExactly("removed 1", "removed 2");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void handleAppendsCopyFromOnAndOffHeapBuffersAndRefuseBadArguments(final String kind)
    {
        try (StreamStore store = open(kind, config().build());
            StreamStore other = StoreProvider.named(kind).open(root.resolve("other"), config().build()))
        {
            final SubjectHandle quotes = store.subject("quotes.eu");
            assertThat(quotes.subject()).isEqualTo("quotes.eu");
            final UnsafeBuffer heap = new UnsafeBuffer(bytes("xxHEADERSyy"));
            final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(32));
            direct.putStringWithoutLengthAscii(4, "payload");
            assertThat(store.append(quotes, heap, 2, 7, direct, 4, 7)).isEqualTo(1);
            assertThat(store.append(quotes, null, 0, 0, direct, 4, 3)).isEqualTo(2);
            final StoredMessage first = store.load(1);
            assertThat(first.subject()).isEqualTo("quotes.eu");
            assertThat(first.headers()).isEqualTo(bytes("HEADERS"));
            assertThat(first.payload()).isEqualTo(bytes("payload"));
            assertThat(store.load(2).payload()).isEqualTo(bytes("pay"));
            assertThat(store.state().bytes()).isEqualTo(2 * 9 + 7 + 7 + 3);

            assertThatThrownBy(() -> store.subject("bad subject")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.append(null, null, 0, 0, direct, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("subject handle must not be null");
            assertThatThrownBy(() -> other.append(quotes, null, 0, 0, direct, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was not made by this store");
            assertThatThrownBy(() -> store.append(quotes, null, 0, 0, direct, 30, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("payloadOffset 30");
            assertThatThrownBy(() -> store.append(quotes, null, 0, -1, direct, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headersLength must be >= 0");
            final UnsafeBuffer big = new UnsafeBuffer(new byte[300]);
            assertThatThrownBy(() -> store.append(quotes, null, 0, 0, big, 0, 257))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize 256");
            assertThat(store.lastSeq()).as("nothing refused took a sequence").isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aCommittedClaimIsAMessageAndAnAbortedOneLeavesNothing(final String kind) throws Exception
    {
        try (StreamStore store = open(kind, config().build()))
        {
            final SubjectHandle subject = store.subject("fills");
            final MessageClaim claim = new MessageClaim();
            assertThat(store.tryClaim(subject, 2, 8, claim)).isEqualTo(1);
            assertThat(claim.isOpen()).isTrue();
            claim.buffer().putStringWithoutLengthAscii(claim.headersOffset(), "hd");
            claim.buffer().putLong(claim.payloadOffset(), 42L);
            assertThatThrownBy(() -> store.append("x", null, bytes("y"))).as("this thread holds the claim")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("open claim for sequence 1");
            assertThatThrownBy(() -> store.tryClaim(subject, 0, 1, claim)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("still open");
            assertThat(claim.commit()).isEqualTo(1);
            assertThatThrownBy(claim::commit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already committed");
            final StoredMessage message = store.load(1);
            assertThat(message.subject()).isEqualTo("fills");
            assertThat(message.headers()).isEqualTo(bytes("hd"));
            assertThat(new UnsafeBuffer(message.payload()).getLong(0)).isEqualTo(42L);

            assertThat(store.tryClaim(subject, 0, 4, claim)).isEqualTo(2);
            claim.abort();
            assertThat(store.load(2)).isNull();
            assertThat(store.lastSeq()).as("an aborted claim consumes no sequence").isEqualTo(1);
            assertThat(store.append("x", null, bytes("y"))).isEqualTo(2);

            assertThatThrownBy(() -> store.tryClaim(subject, 0, 1, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("claim must not be null");
            assertThatThrownBy(() -> store.tryClaim(subject, 200, 57, claim))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize 256");
            assertThat(onAnotherThread(() -> store.append("x", null, bytes("z"))))
                .as("a refused claim released the lock").isEqualTo(3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aClaimIsRefusedByDiscardNewBeforeAnythingIsClaimed(final String kind) throws Exception
    {
        final StreamConfig config = config().maxMsgs(1).discard(Discard.NEW).build();
        try (StreamStore store = open(kind, config))
        {
            final SubjectHandle subject = store.subject("one");
            final MessageClaim claim = new MessageClaim();
            store.tryClaim(subject, 0, 1, claim);
            claim.commit();
            assertThatThrownBy(() -> store.tryClaim(subject, 0, 1, claim)).isInstanceOf(LimitExceededException.class);
            assertThat(claim.isOpen()).isFalse();
            assertThat(store.lastSeq()).isEqualTo(1);
            assertThat(onAnotherThread(() -> store.remove(1))).as("the refusal left the lock free").isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void positionsFollowTheStream(final String kind)
    {
        try (StreamStore store = open(kind, config().build()))
        {
            assertThat(store.lastSeq()).isZero();
            assertThat(store.firstSeq()).isEqualTo(store.state().firstSeq());
            for (int i = 0; i < 4; i++)
            {
                store.append("p", null, bytes("x"));
            }
            store.remove(1);
            assertThat(store.lastSeq()).isEqualTo(4);
            assertThat(store.firstSeq()).isEqualTo(2);
            store.flush().join();
            assertThat(store.durableSeq()).isEqualTo(4);
            store.truncate(2);
            assertThat(store.lastSeq()).isEqualTo(2);
            assertThat(store.durableSeq()).isLessThanOrEqualTo(2);
            store.flush().join();
            assertThat(store.durableSeq()).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void afterATruncationTheNewTimelineIsToldDurableAgain(final String kind)
    {
        final List<Long> durable = new CopyOnWriteArrayList<>();
        try (StreamStore store = open(kind, config().build()))
        {
            store.addListener(new StreamListener()
            {
                @Override
                public void onDurable(final long seq)
                {
                    durable.add(seq);
                }
            });
            for (int i = 0; i < 6; i++)
            {
                store.append("d", null, bytes("x"));
            }
            store.flush().join();
            assertThat(durable).last().isEqualTo(6L);
            store.truncate(3);
            store.append("d", null, bytes("y"));
            store.append("d", null, bytes("y"));
            assertThat(store.flush().join()).isEqualTo(5);
            assertThat(durable).as("told after the cut, though below what was told before it").last().isEqualTo(5L);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aListenerThatReadsTheStoreNeverDeadlocksWithTruncations(final String kind)
    {
        // Each file store truncation waits for forces: the bound is for a deadlock, not for a slow disk.
        assertTimeoutPreemptively(Duration.ofSeconds(180), () ->
        {
            try (StreamStore store = open(kind, config().blockSize(64 * 1024).build()))
            {
                final AtomicLong reads = new AtomicLong();
                store.addListener(new StreamListener()
                {
                    @Override
                    public void onDurable(final long seq)
                    {
                        // What a consumer of durability events does: look at the stream it was told about.
                        reads.addAndGet(store.state().msgs() + store.subjects("l.>").size());
                        reads.addAndGet(store.numPending(1, "l.a"));
                        store.load(seq);
                    }
                });
                final AtomicReference<Throwable> failure = new AtomicReference<>();
                final Thread truncating = new Thread(() ->
                {
                    try
                    {
                        for (int i = 0; i < TRUNCATIONS; i++)
                        {
                            store.truncate(Math.max(0, store.lastSeq() - 2));
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.set(ex);
                    }
                }, "truncating");
                truncating.start();
                for (int appended = 1; appended <= RACING_APPENDS; appended++)
                {
                    store.append(0 == (appended & 1) ? "l.a" : "l.b", null, bytes("r" + appended));
                    if (0 == appended % 3)
                    {
                        store.flush();
                    }
                }
                truncating.join();
                store.flush().join();
                assertThat(failure.get()).isNull();
                assertThat(reads.get()).as("the listener read the store").isPositive();
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void closingOnTheClaimingThreadAbortsTheClaim(final String kind)
    {
        final StreamConfig config = config().build();
        final MessageClaim claim = new MessageClaim();
        final StreamStore store = open(kind, config);
        store.append("c", null, bytes("kept"));
        store.tryClaim(store.subject("c"), 0, 8, claim);
        store.close();
        assertThat(claim.isOpen()).as("the claim ended with the store").isFalse();
        assertThatThrownBy(() -> store.append("c", null, bytes("x"))).isInstanceOf(StoreClosedException.class);
        if ("file".equals(kind))
        {
            try (StreamStore reopened = open(kind, config))
            {
                assertThat(reopened.lastSeq()).as("the aborted claim left no message").isEqualTo(1);
                assertThat(reopened.load(1).payload()).isEqualTo(bytes("kept"));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void theClaimingThreadIsRefusedEveryWriteAndEveryWaitForTheStoreAndNothingChanges(final String kind)
    {
        // In the file store, flush().join() and truncate wait for a force whose capture needs the lock the claim
        // holds: refused, or they never return. The bound turns such a hang into a failure.
        assertTimeoutPreemptively(Duration.ofSeconds(120), () ->
        {
            try (StreamStore store = open(kind, config().build()))
            {
                store.append("c", null, bytes("kept"));
                store.append("c", null, bytes("kept too"));
                final StreamLimits limits = store.limits();
                final MessageClaim claim = new MessageClaim();
                store.tryClaim(store.subject("c"), 0, 4, claim);
                final Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
                calls.put("flush", store::flush);
                calls.put("writeFullState", store::writeFullState);
                calls.put("updateLimits", () -> store.updateLimits(new StreamLimits(1, -1, Duration.ZERO, -1,
                    Discard.OLD)));
                calls.put("truncate", () -> store.truncate(1));
                calls.put("erase", () -> store.erase(1));
                calls.put("remove", () -> store.remove(1));
                calls.put("purge", store::purge);
                calls.put("purge(filter)", () -> store.purge(">", 0, 0));
                calls.put("compact", () -> store.compact(2));
                calls.put("skip", store::skip);
                calls.put("skip(from, count)", () -> store.skip(3, 2));
                calls.put("appendAt", () -> store.appendAt(9, Long.MAX_VALUE, "c", null, bytes("x")));
                calls.forEach((name, call) -> assertThatThrownBy(call).as(name)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("open claim for sequence 3"));

                assertThat(store.limits()).isEqualTo(limits);
                assertThat(store.state().msgs()).isEqualTo(2);
                assertThat(store.lastSeq()).isEqualTo(2);
                claim.buffer().putStringWithoutLengthAscii(0, "late");
                assertThat(claim.commit()).as("the claim survived every refusal").isEqualTo(3);
                assertThat(store.flush().join()).isEqualTo(3);
                assertThat(store.load(1).payload()).isEqualTo(bytes("kept"));
                assertThat(store.load(3).payload()).isEqualTo(bytes("late"));
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void closeFailsNamingAClaimingThreadThatEndedInsteadOfWaitingForItForEver(final String kind) throws Exception
    {
        final StreamStore store = open(kind, config().build());
        store.append("c", null, bytes("kept"));
        final SubjectHandle subject = store.subject("c");
        final Thread abandoning = new Thread(() ->
        {
            store.tryClaim(subject, 0, 8, new MessageClaim());
            throw new IllegalStateException("the encoder failed and nothing aborted the claim");
        }, "abandoning-claimer");
        abandoning.setUncaughtExceptionHandler((thread, ex) ->
        {
        });
        abandoning.start();
        abandoning.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(abandoning.isAlive()).isFalse();

        // Nothing can release a lock its thread took with it: the store is left as it is (its appends wait for ever),
        // and close says why rather than wait too.
        assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                assertThatThrownBy(store::close).isInstanceOfSatisfying(StoreException.class, (ex) ->
                    assertThat(ex.seq()).isEqualTo(2))
                    .isNotInstanceOf(StoreClosedException.class)
                    .hasMessageContaining("'abandoning-claimer'").hasMessageContaining("sequence 2")
                    .hasMessageContaining("ended");
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"file", "memory"})
    void aClosedStoreMakesNoSubjectHandle(final String kind)
    {
        final StreamStore store = open(kind, config().build());
        store.close();
        assertThatThrownBy(() -> store.subject("a.b")).isInstanceOf(StoreClosedException.class);
        assertThatThrownBy(() -> store.subject("a.*")).as("the argument is checked first")
            .isInstanceOf(IllegalArgumentException.class);
    }

    private static <T> T onAnotherThread(final Supplier<T> call) throws Exception
    {
        final ExecutorService other = Executors.newSingleThreadExecutor();
        try
        {
            // Another thread: the calling one might hold the lock reentrantly and hide a lock left held.
            return other.submit(call::get).get(30, TimeUnit.SECONDS);
        }
        finally
        {
            other.shutdownNow();
        }
    }
}
