package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.FilteredState;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code subjects} and {@code filteredState} racing a writer that appends, removes and makes the reclaimer delete and
 * rewrite blocks under them, with no hook: each answer must be the stream at one moment of the call. Sequence
 * {@code seq} is subject {@code keep.<seq % 3>} when {@code seq % 4 == 1} (never removed) and {@code drop.<seq % 5>}
 * otherwise (removed {@value #REMOVE_LAG} sequences later). So the kept messages up to any last sequence are known, and
 * an answer fixes the last sequence of its moment: {@code filteredState("keep.*", from)} must count exactly the kept
 * messages from {@code from} to the last one it names; the {@code keep.*} subjects of one {@code subjects} answer must
 * each be exact for one common last sequence, between the ones seen before and after the call.
 */
class QueryMomentRaceTest
{
    private static final long RACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1_500);
    private static final int MIN_APPENDS = 20_000;
    private static final int MIN_QUERIES = 200;
    private static final int REMOVE_LAG = 50;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void everyAnswerIsTheStreamAtOneMomentOfTheCall(final StreamMode mode) throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder("moment").blockSize(16 * 1024).maxMsgSize(256));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final AtomicBoolean writing = new AtomicBoolean(true);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final long deadline = System.nanoTime() + RACE_NANOS;
                    for (long seq = 1; seq <= MIN_APPENDS || System.nanoTime() < deadline; seq++)
                    {
                        final String subject = seq % 4 == 1 ? "keep." + seq % 3 : "drop." + seq % 5;
                        assertThat(store.append(subject, null, new byte[40 + (int)(seq % 50)])).isEqualTo(seq);
                        final long old = seq - REMOVE_LAG;
                        if (old > 0 && old % 4 != 1)
                        {
                            assertThat(store.remove(old)).isTrue();
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
                finally
                {
                    writing.set(false);
                }
            }, "query-moment-writer");
            writer.start();
            long queries = 0;
            while (writing.get() || queries < MIN_QUERIES)
            {
                final long before = store.lastSeq();
                final long from = Math.max(1, queries % 2 == 0 ? before / 3 : before - 150 - queries % 200);
                final FilteredState state = store.filteredState("keep.*", from);
                final Map<String, SubjectState> subjects = store.subjects("keep.*");
                final long after = store.lastSeq();
                checkFilteredState(state, from, before, after);
                checkSubjects(subjects, before, after);
                queries++;
            }
            writer.join();
            assertThat(failure.get()).isNull();
            assertThat(queries).isGreaterThanOrEqualTo(MIN_QUERIES);
        }
    }

    private static void checkFilteredState(
        final FilteredState state, final long from, final long before, final long after)
    {
        final String at = "filteredState(keep.*, " + from + ") between last sequences " + before + " and " + after;
        if (state.msgs() == 0)
        {
            assertThat(state).as(at).isEqualTo(FilteredState.NONE);
            assertThat(firstKeptFrom(from)).as(at).isGreaterThan(before);
            return;
        }
        assertThat(state.firstSeq()).as(at).isEqualTo(firstKeptFrom(from));
        assertThat(state.lastSeq() % 4).as(at).isEqualTo(1);
        // The moment's last sequence lies between the last kept one named and the next kept one.
        assertThat(state.lastSeq()).as(at).isLessThanOrEqualTo(after);
        assertThat(state.lastSeq() + 3).as(at).isGreaterThanOrEqualTo(before);
        assertThat(state.msgs()).as(at).isEqualTo(kept(from, state.lastSeq()));
    }

    private static void checkSubjects(final Map<String, SubjectState> subjects, final long before, final long after)
    {
        final String at = "subjects(keep.*) between last sequences " + before + " and " + after + ": " + subjects;
        long low = before;
        long high = after;
        for (final Map.Entry<String, SubjectState> e : subjects.entrySet())
        {
            final int n = Integer.parseInt(e.getKey().substring("keep.".length()));
            final SubjectState state = e.getValue();
            assertThat(state.firstSeq()).as(at).isEqualTo(firstOf(n));
            assertThat(state.lastSeq() % 12).as(at).isEqualTo(firstOf(n) % 12);
            assertThat(state.msgs()).as(at).isEqualTo((state.lastSeq() - firstOf(n)) / 12 + 1);
            // This subject's count holds for last sequences from its last message to just before its next one.
            low = Math.max(low, state.lastSeq());
            high = Math.min(high, state.lastSeq() + 11);
        }
        assertThat(low).as("%s: one moment for every subject", at).isLessThanOrEqualTo(high);
    }

    /**
     * @return the first sequence of {@code keep.<n>}: the first {@code seq % 4 == 1} with {@code seq % 3 == n}.
     */
    private static long firstOf(final int n)
    {
        for (long seq = 1; ; seq += 4)
        {
            if (seq % 3 == n)
            {
                return seq;
            }
        }
    }

    private static long firstKeptFrom(final long from)
    {
        return from + ((1 - from % 4) + 4) % 4;
    }

    private static long kept(final long from, final long to)
    {
        return to < from ? 0 : (to + 3) / 4 - (from + 2) / 4;
    }
}
