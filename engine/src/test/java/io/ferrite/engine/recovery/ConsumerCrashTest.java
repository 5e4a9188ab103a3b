package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.engine.testing.ChildJournal;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A consumer's ack floor across SIGKILL: a child JVM ({@link ConsumerCrashChild}) delivers and acknowledges out of
 * order and is killed at seeded random moments; the next child (and finally this test) reopens the consumer. The
 * recovered floor is never above the highest floor an acknowledgement the child set out to make would produce — never
 * forward past what was acknowledged — and in {@code ALWAYS} mode never below the floor of the last acknowledgement
 * that returned. In {@code INTERVAL} mode an acknowledgement may be lost with up to an interval of updates, so only the
 * upper bound holds. A few kills per mode; {@code -Dferrite.soak=true} runs many more.
 */
class ConsumerCrashTest
{
    private static final long SEED = 0xC0_45_E7_0A11L;
    private static final int CHILD_MAX_ROUNDS = 100_000;

    @TempDir
    Path tmp;

    /** The highest floor a child's acknowledgement in flight would produce, and the floor after the last returned. */
    private long willHigh;
    private long ackedHigh;

    @ParameterizedTest
    @EnumSource(value = SyncMode.class, names = {"ALWAYS", "INTERVAL"})
    void theRecoveredAckFloorIsBetweenTheAcksThatReturnedAndTheAcksBegun(final SyncMode mode) throws Exception
    {
        final int cycles = CampaignSeeds.soak() ? 25 : mode == SyncMode.ALWAYS ? 3 : 2;
        final Random random = new Random(SEED + mode.ordinal());
        final Path dir = tmp.resolve("stream");
        for (int cycle = 1; cycle <= cycles; cycle++)
        {
            final int acksBeforeKill = 2 + random.nextInt(40);
            final String plan = mode + ", seed " + SEED + ", cycle " + cycle + "/" + cycles + ", kill after " +
                acksBeforeKill + " acknowledgements";
            runAndKill(dir, mode, acksBeforeKill, random.nextLong(), plan);
        }
        try (StreamStore store = FileStreamStore.open(dir, ConsumerCrashChild.config(mode)))
        {
            final ConsumerState state = store.consumer(ConsumerCrashChild.CONSUMER, ConsumerCrashChild.CONFIG).state();
            checkRecovered(mode, state.ackFloor().stream(), mode + ": this test's reopen");
            assertThat(state.delivered().stream()).isLessThanOrEqualTo(store.lastSeq());
        }
        assertThat(ackedHigh).as("the children acknowledged something").isPositive();
    }

    private void checkRecovered(final SyncMode mode, final long floor, final String plan)
    {
        assertThat(floor).as("%s: the recovered ack floor is not above what an acknowledgement begun would make it " +
            "(%d)", plan, willHigh).isLessThanOrEqualTo(willHigh);
        if (mode == SyncMode.ALWAYS)
        {
            assertThat(floor).as("%s: the floor of an acknowledgement that returned in ALWAYS mode (%d) is durable",
                plan, ackedHigh).isGreaterThanOrEqualTo(ackedHigh);
        }
    }

    private void runAndKill(final Path dir, final SyncMode mode, final int acksBeforeKill, final long childSeed,
        final String plan) throws IOException, InterruptedException
    {
        final Path errors = tmp.resolve("child.err");
        final Path journal = ChildJournal.beside(dir);
        Files.deleteIfExists(journal);
        final List<String> command = ChildProcess.javaCommand(ConsumerCrashChild.class, dir.toString(), mode.name(),
            Integer.toString(CHILD_MAX_ROUNDS), Long.toString(childSeed));
        final Process child = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread pump = new Thread(() -> ChildProcess.pumpLines(child, lines), "consumer-child-stdout");
        pump.setDaemon(true);
        pump.start();
        try
        {
            final String[] opened = ChildProcess.next(lines, child, errors, plan).split(" ");
            if (opened.length != 2 || !"OPEN".equals(opened[0]))
            {
                fail(plan + ": child did not report its open: " + String.join(" ", opened) +
                    ChildProcess.errors(errors));
            }
            final long floor = Long.parseLong(opened[1]);
            checkRecovered(mode, floor, plan + ", the child's reopen");
            // What this child may acknowledge starts over from where it resumed.
            willHigh = floor;
            int acks = 0;
            while (acks < acksBeforeKill)
            {
                acks += parse(ChildProcess.next(lines, child, errors, plan), plan, errors) ? 1 : 0;
            }
            child.destroyForcibly();
            if (!child.waitFor(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                fail(plan + ": child did not die after SIGKILL");
            }
            assertThat(child.exitValue()).as("%s: the child died of SIGKILL%s", plan, ChildProcess.errors(errors))
                .isEqualTo(128 + 9);
            pump.join(TimeUnit.SECONDS.toMillis(ChildProcess.TIMEOUT_SECONDS));
            // Not the pipe: it can lose the last lines before the kill (ChildJournal).
            for (final String line : ChildJournal.read(journal))
            {
                parse(line, plan, errors);
            }
        }
        finally
        {
            child.destroyForcibly();
        }
    }

    /**
     * @return whether the line reported an acknowledgement that returned. A line cut short by the kill names a prefix
     * of a floor, no larger than the floor itself: an ACKED bound only loosens, and a WILL line is printed whole
     * before its acknowledgement begins.
     */
    private boolean parse(final String line, final String plan, final Path errors)
    {
        final String[] parts = line.split(" ");
        if (parts.length != 2 || parts[1].isEmpty())
        {
            return false; // cut short by the kill
        }
        final long floor;
        try
        {
            floor = Long.parseLong(parts[1]);
        }
        catch (final NumberFormatException ex)
        {
            throw new AssertionError(plan + ": unexpected child output '" + line + "'" + ChildProcess.errors(errors),
                ex);
        }
        if ("WILL".equals(parts[0]))
        {
            willHigh = Math.max(willHigh, floor);
            return false;
        }
        if ("ACKED".equals(parts[0]))
        {
            ackedHigh = Math.max(ackedHigh, floor);
            return true;
        }
        return false;
    }
}
