package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Removals under SIGKILL: a child JVM ({@link CrashRemovalChild}) appends and removes (and erases), announcing each
 * removal before making it and acknowledging, after {@code flush()}, everything it did before; this test kills it at
 * seeded random points, reopens the store (sometimes without {@code state.db}, so it is rebuilt from the blocks) and
 * checks it against what was acknowledged:
 * <ul>
 * <li>every acknowledged removal stays removed, and (plaintext) an erased message's content is in no file;</li>
 * <li>every message appended and not (possibly) removed loads intact, flushed or not (SIGKILL keeps the page cache:
 * at most the record in flight is torn, and nothing below the recovered end may be missing);</li>
 * <li>a removal announced but not acknowledged may or may not have happened; either way the reopen settles it;</li>
 * <li>the totals, the per-subject state and a full scan agree with the messages that load.</li>
 * </ul>
 * The child's removals make the reclaimer delete emptied blocks and rewrite sparse ones in the background, so kills
 * also land inside reclaims. The next child continues the same store, so every cycle recovers what the cycles before
 * left behind.
 * <p>
 * {@value #CYCLES_DEFAULT} cycles per mode on one seed by default; with {@code -Psoak}, {@value #CYCLES_SOAK} cycles on
 * each of {@link CampaignSeeds}' seeds; replay a failure with {@code -Dferrite.crash.seed=<seed>} from its message.
 */
class CrashRemovalTest
{
    static final int CYCLES_DEFAULT = 10;
    static final int CYCLES_SOAK = 20;
    private static final long DEFAULT_SEED = 0x4E40_C4A5_4L;
    private static final int BLOCK_SIZE = 8 * 1024;
    private static final int MAX_PAYLOAD = 300;
    private static final long CHILD_MAX_OPS = 5_000_000;
    private static final long CHILD_TIMEOUT_SECONDS = 60;
    /** An erased payload shorter than this could turn up in other bytes by chance: not searched for. */
    private static final int MIN_SEARCHED_PAYLOAD = 24;

    @TempDir
    Path tmp;

    private final TestMessages messages = new TestMessages(MAX_PAYLOAD);
    private StreamMode mode;
    private StreamConfig config;

    /** Removals acknowledged durable, or found done by a reopen. */
    private final TreeSet<Long> removed = new TreeSet<>();
    /** Removals announced but not acknowledged, not yet settled by a reopen: either outcome is right. */
    private final TreeSet<Long> maybeRemoved = new TreeSet<>();
    /** Erasures acknowledged since the last check of the disk. */
    private final List<Long> erasedToCheck = new ArrayList<>();
    /** Every block file seen after a kill, with the size it had when first seen. */
    private final Map<String, Long> blockSizes = new TreeMap<>();
    /** Block files seen again smaller than first seen: rewritten without their removed messages. */
    private final Set<String> rewritten = new TreeSet<>();
    private long durableHigh;
    private int children;
    private long removalsAcked;
    private long erasuresAcked;

    static Stream<Arguments> campaigns()
    {
        return CampaignSeeds.perValue(StreamMode.values(), "ferrite.crash.seed", (mode) -> DEFAULT_SEED);
    }

    @ParameterizedTest(name = "{0} seed={1}")
    @MethodSource("campaigns")
    void acknowledgedRemovalsAndAppendsSurviveSigkill(final StreamMode streamMode, final long seed) throws Exception
    {
        mode = streamMode;
        config = CrashRemovalChild.config(BLOCK_SIZE, MAX_PAYLOAD, mode.encrypted() ? StreamMode.KEY : null);
        final int cycles =
            Integer.getInteger("ferrite.crash.cycles", CampaignSeeds.soak() ? CYCLES_SOAK : CYCLES_DEFAULT);
        final Random random = new Random(seed);
        final Path streamDir = tmp.resolve("stream");

        int verifies = 0;
        int rebuilds = 0;
        int tornTails = 0;
        for (int cycle = 1; cycle <= cycles; cycle++)
        {
            final int batch = 1 + random.nextInt(48);
            final int linesBeforeKill = 1 + random.nextInt(10);
            final int stateEvery = random.nextInt(3) == 0 ? 1 + random.nextInt(4) : 0;
            final boolean deleteState = random.nextInt(4) == 0;
            final boolean childRecovers = cycle < cycles && random.nextInt(5) == 0;
            final long childSeed = random.nextLong();
            final String plan = mode + ", seed=" + seed + " (-Dferrite.crash.seed), cycle " + cycle + "/" + cycles +
                ": batch=" + batch + ", stateEvery=" + stateEvery + ", kill after " + linesBeforeKill +
                " acknowledged batches, deleteState=" + deleteState + ", childRecovers=" + childRecovers;

            runAndKill(streamDir, batch, stateEvery, linesBeforeKill, childSeed, plan);
            observeBlocks(streamDir);
            if (childRecovers)
            {
                continue; // the next child recovers this crash itself; its OPEN line is checked against durableHigh
            }
            if (deleteState)
            {
                Files.deleteIfExists(streamDir.resolve("state.db"));
            }
            tornTails += verify(streamDir, deleteState, plan + ", acknowledged durable up to " + durableHigh) ? 1 : 0;
            verifies++;
            rebuilds += deleteState ? 1 : 0;
        }
        observeBlocks(streamDir);
        final List<Path> blocks = BlockFiles.blocks(streamDir);
        final long deleted = blockSizes.keySet().stream()
            .filter((name) -> !Files.exists(streamDir.resolve("blocks").resolve(name))).count();
        System.out.println("CrashRemovalTest (" + mode + "): seed=" + seed + ", " + cycles + " cycles (" + verifies +
            " verified, " + rebuilds + " rebuilt from blocks), durable up to seq " + durableHigh + ", " +
            removalsAcked + " removals acknowledged (" + erasuresAcked + " erasures), " + removed.size() +
            " removed in all; block files seen between kills: " + blockSizes.size() + ", " + deleted +
            " of them deleted since, " + rewritten.size() + " seen shrunk by a rewrite; " + blocks.size() + " left; " +
            tornTails + " torn tails");
        assertThat(durableHigh).as("seed=%d: the children acknowledged appends", seed).isPositive();
        assertThat(removalsAcked).as("seed=%d: the children acknowledged removals", seed).isPositive();
        assertThat(deleted).as("seed=%d: the reclaimer deleted emptied blocks between the kills", seed).isPositive();
    }

    /**
     * Start a child, wait for {@code linesBeforeKill} acknowledged batches, SIGKILL it, and take in everything it
     * announced and acknowledged before it died, from its log file.
     */
    private void runAndKill(
        final Path streamDir, final int batch, final int stateEvery, final int linesBeforeKill, final long childSeed,
        final String plan)
        throws IOException, InterruptedException
    {
        final Path errors = tmp.resolve("child.err");
        final Path log = tmp.resolve("child-" + (++children) + ".log");
        final List<String> command = ChildProcess.javaCommand(CrashRemovalChild.class,
            streamDir.toString(), log.toString(), Integer.toString(BLOCK_SIZE), Integer.toString(MAX_PAYLOAD),
            Integer.toString(batch), Integer.toString(stateEvery), Long.toString(CHILD_MAX_OPS),
            Long.toString(childSeed), mode.keyArgument());
        final Process child = new ProcessBuilder(command)
            .redirectError(errors.toFile())
            .start();
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread pump = new Thread(() -> ChildProcess.pumpLines(child, lines), "crash-child-stdout");
        pump.setDaemon(true);
        pump.start();
        try
        {
            // Standard output only times the kill: the JDK may drop what a killed child wrote last to its pipe.
            final String opened = ChildProcess.next(lines, child, errors, plan);
            if (!opened.startsWith("OPEN "))
            {
                fail(plan + ": child did not report its open: " + opened + ChildProcess.errors(errors));
            }
            int acknowledged = 0;
            while (acknowledged < linesBeforeKill)
            {
                acknowledged += ChildProcess.next(lines, child, errors, plan).startsWith("D ") ? 1 : 0;
            }
            child.destroyForcibly();
            if (!child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                fail(plan + ": child did not die after SIGKILL");
            }
            assertThat(child.exitValue()).as("%s: the child died of SIGKILL, not by itself%s", plan,
                ChildProcess.errors(errors)).isEqualTo(128 + 9);
            pump.join(TimeUnit.SECONDS.toMillis(CHILD_TIMEOUT_SECONDS));
        }
        finally
        {
            child.destroyForcibly();
            child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        // The log file is the record: every line in it was written before the child went on.
        final List<String> said = Files.readAllLines(log, StandardCharsets.US_ASCII);
        assertThat(said).as("%s: the child's log%s", plan, ChildProcess.errors(errors)).isNotEmpty();
        assertThat(said.get(0)).as(plan).startsWith("OPEN ").endsWith(";");
        assertThat(Long.parseLong(said.get(0).substring("OPEN ".length(), said.get(0).length() - 1)))
            .as("%s: the child recovered fewer sequences than were acknowledged durable", plan)
            .isGreaterThanOrEqualTo(durableHigh);
        final List<Long> announced = new ArrayList<>();
        final List<Long> erasing = new ArrayList<>();
        int acknowledged = 0;
        for (final String line : said.subList(1, said.size()))
        {
            acknowledged += take(line, announced, erasing, plan, errors) ? 1 : 0;
        }
        assertThat(acknowledged).as("%s: acknowledged batches in the log", plan)
            .isGreaterThanOrEqualTo(linesBeforeKill);
    }

    /**
     * Apply one line of the child's output to the model.
     *
     * @return whether it acknowledged a batch.
     */
    private boolean take(
        final String line, final List<Long> announced, final List<Long> erasing, final String plan, final Path errors)
    {
        if (!line.endsWith(";"))
        {
            return false; // cut short by the kill: announces nothing
        }
        final long value;
        try
        {
            value = Long.parseLong(line.substring(2, line.length() - 1));
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError(plan + ": unexpected child output '" + line + "'" + ChildProcess.errors(errors),
                ex);
        }
        switch (line.charAt(0))
        {
            case 'X', 'Z' ->
            {
                announced.add(value);
                maybeRemoved.add(value);
                if (line.charAt(0) == 'Z')
                {
                    erasing.add(value);
                }
                return false;
            }
            case 'D' ->
            {
                durableHigh = Math.max(durableHigh, value);
                for (final long seq : announced)
                {
                    maybeRemoved.remove(seq);
                    removed.add(seq);
                }
                removalsAcked += announced.size();
                erasuresAcked += erasing.size();
                erasedToCheck.addAll(erasing);
                announced.clear();
                erasing.clear();
                return true;
            }
            default ->
                throw new AssertionError(plan + ": unexpected child output '" + line + "'" +
                    ChildProcess.errors(errors));
        }
    }

    private void observeBlocks(final Path streamDir)
    {
        for (final Path block : BlockFiles.blocks(streamDir))
        {
            final String name = block.getFileName().toString();
            final long size;
            try
            {
                size = Files.size(block);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            final Long first = blockSizes.putIfAbsent(name, size);
            if (null != first && size < first)
            {
                rewritten.add(name);
            }
        }
    }

    /**
     * Reopen after a crash and check the store against the model; then settle the model to what the reopen found,
     * which the close that follows makes durable.
     *
     * @return whether recovery reported a torn tail.
     */
    private boolean verify(final Path streamDir, final boolean stateDeleted, final String plan)
    {
        final FileStreamStore store;
        try
        {
            store = FileStreamStore.open(streamDir, config);
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError(plan + ": the store did not reopen after the crash: " + ex, ex);
        }
        try (store)
        {
            final RecoveryReport report = store.recoveryReport();
            final StreamState state = store.state();
            final long last = state.lastSeq();
            final String context = plan + "\nrecovered " + state + "\nreport " + report;

            if (stateDeleted)
            {
                assertThat(report.outcome()).as(context).isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            }
            assertThat(last).as("every acknowledged append is recovered: %s", context)
                .isGreaterThanOrEqualTo(durableHigh);
            // A rebuild from the blocks reads the kept frame of an earlier cycle's torn record again and names it once
            // more; it was never acknowledged, and the content checks below still catch any acknowledged loss. The
            // rebuild follows a deleted state.db, or one the reclaimer had set aside when the kill came.
            final boolean rebuilt = report.outcome() == RecoveryReport.Outcome.REBUILT_FROM_BLOCKS;
            final List<RecoveryReport.LostRange> fresh = report.lost().stream()
                .filter((range) -> !(rebuilt && range.kind() == RecoveryReport.Kind.DAMAGED_RECORD &&
                    range.firstSeq() == range.lastSeq() && range.firstSeq() < last))
                .toList();
            assertThat(fresh).as("at most the one record in flight is lost: %s", context).hasSizeLessThan(2);
            boolean tornTail = false;
            // Killed after the record's header checksum was stored but before its record checksum: the header verifies,
            // so its sequence stays taken (the last one), lost and never handed out again.
            final boolean tornTaken = fresh.size() == 1 && fresh.get(0).firstSeq() == last &&
                fresh.get(0).lastSeq() == last;
            for (final RecoveryReport.LostRange range : fresh)
            {
                assertThat(range.kind()).as("SIGKILL can only tear the record in flight: %s", context)
                    .isEqualTo(RecoveryReport.Kind.TORN_TAIL);
                assertThat(range.firstSeq()).as("a torn tail starts right after the last recovered sequence, or is " +
                    "the last one when its header verified: %s", context).isEqualTo(tornTaken ? last : last + 1);
                tornTail = true;
            }

            final TreeSet<Long> present = new TreeSet<>();
            final Map<String, long[]> subjects = new TreeMap<>();
            long bytes = 0;
            for (long seq = 1; seq <= last; seq++)
            {
                final StoredMessage message = store.load(seq);
                if (tornTaken && seq == last)
                {
                    assertThat(message).as("the torn record is never returned: %s", context).isNull();
                    continue;
                }
                if (removed.contains(seq))
                {
                    assertThat(message).as("seq %d was removed, acknowledged: %s", seq, context).isNull();
                    continue;
                }
                if (null == message && maybeRemoved.contains(seq))
                {
                    continue;
                }
                final String mismatch = messages.mismatch(message, seq);
                if (null != mismatch)
                {
                    fail(mismatch + (null == message ? ", and nothing removed it" : "") + ": " + context);
                }
                present.add(seq);
                bytes += message.subject().length() + message.headers().length + message.payload().length;
                final long first = seq;
                final long[] s = subjects.computeIfAbsent(message.subject(), (k) -> new long[] {0, first, first});
                s[0]++;
                s[2] = seq;
            }
            assertThat(store.load(last + 1)).as("nothing past the recovered end: %s", context).isNull();

            assertThat(state.msgs()).as("msgs counts what loads: %s", context).isEqualTo(present.size());
            assertThat(state.bytes()).as(context).isEqualTo(bytes);
            assertThat(state.firstSeq()).as(context).isEqualTo(present.isEmpty() ? last + 1 : present.first());
            assertThat(state.numSubjects()).as(context).isEqualTo(subjects.size());
            final Map<String, SubjectState> actual = store.subjects(">");
            assertThat(actual.values().stream().mapToLong(SubjectState::msgs).sum())
                .as("subjects(>) counts sum to msgs: %s", context).isEqualTo(state.msgs());
            assertThat(actual.keySet()).as(context).containsExactlyInAnyOrderElementsOf(subjects.keySet());
            for (final Map.Entry<String, long[]> expected : subjects.entrySet())
            {
                final long[] s = expected.getValue();
                assertThat(actual.get(expected.getKey())).as("subject %s: %s", expected.getKey(), context)
                    .isEqualTo(new SubjectState(s[0], s[1], s[2]));
            }
            final List<Long> scanned = new ArrayList<>();
            for (StoredMessage m = store.loadNext(">", 1); null != m; m = store.loadNext(">", m.seq() + 1))
            {
                scanned.add(m.seq());
            }
            assertThat(scanned).as("a full scan finds exactly what loads: %s", context)
                .containsExactlyElementsOf(present);
            if (!mode.encrypted())
            {
                assertErasedBytesGone(streamDir, context);
            }

            // Settled: what loads stays, what does not is removed, and the close below makes both durable.
            for (long seq = 1; seq <= last; seq++)
            {
                if (!present.contains(seq))
                {
                    removed.add(seq);
                }
            }
            maybeRemoved.clear();
            durableHigh = last;
            return tornTail;
        }
    }

    /**
     * An acknowledged erasure overwrote the message's bytes: its content is in no file of the stream.
     */
    private void assertErasedBytesGone(final Path streamDir, final String context)
    {
        final Map<Path, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(streamDir))
        {
            for (final Path file : paths.filter(Files::isRegularFile).toList())
            {
                files.put(file, Files.readAllBytes(file));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        for (final long seq : erasedToCheck)
        {
            final byte[] payload = messages.payload(seq);
            if (payload.length < MIN_SEARCHED_PAYLOAD)
            {
                continue;
            }
            // Subject, headers and payload as a plaintext record lays them out: the payloads of TestMessages are
            // shifted copies of one another (one seeded stream), so the payload alone may turn up inside another's.
            final byte[] subject = messages.subject(seq).getBytes(StandardCharsets.US_ASCII);
            final byte[] headers = messages.headers(seq);
            final byte[] content = new byte[subject.length + headers.length + payload.length];
            System.arraycopy(subject, 0, content, 0, subject.length);
            System.arraycopy(headers, 0, content, subject.length, headers.length);
            System.arraycopy(payload, 0, content, subject.length + headers.length, payload.length);
            for (final Map.Entry<Path, byte[]> file : files.entrySet())
            {
                assertThat(indexOf(file.getValue(), content))
                    .as("erased seq %d's content is still in %s: %s", seq, file.getKey(), context).isNegative();
            }
        }
        erasedToCheck.clear();
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
