package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.ChildJournal;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.store.NamedTailer;
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
 * At-least-once across SIGKILL: a child JVM ({@link NamedTailerCrashChild}) appends, follows its own stream with a
 * named tailer and acknowledges, and is killed at seeded random moments; the next child (and finally this test)
 * reopens the stream and the tailer. The resumed position is never past the highest sequence the child set out to
 * acknowledge — no unacknowledged message is skipped — nor past the stream's end; in {@code ALWAYS} mode it is at least
 * one past the highest acknowledgement that returned, since {@code ack} forced it first. In {@code INTERVAL} mode an
 * acknowledgement may be lost with up to an interval of appends, so only the upper bounds hold.
 */
class NamedTailerCrashTest
{
    private static final long SEED = 0xC0_5E55_0A11L;
    private static final int CYCLES = Boolean.getBoolean("ferrite.soak") ? 40 : 4;
    private static final int CHILD_MAX_ROUNDS = 100_000;

    @TempDir
    Path tmp;

    /** Highest sequence a child printed before acknowledging it, and after its acknowledgement returned. */
    private long willHigh;
    private long ackedHigh;

    @ParameterizedTest
    @EnumSource(value = SyncMode.class, names = {"ALWAYS", "INTERVAL"})
    void aNamedTailerResumesNoLaterThanItsLastAcknowledgementAfterSigkill(final SyncMode mode) throws Exception
    {
        final Random random = new Random(SEED);
        final Path dir = tmp.resolve("stream");
        for (int cycle = 1; cycle <= CYCLES; cycle++)
        {
            final int acksBeforeKill = 2 + random.nextInt(12);
            final String plan = mode + ", seed " + SEED + ", cycle " + cycle + "/" + CYCLES + ", kill after " +
                acksBeforeKill + " acknowledgements";
            runAndKill(dir, mode, acksBeforeKill, plan);
        }
        try (StreamStore store = FileStreamStore.open(dir, NamedTailerCrashChild.config(mode));
            NamedTailer tailer = store.createTailer(NamedTailerCrashChild.TAILER))
        {
            checkResumed(mode, store.lastSeq(), tailer.nextSeq(), mode + ": this test's reopen");
        }
        assertThat(ackedHigh).as("the children acknowledged something").isPositive();
    }

    private void checkResumed(final SyncMode mode, final long lastSeq, final long next, final String plan)
    {
        assertThat(next).as("%s: resumed no later than the highest sequence the child set out to acknowledge (%d)",
            plan, willHigh).isLessThanOrEqualTo(willHigh + 1);
        assertThat(next).as("%s: resumed within the stream (lastSeq %d)", plan, lastSeq)
            .isLessThanOrEqualTo(lastSeq + 1);
        if (mode == SyncMode.ALWAYS)
        {
            assertThat(next).as("%s: an acknowledgement that returned in ALWAYS mode (%d) is durable", plan,
                ackedHigh).isGreaterThanOrEqualTo(ackedHigh + 1);
        }
    }

    private void runAndKill(final Path dir, final SyncMode mode, final int acksBeforeKill, final String plan)
        throws IOException, InterruptedException
    {
        final Path errors = tmp.resolve("child.err");
        final Path journal = ChildJournal.beside(dir);
        Files.deleteIfExists(journal);
        final List<String> command = ChildProcess.javaCommand(NamedTailerCrashChild.class, dir.toString(),
            mode.name(), Integer.toString(CHILD_MAX_ROUNDS));
        final Process child = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread pump = new Thread(() -> ChildProcess.pumpLines(child, lines), "cursor-child-stdout");
        pump.setDaemon(true);
        pump.start();
        try
        {
            final String[] opened = ChildProcess.next(lines, child, errors, plan).split(" ");
            if (opened.length != 3 || !"OPEN".equals(opened[0]))
            {
                fail(plan + ": child did not report its open: " + String.join(" ", opened) +
                    ChildProcess.errors(errors));
            }
            checkResumed(mode, Long.parseLong(opened[1]), Long.parseLong(opened[2]), plan + ", the child's reopen" +
                ChildProcess.errors(errors));
            // What this child may acknowledge starts over from where it resumed.
            willHigh = Long.parseLong(opened[2]) - 1;
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
     * @return whether the line reported an acknowledgement that returned. A journal line cut short by the kill names
     * a prefix of a sequence, no larger than the sequence itself, so it cannot raise a bound wrongly.
     */
    private boolean parse(final String line, final String plan, final Path errors)
    {
        final String[] parts = line.split(" ");
        if (parts.length != 2 || parts[1].isEmpty())
        {
            return false; // cut short by the kill
        }
        final long seq;
        try
        {
            seq = Long.parseLong(parts[1]);
        }
        catch (final NumberFormatException ex)
        {
            throw new AssertionError(plan + ": unexpected child output '" + line + "'" + ChildProcess.errors(errors),
                ex);
        }
        if ("WILL".equals(parts[0]))
        {
            willHigh = Math.max(willHigh, seq);
            return false;
        }
        if ("ACKED".equals(parts[0]))
        {
            ackedHigh = Math.max(ackedHigh, seq);
            return true;
        }
        return false;
    }
}
