package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.FilteredState;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static io.ferrite.engine.testing.ReferenceSubjects.matches;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code subjects}, {@code filteredState} and {@code sequenceAt} read the blocks without the append lock: each query
 * is held inside its unlocked phase (the {@code queryUnlockedHook} seam) while the test appends — which must complete,
 * the lock free — and the answer must be the stream as it stood before those appends. A removal or a truncation made
 * in that phase makes the query start again and answer for the stream after it; one made in every attempt sends the
 * query under the lock, with the same exact answer. Every answer is checked against a model of the stream (sequence →
 * subject and time), the serial reference. Plaintext and encrypted; seeded, no sleeps: latches order the threads.
 */
class QueryRaceTest
{
    private static final String[] SUBJECTS = {"md.eu.px", "md.eu.qty", "md.us.px", "ref.eu", "ref.us.x"};
    private static final String[] FILTERS = {">", "md.>", "md.*.px", "md.eu.px", "*.eu", "ref.us.x", "none"};
    private static final long T0 = 1_700_000_000_000_000_000L;
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;

    /** The serial reference: what the store holds, sequence → subject; times are {@link #time(long)}. */
    private final NavigableMap<Long, String> model = new TreeMap<>();
    private final ExecutorService threads = Executors.newFixedThreadPool(2);
    private long last;

    @AfterEach
    void stopThreads()
    {
        threads.shutdownNow();
    }

    /** What each query asks, named for the assertions. */
    private enum Query
    {
        SUBJECTS,
        FILTERED_STATE,
        SEQUENCE_AT
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void anAppenderIsNotBlockedWhileAQueryReadsAndTheAnswerIsTheStreamBeforeTheAppends(final StreamMode mode)
        throws Exception
    {
        try (FileStreamStore store = open(mode))
        {
            fill(store, 400);
            for (final Query query : Query.values())
            {
                for (int round = 0; round < 3; round++)
                {
                    final String filter = FILTERS[(query.ordinal() * 3 + round) % FILTERS.length];
                    final long from = 1 + (round * 97L) % last;
                    final Object expected = reference(query, filter, from);
                    final CountDownLatch paused = new CountDownLatch(1);
                    final CountDownLatch resume = new CountDownLatch(1);
                    final AtomicInteger phases = new AtomicInteger();
                    final AtomicBoolean lockHeld = new AtomicBoolean();
                    store.queryUnlockedHook(() ->
                    {
                        phases.incrementAndGet();
                        // The query's own hold: the flusher's capture may hold the lock for a moment meanwhile.
                        lockHeld.set(store.appendLock().isHeldByCurrentThread());
                        paused.countDown();
                        await(resume);
                    });
                    final Future<Object> answer = threads.submit(() -> ask(store, query, filter, from));
                    assertThat(paused.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("query reached its unlocked phase")
                        .isTrue();
                    assertThat(lockHeld).as("%s holds no lock while it reads", query).isFalse();
                    // Appends of every subject (a roll among them), on another thread, complete while it is held.
                    final Future<Long> appended = threads.submit(() -> append(store, 40));
                    assertThat(appended.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(last);
                    resume.countDown();
                    assertThat(answer.get(WAIT_SECONDS, TimeUnit.SECONDS))
                        .as("%s(%s, %d) is the stream before the appends", query, filter, from).isEqualTo(expected);
                    assertThat(phases.get()).as("one unlocked phase, no retry: appends do not invalidate it")
                        .isEqualTo(1);
                    store.queryUnlockedHook(null);
                    assertThat(ask(store, query, filter, from)).as("%s after the appends", query)
                        .isEqualTo(reference(query, filter, from));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aRemovalOrTruncationDuringTheUnlockedPhaseRestartsTheQueryWhichAnswersForTheStreamAfterIt(
        final StreamMode mode) throws Exception
    {
        try (FileStreamStore store = open(mode))
        {
            fill(store, 400);
            final SplittableRandom random = new SplittableRandom(15);
            for (final Query query : Query.values())
            {
                for (int round = 0; round < 4; round++)
                {
                    final String filter = FILTERS[(query.ordinal() + round) % (FILTERS.length - 1)];
                    final long from = 1 + random.nextLong(last / 2);
                    // The change that moves the answer: the first match (removed), or the stream's end (truncated).
                    final boolean truncate = round == 3;
                    final long target = truncate ? last - 30 : switch (query)
                    {
                        case SUBJECTS -> firstMatching(filter, 1);
                        case FILTERED_STATE -> firstMatching(filter, from);
                        case SEQUENCE_AT -> firstAtOrAfter(time(from));
                    };
                    final AtomicInteger phases = new AtomicInteger();
                    store.queryUnlockedHook(() ->
                    {
                        if (phases.incrementAndGet() == 1)
                        {
                            // On the querying thread, which holds no lock here: it would deadlock otherwise.
                            change(store, truncate, target);
                        }
                    });
                    final Object answer = ask(store, query, filter, from);
                    store.queryUnlockedHook(null);
                    assertThat(answer).as("%s(%s, %d) after %s %d", query, filter, from,
                        truncate ? "truncating to" : "removing", target).isEqualTo(reference(query, filter, from));
                    // At least once more: a reclaim pass finishing meanwhile may move the removal version again.
                    assertThat(phases.get()).as("%s started again after the change", query)
                        .isGreaterThanOrEqualTo(2);
                    if (truncate)
                    {
                        append(store, 60);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aQueryOvertakenByRemovalsEveryAttemptAnswersUnderTheLockWithTheSameExactAnswer(final StreamMode mode)
        throws Exception
    {
        try (FileStreamStore store = open(mode))
        {
            fill(store, 400);
            for (final Query query : Query.values())
            {
                final AtomicInteger phases = new AtomicInteger();
                store.queryUnlockedHook(() ->
                {
                    phases.incrementAndGet();
                    change(store, false, model.firstKey());
                });
                final Object answer = ask(store, query, "md.>", 1);
                store.queryUnlockedHook(null);
                assertThat(phases.get()).as("%s gave up reading without the lock", query)
                    .isEqualTo(StreamQueries.UNLOCKED_QUERY_ATTEMPTS);
                assertThat(answer).isEqualTo(reference(query, "md.>", 1));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aColdStreamBuildsWhatItNeedsOffTheLockAndAnswersExactly(final StreamMode mode) throws Exception
    {
        try (FileStreamStore store = open(mode))
        {
            fill(store, 400);
        }
        // Reopened from state.db: no block has a table or a subject summary until a query needs one.
        try (FileStreamStore store = open(mode))
        {
            final AtomicInteger phases = new AtomicInteger();
            store.queryUnlockedHook(() ->
            {
                assertThat(store.appendLock().isHeldByCurrentThread()).isFalse();
                phases.incrementAndGet();
            });
            for (final Query query : Query.values())
            {
                for (final String filter : FILTERS)
                {
                    final long from = 1 + (filter.length() * 31L) % last;
                    assertThat(ask(store, query, filter, from)).as("%s(%s, %d) on a cold stream", query, filter, from)
                        .isEqualTo(reference(query, filter, from));
                    assertThat(store.numPending(from, filter)).as("numPending(%d, %s)", from, filter)
                        .isEqualTo(referenceFilteredState(filter, from).msgs());
                }
            }
            assertThat(phases.get()).as("every query answered from an unlocked phase")
                .isEqualTo(Query.values().length * FILTERS.length);
        }
    }

    private FileStreamStore open(final StreamMode mode)
    {
        return FileStreamStore.open(dir, mode.config(StreamConfig.builder("queries").blockSize(8 * 1024)
            .maxMsgSize(512)));
    }

    /**
     * Append {@code count} messages, then remove the first and last of each subject and a few in between, so the
     * subjects' bounds are inexact and the queries must search the blocks.
     */
    private void fill(final FileStreamStore store, final int count)
    {
        append(store, count);
        final SplittableRandom random = new SplittableRandom(42);
        for (final String subject : SUBJECTS)
        {
            change(store, false, firstMatching(subject, 1));
            change(store, false, model.descendingMap().entrySet().stream().filter((e) -> e.getValue().equals(subject))
                .findFirst().orElseThrow().getKey());
        }
        for (int i = 0; i < count / 10; i++)
        {
            final Long seq = model.ceilingKey(1 + random.nextLong(last));
            if (null != seq)
            {
                change(store, false, seq);
            }
        }
    }

    private long append(final FileStreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long seq = last + 1;
            final String subject = SUBJECTS[(int)((seq * 7) % SUBJECTS.length)];
            store.appendAt(seq, time(seq), subject, null, new byte[60 + (int)(seq % 90)]);
            model.put(seq, subject);
            last = seq;
        }
        return last;
    }

    private void change(final FileStreamStore store, final boolean truncate, final long seq)
    {
        if (truncate)
        {
            store.truncate(seq);
            model.tailMap(seq, false).clear();
            last = seq;
        }
        else
        {
            assertThat(store.remove(seq)).as("remove %d", seq).isTrue();
            model.remove(seq);
        }
    }

    private static long time(final long seq)
    {
        // Several messages share a time, so a time query must find the first of them.
        return T0 + (seq / 3) * 1_000L;
    }

    private Object ask(final FileStreamStore store, final Query query, final String filter, final long from)
    {
        return switch (query)
        {
            case SUBJECTS -> store.subjects(filter);
            case FILTERED_STATE -> store.filteredState(filter, from);
            case SEQUENCE_AT -> store.sequenceAt(instant(time(from)));
        };
    }

    private Object reference(final Query query, final String filter, final long from)
    {
        return switch (query)
        {
            case SUBJECTS -> referenceSubjects(filter);
            case FILTERED_STATE -> referenceFilteredState(filter, from);
            case SEQUENCE_AT -> firstAtOrAfter(time(from));
        };
    }

    private Map<String, SubjectState> referenceSubjects(final String filter)
    {
        final Map<String, SubjectState> states = new TreeMap<>();
        model.forEach((seq, subject) ->
        {
            if (matches(filter, subject))
            {
                states.merge(subject, new SubjectState(1, seq, seq),
                    (a, b) -> new SubjectState(a.msgs() + 1, a.firstSeq(), b.lastSeq()));
            }
        });
        return states;
    }

    private FilteredState referenceFilteredState(final String filter, final long from)
    {
        final Function<Map.Entry<Long, String>, Boolean> match = (e) -> matches(filter, e.getValue());
        final long[] state = {0, 0, 0};
        for (final Map.Entry<Long, String> e : model.tailMap(from, true).entrySet())
        {
            if (match.apply(e))
            {
                state[0]++;
                state[1] = state[1] == 0 ? e.getKey() : state[1];
                state[2] = e.getKey();
            }
        }
        return state[0] == 0 ? FilteredState.NONE : new FilteredState(state[0], state[1], state[2]);
    }

    private long firstAtOrAfter(final long nanos)
    {
        return model.keySet().stream().filter((seq) -> time(seq) >= nanos).findFirst().orElse(last + 1);
    }

    private long firstMatching(final String filter, final long from)
    {
        return model.tailMap(from, true).entrySet().stream().filter((e) -> matches(filter, e.getValue()))
            .findFirst().map(Map.Entry::getKey).orElse(model.lastKey());
    }

    private static Instant instant(final long nanos)
    {
        return Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            assertThat(latch.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("the test resumed the query").isTrue();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while holding a query", ex);
        }
    }
}
