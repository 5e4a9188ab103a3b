package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.MessageView;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;
import org.agrona.collections.LongHashSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A reader in this JVM follows a writer in another ({@link ViewWriterChild}: small blocks, removals, compactions and
 * so reclaim) with {@code openReadOnly} and a tailer, while the writer is SIGKILLed mid-append and started again,
 * {@value #CYCLES_DEFAULT} times ({@value #CYCLES_SOAK} with {@code -Psoak}, where the writers go on until they have
 * written {@value #SOAK_MESSAGES} messages between them, one killed at each twentieth). Every record handed over must
 * be the one the writer wrote at that sequence (subject and payload are a function of the sequence), in strictly
 * increasing order; every message the writer reported flushed must be handed over unless it was removed, or it is the
 * record the kill tore, which the next writer's recovery reports lost ({@link #recoveryLost}); no rewind may be
 * reported (SIGKILL loses nothing published); and the view carries on with each new writer.
 */
class CrossProcessViewTest
{
    private static final int CYCLES_DEFAULT = 5;
    private static final int CYCLES_SOAK = 20;
    private static final long SOAK_MESSAGES = 1_000_000;
    private static final long SEED = 0x5EE_0F_1E11L;
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(ChildProcess.TIMEOUT_SECONDS);

    @TempDir
    Path tmp;

    private final LongHashSet seen = new LongHashSet();
    /** Sequences a restarted writer's recovery kept taken and reported lost (a record torn by the kill). */
    private final LongHashSet lost = new LongHashSet();
    private long lastDelivered;
    private long flushedHigh;
    private long compactedBelow;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aReaderInAnotherProcessFollowsAWriterThatIsKilledAndRestarted(final StreamMode mode) throws Exception
    {
        final boolean soak = CampaignSeeds.soak();
        final int cycles = soak ? CYCLES_SOAK : CYCLES_DEFAULT;
        final Random random = new Random(SEED);
        final Path dir = tmp.resolve("stream");
        StreamView view = null;
        StreamTailer tailer = null;
        try
        {
            for (int cycle = 1; cycle <= cycles; cycle++)
            {
                final int flushesBeforeKill = 1 + random.nextInt(6);
                // Under soak the writers share the volume out: this one is killed once the stream holds its part too.
                final long writtenBeforeKill = soak ? SOAK_MESSAGES * cycle / cycles : 0;
                final String plan = mode + ", seed " + SEED + ", cycle " + cycle + "/" + cycles + ", kill after " +
                    flushesBeforeKill + " flushes" + (soak ? " and sequence " + writtenBeforeKill : "");
                final Process child = start(dir, mode);
                final BlockingQueue<String> lines = pump(child);
                final Path errors = tmp.resolve("child.err");
                try
                {
                    String opened = ChildProcess.next(lines, child, errors, plan);
                    while (opened.startsWith("LOST "))
                    {
                        recoveryLost(opened, plan);
                        opened = ChildProcess.next(lines, child, errors, plan);
                    }
                    assertThat(opened).as(plan).startsWith("OPEN ");
                    assertThat(Long.parseLong(opened.substring(5))).as("%s: the writer reopened at or past what " +
                        "the reader saw", plan).isGreaterThanOrEqualTo(lastDelivered);
                    if (null == view)
                    {
                        view = mode.encrypted() ? FileStreamStore.openReadOnly(dir, StreamMode.KEY) :
                            FileStreamStore.openReadOnly(dir);
                        tailer = view.createTailer(1);
                    }
                    int flushes = 0;
                    while (flushes < flushesBeforeKill || flushedHigh < writtenBeforeKill)
                    {
                        if (tailer.poll(this::check, 64) == 0)
                        {
                            Thread.yield();
                        }
                        for (String line = lines.poll(); null != line; line = lines.poll())
                        {
                            flushes += parse(line, plan, errors) ? 1 : 0;
                        }
                        if (!child.isAlive())
                        {
                            fail(plan + ": the writer died" + ChildProcess.errors(errors));
                        }
                    }
                    // The writer's id and start, read from /proc by this process, name the writer's process.
                    assertThat(((ReadOnlyStream)view).writerOpen()).as("%s: the writer runs", plan).isTrue();
                    assertThat(WriterStatus.read(dir).live()).as("%s: the tools see it live", plan).isTrue();
                    child.destroyForcibly();
                    assertThat(child.waitFor(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS)).as(plan).isTrue();
                    assertThat(child.exitValue()).as("%s: killed by SIGKILL", plan).isEqualTo(128 + 9);
                    assertThat(((ReadOnlyStream)view).writerOpen()).as("%s: the writer is gone", plan).isFalse();
                }
                finally
                {
                    child.destroyForcibly();
                }
                for (String line = lines.poll(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    null != line && !ChildProcess.EOF.equals(line);
                    line = lines.poll(ChildProcess.TIMEOUT_SECONDS, TimeUnit.SECONDS))
                {
                    parse(line, plan, null);
                }
                catchUpTo(tailer, flushedHigh, plan);
                checkEveryFlushedMessageSeen(plan);
            }
            // A last writer, in this JVM, reopens the stream: the view follows it too, and agrees with it.
            try (StreamStore store = FileStreamStore.open(dir, ViewWriterChild.config(
                mode.encrypted() ? StreamMode.KEY : null)))
            {
                final long from = store.lastSeq() + 1;
                for (long seq = from; seq < from + 100; seq++)
                {
                    store.append(ViewWriterChild.subject(seq), null, ViewWriterChild.payload(seq));
                }
                catchUpTo(tailer, from + 99, mode + ", the last writer");
                assertThat(seen.contains(from + 99)).isTrue();
                assertThat(view.state().msgs()).isEqualTo(store.state().msgs());
                assertThat(view.load(from + 50).payload()).isEqualTo(store.load(from + 50).payload());
            }
            assertThat(flushedHigh).as("the writers flushed something").isPositive();
        }
        finally
        {
            if (null != tailer)
            {
                tailer.close();
            }
            if (null != view)
            {
                view.close();
            }
        }
    }

    private Process start(final Path dir, final StreamMode mode) throws Exception
    {
        final List<String> command = ChildProcess.javaCommand(ViewWriterChild.class, dir.toString(),
            mode.keyArgument());
        return new ProcessBuilder(command).redirectError(tmp.resolve("child.err").toFile()).start();
    }

    private static BlockingQueue<String> pump(final Process child)
    {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread pump = new Thread(() -> ChildProcess.pumpLines(child, lines), "view-child-stdout");
        pump.setDaemon(true);
        pump.start();
        return lines;
    }

    /**
     * @return whether the line reported a flush. A line cut short by the kill is ignored.
     */
    private boolean parse(final String line, final String plan, final Path errors)
    {
        final String[] parts = line.split(" ");
        if (parts.length < 2 || parts[1].isEmpty())
        {
            return false;
        }
        switch (parts[0])
        {
            case "FLUSHED" ->
            {
                flushedHigh = Math.max(flushedHigh, Long.parseLong(parts[1]));
                return true;
            }
            case "COMPACT" ->
            {
                compactedBelow = Math.max(compactedBelow, Long.parseLong(parts[1]));
                return false;
            }
            case "WRONG" -> fail(plan + ": the writer was handed an unexpected sequence: " + line +
                (null == errors ? "" : ChildProcess.errors(errors)));
            default ->
            {
                return false;
            }
        }
        return false;
    }

    private void catchUpTo(final StreamTailer tailer, final long seq, final String plan)
    {
        final long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (tailer.nextSeq() <= seq)
        {
            if (tailer.poll(this::check, 256) == 0)
            {
                if (System.nanoTime() > deadline)
                {
                    fail(plan + ": the reader did not reach " + seq + " (at " + tailer.nextSeq() + ")");
                }
                Thread.onSpinWait();
            }
        }
    }

    /**
     * A loss the restarted writer's recovery reported ({@code LOST <first> <last> <kind>}). A SIGKILL loses nothing
     * published: the only loss it may leave is a torn tail past everything flushed and handed over — the record being
     * written when the writer died. A torn record whose header verifies keeps its sequence taken (reported lost and
     * tombstoned; the writer's {@code OPEN} counts it), so it is never handed over and is not expected; an open-ended
     * one (last unknown) kept nothing, and its sequences are assigned again.
     */
    private void recoveryLost(final String line, final String plan)
    {
        final String[] parts = line.split(" ");
        final long first = Long.parseLong(parts[1]);
        final long last = Long.parseLong(parts[2]);
        assertThat(parts[3]).as("%s: %s", plan, line).isEqualTo(RecoveryReport.Kind.TORN_TAIL.name());
        assertThat(first).as("%s: %s loses nothing flushed (up to %d) or handed over (up to %d)", plan, line,
            flushedHigh, lastDelivered).isGreaterThan(Math.max(flushedHigh, lastDelivered));
        if (last != StoreException.UNKNOWN)
        {
            assertThat(last).as("%s: %s", plan, line).isGreaterThanOrEqualTo(first);
            for (long seq = first; seq <= last; seq++)
            {
                lost.add(seq);
            }
        }
    }

    private void checkEveryFlushedMessageSeen(final String plan)
    {
        for (long seq = Math.max(1, compactedBelow); seq <= flushedHigh; seq++)
        {
            if (seq % ViewWriterChild.REMOVE_EVERY != 0 && !seen.contains(seq) && !lost.contains(seq))
            {
                fail(plan + ": flushed message " + seq + " was never handed over (flushed up to " + flushedHigh +
                    ", compacted below " + compactedBelow + ")");
            }
        }
    }

    private void check(final MessageView message)
    {
        final long seq = message.seq();
        assertThat(seq).as("strictly increasing").isGreaterThan(lastDelivered);
        assertThat(lost.contains(seq)).as("%d was reported lost by recovery, yet handed over", seq).isFalse();
        assertThat(message.subject()).as("subject of %d", seq).isEqualTo(ViewWriterChild.subject(seq));
        assertThat(message.payload()).as("payload of %d", seq).isEqualTo(ViewWriterChild.payload(seq));
        assertThat(message.headersLength()).isZero();
        lastDelivered = seq;
        seen.add(seq);
    }
}
