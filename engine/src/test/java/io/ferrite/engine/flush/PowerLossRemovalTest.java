package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.ReclaimSeam;
import io.ferrite.engine.ReclaimStep;
import io.ferrite.engine.testing.ReferenceSubjects;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.SubjectState;
import io.ferrite.store.SyncMode;
import org.agrona.IoUtil;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Removals under simulated power loss ({@link PowerLossIO}). Each cycle opens the previous cycle's power-cut image,
 * holds it against what that cycle acknowledged, runs a seeded single-threaded workload (appends, remove, erase, both
 * purges, compact, truncate, skip, {@code writeFullState}, {@code flush}) on small blocks that roll and get reclaimed,
 * and cuts the power at a seeded moment: between reclaims, or (one cycle in three) on the reclaim thread right after a
 * seeded step of a reclaim pass, while the workload carries on (also where the pass has set {@code state.db} aside
 * and appends roll blocks: a lost header of one of them is a roll, not damage, see {@code ReclaimPassRollTest}).
 * A completed {@code flush()} acknowledges the state as
 * of its call; erase and truncate flush before returning, so their return acknowledges too (the purges and compact do
 * not in the {@code INTERVAL} and {@code NONE} modes run here: they are durable when an append made then would be).
 * An operation counts only if it returned before the cut began. After the cut a sequence untouched since the last
 * acknowledgement holds exactly what was acknowledged (the message byte for byte, or nothing once its removal was
 * acknowledged), one changed since any state it had since; a {@code purge()} or {@code compact} (one tombstone each)
 * is applied whole or not at all to the messages acknowledged before it; no read fails a checksum; totals and subject
 * counts match what loads; no file of a plaintext image holds an erased payload.
 * <p>
 * {@value #CYCLES_DEFAULT} cycles by default, {@value #CYCLES_SOAK} with {@code -Dferrite.soak=true}; replay with
 * {@code -Dferrite.powerloss.seed=<seed>}.
 */
class PowerLossRemovalTest
{
    static final int CYCLES_DEFAULT = 40;
    static final int CYCLES_SOAK = 1000;
    private static final long DEFAULT_SEED = 0x7E4B_5EEDL;
    private static final int BLOCK_SIZE = 8 * 1024;
    private static final int MAX_PAYLOAD = 500;
    private static final int TOKEN = 12;
    private static final Pattern TOKEN_PATTERN = Pattern.compile("MK[0-9]{10}");
    private static final long TIMEOUT_SECONDS = 60;
    private static final String[] FILTERS = { ">", "s.0.>", "s.*.1", "s.1.2", "s.2.*", "s.*.*" };
    @TempDir
    Path tmp;

    /** A message as the model knows it; the payload as ISO-8859-1, so equality is byte equality. */
    private record Msg(String subject, String payload)
    {
        @Override
        public String toString()
        {
            return subject + "/" + payload.substring(0, TOKEN) + "/" + payload.length();
        }
    }

    private record RangeRemoval(String op, List<Long> acknowledged)
    {
    }

    /** What the store holds now. */
    private final TreeMap<Long, Msg> live = new TreeMap<>();
    /** Sequences changed since the last acknowledgement, with every state each held since (null: no message). */
    private final Map<Long, List<Msg>> uncertain = new HashMap<>();
    /** Payload tokens of messages an erase returned true for: never to be on the disk again. */
    private final Set<String> erased = new HashSet<>();
    /** What earlier recoveries reported lost. */
    private final List<RecoveryReport.LostRange> lost = new ArrayList<>();
    private final List<String> ops = new ArrayList<>();
    /**
     * Each {@code purge()} and {@code compact} since the last acknowledgement, with the acknowledged messages it
     * removed: after the cut they are all there or all gone (a reclaim that deleted blocks before the tombstone was
     * forced left the rest of the range to come back, unreported).
     */
    private final List<RangeRemoval> rangeRemovals = new ArrayList<>();
    /**
     * Set when the power cut begins, before the image is taken: an operation that finds it set when it returns may
     * have returned after the cut, so it acknowledges nothing.
     */
    private volatile boolean cutTaken;
    /** The reclaim step the cut was taken after, for the failure message; null when it was taken between passes. */
    private volatile ReclaimStep cutAtStep;
    private long lastSeq;
    private long ackedLastSeq;
    private long highestLastSeq;
    private long tokens;
    private long erasures;
    private long acknowledgements;
    private long lostRaising;
    private final AtomicInteger reclaimStepCuts = new AtomicInteger();

    @ParameterizedTest(name = "encrypted={0}")
    @ValueSource(booleans = { false, true })
    void acknowledgedRemovalsAndMessagesSurvivePowerCuts(final boolean encrypted) throws Exception
    {
        final boolean soak = Boolean.getBoolean("ferrite.soak");
        final int cycles = Integer.getInteger("ferrite.powerloss.cycles", soak ? CYCLES_SOAK : CYCLES_DEFAULT);
        final long seed = Long.getLong("ferrite.powerloss.seed", DEFAULT_SEED);
        final Random random = new Random(seed);
        final byte[] key = encrypted ? ByteBuffer.allocate(32).putLong(seed).array() : null;
        final long started = System.nanoTime();
        String plan = "the stream as created";
        Path dir = tmp.resolve("cycle-0");
        // Created before the model watches: stream.key is written and forced by the crypto module, not a StorageIO.
        open(dir, SyncMode.NONE, Duration.ofMillis(1), key, StorageIO.standard(), plan).close();
        for (int cycle = 1; cycle <= cycles + 1; cycle++)
        {
            final SyncMode mode = random.nextBoolean() ? SyncMode.INTERVAL : SyncMode.NONE;
            final Duration interval = Duration.ofMillis(1 + random.nextInt(random.nextBoolean() ? 2 : 200));
            final int opsBeforeCut = 1 + random.nextInt(cycle % 10 == 0 ? 1500 : 250);
            final Random work = new Random(random.nextLong());
            final Random cut = new Random(random.nextLong());
            final int cutAtReclaimStep = random.nextInt(3) == 0 ? 1 + random.nextInt(12) : 0;
            final PowerLossIO io = new PowerLossIO(dir);
            final Path image = tmp.resolve("cycle-" + cycle);
            try (FileStreamStore store = open(dir, mode, interval, key, io, plan))
            {
                try
                {
                    verify(store, plan);
                    if (cycle > cycles)
                    {
                        break;
                    }
                    plan = "seed=" + seed + " (-Dferrite.powerloss.seed), encrypted=" + encrypted + ", cycle " +
                        cycle + "/" + cycles + ": " + mode + (mode == SyncMode.INTERVAL ? " every " +
                        interval.toMillis() + " ms" : "") + ", cut after " + opsBeforeCut + " operations" +
                        (cutAtReclaimStep > 0 ? " or at reclaim step " + cutAtReclaimStep + " if sooner" : "");
                    ops.clear();
                    cutTaken = false;
                    final AtomicInteger steps = new AtomicInteger();
                    // On the reclaim thread, under the maintenance lock, as whileQuiescent below: one cut per cycle.
                    ReclaimSeam.steps(store, (step) ->
                    {
                        if (cutAtReclaimStep > 0 && !cutTaken && steps.incrementAndGet() == cutAtReclaimStep)
                        {
                            cutTaken = true;
                            io.cut(cut, image);
                            reclaimStepCuts.incrementAndGet();
                            cutAtStep = step;
                        }
                    });
                    run(store, work, opsBeforeCut, plan);
                }
                catch (final RuntimeException | ExecutionException ex)
                {
                    throw new AssertionError(plan + ": " + ex + "\noperations " + recentOps(), ex);
                }
                store.whileQuiescent(() ->
                {
                    ReclaimSeam.steps(store, (step) -> {});
                    if (!cutTaken)
                    {
                        cutTaken = true;
                        io.cut(cut, image);
                    }
                });
                ops.add(null == cutAtStep ? "  -- power cut" : "  -- power cut after reclaim step " + cutAtStep +
                    ", during the operation before the first marked as returned after it");
                cutAtStep = null;
            }
            if (!encrypted)
            {
                assertNoErasedBytes(image, plan);
            }
            IoUtil.delete(dir.toFile(), false);
            dir = image;
        }
        System.out.println("PowerLossRemovalTest: seed=" + seed + ", encrypted=" + encrypted + ", " + cycles +
            " cycles in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms, " + tokens +
            " appends, " + erasures + " erasures, " + acknowledgements + " acknowledgements, last sequence " +
            lastSeq + ", " + lost.size() + " losses reported, " + lostRaising + " reads of them raised, " +
            reclaimStepCuts + " cuts at a reclaim step");
        assertThat(acknowledgements).as("the workload acknowledged something").isPositive();
    }

    static Stream<Arguments> rangeRemovalsWhileForcesAreHeld()
    {
        return Stream.of(SyncMode.INTERVAL, SyncMode.NONE).flatMap((mode) -> Stream.of("purge", "compact")
            .flatMap((removal) -> Stream.of(false, true).map((encrypted) -> Arguments.of(mode, removal, encrypted))));
    }

    /**
     * A {@code purge()} or {@code compact} in {@code INTERVAL} or {@code NONE} returns before its tombstone is forced,
     * and wakes the reclaim thread at once. With every block force held from the removal on, the disk is cut after
     * each step of the reclaim, once with every unforced page dropped and once seeded: recovery knows of the removal
     * only from the tombstone (the reclaim deletes {@code state.db} before it touches block files), so no block may go
     * before that tombstone is forced. Before the fix, the image after {@code delete:files-deleted} held the tail's
     * messages of the range and not the deleted blocks', with nothing reported.
     */
    @ParameterizedTest(name = "{0}, {1}, encrypted={2}")
    @MethodSource("rangeRemovalsWhileForcesAreHeld")
    void aReclaimDeletesNoBlockBeforeTheRemovalThatEmptiedItIsDurable(
        final SyncMode mode, final String removal, final boolean encrypted) throws Exception
    {
        final long seed = Long.getLong("ferrite.powerloss.seed", DEFAULT_SEED);
        final byte[] key = encrypted ? ByteBuffer.allocate(32).putLong(seed).array() : null;
        final Duration interval = Duration.ofHours(1);
        final String plan = mode + ", " + removal + ", encrypted=" + encrypted + ", seed=" + seed;
        final Path dir = tmp.resolve("stream");
        open(dir, mode, interval, key, StorageIO.standard(), plan).close();
        final PowerLossIO disk = new PowerLossIO(dir);
        final ControllableStorageIO forces = new ControllableStorageIO(disk);
        final List<Path> images = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> listenerFailure = new AtomicReference<>();
        final CountDownLatch passDone = new CountDownLatch(1);
        final Random cuts = new Random(seed);
        final long removedBelow;
        try (FileStreamStore store = open(dir, mode, interval, key, forces, plan))
        {
            final Random work = new Random(seed);
            for (int i = 0; i < 120; i++)
            {
                append(store, work, plan);
            }
            // Every block forced and every sealed block's descriptor released: the sealed ones are deletable at once.
            store.flush().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(blockFiles(dir)).as("blocks before the removal: %s", plan).isGreaterThan(3);
            // compact: to the middle of the third block, so two blocks empty and the third keeps messages of the range.
            removedBelow = removal.equals("purge") ? lastSeq + 1 : (baseSeq(dir, 2) + baseSeq(dir, 3)) / 2;
            ReclaimSeam.steps(store, (step) ->
            {
                try
                {
                    final Path worst = tmp.resolve("image-" + images.size() + "-" + step.label().replace(':', '-'));
                    disk.cut(PowerLossIO.worstCase(), worst);
                    images.add(worst);
                    final Path seeded = tmp.resolve("image-" + images.size() + "-" + step.label().replace(':', '-'));
                    disk.cut(cuts, seeded);
                    images.add(seeded);
                    // Held until the reclaim either waits for the tombstone's force or has deleted files without it.
                    if (step == ReclaimStep.DELETE_AWAITING_REMOVALS || step == ReclaimStep.DELETE_FILES_DELETED)
                    {
                        forces.releaseStall();
                    }
                    if (step == ReclaimStep.DELETE_STATE_WRITTEN)
                    {
                        passDone.countDown();
                    }
                }
                catch (final RuntimeException | Error ex)
                {
                    listenerFailure.compareAndSet(null, ex);
                    forces.releaseStall();
                    passDone.countDown();
                    throw ex;
                }
            });
            forces.stallBlockForces();
            try
            {
                final long removed = removal.equals("purge") ? store.purge() : store.compact(removedBelow);
                assertThat(removed).as(plan).isEqualTo(live.headMap(removedBelow).size());
                assertThat(passDone.await(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .as("a reclaim pass deleted blocks: %s", plan).isTrue();
            }
            finally
            {
                // Whatever failed, close() must not wait for a held force.
                ReclaimSeam.steps(store, (step) -> {});
                forces.releaseStall();
            }
        }
        if (null != listenerFailure.get())
        {
            throw new AssertionError(plan + ": imaging a reclaim step failed", listenerFailure.get());
        }
        final List<Long> range = new ArrayList<>(live.headMap(removedBelow).keySet());
        boolean deletedSeen = false;
        for (final Path image : images)
        {
            final String where = plan + ", " + image.getFileName();
            deletedSeen |= image.getFileName().toString().contains("files-deleted");
            try (FileStreamStore store = open(image, mode, interval, key, StorageIO.standard(), where))
            {
                // The block a purge rolls may come back unwritten, reported from the next sequence on: nothing
                // acknowledged may be in a report.
                assertThat(store.recoveryReport().lost()).as("lost in %s", where)
                    .noneMatch((lost) -> lost.firstSeq() <= lastSeq);
                assertThat(store.state().lastSeq()).as("last sequence in %s", where).isEqualTo(lastSeq);
                final List<Long> back = range.stream().filter((seq) -> null != store.load(seq)).toList();
                assertThat(back.size()).as("%s of the %s messages below %s back in %s: all or none", back.size(),
                    range.size(), removedBelow, where).isIn(0, range.size());
                for (final Map.Entry<Long, Msg> entry : live.entrySet())
                {
                    if (entry.getKey() >= removedBelow || !back.isEmpty())
                    {
                        final StoredMessage message = store.load(entry.getKey());
                        assertThat(null == message ? null :
                            new Msg(message.subject(), new String(message.payload(), ISO_8859_1)))
                            .as("seq %s in %s", entry.getKey(), where).isEqualTo(entry.getValue());
                    }
                }
            }
        }
        assertThat(deletedSeen).as("a reclaim step after the files went was imaged: %s", plan).isTrue();
    }

    /**
     * @return the base sequence in the header of the block file at {@code position} in id order.
     */
    private static long baseSeq(final Path dir, final int position) throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            final Path block = files.filter((p) -> p.toString().endsWith(".blk")).sorted().toList().get(position);
            return ByteBuffer.wrap(Files.readAllBytes(block)).order(ByteOrder.LITTLE_ENDIAN)
                .getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        }
    }

    private static long blockFiles(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((p) -> p.toString().endsWith(".blk")).count();
        }
    }

    private FileStreamStore open(
        final Path dir, final SyncMode mode, final Duration interval, final byte[] key, final StorageIO io,
        final String plan)
    {
        final StreamConfig.Builder config = StreamConfig.builder("powerloss-removal").blockSize(BLOCK_SIZE)
            .maxMsgSize(MAX_PAYLOAD + 64).syncMode(mode).syncInterval(interval);
        try
        {
            return FileStreamStore.open(dir, (null == key ? config : config.encryptionKey(key)).build(), io);
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError(plan + ": the store did not reopen after the power cut: " + ex +
                "\noperations " + recentOps(), ex);
        }
    }

    private void run(final FileStreamStore store, final Random random, final int count, final String plan)
        throws Exception
    {
        for (int i = 0; i < count && !cutTaken; i++)
        {
            final int op = random.nextInt(1000);
            final long first = live.isEmpty() ? lastSeq + 1 : live.firstKey();
            if (op < 610)
            {
                final int burst = op < 560 ? 1 : 10 + random.nextInt(40);
                for (int b = 0; b < burst; b++)
                {
                    append(store, random, plan);
                }
            }
            else if (op < 770)
            {
                final long seq = pick(random);
                final Msg msg = live.get(seq);
                final boolean erase = op >= 740;
                ops.add((erase ? "erase(" : "remove(") + seq + ")");
                assertThat(erase ? store.erase(seq) : store.remove(seq)).as("%s: %s", plan, ops.get(ops.size() - 1))
                    .isEqualTo(null != msg);
                if (null != msg)
                {
                    set(seq, null);
                    // Returned before the cut began, the overwrite it forced is in the image.
                    if (erase && acknowledge())
                    {
                        erased.add(msg.payload().substring(0, TOKEN));
                        erasures++;
                    }
                }
            }
            else if (op < 860)
            {
                ops.add("flush -> " + store.flush().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
                acknowledge();
            }
            else if (op < 937)
            {
                final List<Long> doomed;
                final long removed;
                if (op < 900)
                {
                    final boolean all = op >= 895;
                    final String filter = all ? ">" : FILTERS[random.nextInt(FILTERS.length)];
                    final long upTo = all || random.nextBoolean() ? 0 :
                        first + random.nextInt((int)(lastSeq + 3 - first));
                    final long keep = all || random.nextInt(3) != 0 ? 0 : random.nextInt(6);
                    ops.add(all ? "purge()" : "purge(" + filter + ", " + upTo + ", " + keep + ")");
                    final List<Long> matching = live.entrySet().stream()
                        .filter((e) -> ReferenceSubjects.matches(filter,
                            e.getValue().subject())).map(Map.Entry::getKey).toList();
                    final long below = keep == 0 ? Long.MAX_VALUE :
                        matching.size() < keep ? 0 : matching.get((int)(matching.size() - keep));
                    doomed = matching.stream().filter((seq) -> seq < below && (upTo == 0 || seq < upTo)).toList();
                    removed = all ? store.purge() : store.purge(filter, upTo, keep);
                }
                else if (op < 925)
                {
                    final long seq = random.nextInt(4) == 0 ? lastSeq + 1 + random.nextInt(4) :
                        first + random.nextInt(30);
                    ops.add("compact(" + seq + ")");
                    doomed = new ArrayList<>(live.headMap(seq).keySet());
                    removed = store.compact(seq);
                    lastSeq = Math.max(lastSeq, seq - 1);
                    highestLastSeq = Math.max(highestLastSeq, lastSeq);
                }
                else
                {
                    final long seq = Math.max(0, lastSeq - random.nextInt(25));
                    ops.add("truncate(" + seq + ")");
                    doomed = new ArrayList<>(live.tailMap(seq, false).keySet());
                    store.truncate(seq);
                    removed = doomed.size();
                    lastSeq = seq;
                }
                assertThat(removed).as("%s: %s", plan, ops.get(ops.size() - 1)).isEqualTo(doomed.size());
                if (op >= 895 && op < 925)
                {
                    rangeRemovals.add(new RangeRemoval(ops.get(ops.size() - 1),
                        doomed.stream().filter((seq) -> !uncertain.containsKey(seq)).toList()));
                }
                doomed.forEach((seq) -> set(seq, null));
                if (op >= 925 && !acknowledge())
                {
                    // Only truncate forces before returning in these modes (a purge or compaction is durable when an
                    // append made at that moment would be); one that returned after the cut began may be in it.
                    ackedLastSeq = Math.min(ackedLastSeq, lastSeq);
                }
            }
            else if (op < 987)
            {
                ops.add("writeFullState");
                store.writeFullState();
            }
            else
            {
                assigned(store.skip(), "skip", plan);
            }
        }
    }

    private void append(final FileStreamStore store, final Random random, final String plan)
    {
        final String subject = "s." + random.nextInt(3) + "." + random.nextInt(4);
        final byte[] payload = new byte[TOKEN + random.nextInt(MAX_PAYLOAD - TOKEN + 1)];
        random.nextBytes(payload);
        System.arraycopy(String.format("MK%010d", ++tokens).getBytes(ISO_8859_1), 0, payload, 0, TOKEN);
        set(assigned(store.append(subject, null, payload), "append " + subject, plan),
            new Msg(subject, new String(payload, ISO_8859_1)));
    }

    private long assigned(final long seq, final String op, final String plan)
    {
        ops.add(op + " -> " + seq);
        assertThat(seq).as("%s: %s", plan, op).isEqualTo(lastSeq + 1);
        lastSeq = seq;
        highestLastSeq = Math.max(highestLastSeq, seq);
        return seq;
    }

    /** Mostly a stored sequence, sometimes one that holds nothing. */
    private long pick(final Random random)
    {
        if (!live.isEmpty() && random.nextInt(8) != 0)
        {
            final long first = live.firstKey();
            return live.ceilingKey(first + (long)(random.nextDouble() * (live.lastKey() - first + 1)));
        }
        return 1 + random.nextInt((int)Math.min(Integer.MAX_VALUE - 3, lastSeq + 2));
    }

    private void set(final long seq, final Msg msg)
    {
        uncertain.computeIfAbsent(seq, (s) -> new ArrayList<>(Collections.singletonList(live.get(s)))).add(msg);
        live.compute(seq, (s, was) -> msg); // null removes
    }

    /**
     * @return false when the operation returned once the cut had begun: then it acknowledges nothing.
     */
    private boolean acknowledge()
    {
        if (cutTaken)
        {
            ops.add("  -- returned once the cut had begun: acknowledges nothing");
            return false;
        }
        uncertain.clear();
        rangeRemovals.clear();
        ackedLastSeq = highestLastSeq = lastSeq;
        acknowledgements++;
        ops.add("  -- acknowledged");
        return true;
    }

    /** Hold the reopened image against the model, then take what it holds as the model of the next cycle. */
    private void verify(final FileStreamStore store, final String plan)
    {
        final StreamState state = store.state();
        final String where = plan + "\nrecovered " + state + "\nreport " + store.recoveryReport() +
            "\nacknowledged last sequence " + ackedLastSeq + ", highest since " + highestLastSeq + "\noperations " +
            recentOps();
        assertThat(state.lastSeq()).as("last sequence: %s", where).isBetween(ackedLastSeq, highestLastSeq);
        long lo = Math.min(state.firstSeq(), live.isEmpty() ? Long.MAX_VALUE : live.firstKey());
        lo = Math.max(1, uncertain.keySet().stream().mapToLong(Long::longValue).reduce(lo, Math::min));
        final StoredMessage first = store.loadNext(">", 1);
        assertThat(null == first ? Long.MAX_VALUE : first.seq()).as("nothing below %s: %s", lo, where)
            .isGreaterThanOrEqualTo(lo);
        final TreeMap<Long, Msg> found = new TreeMap<>();
        final Map<String, SubjectState> perSubject = new HashMap<>();
        for (long seq = lo; seq <= Math.max(state.lastSeq(), highestLastSeq) + 1; seq++)
        {
            final List<Msg> allowed = uncertain.getOrDefault(seq, Collections.singletonList(live.get(seq)));
            final Msg actual = load(store, seq, allowed, where);
            if (!allowed.contains(actual))
            {
                fail("sequence " + seq + " holds " + actual + ", allowed (acknowledged first) " + allowed +
                    (uncertain.containsKey(seq) ? "" : ", untouched since the acknowledgement") + ": " + where);
            }
            if (null != actual)
            {
                found.put(seq, actual);
                perSubject.merge(actual.subject(), new SubjectState(1, seq, seq),
                    (was, now) -> new SubjectState(was.msgs() + 1, was.firstSeq(), now.lastSeq()));
            }
        }
        for (final RangeRemoval removal : rangeRemovals)
        {
            final List<Long> back = removal.acknowledged().stream().filter(found::containsKey).toList();
            if (!back.isEmpty() && back.size() < removal.acknowledged().size())
            {
                final List<Long> gone = removal.acknowledged().stream().filter((seq) -> !found.containsKey(seq))
                    .toList();
                fail(removal.op() + " is half applied: " + back.size() + " of the " + removal.acknowledged().size() +
                    " acknowledged messages it removed are back (first " + back.subList(0, Math.min(5, back.size())) +
                    "), the others gone (first " + gone.subList(0, Math.min(5, gone.size())) + "): " + where);
            }
        }
        rangeRemovals.clear();
        assertThat(state.msgs()).as("msgs counts what loads: %s", where).isEqualTo(found.size());
        assertThat(state.firstSeq()).as("first sequence: %s", where)
            .isEqualTo(found.isEmpty() ? state.lastSeq() + 1 : found.firstKey());
        final Map<String, SubjectState> subjects = store.subjects(">");
        assertThat(subjects.values().stream().mapToLong(SubjectState::msgs).sum())
            .as("subject counts sum to msgs: %s", where).isEqualTo(found.size());
        assertThat(subjects).as("subjects: %s", where).isEqualTo(perSubject);
        assertThat(store.numPending(1, ">")).as("numPending: %s", where).isEqualTo(found.size());
        live.clear();
        live.putAll(found);
        lost.addAll(store.recoveryReport().lost());
        uncertain.clear();
        lastSeq = ackedLastSeq = highestLastSeq = state.lastSeq();
    }

    /**
     * @return the message at {@code seq}, or null. A read may raise only for a sequence an earlier recovery reported
     * lost that is to hold nothing: once a later state lists its block, the damaged bytes raise rather than vanish.
     */
    private Msg load(final FileStreamStore store, final long seq, final List<Msg> allowed, final String where)
    {
        try
        {
            final StoredMessage message = store.load(seq);
            return null == message ? null :
                new Msg(message.subject(), new String(message.payload(), ISO_8859_1));
        }
        catch (final RuntimeException ex)
        {
            if (ex instanceof CorruptRecordException && allowed.equals(Collections.singletonList(null)) &&
                lost.stream().anyMatch((range) -> range.covers(seq)))
            {
                lostRaising++;
                return null;
            }
            throw new AssertionError("load(" + seq + ") failed: " + ex + ", allowed " + allowed + ": " + where, ex);
        }
    }

    /** An erase returns once it forced the overwrite: no file of the image may hold the message's bytes. */
    private void assertNoErasedBytes(final Path image, final String plan) throws Exception
    {
        try (Stream<Path> walk = Files.walk(image))
        {
            for (final Path file : walk.filter(Files::isRegularFile).toList())
            {
                final Matcher token = TOKEN_PATTERN.matcher(new String(Files.readAllBytes(file), ISO_8859_1));
                while (token.find())
                {
                    assertThat(erased).as(() -> plan + ": erased payload " + token.group() + " is still in " +
                        image.relativize(file) + " at offset " + token.start() + "\noperations " + recentOps())
                        .doesNotContain(token.group());
                }
            }
        }
    }

    private String recentOps()
    {
        return "(last 120 of " + ops.size() + "): " + ops.subList(Math.max(0, ops.size() - 120), ops.size());
    }
}
