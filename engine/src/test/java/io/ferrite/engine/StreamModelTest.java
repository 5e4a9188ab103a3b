package io.ferrite.engine;

import io.ferrite.engine.recovery.BlockFiles;
import io.ferrite.store.Discard;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.ferrite.engine.ReferenceStream.FILTERS;
import static io.ferrite.engine.ReferenceStream.SUBJECTS;
import static io.ferrite.engine.ReferenceStream.check;
import static io.ferrite.engine.ReferenceStream.expect;

/**
 * Model-based specification of stream semantics: a seeded random walk of appends, skips, removes, erases, purges,
 * compactions, truncations, limit changes, clean reopens, crash reopens (a copy of the live directory) and rebuilds
 * (no {@code state.db}) is applied to a {@link FileStreamStore} and to a {@link ReferenceStream}. After every step the
 * totals and per-subject state must agree; every few hundred steps, every sequence and filter query; and now and then
 * a store rebuilt from its blocks must equal the one loaded from {@code state.db}. A failure names the seed, the step
 * and the last operations: the same seed replays the same operations.
 */
class StreamModelTest
{
    private static final boolean SOAK = Boolean.getBoolean("ferrite.soak");
    private static final int SEEDS = SOAK ? 20 : 2;
    private static final int OPS = SOAK ? 50_000 : 10_000;
    private static final int FULL_CHECK_EVERY = SOAK ? 2_000 : 1_000;
    private static final int CROSS_CHECK_EVERY = SOAK ? 10_000 : 2_500;
    /** Headers plus payload: several messages fit the smallest block, the largest fills a fifth of it. */
    private static final int MAX_MSG_SIZE = 900;
    private static final long MS = 1_000_000L;
    private static final StreamLimits UNLIMITED = new StreamLimits(-1, -1, Duration.ZERO, -1, Discard.OLD);

    @TempDir
    Path root;

    static Stream<Arguments> runs()
    {
        return IntStream.rangeClosed(1, SEEDS).boxed()
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
                if (run.step % FULL_CHECK_EVERY == 0)
                {
                    run.guarded(() -> run.model.checkEverything(run.store, run.checks));
                }
                if (run.step % CROSS_CHECK_EVERY == 0)
                {
                    run.guarded(() -> run.perform(Op.of(Kind.CROSS_CHECK, 0, 0, null)));
                }
            }
            run.guarded(() -> run.perform(Op.of(Kind.CROSS_CHECK, 0, 0, null)));
        }
        finally
        {
            run.store.close();
        }
    }

    enum Kind
    {
        APPEND, APPEND_AT, SKIP, REMOVE, ERASE, PURGE, PURGE_FILTERED, COMPACT, TRUNCATE, LIMITS, REOPEN, CRASH,
            REBUILD,
        CROSS_CHECK, READ
    }

    /**
     * One operation as data, printable and replayable. Appends: {@code headers} -1 for null, {@code content} seeds
     * the bytes, {@code seq} the gap before an appendAt, {@code arg} how far its time is ahead of the clock. Purge with
     * a filter: {@code seq} upToSeq, {@code arg} keep.
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

    /** One seeded walk: the store under test, the model, and the recent history to print when they disagree. */
    final class Run
    {
        final long seed;
        final boolean encrypted;
        final Random rnd;
        /** Draws the checks, apart from {@link #rnd}, so the operations do not depend on what is checked. */
        final Random checks;
        final int blockSize;
        final byte[] key = new byte[32];
        final ReferenceStream model = new ReferenceStream();
        final ArrayDeque<String> recent = new ArrayDeque<>();
        StreamConfig config;
        Path dir;
        FileStreamStore store;
        int generation;
        int step;
        long expectedLastTime = -1;

        Run(final long seed, final boolean encrypted)
        {
            this.seed = seed;
            this.encrypted = encrypted;
            this.rnd = new Random(seed * 7919 + (encrypted ? 1 : 0));
            this.checks = new Random(~seed);
            this.blockSize = 4096 << rnd.nextInt(3);
            rnd.nextBytes(key);
            this.config = config(UNLIMITED);
            this.dir = root.resolve("gen-" + generation++);
            this.store = FileStreamStore.open(dir, config);
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

        void log(final String line)
        {
            recent.addLast("#" + step + " " + line);
            if (recent.size() > 20)
            {
                recent.removeFirst();
            }
        }

        /** Apply to both, then hold the store to the model's totals and a few random reads. */
        void perform(final Op op)
        {
            log(op.toString());
            apply(op);
            model.checkTotals(store, expectedLastTime);
            model.checkReads(store, checks);
        }

        /**
         * Mostly appends, 15 % removes and erases, rarely the rest (erases and reopens cost forces, so they are the
         * rarer); reads are checked after every step anyway.
         */
        Op next()
        {
            final int r = rnd.nextInt(1000);
            final long lastSeq = model.lastSeq();
            final long firstSeq = model.firstSeq();
            if (r < 650)
            {
                final int h = rnd.nextInt(10);
                final int p = rnd.nextInt(100);
                return new Op(r < 600 ? Kind.APPEND : Kind.APPEND_AT, SUBJECTS[rnd.nextInt(SUBJECTS.length)],
                    h < 5 ? -1 : h < 7 ? 0 : 1 + rnd.nextInt(16),
                    p < 70 ? rnd.nextInt(64) : p < 95 ? 64 + rnd.nextInt(240) : 300 + rnd.nextInt(MAX_MSG_SIZE - 316),
                    rnd.nextLong(), rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(20), 2 * MS + rnd.nextInt((int)MS), null,
                    null);
            }
            if (r < 830)
            {
                final long seq = rnd.nextInt(5) > 0 ? model.existingSeq(rnd) : 1 + rnd.nextInt((int)lastSeq + 3);
                return Op.of(r < 680 ? Kind.SKIP : r < 815 ? Kind.REMOVE : Kind.ERASE, seq, 0, null);
            }
            if (r < 845)
            {
                final long upTo = rnd.nextInt(5) < 2 ? 0 : firstSeq + rnd.nextInt((int)(lastSeq - firstSeq + 3));
                return Op.of(Kind.PURGE_FILTERED, upTo, rnd.nextBoolean() ? 0 : rnd.nextInt(30),
                    FILTERS[rnd.nextInt(FILTERS.length)]);
            }
            if (r < 858)
            {
                final long seq = rnd.nextInt(100) < 15 ? lastSeq + 1 + rnd.nextInt(50) :
                    firstSeq + rnd.nextInt((int)Math.max(1, (lastSeq - firstSeq + 2) / 4));
                return Op.of(r < 848 ? Kind.PURGE : Kind.COMPACT, seq, 0, null);
            }
            if (r < 865)
            {
                return Op.of(Kind.TRUNCATE, rnd.nextInt(100) < 15 ? rnd.nextInt((int)lastSeq + 1) :
                    lastSeq - rnd.nextInt((int)Math.min(lastSeq, 100) + 1), 0, null);
            }
            if (r < 869)
            {
                return new Op(Kind.LIMITS, null, 0, 0, 0, 0, 0, null, randomLimits());
            }
            return Op.of(r < 873 ? Kind.REOPEN : r < 877 ? Kind.CRASH : r < 881 ? Kind.REBUILD : Kind.READ, 0, 0, null);
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
                case LIMITS, REOPEN, CRASH, REBUILD -> reopen(op);
                case CROSS_CHECK -> crossCheckRebuild();
                case READ -> model.checkReads(store, checks);
                default -> throw new IllegalStateException(op.toString());
            }
            if (op.kind() != Kind.APPEND && op.kind() != Kind.APPEND_AT && op.kind() != Kind.READ)
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
            final long seq = model.lastSeq() + 1 + (at ? op.seq() : 0);
            // Ahead of the store's own clock by a margin: the two clocks are calibrated apart and may differ slightly.
            final long ts = Math.max(model.maxTime(), nowNanos()) + op.arg();
            final Set<LimitExceededException.Limit> refused = model.rejects(op.subject(), headers, payload);
            try
            {
                if (at)
                {
                    store.appendAt(seq, ts, op.subject(), headers, payload);
                }
                else
                {
                    expect("seq assigned", seq, store.append(op.subject(), headers, payload));
                }
            }
            catch (final LimitExceededException ex)
            {
                check("refused for " + ex.limit() + ", one of the limits the append breaks: " + refused,
                    refused.contains(ex.limit()));
                return;
            }
            check("append should have been refused for " + refused, refused.isEmpty());
            final StoredMessage loaded = store.load(seq);
            check("appended message " + seq + " loads back", null != loaded);
            final StoredMessage last = model.messages().isEmpty() ? null : model.messages().lastEntry().getValue();
            check("append time " + loaded.timestamp() + " not before the last stored message's",
                null == last || loaded.timestamp() >= last.timestamp());
            final StoredMessage expected = new StoredMessage(seq, at ? ts : loaded.timestamp(), op.subject(),
                null == headers ? new byte[0] : headers, payload);
            expect("appended message", expected, loaded);
            model.append(expected);
            expectedLastTime = expected.timestamp();
        }

        StreamConfig config(final StreamLimits limits)
        {
            final StreamConfig.Builder builder = StreamConfig.builder("model").blockSize(blockSize)
                .maxMsgSize(MAX_MSG_SIZE).maxMsgs(limits.maxMsgs()).maxBytes(limits.maxBytes())
                .maxMsgsPerSubject(limits.maxMsgsPerSubject()).discard(limits.discard());
            return encrypted ? builder.encryptionKey(key).build() : builder.build();
        }

        /** A third of the time none, so the stream grows again; else a random mix, 30 % of them discarding new. */
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

        /**
         * Close and open again ({@code REOPEN}, with new limits for {@code LIMITS}); without {@code state.db}
         * ({@code REBUILD}); or open a copy of the live directory, which is what a kill leaves ({@code CRASH}).
         */
        void reopen(final Op op)
        {
            final FileStreamStore old = store;
            final Path oldDir = dir;
            if (op.kind() == Kind.CRASH)
            {
                dir = root.resolve("gen-" + generation++);
                // No block file is deleted or rewritten by the reclaimer while the copy is taken.
                old.whileQuiescent(() -> BlockFiles.copyTree(oldDir, dir));
            }
            else
            {
                old.close();
            }
            if (op.kind() == Kind.REBUILD)
            {
                deleteIfExists(dir.resolve("state.db"));
            }
            config = op.kind() == Kind.LIMITS ? config(op.limits()) : config;
            store = FileStreamStore.open(dir, config);
            if (op.kind() == Kind.CRASH)
            {
                old.close();
                deleteTree(oldDir);
            }
            model.limits(config.limits());
            // What recovery rebuilt must match the model first; then how it got there, and that nothing was lost.
            model.checkTotals(store, -1);
            for (int i = 0; i < 50; i++)
            {
                model.checkReads(store, checks);
            }
            final RecoveryReport.Outcome outcome = store.recoveryReport().outcome();
            if (op.kind() == Kind.REOPEN || op.kind() == Kind.LIMITS)
            {
                expect("outcome after a clean close", RecoveryReport.Outcome.LOADED_STATE, outcome);
            }
            if (op.kind() == Kind.REBUILD && model.lastSeq() > 0)
            {
                expect("outcome without state.db", RecoveryReport.Outcome.REBUILT_FROM_BLOCKS, outcome);
            }
            expect("recovery losses", List.of(), store.recoveryReport().lost());
        }

        /** Close, open the directory and a copy of it without state.db, and require the two stores to be equal. */
        void crossCheckRebuild()
        {
            store.close();
            final Path copy = root.resolve("gen-" + generation++);
            BlockFiles.copyTree(dir, copy);
            deleteIfExists(copy.resolve("state.db"));
            store = FileStreamStore.open(dir, config);
            try (StreamStore rebuilt = FileStreamStore.open(copy, config))
            {
                expect("rebuilt state", withoutLastTime(store.state()), withoutLastTime(rebuilt.state()));
                expect("rebuilt subjects", store.subjects(">"), rebuilt.subjects(">"));
                for (long seq = 1; seq <= model.lastSeq() + 1; seq++)
                {
                    expect("rebuilt load(" + seq + ")", store.load(seq), rebuilt.load(seq));
                }
                expect("rebuilt losses", List.of(), rebuilt.recoveryReport().lost());
            }
            deleteTree(copy);
            model.checkEverything(store, checks);
        }
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

    private static void deleteTree(final Path dir)
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
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
