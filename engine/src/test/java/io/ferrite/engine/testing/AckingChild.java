package io.ferrite.engine.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * An at-least-once crash campaign's bookkeeping: runs child JVMs that open a stream, say {@code OPEN <n>...}, then
 * acknowledge in a loop — saying ({@link ChildJournal}) {@code WILL <n>} before an acknowledgement and
 * {@code ACKED <n>} after it returned — and kills each after a number of returned acknowledgements. It keeps the
 * highest {@code WILL} (what a recovered position may not exceed) and the highest {@code ACKED} (what it must reach
 * when acknowledgements are forced), each child's lines read back from its journal after the kill.
 */
public final class AckingChild
{
    /**
     * Checks what a child found when it opened, against the bounds so far, and says where its own bounds start.
     */
    @FunctionalInterface
    public interface OpenCheck
    {
        /**
         * @param fields the numbers after {@code OPEN}.
         * @param plan   the cycle's description, with the child's stderr, for failure messages.
         * @return the highest {@code WILL} this child starts from: what it resumed after.
         */
        long opened(long[] fields, String plan);
    }

    private final Path tmp;
    private long willHigh;
    private long ackedHigh;

    /**
     * @param tmp where the children's stderr goes.
     */
    public AckingChild(final Path tmp)
    {
        this.tmp = tmp;
    }

    /**
     * @return the highest value a child said it would acknowledge, since the last open that reset it.
     */
    public long willHigh()
    {
        return willHigh;
    }

    /**
     * @return the highest value an acknowledgement that returned produced.
     */
    public long ackedHigh()
    {
        return ackedHigh;
    }

    /**
     * Run {@code main} with {@code args} on {@code streamDir}, check its open with {@code check}, and SIGKILL it after
     * {@code acksBeforeKill} acknowledgements returned.
     *
     * @param openFields how many numbers its {@code OPEN} line carries.
     */
    public void runAndKill(
        final Class<?> main, final Path streamDir, final List<String> args, final int openFields,
        final int acksBeforeKill, final String plan, final OpenCheck check)
        throws IOException, InterruptedException
    {
        final Path errors = tmp.resolve("child.err");
        final Path journal = ChildJournal.beside(streamDir);
        Files.deleteIfExists(journal);
        final String[] command = args.toArray(new String[0]);
        final Process child = new ProcessBuilder(ChildProcess.javaCommand(main, command))
            .redirectError(errors.toFile()).start();
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread pump = new Thread(() -> ChildProcess.pumpLines(child, lines), "acking-child-stdout");
        pump.setDaemon(true);
        pump.start();
        try
        {
            final String[] opened = ChildProcess.next(lines, child, errors, plan).split(" ");
            if (opened.length != openFields + 1 || !"OPEN".equals(opened[0]))
            {
                fail(plan + ": child did not report its open: " + String.join(" ", opened) +
                    ChildProcess.errors(errors));
            }
            final long[] fields = new long[openFields];
            for (int i = 0; i < openFields; i++)
            {
                fields[i] = Long.parseLong(opened[i + 1]);
            }
            // What this child may acknowledge starts over from where it resumed.
            willHigh = check.opened(fields, plan + ", the child's reopen" + ChildProcess.errors(errors));
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
     * a prefix of a number, no larger than the number itself, so it cannot raise a bound wrongly.
     */
    private boolean parse(final String line, final String plan, final Path errors)
    {
        final String[] parts = line.split(" ");
        if (parts.length != 2 || parts[1].isEmpty())
        {
            return false; // cut short by the kill
        }
        final long value;
        try
        {
            value = Long.parseLong(parts[1]);
        }
        catch (final NumberFormatException ex)
        {
            throw new AssertionError(plan + ": unexpected child output '" + line + "'" + ChildProcess.errors(errors),
                ex);
        }
        if ("WILL".equals(parts[0]))
        {
            willHigh = Math.max(willHigh, value);
            return false;
        }
        if ("ACKED".equals(parts[0]))
        {
            ackedHigh = Math.max(ackedHigh, value);
            return true;
        }
        return false;
    }
}
