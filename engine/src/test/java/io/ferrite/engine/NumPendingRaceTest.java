package io.ferrite.engine;

import io.ferrite.engine.testing.FileForceHook;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code numPending} reads the blocks it scans after releasing the append lock: it must still count exactly the
 * stream as it stood at one moment of the call while a writer appends, removes and makes the reclaimer delete emptied
 * blocks and rewrite sparse ones under it. One sequence in four ({@code seq % 4 == 1}) is subject {@code keep.<n>} and
 * never removed; the others are {@code drop.<n>}, removed soon after, so sealed blocks thin out and are rewritten
 * under the reader. A reader counts {@code keep.*} from a sequence in the older part or in the blocks being rewritten
 * that moment: the answer must lie
 * between the count of kept sequences up to the last sequence seen before the call and the one seen after it.
 * <p>
 * With truncations and removals of the counted subject too, a count is no longer monotonic: it is checked message by
 * message against the writer's history (see
 * {@link #aCountRacingTruncationsAndRemovalsOfItsSubjectCountsEachMessageAsItStoodDuringTheCall}).
 */
class NumPendingRaceTest
{
    private static final long RACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1_500);
    private static final int MIN_APPENDS = 20_000;
    private static final int MIN_QUERIES = 200;
    /** How far behind the last sequence the writer removes the even messages. */
    private static final int REMOVE_LAG = 50;
    private static final int MIN_OPERATIONS = 5_000;
    private static final int MAX_OPERATIONS = 200_000;
    /** Enough answers to race many truncations; each is checked against every message, so not without bound. */
    private static final int MAX_ANSWERS = 5_000;
    private static final long FROM_ONE = 1;
    private static final long FROM_LATER = 200;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aCountRacingAppendsRemovalsAndReclaimIsTheStreamAtOneMomentOfTheCall(final StreamMode mode) throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder("pending").blockSize(16 * 1024).maxMsgSize(256));
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
                        final String subject = (seq % 4 == 1 ? "keep." : "drop.") + (seq % 7);
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
            }, "num-pending-writer");
            writer.start();
            long queries = 0;
            while (writing.get() || queries < MIN_QUERIES)
            {
                final long before = store.lastSeq();
                // Alternately deep in the stream and in the blocks sealed a moment ago, which the removals are
                // thinning out and the reclaimer rewrites while the count reads them.
                final long from = Math.max(1, queries % 2 == 0 ? before / 3 : before - 150 - queries % 200);
                final long counted = store.numPending(from, "keep.*");
                final long after = store.lastSeq();
                assertThat(counted).as("keep.* from %d between last sequences %d and %d", from, before, after)
                    .isBetween(kept(from, before), kept(from, after));
                queries++;
            }
            writer.join();
            assertThat(failure.get()).isNull();
            assertThat(queries).isGreaterThanOrEqualTo(MIN_QUERIES);
            final long last = store.lastSeq();
            assertThat(store.numPending(1, "keep.*")).isEqualTo(kept(1, last));
            assertThat(store.numPending(1, "drop.*")).as("the last ones, not yet removed")
                .isEqualTo(REMOVE_LAG - kept(last - REMOVE_LAG + 1, last));
            assertThat(rewrittenBlocks(config.blockSize())).as("sealed blocks rewritten under the reader")
                .isPositive();
        }
    }

    /**
     * The writer appends (one in three {@code keep.*}), removes {@code drop.*} messages and, now and then, a random
     * {@code keep.*} one, and truncates a random distance back, recording for each {@code keep.*} message the
     * operation that appended it and the one that removed it (by removal or truncation). A count counts each message
     * as it stood at some moment of the call (the contract; it is not one snapshot of the whole stream while removals
     * race it): so it is at least the messages that lived through every operation that may have overlapped the call,
     * and at most those alive at some moment of it. A truncation's own steps (uncount, cut, delete) are interleaved
     * with a count deterministically in {@link #aCountWhoseScanRanDuringATruncationCountsAgain}.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aCountRacingTruncationsAndRemovalsOfItsSubjectCountsEachMessageAsItStoodDuringTheCall(final StreamMode mode)
        throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder("pending").blockSize(8 * 1024).maxMsgSize(256));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final KeepHistory history = new KeepHistory();
            final AtomicLong finished = new AtomicLong();
            final AtomicBoolean writing = new AtomicBoolean(true);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    write(store, history, finished);
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
                finally
                {
                    writing.set(false);
                }
            }, "num-pending-truncating-writer");
            writer.start();
            final List<long[]> answers = new ArrayList<>();
            while ((writing.get() || answers.size() < MIN_QUERIES) && answers.size() < MAX_ANSWERS)
            {
                final long from = answers.size() % 2 == 0 ? FROM_ONE : FROM_LATER;
                final long before = finished.get();
                final long counted = store.numPending(from, "keep.*");
                final long after = finished.get();
                answers.add(new long[]{from, before, after, counted});
            }
            writer.join();
            assertThat(failure.get()).isNull();
            assertThat(history.truncations).as("truncations raced the counts").isPositive();
            assertThat(history.keepRemovals).as("removals of the counted subject raced the counts").isPositive();
            final long done = finished.get();
            for (final long[] answer : answers)
            {
                // Operations before + 1 .. after + 1 may have overlapped the call; after + 2 started after it returned.
                final long first = answer[1] + 1;
                final long last = Math.min(done, answer[2] + 1);
                assertThat(answer[3]).as("keep.* from %d, counted while operations %d to %d ran", answer[0], first,
                    last).isBetween(history.livedThrough(answer[0], first, last),
                    history.aliveDuring(answer[0], first, last));
            }
            assertThat(store.numPending(FROM_ONE, "keep.*")).as("quiet: exactly the live ones")
                .isEqualTo(history.livedThrough(FROM_ONE, done + 1, done + 1));
        }
    }

    /**
     * The writer of {@link #aCountRacingTruncationsAndRemovalsOfItsSubjectCountsEachMessageAsItStoodDuringTheCall}: a
     * seeded mix of operations, numbered from 1; {@code finished} is the last one done.
     */
    private static void write(final FileStreamStore store, final KeepHistory history, final AtomicLong finished)
    {
        final SplittableRandom random = new SplittableRandom(0x7E57_AB1EL);
        final long deadline = System.nanoTime() + RACE_NANOS;
        long last = 0;
        for (int op = 1; op < MAX_OPERATIONS && (op <= MIN_OPERATIONS || System.nanoTime() < deadline); op++)
        {
            final int dice = random.nextInt(1000);
            if (dice < 2 && last > FROM_LATER)
            {
                final long to = last - 1 - random.nextInt((int)Math.min(last - 1, 400));
                store.truncate(to);
                history.truncated(to, last, op);
                last = to;
            }
            else if (dice < 60 && !history.live.isEmpty())
            {
                final int seq = history.randomLive(random);
                assertThat(store.remove(seq)).isTrue();
                history.removed(seq, op);
            }
            else
            {
                final long seq = last + 1;
                final boolean keep = seq % 3 == 1;
                assertThat(store.append((keep ? "keep." : "drop.") + (seq % 5), null, new byte[40 + (int)(seq % 50)]))
                    .isEqualTo(seq);
                last = seq;
                if (keep)
                {
                    history.appended((int)seq, op);
                }
                final long old = seq - REMOVE_LAG;
                if (old > 0 && old % 3 != 1 && null != store.load(old))
                {
                    assertThat(store.remove(old)).isTrue();
                }
            }
            finished.set(op);
        }
    }

    /**
     * Every {@code keep.*} message the writer appended: its sequence, the operation that appended it and the one that
     * removed it ({@link Integer#MAX_VALUE} while it lives). Written by the writer only; read once it is done.
     */
    private static final class KeepHistory
    {
        private final int[] seq = new int[MAX_OPERATIONS];
        private final int[] appendedBy = new int[MAX_OPERATIONS];
        private final int[] removedBy = new int[MAX_OPERATIONS];
        /** The message each live sequence holds now, by index into the arrays. */
        private final int[] instanceAt = new int[MAX_OPERATIONS + 1];
        private final BitSet live = new BitSet();
        private int count;
        private int truncations;
        private int keepRemovals;

        void appended(final int sequence, final int op)
        {
            seq[count] = sequence;
            appendedBy[count] = op;
            removedBy[count] = Integer.MAX_VALUE;
            instanceAt[sequence] = count++;
            live.set(sequence);
        }

        void removed(final int sequence, final int op)
        {
            removedBy[instanceAt[sequence]] = op;
            live.clear(sequence);
            keepRemovals++;
        }

        void truncated(final long to, final long last, final int op)
        {
            for (int s = live.nextSetBit((int)to + 1); s >= 0 && s <= last; s = live.nextSetBit(s + 1))
            {
                removedBy[instanceAt[s]] = op;
            }
            live.clear((int)to + 1, (int)last + 1);
            truncations++;
        }

        int randomLive(final SplittableRandom random)
        {
            final int nth = random.nextInt(live.cardinality());
            int s = live.nextSetBit(0);
            for (int i = 0; i < nth; i++)
            {
                s = live.nextSetBit(s + 1);
            }
            return s;
        }

        /**
         * @return the messages at or after {@code from} appended before operation {@code first} and not removed by
         * operation {@code last} or before.
         */
        long livedThrough(final long from, final long first, final long last)
        {
            long n = 0;
            for (int i = 0; i < count; i++)
            {
                if (seq[i] >= from && appendedBy[i] < first && removedBy[i] > last)
                {
                    n++;
                }
            }
            return n;
        }

        /**
         * @return the messages at or after {@code from} alive at some moment while operations {@code first} to
         * {@code last} ran: appended before the end of {@code last}, not removed before {@code first} began.
         */
        long aliveDuring(final long from, final long first, final long last)
        {
            long n = 0;
            for (int i = 0; i < count; i++)
            {
                if (seq[i] >= from && appendedBy[i] <= last && removedBy[i] >= first)
                {
                    n++;
                }
            }
            return n;
        }
    }

    /**
     * A count whose unlocked scan runs while a truncation is cutting (after it uncounted and deleted the blocks above
     * the cut, before it published its completion) must not add the old summaries to the cut block's remains: it
     * counts again once the truncation is whole. The steps are ordered with latches: the count sums the summaries and
     * releases the lock; the truncation runs to the force of the block it cut; the count scans and finishes its
     * attempt; only then does the truncation go on.
     */
    @Test
    void aCountWhoseScanRanDuringATruncationCountsAgain() throws Exception
    {
        final FileForceHook io = new FileForceHook();
        final StreamConfig config = StreamConfig.builder("pending").blockSize(4096).maxMsgSize(256).build();
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            for (int seq = 1; seq <= 300; seq++)
            {
                store.append("keep." + (seq % 3), null, new byte[60]);
            }
            final CountDownLatch summed = new CountDownLatch(1);
            final CountDownLatch cutForced = new CountDownLatch(1);
            final CountDownLatch scanned = new CountDownLatch(1);
            final AtomicBoolean first = new AtomicBoolean(true);
            store.queries().observer((phase) ->
            {
                if (phase == StreamQueries.ScanObserver.SUMMED && first.get())
                {
                    summed.countDown();
                    await(cutForced);
                }
                else if (phase == StreamQueries.ScanObserver.SCANNED && first.getAndSet(false))
                {
                    scanned.countDown();
                }
            });
            final AtomicLong counted = new AtomicLong(-1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread counter = new Thread(() ->
            {
                try
                {
                    counted.set(store.numPending(2, "keep.*"));
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            }, "num-pending-counter");
            counter.start();
            await(summed);
            // At the force of the block the cut zeroed: bounded, before the fix the count's scan finishes there; after
            // it, too (its retry then waits for the lock this thread holds, which is why the wait is on its scan).
            io.atCut(() ->
            {
                cutForced.countDown();
                await(scanned);
            });
            store.truncate(3);
            counter.join();
            assertThat(failure.get()).isNull();
            assertThat(scanned.getCount()).as("the count scanned while the truncation was cutting").isZero();
            assertThat(counted.get()).as("keep.* from 2: 299 before the truncation, 2 after; nothing between")
                .isEqualTo(2);
        }
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            assertThat(latch.await(30, TimeUnit.SECONDS)).as("latch within 30 s").isTrue();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return how many kept sequences ({@code seq % 4 == 1}) there are in {@code [from, to]}.
     */
    private static long kept(final long from, final long to)
    {
        return to < from ? 0 : (to + 3) / 4 - (from + 2) / 4;
    }

    private long rewrittenBlocks(final int blockSize) throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((file) -> file.toString().endsWith(BlockDescriptor.FILE_SUFFIX))
                .filter((file) -> size(file) <= blockSize / 2).count();
        }
    }

    private static long size(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
