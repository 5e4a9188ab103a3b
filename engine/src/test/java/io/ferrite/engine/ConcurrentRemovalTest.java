package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static io.ferrite.engine.testing.ReferenceSubjects.matches;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lock-free readers racing removals and the space reclaim they cause: one writer appends and removes (mostly old
 * messages, so blocks empty and are deleted and sparse blocks are rewritten under the readers), erases, purges by
 * subject and compacts, while {@link #READERS} readers load, read, scan and look up the last message of random
 * sequences and subjects. A reader never throws, and whatever it gets is exactly the message appended at that sequence.
 * <p>
 * The writer marks a sequence "targeted" before it starts removing it and "removed" once the removal returned, so a
 * reader can also check the absences it sees: a message missing (or skipped by a scan) must have been targeted by the
 * time the call returned, and a message removed before the call started must not come back.
 * <p>
 * At the end every sequence is checked against the writer's model, live, after a reopen, and after a rebuild from
 * the blocks alone.
 */
class ConcurrentRemovalTest
{
    private static final long SEED = 0x4E40_7A1L;
    private static final int READERS = 3;
    private static final int MAX_PAYLOAD = 160;
    private static final int MAX_OPS = 150_000;
    /** Sequences the test's bit sets cover: the main loop's, a compaction's jump past the end, the thinning. */
    private static final int SEQ_CAPACITY = MAX_OPS + 4_096;
    /** Appended at the end of the race, and the older two thirds of them thinned out to one in six kept. */
    private static final int THIN_APPENDS = 300;
    private static final long REWRITE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The writer runs for {@link #RACE_NANOS} but does at least this much, however slow the machine. */
    private static final int MIN_OPS = 4_000;
    private static final long RACE_NANOS = TimeUnit.MILLISECONDS.toNanos(2_000);
    /** How far past the oldest live message the writer reaches to thin blocks out rather than empty them. */
    private static final int SPARSE_WINDOW = 400;
    /** Bounds a reader's check of the sequences a scan passed over, so a long gap costs no more than this. */
    private static final int MAX_SCAN_CHECK = 4_096;
    private static final long MIN_READS_PER_READER = 1_000;
    private static final int MAX_ERASES = 12;
    private static final String[] FILTERS = {">", "orders.>", "orders.*.new", "orders.3.*", "orders.1.fill", "*.2.*"};
    private static final TestMessages MESSAGES = new TestMessages(MAX_PAYLOAD);

    @TempDir
    Path root;

    static Stream<Arguments> modesAndBlockSizes()
    {
        return Stream.of(StreamMode.values())
            .flatMap((mode) -> Stream.of(8192, 16384).map((blockSize) -> Arguments.of(mode, blockSize)));
    }

    @ParameterizedTest(name = "{0}, blockSize {1}")
    @MethodSource("modesAndBlockSizes")
    void readersRacingRemovalsAndReclaimOnlyEverSeeIntactMessages(final StreamMode mode, final int blockSize)
        throws InterruptedException
    {
        final StreamConfig config = mode.config(
            StreamConfig.builder("removals").blockSize(blockSize).maxMsgSize(MAX_PAYLOAD + 64));
        final Path dir = root.resolve("s");
        final Race race = new Race(SEED ^ blockSize ^ mode.ordinal());
        FileStreamStore store = FileStreamStore.open(dir, config);
        try
        {
            store.reclaimSteps(race::onReclaimStep);
            race.run(store);
            final String where = mode + ", blockSize " + blockSize + ", seed " + race.seed;
            System.out.println("ConcurrentRemovalTest (" + where + "): " + race.summary(store));

            race.throwFailure(store);
            for (int r = 0; r < READERS; r++)
            {
                assertThat(race.reads[r]).as("reader %d read while the writer ran (%s)", r, where)
                    .isGreaterThanOrEqualTo(MIN_READS_PER_READER);
            }
            assertThat(race.deletesWhileRacing).as("blocks deleted under the readers (%s)", where).isPositive();
            assertThat(race.removed).as("removals made (%s)", where).isGreaterThan(MIN_OPS / 4);
            assertThat(race.bulk).as("purges and compactions made (%s)", where).isPositive();
            assertThat(race.rewritesWhileRacing).as("sparse blocks rewritten under the readers (%s)", where)
                .isPositive();
            assertThat(blockFiles(dir)).as("fewer block files than blocks created: emptied ones were deleted (%s)",
                where).isLessThan(store.stats().blocksCreated());

            verify(store, race.live, race.lastSeq, "the live store, " + where);

            store.close();
            store = FileStreamStore.open(dir, config);
            assertThat(store.recoveryReport().outcome()).as(where).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThat(store.recoveryReport().lost()).as("reopened, %s: %s", where, store.recoveryReport()).isEmpty();
            verify(store, race.live, race.lastSeq, "reopened, " + where);

            store.close();
            RemoveEraseTest.Restart.delete(dir.resolve("state.db"));
            store = FileStreamStore.open(dir, config);
            assertThat(store.recoveryReport().outcome()).as(where)
                .isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            assertThat(store.recoveryReport().lost()).as("rebuilt, %s: %s", where, store.recoveryReport()).isEmpty();
            verify(store, race.live, race.lastSeq, "rebuilt from blocks, " + where);
        }
        finally
        {
            store.close();
        }
    }

    /**
     * One writer and {@link #READERS} readers over one store; the writer's model of what is live is read by the test
     * thread only after the writer has been joined.
     */
    private static final class Race
    {
        final long seed;
        final TreeSet<Long> live = new TreeSet<>();
        final long[] reads = new long[READERS];
        final LongAdder deletes = new LongAdder();
        final LongAdder rewrites = new LongAdder();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        final List<String> bulkLog = new ArrayList<>();
        /** Bit per sequence: a removal of it has started. */
        final AtomicLongArray targeted = new AtomicLongArray(SEQ_CAPACITY / 64 + 1);
        /** Bit per sequence: a removal of it has returned. */
        final AtomicLongArray gone = new AtomicLongArray(SEQ_CAPACITY / 64 + 1);
        /** Bit per sequence: it was erased rather than removed. */
        final AtomicLongArray erasedSeqs = new AtomicLongArray(SEQ_CAPACITY / 64 + 1);
        final AtomicLong published = new AtomicLong();
        /** The writer's op count, for failure messages. */
        final AtomicLong writerOp = new AtomicLong();
        final AtomicBoolean writerDone = new AtomicBoolean();
        long lastSeq;
        long ops;
        long removed;
        long erased;
        long bulk;
        long deletesWhileRacing;
        long rewritesWhileRacing;

        Race(final long seed)
        {
            this.seed = seed;
        }

        void onReclaimStep(final ReclaimStep step)
        {
            if (step == ReclaimStep.DELETE_FILES_DELETED)
            {
                deletes.increment();
            }
            else if (step == ReclaimStep.REWRITE_RENAMED)
            {
                rewrites.increment();
            }
        }

        void run(final FileStreamStore store) throws InterruptedException
        {
            final CountDownLatch readersReady = new CountDownLatch(READERS);
            final List<Thread> threads = new ArrayList<>();
            threads.add(new Thread(() ->
            {
                try
                {
                    readersReady.await();
                    write(store);
                }
                catch (final Throwable ex)
                {
                    fail(new AssertionError("writer (seed " + seed + ", op " + ops + "): " + ex, ex));
                }
                finally
                {
                    deletesWhileRacing = deletes.sum();
                    rewritesWhileRacing = rewrites.sum();
                    writerDone.set(true);
                }
            }, "writer"));
            for (int r = 0; r < READERS; r++)
            {
                final int reader = r;
                threads.add(new Thread(() ->
                {
                    final SplittableRandom random = new SplittableRandom(seed + 1 + reader);
                    readersReady.countDown();
                    long count = 0;
                    try
                    {
                        while (null == failure.get() && !writerDone.get())
                        {
                            try
                            {
                                readOnce(store, random, (int)(count & 3));
                            }
                            catch (final CorruptRecordException ex)
                            {
                                throw new AssertionError("read kind " + (count & 3) + ": " + ex.getMessage() + " " +
                                    diagnose(store, ex.seq()), ex);
                            }
                            count++;
                        }
                    }
                    catch (final Throwable ex)
                    {
                        fail(new AssertionError("reader " + reader + " (seed " + seed + ", read " + count + "): " +
                            ex, ex));
                    }
                    reads[reader] = count;
                }, "reader-" + r));
            }
            threads.forEach(Thread::start);
            for (final Thread thread : threads)
            {
                thread.join();
            }
        }

        void throwFailure(final StreamStore store)
        {
            if (failures.isEmpty())
            {
                return;
            }
            final StringBuilder sb = new StringBuilder(failures.size() + " failure(s), first: " +
                failures.peek().getMessage());
            sb.append("\nbulk removals: ").append(bulkLog);
            final List<String> differences = new ArrayList<>();
            for (long seq = 1; seq <= lastSeq && differences.size() < 20; seq++)
            {
                final StoredMessage message = store.load(seq);
                if (live.contains(seq) != (null != message))
                {
                    differences.add(seq + (null == message ? " missing" : " present though removed") +
                        (isSet(erasedSeqs, seq) ? " (erased)" : ""));
                }
            }
            sb.append("\nthe store now differs from the writer's model at: ").append(differences);
            final AssertionError error = new AssertionError(sb.toString(), failures.peek());
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }

        private void fail(final Throwable ex)
        {
            failures.add(ex);
            failure.compareAndSet(null, ex);
        }

        String summary(final FileStreamStore store)
        {
            return ops + " writer ops up to seq " + lastSeq + ", " + removed + " removed (" + erased + " erased, " +
                bulk + " purges/compactions), " + live.size() + " live; reads " + Arrays.toString(reads) +
                "; " + deletesWhileRacing + " block deletions and " + rewritesWhileRacing +
                " rewrites under the readers; " + store.stats().blocksCreated() + " blocks created";
        }

        // ---------------------------------------------------------------------------------------------- the writer

        private void write(final FileStreamStore store)
        {
            final SplittableRandom random = new SplittableRandom(seed);
            final long deadline = System.nanoTime() + RACE_NANOS;
            while (ops < MAX_OPS - 1 && lastSeq < MAX_OPS - 1 && (ops < MIN_OPS || System.nanoTime() - deadline < 0) &&
                null == failure.get())
            {
                ops++;
                writerOp.lazySet(ops);
                final int dice = random.nextInt(200);
                if (dice < 100 || live.size() < 64)
                {
                    lastSeq = MESSAGES.appendNext(store);
                    live.add(lastSeq);
                    published.set(lastSeq);
                }
                else if (dice < 148)
                {
                    // The oldest message: blocks at the head empty out and are deleted.
                    removeOne(store, live.first(), eraseNow(random));
                }
                else if (dice < 192)
                {
                    // Somewhere just past the head: blocks there thin out and get rewritten before they empty.
                    final Long seq = live.ceiling(live.first() + random.nextInt(SPARSE_WINDOW));
                    removeOne(store, null == seq ? live.last() : seq, eraseNow(random));
                }
                else if (dice < 198)
                {
                    // Nothing stored there: removed before, or never appended.
                    final long seq = random.nextBoolean() ? 1 + random.nextLong(lastSeq + 1) : lastSeq + 1;
                    if (!live.contains(seq))
                    {
                        assertThat(store.remove(seq)).as("remove(%d) of no message", seq).isFalse();
                    }
                }
                else if (random.nextInt(4) == 0)
                {
                    bulkRemoval(store, random);
                }
            }
            if (null == failure.get())
            {
                thinOut(store);
            }
        }

        /**
         * However the dice fell, leave a few sealed blocks sparse while the readers still run, and wait for the
         * reclaimer to rewrite one under them.
         */
        private void thinOut(final StreamStore store)
        {
            final long rewritesBefore = rewrites.sum();
            final long from = lastSeq + 1;
            for (int i = 0; i < THIN_APPENDS; i++)
            {
                lastSeq = MESSAGES.appendNext(store);
                live.add(lastSeq);
                published.set(lastSeq);
            }
            // The older two thirds lie in sealed blocks: five in six of their messages go, so a block loses the 16 a
            // rewrite needs and its live messages fit in half its file, the rewrite rule (a 4 KiB block never halves,
            // hence 8 and 16 KiB blocks here).
            for (long seq = from; seq < from + THIN_APPENDS * 2 / 3; seq++)
            {
                if ((seq - from) % 6 != 0)
                {
                    removeOne(store, seq, false);
                }
            }
            final long deadline = System.nanoTime() + REWRITE_WAIT_NANOS;
            while (rewrites.sum() == rewritesBefore && null == failure.get())
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new AssertionError("no sparse block rewritten within " +
                        TimeUnit.NANOSECONDS.toSeconds(REWRITE_WAIT_NANOS) + " s of thinning out seqs " + from + ".." +
                        (from + THIN_APPENDS * 2 / 3 - 1));
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }

        /**
         * Erasing forces the block file, milliseconds on a real disk: a few per run race the readers, no more.
         */
        private boolean eraseNow(final SplittableRandom random)
        {
            return erased < MAX_ERASES && random.nextInt(128) == 0;
        }

        private void removeOne(final StreamStore store, final long seq, final boolean erase)
        {
            mark(targeted, seq);
            if (erase)
            {
                mark(erasedSeqs, seq);
            }
            final boolean wasStored = erase ? store.erase(seq) : store.remove(seq);
            assertThat(wasStored).as("%s(%d) of a live message", erase ? "erase" : "remove", seq).isTrue();
            live.remove(seq);
            mark(gone, seq);
            removed++;
            erased += erase ? 1 : 0;
        }

        private void bulkRemoval(final StreamStore store, final SplittableRandom random)
        {
            bulk++;
            final String filter = FILTERS[1 + random.nextInt(FILTERS.length - 1)];
            final List<Long> doomed = new ArrayList<>();
            final long count;
            final String call;
            switch (random.nextInt(10))
            {
                case 0, 1, 2, 3 ->
                {
                    final long upTo = live.first() + random.nextInt(SPARSE_WINDOW);
                    for (final long seq : live.headSet(upTo, false))
                    {
                        if (matches(filter, MESSAGES.subject(seq)))
                        {
                            doomed.add(seq);
                        }
                    }
                    call = "purge(" + filter + ", " + upTo + ", 0)";
                    doomed.forEach((seq) -> mark(targeted, seq));
                    count = store.purge(filter, upTo, 0);
                }
                case 4, 5, 6 ->
                {
                    final List<Long> matching = new ArrayList<>();
                    for (final long seq : live)
                    {
                        if (matches(filter, MESSAGES.subject(seq)))
                        {
                            matching.add(seq);
                        }
                    }
                    final int keep = Math.max(0, matching.size() - 1 - random.nextInt(40));
                    doomed.addAll(matching.subList(0, matching.size() - keep));
                    call = "purge(" + filter + ", 0, " + keep + ")";
                    doomed.forEach((seq) -> mark(targeted, seq));
                    count = store.purge(filter, 0, keep);
                }
                case 7, 8 ->
                {
                    final long below = live.first() + random.nextInt(SPARSE_WINDOW / 2);
                    doomed.addAll(live.headSet(below, false));
                    call = "compact(" + below + ")";
                    doomed.forEach((seq) -> mark(targeted, seq));
                    // Past the end, the sequences up to it are never assigned: mark them so readers expect nothing.
                    for (long seq = lastSeq + 1; seq < below; seq++)
                    {
                        mark(targeted, seq);
                    }
                    count = store.compact(below);
                    if (below > lastSeq + 1)
                    {
                        lastSeq = below - 1;
                        published.set(lastSeq);
                    }
                }
                default ->
                {
                    doomed.addAll(live);
                    call = "purge()";
                    doomed.forEach((seq) -> mark(targeted, seq));
                    count = store.purge();
                }
            }
            bulkLog.add(call + " at op " + ops + " removed " + count + " of " + doomed.size() + " expected");
            assertThat(count).as("%s removed", call).isEqualTo(doomed.size());
            for (final long seq : doomed)
            {
                live.remove(seq);
                mark(gone, seq);
            }
            removed += doomed.size();
        }

        // --------------------------------------------------------------------------------------------- the readers

        private void readOnce(final StreamStore store, final SplittableRandom random, final int kind)
        {
            final long known = published.get();
            if (known == 0)
            {
                return;
            }
            switch (kind)
            {
                case 0 ->
                {
                    final long seq = 1 + random.nextLong(known);
                    final boolean goneBefore = isSet(gone, seq);
                    final StoredMessage message = store.load(seq);
                    if (null == message)
                    {
                        check(isSet(targeted, seq) ? null :
                            "load(" + seq + ") found nothing, but nothing removed it; " + diagnose(store, seq));
                    }
                    else
                    {
                        check(goneBefore ? "load(" + seq + ") returned a message removed before the call" : null);
                        checkIntact(store, "load(" + seq + ")", MESSAGES.mismatch(message, seq), seq);
                    }
                }
                case 1 ->
                {
                    final long seq = 1 + random.nextLong(known);
                    final boolean goneBefore = isSet(gone, seq);
                    final String[] mismatch = {"read(" + seq + ") returned true without calling the handler"};
                    if (store.read(seq, (view) -> mismatch[0] = MESSAGES.mismatch(view, seq)))
                    {
                        check(goneBefore ? "read(" + seq + ") handed a message removed before the call" : null);
                        checkIntact(store, "read(" + seq + ")", mismatch[0], seq);
                    }
                    else
                    {
                        check(isSet(targeted, seq) ? null :
                            "read(" + seq + ") found nothing, but nothing removed it; " + diagnose(store, seq));
                    }
                }
                case 2 ->
                {
                    final long from = 1 + random.nextLong(known);
                    final String filter = random.nextBoolean() ? FILTERS[random.nextInt(FILTERS.length)] :
                        MESSAGES.subject(from + random.nextInt(15));
                    final StoredMessage message = store.loadNext(filter, from);
                    final String call = "loadNext(" + filter + ", " + from + ") -> " + message;
                    final long end = null == message ? known : Math.min(known, message.seq() - 1);
                    if (null != message)
                    {
                        check(message.seq() >= from && matches(filter, message.subject()) ? null : call);
                        checkIntact(store, call, MESSAGES.mismatch(message, message.seq()), message.seq());
                    }
                    for (long seq = from; seq <= Math.min(end, from + MAX_SCAN_CHECK); seq++)
                    {
                        if (matches(filter, MESSAGES.subject(seq)) && !isSet(targeted, seq))
                        {
                            check(call + " passed over seq " + seq + ", which nothing removed; " +
                                diagnose(store, seq) + ", loadNext again -> " + store.loadNext(filter, from));
                        }
                    }
                }
                default ->
                {
                    final String subject = MESSAGES.subject(1 + random.nextInt(15));
                    final StoredMessage message = store.loadLast(subject);
                    final String call = "loadLast(" + subject + ") -> " + message;
                    final long after = null == message ? 0 : message.seq();
                    if (null != message)
                    {
                        check(message.subject().equals(subject) ? null : call);
                        checkIntact(store, call, MESSAGES.mismatch(message, message.seq()), message.seq());
                    }
                    for (long seq = known; seq > Math.max(after, known - MAX_SCAN_CHECK); seq--)
                    {
                        if (MESSAGES.subject(seq).equals(subject) && !isSet(targeted, seq))
                        {
                            check(call + " missed seq " + seq + ", which nothing removed; " + diagnose(store, seq) +
                                ", loadLast again -> " + store.loadLast(subject));
                        }
                    }
                }
            }
        }

        /**
         * What the writer had done to {@code seq} by now, and what a second look at it finds: tells a transient miss
         * (a race) from a lasting one.
         */
        private String diagnose(final StreamStore store, final long seq)
        {
            if (seq < 1 || seq >= SEQ_CAPACITY)
            {
                return "[seq " + seq + "]";
            }
            String again;
            try
            {
                again = String.valueOf(store.load(seq));
            }
            catch (final RuntimeException ex)
            {
                again = ex.toString();
            }
            return "[seq " + seq + ": targeted=" + isSet(targeted, seq) + ", gone=" + isSet(gone, seq) + ", erased=" +
                isSet(erasedSeqs, seq) + ", load now -> " + again + ", writer at op " + writerOp.get() + "]";
        }

        private void checkIntact(final StreamStore store, final String call, final String mismatch, final long seq)
        {
            if (null != mismatch)
            {
                throw new AssertionError(call + ": " + mismatch + " " + diagnose(store, seq));
            }
        }

        private static void check(final String mismatch)
        {
            if (null != mismatch)
            {
                throw new AssertionError(mismatch);
            }
        }

        private static void mark(final AtomicLongArray bits, final long seq)
        {
            final int word = (int)(seq >>> 6);
            final long bit = 1L << (seq & 63);
            long current;
            do
            {
                current = bits.get(word);
            }
            while ((current & bit) == 0 && !bits.compareAndSet(word, current, current | bit));
        }

        private static boolean isSet(final AtomicLongArray bits, final long seq)
        {
            return (bits.get((int)(seq >>> 6)) & (1L << (seq & 63))) != 0;
        }
    }

    /**
     * Check a store against the writer's model: every sequence, the totals, the per-subject state and a full scan.
     */
    static void verify(final StreamStore store, final NavigableSet<Long> live, final long lastSeq, final String where)
    {
        long bytes = 0;
        final Map<String, long[]> subjects = new TreeMap<>();
        for (final long seq : live)
        {
            final String subject = MESSAGES.subject(seq);
            bytes += subject.length() + MESSAGES.headers(seq).length + MESSAGES.payload(seq).length;
            final long[] state = subjects.computeIfAbsent(subject, (s) -> new long[] {0, seq, seq});
            state[0]++;
            state[2] = seq;
        }
        final StreamState state = store.state();
        final String context = where + ": " + state;
        assertThat(state.lastSeq()).as(context).isEqualTo(lastSeq);
        assertThat(state.msgs()).as(context).isEqualTo(live.size());
        assertThat(state.bytes()).as(context).isEqualTo(bytes);
        assertThat(state.firstSeq()).as(context).isEqualTo(live.isEmpty() ? lastSeq + 1 : live.first());
        assertThat(state.numSubjects()).as(context).isEqualTo(subjects.size());
        assertThat(state.numDeleted()).as(context)
            .isEqualTo(live.isEmpty() ? 0 : lastSeq - live.first() + 1 - live.size());
        for (long seq = 1; seq <= lastSeq + 2; seq++)
        {
            final StoredMessage message = store.load(seq);
            if (live.contains(seq))
            {
                assertThat(MESSAGES.mismatch(message, seq)).as(context).isNull();
            }
            else
            {
                assertThat(message).as("seq %d was removed: %s", seq, context).isNull();
            }
        }
        final List<Long> scanned = new ArrayList<>();
        for (StoredMessage next = store.loadNext(">", 1); null != next; next = store.loadNext(">", next.seq() + 1))
        {
            scanned.add(next.seq());
        }
        assertThat(scanned).as("a full scan: %s", context).containsExactlyElementsOf(live);
        assertThat(store.numPending(1, ">")).as(context).isEqualTo(live.size());
        final Map<String, SubjectState> actual = store.subjects(">");
        assertThat(actual.keySet()).as(context).containsExactlyInAnyOrderElementsOf(subjects.keySet());
        for (final Map.Entry<String, long[]> expected : subjects.entrySet())
        {
            final long[] s = expected.getValue();
            assertThat(actual.get(expected.getKey())).as("subject %s: %s", expected.getKey(), context)
                .isEqualTo(new SubjectState(s[0], s[1], s[2]));
            final StoredMessage last = store.loadLast(expected.getKey());
            assertThat(null == last ? -1 : last.seq()).as("loadLast(%s): %s", expected.getKey(), context)
                .isEqualTo(s[2]);
        }
    }

    private static long blockFiles(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((f) -> f.toString().endsWith(".blk")).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
