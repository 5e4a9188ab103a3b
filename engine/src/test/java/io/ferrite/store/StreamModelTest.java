package io.ferrite.store;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Model-based specification of stream semantics: a seeded random walk of appends, skips, removes, erases, purges,
 * compactions, truncations, limit changes, clean reopens, crash reopens (a copy of the live directory) and rebuilds
 * (no {@code state.db}) is applied to a {@link FileStreamStore} and to a {@link ReferenceStream}; after every step the
 * totals and per-subject state must agree, and every few hundred steps every sequence, filter query and time lookup.
 * A failure names the seed, the step and the last operations, so {@code storeAgreesWithTheModel(seed, encrypted)}
 * replays it exactly.
 */
class StreamModelTest
{
    private static final boolean SOAK = Boolean.getBoolean("ferrite.soak");
    private static final int OPS = SOAK ? 50_000 : 10_000;
    private static final int FULL_CHECK_EVERY = SOAK ? 2_000 : 500;
    private static final int CROSS_CHECK_EVERY = SOAK ? 10_000 : 2_500;
    private static final int MAX_MSG_SIZE = 900;
    private static final long MS = 1_000_000L;
    private static final String[] SUBJECTS = {"a.b", "a.c", "b.x.y", "c", "a.b.c.d"};
    private static final String[] FILTERS = {">", "a.*", "a.>", "b.>", "*.x.*", "a.b", "c", "*", "b.*.y", "z.>", "*.*"};

    @TempDir
    Path root;

    static Stream<Arguments> runs()
    {
        return IntStream.rangeClosed(1, SOAK ? 20 : 2).boxed()
            .flatMap((seed) -> Stream.of(Arguments.of(seed, false), Arguments.of(seed, true)));
    }

    @ParameterizedTest(name = "seed {0}, encrypted {1}")
    @MethodSource("runs")
    void storeAgreesWithTheModel(final int seed, final boolean encrypted)
    {
        final Run run = new Run(seed, encrypted);
        try
        {
            for (run.step = 1; run.step <= OPS; run.step++)
            {
                run.guarded(() -> run.perform(run.next()));
                run.guarded(run::verifyLight);
                if (run.step % FULL_CHECK_EVERY == 0)
                {
                    run.guarded(run::verifyFull);
                }
                if (run.step % CROSS_CHECK_EVERY == 0)
                {
                    run.guarded(() -> run.perform(Op.of(Kind.CROSS_CHECK, 0, 0, null)));
                }
            }
            run.guarded(run::verifyFull);
            run.guarded(() -> run.perform(Op.of(Kind.CROSS_CHECK, 0, 0, null)));
        }
        finally
        {
            run.store.close();
        }
    }

    enum Kind
    {
        APPEND, APPEND_AT, SKIP, REMOVE, ERASE, PURGE, PURGE_FILTERED, COMPACT, TRUNCATE, LIMITS, REOPEN, CRASH, REBUILD,
        CROSS_CHECK, READ
    }

    /**
     * One operation as data, so a failing history can be printed and replayed. Appends: {@code headers} -1 for null,
     * {@code content} seeds the bytes, {@code seq} is the gap before an appendAt and {@code arg} how far its time is
     * ahead of the clock. Purge with a filter: {@code seq} is upToSeq, {@code arg} keep.
     */
    record Op(Kind kind, String subject, int headers, int payload, long content, long seq, long arg, String filter,
        StreamLimits limits)
    {
        static Op of(final Kind kind, final long seq, final long arg, final String filter)
        {
            return new Op(kind, null, 0, 0, 0, seq, arg, filter, null);
        }

        @Override
        public String toString()
        {
            return switch (kind)
            {
                case APPEND, APPEND_AT -> kind + "(" + subject + ", headers " + headers + ", payload " + payload +
                    (kind == Kind.APPEND_AT ? ", gap " + seq + ", ahead " + arg : "") + ", content " + content + ")";
                case REMOVE, ERASE, COMPACT, TRUNCATE -> kind + "(" + seq + ")";
                case PURGE_FILTERED -> kind + "(" + filter + ", upTo " + seq + ", keep " + arg + ")";
                case LIMITS -> kind + "(" + limits + ")";
                default -> kind.toString();
            };
        }
    }

    /** One seeded walk: the store under test, the model, and the history to print when they disagree. */
    private final class Run
    {
        final long seed;
        final boolean encrypted;
        final Random rnd;
        /** Draws the checks, apart from {@link #rnd}, so the operations do not depend on how often we check. */
        final Random checks;
        final int blockSize;
        final byte[] key = new byte[32];
        final ReferenceStream model = new ReferenceStream();
        final ArrayDeque<String> recent = new ArrayDeque<>();
        final List<Op> history = new ArrayList<>();
        StreamConfig config;
        Path dir;
        FileStreamStore store;
        int generation;
        int step;
        long maxTime;
        long expectedLastTime = -1;

        Run(final long seed, final boolean encrypted)
        {
            this.seed = seed;
            this.encrypted = encrypted;
            this.rnd = new Random(seed * 7919 + (encrypted ? 1 : 0));
            this.checks = new Random(~seed);
            this.blockSize = 4096 << rnd.nextInt(3);
            rnd.nextBytes(key);
            this.config = config(new StreamLimits(-1, -1, Duration.ZERO, -1, Discard.OLD));
            this.dir = nextDir();
            this.store = FileStreamStore.open(dir, config);
            model.limits(config.limits());
        }

        void guarded(final Runnable action)
        {
            try
            {
                action.run();
            }
            catch (final Throwable t)
            {
                throw new AssertionError("store and model disagree: seed=" + seed + " encrypted=" + encrypted +
                    " blockSize=" + blockSize + " step=" + step + " config=" + config + "\nlast operations:\n  " +
                    String.join("\n  ", recent) + "\n" + t, t);
            }
        }

        void log(final String op)
        {
            recent.addLast("#" + step + " " + op);
            if (recent.size() > 20)
            {
                recent.removeFirst();
            }
        }

        void perform(final Op op)
        {
            history.add(op);
            log(op.toString());
            apply(op);
        }

        /** Draw the next operation from the seeded generator and the model's current contents. */
        Op next()
        {
            final int r = rnd.nextInt(1000);
            final String filter = FILTERS[rnd.nextInt(FILTERS.length)];
            final long lastSeq = model.lastSeq();
            if (r < 650)
            {
                final int h = rnd.nextInt(10);
                final int p = rnd.nextInt(100);
                return new Op(r < 600 ? Kind.APPEND : Kind.APPEND_AT, SUBJECTS[rnd.nextInt(SUBJECTS.length)],
                    h < 5 ? -1 : h < 7 ? 0 : 1 + rnd.nextInt(16),
                    p < 70 ? rnd.nextInt(64) : p < 95 ? 64 + rnd.nextInt(240) : 300 + rnd.nextInt(MAX_MSG_SIZE - 316),
                    rnd.nextLong(), rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(20), 2 * MS + rnd.nextInt((int)MS), null, null);
            }
            if (r < 680) { return Op.of(Kind.SKIP, 0, 0, null); }
            if (r < 830)
            {
                final long seq = rnd.nextInt(5) > 0 ? existingSeq(rnd) : 1 + rnd.nextInt((int)lastSeq + 3);
                return Op.of(r < 800 ? Kind.REMOVE : Kind.ERASE, seq, 0, null);
            }
            if (r < 845)
            {
                final long upTo = rnd.nextInt(5) < 2 ? 0 : model.firstSeq() + rnd.nextInt(
                    (int)(lastSeq - model.firstSeq() + 3));
                return Op.of(Kind.PURGE_FILTERED, upTo, rnd.nextBoolean() ? 0 : rnd.nextInt(30), filter);
            }
            if (r < 848) { return Op.of(Kind.PURGE, 0, 0, null); }
            if (r < 858)
            {
                final long span = Math.max(1, lastSeq - model.firstSeq() + 2);
                return Op.of(Kind.COMPACT, rnd.nextInt(100) < 15 ? lastSeq + 1 + rnd.nextInt(50) :
                    model.firstSeq() + rnd.nextInt((int)Math.max(1, span / 4)), 0, null);
            }
            if (r < 865)
            {
                return Op.of(Kind.TRUNCATE, rnd.nextInt(100) < 15 ? rnd.nextInt((int)lastSeq + 1) :
                    lastSeq - rnd.nextInt((int)Math.min(lastSeq, 100) + 1), 0, null);
            }
            if (r < 871)
            {
                return new Op(Kind.LIMITS, null, 0, 0, 0, 0, 0, null, randomLimits());
            }
            if (r < 877) { return Op.of(Kind.REOPEN, 0, 0, null); }
            if (r < 881) { return Op.of(Kind.CRASH, 0, 0, null); }
            if (r < 885) { return Op.of(Kind.REBUILD, 0, 0, null); }
            return Op.of(Kind.READ, 0, 0, null);
        }

        void apply(final Op op)
        {
            switch (op.kind())
            {
                case APPEND, APPEND_AT -> append(op);
                case SKIP -> expect("skip", model.skip(), store.skip());
                case REMOVE -> expect("remove", model.remove(op.seq()), store.remove(op.seq()));
                case ERASE -> expect("erase", model.remove(op.seq()), store.erase(op.seq()));
                case PURGE -> expect("purge()", model.purge(), store.purge());
                case PURGE_FILTERED -> expect("purge(filter, upTo, keep)", model.purge(op.filter(), op.seq(), op.arg()),
                    store.purge(op.filter(), op.seq(), op.arg()));
                case COMPACT -> expect("compact", model.compact(op.seq()), store.compact(op.seq()));
                case TRUNCATE ->
                {
                    final long seq = Math.min(op.seq(), model.lastSeq());
                    model.truncate(seq);
                    store.truncate(seq);
                }
                case LIMITS -> changeLimits(op.limits());
                case REOPEN -> reopenClean();
                case CRASH -> reopenCrashed();
                case REBUILD -> reopenRebuilt();
                case CROSS_CHECK -> crossCheckRebuild();
                case READ ->
                {
                    probe();
                    probe();
                }
                default -> throw new IllegalStateException(op.toString());
            }
            if (op.kind() != Kind.APPEND && op.kind() != Kind.APPEND_AT && op.kind() != Kind.SKIP &&
                op.kind() != Kind.READ)
            {
                expectedLastTime = -1;
            }
        }

        void append(final Op op)
        {
            final boolean at = op.kind() == Kind.APPEND_AT;
            final Random content = new Random(op.content());
            final byte[] headers = op.headers() < 0 ? null : new byte[op.headers()];
            final byte[] payload = new byte[op.payload()];
            content.nextBytes(payload);
            if (null != headers)
            {
                content.nextBytes(headers);
            }
            final long seq = model.lastSeq() + 1 + op.seq();
            // Ahead of the store's clock by a margin, so a separately calibrated clock here never goes backwards.
            final long ts = Math.max(maxTime, nowNanos()) + op.arg();
            final Set<LimitExceededException.Limit> rejects = model.rejects(op.subject(), headers, payload);
            if (!rejects.isEmpty())
            {
                log("  expecting LimitExceededException " + rejects);
                try
                {
                    if (at) { store.appendAt(seq, ts, op.subject(), headers, payload); }
                    else { store.append(op.subject(), headers, payload); }
                }
                catch (final LimitExceededException ex)
                {
                    check("limit reported " + ex.limit() + " is one of " + rejects, rejects.contains(ex.limit()));
                    return;
                }
                throw new AssertionError(op + " should have been refused: " + rejects);
            }
            long assigned = seq;
            if (at) { store.appendAt(seq, ts, op.subject(), headers, payload); }
            else { assigned = store.append(op.subject(), headers, payload); }
            if (!at) { expect("seq assigned", model.lastSeq() + 1, assigned); }
            final StoredMessage loaded = store.load(assigned);
            check("appended message " + assigned + " loads back", null != loaded);
            final StoredMessage last = model.messages().isEmpty() ? null : model.messages().lastEntry().getValue();
            check("append time " + loaded.timestamp() + " not before the last stored message's",
                null == last || loaded.timestamp() >= last.timestamp());
            if (at) { expect("appendAt timestamp", ts, loaded.timestamp()); }
            final StoredMessage expected = new StoredMessage(assigned, loaded.timestamp(), op.subject(),
                null == headers ? new byte[0] : headers.clone(), payload.clone());
            expect("appended message", expected, loaded);
            maxTime = Math.max(maxTime, loaded.timestamp());
            model.append(expected);
            expectedLastTime = loaded.timestamp();
        }

        StreamConfig config(final StreamLimits limits)
        {
            final StreamConfig.Builder builder = StreamConfig.builder("model").blockSize(blockSize)
                .maxMsgSize(MAX_MSG_SIZE).maxMsgs(limits.maxMsgs()).maxBytes(limits.maxBytes())
                .maxMsgsPerSubject(limits.maxMsgsPerSubject()).discard(limits.discard());
            return encrypted ? builder.encryptionKey(key).build() : builder.build();
        }

        /** A third of the time none (so the stream can grow again), else a random mix; a bit under half NEW. */
        StreamLimits randomLimits()
        {
            if (rnd.nextInt(3) == 0)
            {
                return new StreamLimits(-1, -1, Duration.ZERO, -1, rnd.nextBoolean() ? Discard.OLD : Discard.NEW);
            }
            return new StreamLimits(rnd.nextBoolean() ? -1 : 20 + rnd.nextInt(2_000),
                rnd.nextInt(5) < 3 ? -1 : 4_000 + rnd.nextInt(200_000), Duration.ZERO,
                rnd.nextInt(5) < 3 ? -1 : 1 + rnd.nextInt(300), rnd.nextInt(10) < 7 ? Discard.OLD : Discard.NEW);
        }

        void changeLimits(final StreamLimits limits)
        {
            store.close();
            config = config(limits);
            store = FileStreamStore.open(dir, config);
            model.limits(config.limits());
            afterReopen();
        }

        void reopenClean()
        {
            store.close();
            store = FileStreamStore.open(dir, config);
            expect("outcome after a clean close", RecoveryReport.Outcome.LOADED_STATE, store.recoveryReport().outcome());
            afterReopen();
        }

        void reopenCrashed()
        {
            final Path copy = nextDir();
            // The image a kill would leave: no block file is deleted or rewritten by the reclaimer while copying.
            store.whileQuiescent(() -> copyTree(dir, copy));
            final FileStreamStore crashed = store;
            final Path crashedDir = dir;
            store = FileStreamStore.open(copy, config);
            dir = copy;
            crashed.close();
            deleteTree(crashedDir);
            afterReopen();
        }

        void reopenRebuilt()
        {
            store.close();
            deleteIfExists(dir.resolve("state.db"));
            store = FileStreamStore.open(dir, config);
            expect("outcome without state.db", RecoveryReport.Outcome.REBUILT_FROM_BLOCKS,
                store.recoveryReport().outcome());
            afterReopen();
        }

        /** What recovery rebuilt must match the model before anything else runs; and nothing may be reported lost. */
        void afterReopen()
        {
            verifyLight();
            for (int i = 0; i < 50; i++)
            {
                probe();
            }
            expect("recovery losses", List.of(), store.recoveryReport().lost());
        }

        /** Close, rebuild a copy without state.db, and require the rebuilt and the loaded store to be the same. */
        void crossCheckRebuild()
        {
            store.close();
            final Path copy = nextDir();
            copyTree(dir, copy);
            deleteIfExists(copy.resolve("state.db"));
            store = FileStreamStore.open(dir, config);
            try (StreamStore rebuilt = FileStreamStore.open(copy, config))
            {
                expect("rebuilt outcome", RecoveryReport.Outcome.REBUILT_FROM_BLOCKS, rebuilt.recoveryReport().outcome());
                expect("rebuilt state", withoutLastTime(store.state()), withoutLastTime(rebuilt.state()));
                expect("rebuilt subjects", store.subjects(">"), rebuilt.subjects(">"));
                for (long seq = 1; seq <= model.lastSeq() + 1; seq++)
                {
                    expect("rebuilt load(" + seq + ")", store.load(seq), rebuilt.load(seq));
                }
            }
            deleteTree(copy);
            verifyFull();
        }

        void verifyLight()
        {
            final StreamState st = store.state();
            expect("state.msgs", model.msgs(), st.msgs());
            expect("state.bytes", model.bytes(), st.bytes());
            expect("state.firstSeq", model.firstSeq(), st.firstSeq());
            expect("state.lastSeq", model.lastSeq(), st.lastSeq());
            expect("state.firstTime", model.firstTime(), st.firstTime());
            expect("state.numDeleted", model.numDeleted(), st.numDeleted());
            expect("state.numSubjects", model.numSubjects(), st.numSubjects());
            if (expectedLastTime >= 0)
            {
                expect("state.lastTime right after an append", expectedLastTime, st.lastTime());
            }
            expect("subjects(>)", model.subjects(">"), store.subjects(">"));
            probe();
        }

        /** A few random reads compared with the model. */
        void probe()
        {
            final String filter = FILTERS[checks.nextInt(FILTERS.length)];
            final long from = 1 + (long)checks.nextInt((int)model.lastSeq() + 2);
            final long seq = checks.nextBoolean() ? existingSeq(checks) : from;
            expect("load(" + seq + ")", model.load(seq), store.load(seq));
            expect("loadNext(" + filter + ", " + from + ")", model.loadNext(filter, from), store.loadNext(filter, from));
            expect("numPending(" + from + ", " + filter + ")", model.numPending(from, filter),
                store.numPending(from, filter));
            expect("loadLast(" + filter + ")", model.loadLast(filter), store.loadLast(filter));
            final long t = randomTime(checks);
            expect("sequenceAt(" + t + ")", model.sequenceAt(t), store.sequenceAt(instant(t)));
        }

        void verifyFull()
        {
            for (long seq = 1; seq <= model.lastSeq() + 1; seq++)
            {
                expect("load(" + seq + ")", model.load(seq), store.load(seq));
            }
            final var walk = model.messages().values().iterator();
            for (StoredMessage m = store.loadNext(">", 1); null != m; m = store.loadNext(">", m.seq() + 1))
            {
                expect("loadNext(>) walk", walk.hasNext() ? walk.next() : null, m);
            }
            check("loadNext(>) walk ended early", !walk.hasNext());
            for (final String filter : FILTERS)
            {
                expect("subjects(" + filter + ")", model.subjects(filter), store.subjects(filter));
                expect("loadLast(" + filter + ")", model.loadLast(filter), store.loadLast(filter));
                for (int i = 0; i < 5; i++)
                {
                    final long from = 1 + (long)checks.nextInt((int)model.lastSeq() + 2);
                    expect("loadNext(" + filter + ", " + from + ")", model.loadNext(filter, from),
                        store.loadNext(filter, from));
                    expect("numPending(" + from + ", " + filter + ")", model.numPending(from, filter),
                        store.numPending(from, filter));
                }
            }
            for (final String subject : SUBJECTS)
            {
                expect("loadLast(" + subject + ")", model.loadLast(subject), store.loadLast(subject));
            }
            for (int i = 0; i < 20; i++)
            {
                final long t = randomTime(checks);
                expect("sequenceAt(" + t + ")", model.sequenceAt(t), store.sequenceAt(instant(t)));
            }
        }

        long existingSeq(final Random rnd)
        {
            if (model.msgs() == 0) { return 1 + rnd.nextInt((int)model.lastSeq() + 1); }
            final long r = model.firstSeq() + rnd.nextInt((int)(model.lastSeq() - model.firstSeq() + 1));
            final Long seq = model.messages().ceilingKey(r);
            return null == seq ? model.messages().lastKey() : seq;
        }

        /** A stored message's time, one off it, or a time before or after everything stored. */
        long randomTime(final Random rnd)
        {
            if (model.msgs() == 0 || rnd.nextInt(10) == 0)
            {
                return rnd.nextBoolean() ? 1 : maxTime + 1 + rnd.nextInt(1000);
            }
            final long t = model.load(existingSeq(rnd)).timestamp();
            return t + rnd.nextInt(3) - 1;
        }

        Path nextDir()
        {
            return root.resolve("gen-" + (generation++));
        }
    }

    private static void expect(final String what, final Object expected, final Object actual)
    {
        if (!Objects.equals(expected, actual))
        {
            throw new AssertionError(what + ": expected " + describe(expected) + " but was " + describe(actual));
        }
    }

    private static void check(final String what, final boolean condition)
    {
        if (!condition)
        {
            throw new AssertionError("violated: " + what);
        }
    }

    private static String describe(final Object value)
    {
        if (value instanceof StoredMessage m)
        {
            return m + "{headers=" + Arrays.toString(Arrays.copyOf(m.headers(), Math.min(8, m.headers().length))) +
                ", payload=" + Arrays.toString(Arrays.copyOf(m.payload(), Math.min(8, m.payload().length))) + "}";
        }
        return String.valueOf(value);
    }

    private static StreamState withoutLastTime(final StreamState st)
    {
        return new StreamState(st.msgs(), st.bytes(), st.firstSeq(), st.lastSeq(), st.firstTime(), 0, st.numDeleted(),
            st.numSubjects());
    }

    private static long nowNanos()
    {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static Instant instant(final long epochNanos)
    {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L));
    }

    /**
     * Copy a directory that may be open: a temporary file renamed away mid-copy is skipped, as a crash at that moment
     * could also leave it either way.
     */
    private static void copyTree(final Path from, final Path to)
    {
        try
        {
            Files.createDirectories(to);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(from))
            {
                for (final Path source : entries)
                {
                    final Path target = to.resolve(source.getFileName().toString());
                    try
                    {
                        if (Files.isDirectory(source)) { copyTree(source, target); }
                        else { Files.copy(source, target); }
                    }
                    catch (final NoSuchFileException vanished)
                    {
                        // renamed or deleted between listing and copying
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void deleteTree(final Path dir)
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void deleteIfExists(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
