package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.memory.MemoryStreamStore;
import io.ferrite.store.Discard;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectHandle;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.ferrite.engine.ReferenceStream.FILTERS;
import static io.ferrite.engine.ReferenceStream.SUBJECTS;
import static io.ferrite.engine.ReferenceStream.check;
import static io.ferrite.engine.ReferenceStream.expect;

/**
 * Model-based specification of stream semantics, and the conformance suite every {@link StreamStore} passes: a seeded
 * random walk of appends (from {@code byte[]}s, from an off-heap buffer through a {@link SubjectHandle}, and by claims
 * committed or aborted), skips, removes, erases, purges, compactions, truncations, limit changes (live, through
 * {@code updateLimits}, or by reopening with a new config), clean reopens, crash reopens (a copy of the live
 * directory) and rebuilds (no {@code state.db}) is applied to a store — the {@link FileStreamStore}, plain and
 * encrypted, and the {@link MemoryStreamStore}, which has nothing to reopen and skips those steps — and to a
 * {@link ReferenceStream}. After every step the totals and per-subject state must agree; every few hundred steps,
 * every sequence and filter query; and now and then a store rebuilt from its blocks must equal the one loaded from
 * {@code state.db}. A failure names the seed, the step and the last operations: the same seed replays the same
 * operations, and {@code -Dferrite.model.firstSeed=N} starts the run at seed {@code N} to replay it.
 */
class StreamModelTest
{
    private static final boolean SOAK = Boolean.getBoolean("ferrite.soak");
    private static final int SEEDS = SOAK ? 20 : 2;
    /** The first seed walked ({@code -Dferrite.model.firstSeed=N}), so a failing seed can be replayed on its own. */
    private static final int FIRST_SEED = Integer.getInteger("ferrite.model.firstSeed", 1);
    private static final int OPS = SOAK ? 50_000 : 10_000;
    private static final int FULL_CHECK_EVERY = SOAK ? 2_000 : 1_000;
    private static final int CROSS_CHECK_EVERY = SOAK ? 10_000 : 2_500;
    /** Headers plus payload: several messages fit the smallest block, the largest fills a fifth of it. */
    private static final int MAX_MSG_SIZE = 900;
    /**
     * Each half of the off-heap source buffer holds one message's headers or payload at a random, mostly unaligned,
     * offset; the rest is left-over bytes of earlier messages, which an append reading the wrong range would store.
     */
    private static final int SOURCE_HALF = 1024;
    private static final long MS = 1_000_000L;
    private static final String FILE = "file";
    private static final String MEMORY = "memory";
    private static final StreamLimits UNLIMITED = new StreamLimits(-1, -1, Duration.ZERO, -1, Discard.OLD);

    @TempDir
    Path root;

    static Stream<Arguments> runs()
    {
        return IntStream.range(FIRST_SEED, FIRST_SEED + SEEDS).boxed()
            .flatMap((seed) -> Stream.of(Arguments.of(FILE, seed, false), Arguments.of(FILE, seed, true),
                Arguments.of(MEMORY, seed, false)));
    }

    @ParameterizedTest(name = "{0} store, seed {1}, encrypted {2}")
    @MethodSource("runs")
    void storeAgreesWithTheModel(final String kind, final int seed, final boolean encrypted)
    {
        final Run run = new Run(kind, seed, encrypted);
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
        APPEND, APPEND_AT, APPEND_BUFFER, CLAIM_COMMIT, CLAIM_ABORT, SKIP, SKIP_MANY, REMOVE, ERASE, PURGE,
            PURGE_FILTERED, COMPACT, TRUNCATE, LIMITS, REOPEN, CRASH, REBUILD,
        CROSS_CHECK, READ
    }

    /**
     * One operation as data, printable and replayable. Appends and claims: {@code headers} -1 for null, {@code content}
     * seeds the bytes; for an appendAt {@code seq} is the gap before it, {@code arg} how far its time is ahead of the
     * clock; for an append from a buffer {@code seq} and {@code arg} are where the payload and the headers start in
     * it; for an aborted claim {@code arg} is how many of the claimed bytes were written before the abort. Purge with a
     * filter: {@code seq} upToSeq, {@code arg} keep.
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
                case APPEND, APPEND_AT, CLAIM_COMMIT -> kind + "(" + subject + ", headers " + headers + ", payload " +
                    payload + (kind == Kind.APPEND_AT ? ", gap " + seq + ", ahead " + arg : "") + ", content " +
                    content + ")";
                case APPEND_BUFFER -> kind + "(" + subject + ", headers " + headers + " at " + arg + ", payload " +
                    payload + " at " + seq + ", content " + content + ")";
                case CLAIM_ABORT -> kind + "(" + subject + ", headers " + headers + ", payload " + payload +
                    ", written " + arg + ", content " + content + ")";
                case REMOVE, ERASE, COMPACT, TRUNCATE, SKIP_MANY -> kind + "(" + seq + ")";
                case PURGE_FILTERED -> kind + "(" + filter + ", upTo " + seq + ", keep " + arg + ")";
                case LIMITS -> kind + (seq == 1 ? "(live, " : "(reopen, ") + limits + ")";
                default -> kind.toString();
            };
        }
    }

    /** One seeded walk: the store under test, the model, and the recent history to print when they disagree. */
    final class Run
    {
        final String kind;
        final long seed;
        final boolean encrypted;
        final Random rnd;
        /** Draws the checks, apart from {@link #rnd}, so the operations do not depend on what is checked. */
        final Random checks;
        final int blockSize;
        final byte[] key = new byte[32];
        final ReferenceStream model = new ReferenceStream();
        final ArrayDeque<String> recent = new ArrayDeque<>();
        /** Where appends from a buffer copy from: off-heap, as a zero-allocation caller's would be. */
        final UnsafeBuffer source = new UnsafeBuffer(ByteBuffer.allocateDirect(2 * SOURCE_HALF));
        /** One claim reused for every claim of the walk, as the API asks. */
        final MessageClaim claim = new MessageClaim();
        /** Handles of {@link #handlesOf}, the store instance that made them. */
        final Map<String, SubjectHandle> handles = new HashMap<>();
        StreamStore handlesOf;
        /** Drawn with an aborted claim, to run next: an append that must take the sequence the claim gave back. */
        Op afterAbort;
        StreamConfig config;
        Path dir;
        StreamStore store;
        int generation;
        int step;
        long expectedLastTime = -1;

        Run(final String kind, final long seed, final boolean encrypted)
        {
            this.kind = kind;
            this.seed = seed;
            this.encrypted = encrypted;
            this.rnd = new Random(seed * 7919 + (encrypted ? 1 : 0));
            this.checks = new Random(~seed);
            this.blockSize = 4096 << rnd.nextInt(3);
            rnd.nextBytes(key);
            final byte[] junk = new byte[source.capacity()];
            new Random(~seed * 31).nextBytes(junk);
            source.putBytes(0, junk);
            this.config = config(UNLIMITED);
            this.dir = root.resolve("gen-" + generation++);
            this.store = open();
        }

        StreamStore open()
        {
            return kind.equals(MEMORY) ? MemoryStreamStore.create(config) : FileStreamStore.open(dir, config);
        }

        boolean files()
        {
            return kind.equals(FILE);
        }

        void guarded(final Runnable action)
        {
            try
            {
                action.run();
            }
            catch (final Throwable t)
            {
                throw new AssertionError("store and model disagree (replay with -Dferrite.model.firstSeed=" + seed +
                    "): " + kind + " store, seed=" + seed + " encrypted=" + encrypted +
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
         * Mostly appends (a third of them from {@code byte[]}s, the rest from an off-heap buffer, by claims, or at a
         * given sequence), 15 % removes and erases, rarely the rest (erases and reopens cost forces, so they are the
         * rarer); reads are checked after every step anyway. Half the aborted claims are followed at once by an append,
         * which must take the sequence the claim gave back.
         */
        Op next()
        {
            if (null != afterAbort)
            {
                final Op op = afterAbort;
                afterAbort = null;
                return op;
            }
            final int r = rnd.nextInt(1000);
            final long lastSeq = model.lastSeq();
            final long firstSeq = model.firstSeq();
            if (r < 650)
            {
                final Kind kind = r < 380 ? Kind.APPEND : r < 470 ? Kind.APPEND_BUFFER : r < 560 ? Kind.CLAIM_COMMIT :
                    r < 600 ? Kind.CLAIM_ABORT : Kind.APPEND_AT;
                final Op op = randomAppend(kind);
                if (kind == Kind.CLAIM_ABORT && rnd.nextBoolean())
                {
                    final int form = rnd.nextInt(3);
                    afterAbort = randomAppend(form == 0 ? Kind.APPEND : form == 1 ? Kind.APPEND_BUFFER :
                        Kind.CLAIM_COMMIT);
                }
                return op;
            }
            if (r < 830)
            {
                final long seq = rnd.nextInt(5) > 0 ? model.existingSeq(rnd) : 1 + rnd.nextInt((int)lastSeq + 3);
                if (r < 665)
                {
                    return Op.of(Kind.SKIP_MANY, 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 200), 0, null);
                }
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
                return new Op(Kind.LIMITS, null, 0, 0, 0, rnd.nextBoolean() ? 1 : 0, 0, null, randomLimits());
            }
            return Op.of(r < 873 ? Kind.REOPEN : r < 877 ? Kind.CRASH : r < 881 ? Kind.REBUILD : Kind.READ, 0, 0, null);
        }

        /** A message of random size and content; where it sits in the source buffer, or when it is aborted. */
        Op randomAppend(final Kind kind)
        {
            final int h = rnd.nextInt(10);
            final int p = rnd.nextInt(100);
            final String subject = SUBJECTS[rnd.nextInt(SUBJECTS.length)];
            final int headers = h < 5 ? -1 : h < 7 ? 0 : 1 + rnd.nextInt(16);
            final int payload =
                p < 70 ? rnd.nextInt(64) : p < 95 ? 64 + rnd.nextInt(240) : 300 + rnd.nextInt(MAX_MSG_SIZE - 316);
            final long content = rnd.nextLong();
            return switch (kind)
            {
                case APPEND_AT -> new Op(kind, subject, headers, payload, content,
                    rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(20), 2 * MS + rnd.nextInt((int)MS), null, null);
                case APPEND_BUFFER ->
                {
                    // The payload in one half, the headers in the other; which half is drawn too.
                    final int payloadHalf = rnd.nextBoolean() ? 0 : SOURCE_HALF;
                    final int payloadAt = payloadHalf + rnd.nextInt(SOURCE_HALF - payload + 1);
                    final int headersAt =
                        SOURCE_HALF - payloadHalf + rnd.nextInt(SOURCE_HALF - Math.max(headers, 0) + 1);
                    yield new Op(kind, subject, headers, payload, content, payloadAt, headersAt, null, null);
                }
                case CLAIM_ABORT -> new Op(kind, subject, headers, payload, content, 0,
                    rnd.nextInt(Math.max(headers, 0) + payload + 1), null, null);
                default -> new Op(kind, subject, headers, payload, content, 0, 0, null, null);
            };
        }

        void apply(final Op op)
        {
            switch (op.kind())
            {
                case APPEND, APPEND_AT, APPEND_BUFFER, CLAIM_COMMIT -> append(op);
                case CLAIM_ABORT -> claimAndAbort(op);
                case SKIP -> expect("skip", model.skip(), store.skip());
                case SKIP_MANY ->
                {
                    final long from = model.lastSeq() + 1;
                    expect("skip(" + from + ", " + op.seq() + ")", model.skip(op.seq()), store.skip(from, op.seq()));
                }
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
                case LIMITS ->
                {
                    if (op.seq() == 1 || !files())
                    {
                        updateLimits(op.limits());
                    }
                    else
                    {
                        reopen(op);
                    }
                }
                case REOPEN, CRASH, REBUILD ->
                {
                    if (files())
                    {
                        reopen(op);
                    }
                }
                case CROSS_CHECK ->
                {
                    if (files())
                    {
                        crossCheckRebuild();
                    }
                }
                case READ -> model.checkReads(store, checks);
                default -> throw new IllegalStateException(op.toString());
            }
            if (op.kind() != Kind.APPEND && op.kind() != Kind.APPEND_AT && op.kind() != Kind.APPEND_BUFFER &&
                op.kind() != Kind.CLAIM_COMMIT && op.kind() != Kind.CLAIM_ABORT && op.kind() != Kind.READ)
            {
                expectedLastTime = -1;
            }
        }

        /**
         * Append in the op's form and hold the store to the model: the sequence it took, the limits it broke, and the
         * message it loads back.
         */
        void append(final Op op)
        {
            final boolean at = op.kind() == Kind.APPEND_AT;
            final byte[] payload = new byte[op.payload()];
            final byte[] headers = headersAndPayload(op, payload);
            final long seq = model.lastSeq() + 1 + (at ? op.seq() : 0);
            // Ahead of the store's own clock by a margin: the two clocks are calibrated apart and may differ slightly.
            final long ts = Math.max(model.maxTime(), nowNanos()) + op.arg();
            final Set<LimitExceededException.Limit> refused = model.rejects(op.subject(), headers, payload);
            try
            {
                switch (op.kind())
                {
                    case APPEND_AT -> store.appendAt(seq, ts, op.subject(), headers, payload);
                    case APPEND_BUFFER -> expect("seq assigned", seq, appendFromBuffer(op, headers, payload));
                    case CLAIM_COMMIT -> expect("seq assigned", seq, claimAndCommit(op, seq, headers, payload));
                    default -> expect("seq assigned", seq, store.append(op.subject(), headers, payload));
                }
            }
            catch (final LimitExceededException ex)
            {
                check("refused for " + ex.limit() + ", one of the limits the append breaks: " + refused,
                    refused.contains(ex.limit()));
                check("a refused claim is not open", !claim.isOpen());
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

        /**
         * Fill {@code payload} from the op's content seed.
         *
         * @return the headers, or null when the op has none.
         */
        byte[] headersAndPayload(final Op op, final byte[] payload)
        {
            final Random content = new Random(op.content());
            final byte[] headers = op.headers() < 0 ? null : new byte[op.headers()];
            content.nextBytes(payload);
            if (null != headers)
            {
                content.nextBytes(headers);
            }
            return headers;
        }

        /**
         * Copy the message into the off-heap source at the op's offsets, append from there, then scribble over both
         * ranges: the store must have copied them before it returned. Null headers go as a null buffer.
         */
        long appendFromBuffer(final Op op, final byte[] headers, final byte[] payload)
        {
            final int payloadAt = (int)op.seq();
            final int headersAt = (int)op.arg();
            source.putBytes(payloadAt, payload);
            if (null != headers)
            {
                source.putBytes(headersAt, headers);
            }
            final int headersLength = null == headers ? 0 : headers.length;
            try
            {
                return store.append(handle(op.subject()), null == headers ? null : source, headersAt, headersLength,
                    source, payloadAt, payload.length);
            }
            finally
            {
                source.setMemory(payloadAt, payload.length, (byte)~op.content());
                source.setMemory(headersAt, headersLength, (byte)op.content());
            }
        }

        /** Claim, check that nothing shows while the claim is open, encode the message into the claim and commit. */
        long claimAndCommit(final Op op, final long seq, final byte[] headers, final byte[] payload)
        {
            final int headersLength = null == headers ? 0 : headers.length;
            expect("sequence claimed", seq, store.tryClaim(handle(op.subject()), headersLength, payload.length, claim));
            checkOpenClaim(seq, headersLength, payload.length);
            claim.buffer().putBytes(claim.payloadOffset(), payload);
            if (null != headers)
            {
                claim.buffer().putBytes(claim.headersOffset(), headers);
            }
            final long committed = claim.commit();
            check("claim closed by its commit", !claim.isOpen());
            return committed;
        }

        /**
         * Claim, write part of the message, abort: nothing is stored, no sequence is used up, and the totals stay as
         * they were (checked after the step, {@code lastTime} included). An append drawn with the abort comes next and
         * must take the same sequence.
         */
        void claimAndAbort(final Op op)
        {
            final byte[] payload = new byte[op.payload()];
            final byte[] headers = headersAndPayload(op, payload);
            final int headersLength = null == headers ? 0 : headers.length;
            final long seq = model.lastSeq() + 1;
            final Set<LimitExceededException.Limit> refused = model.rejects(op.subject(), headers, payload);
            try
            {
                expect("sequence claimed", seq,
                    store.tryClaim(handle(op.subject()), headersLength, payload.length, claim));
            }
            catch (final LimitExceededException ex)
            {
                check("refused for " + ex.limit() + ", one of the limits the claim breaks: " + refused,
                    refused.contains(ex.limit()));
                check("a refused claim is not open", !claim.isOpen());
                return;
            }
            check("claim should have been refused for " + refused, refused.isEmpty());
            checkOpenClaim(seq, headersLength, payload.length);
            final byte[] written = new byte[headersLength + payload.length];
            if (null != headers)
            {
                System.arraycopy(headers, 0, written, 0, headersLength);
            }
            System.arraycopy(payload, 0, written, headersLength, payload.length);
            claim.buffer().putBytes(0, written, 0, (int)op.arg());
            claim.abort();
            check("claim closed by its abort", !claim.isOpen());
            expect("load(" + seq + ") after the abort", null, store.load(seq));
            expect("lastSeq() after the abort", model.lastSeq(), store.lastSeq());
        }

        /** While the claim is open, readers on the claiming thread see nothing of it. */
        void checkOpenClaim(final long seq, final int headersLength, final int payloadLength)
        {
            check("claim open", claim.isOpen());
            expect("claim.sequence()", seq, claim.sequence());
            expect("claim.headersLength()", headersLength, claim.headersLength());
            expect("claim.payloadLength()", payloadLength, claim.payloadLength());
            expect("claim.payloadOffset()", claim.headersOffset() + headersLength, claim.payloadOffset());
            expect("claim buffer bounded to the claim", headersLength + payloadLength, claim.buffer().capacity());
            expect("load(" + seq + ") while claimed", null, store.load(seq));
            expect("lastSeq() while claimed", model.lastSeq(), store.lastSeq());
            expect("state().msgs while claimed", (long)model.messages().size(), store.state().msgs());
        }

        /**
         * The handle for {@code subject} from the current store instance. A store replaced (reopen, crash, rebuild)
         * drops the old handles, after checking that one of them is refused by the new instance, as the contract says.
         */
        SubjectHandle handle(final String subject)
        {
            if (handlesOf != store)
            {
                if (!handles.isEmpty())
                {
                    final SubjectHandle stale = handles.values().iterator().next();
                    try
                    {
                        store.tryClaim(stale, 0, 1, claim);
                        claim.abort();
                        throw new AssertionError("a handle made by the store instance before the last reopen was " +
                            "accepted by the new one");
                    }
                    catch (final IllegalArgumentException expected)
                    {
                        check("a claim refused for a stale handle is not open", !claim.isOpen());
                    }
                }
                handles.clear();
                handlesOf = store;
            }
            return handles.computeIfAbsent(subject, store::subject);
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
         * Apply new limits to the running store, as to the model; a later reopen keeps them.
         */
        void updateLimits(final StreamLimits limits)
        {
            store.updateLimits(limits);
            model.limits(limits);
            config = config(limits);
            expect("limits()", limits, store.limits());
            model.checkTotals(store, -1);
        }

        /**
         * Close and open again ({@code REOPEN}, with new limits for {@code LIMITS}); without {@code state.db}
         * ({@code REBUILD}); or open a copy of the live directory, which is what a kill leaves ({@code CRASH}).
         */
        void reopen(final Op op)
        {
            final FileStreamStore old = (FileStreamStore)store;
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
