package io.ferrite.engine.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * The plumbing between a test and the child JVM it runs (and, in the crash tests, kills): the command line, the parent
 * reading the child's lines through a queue, and the child halting once the parent is gone, so no orphan outlives a
 * failed test.
 */
public final class ChildProcess
{
    /** Queued after the child's last line. */
    public static final String EOF = "\u0000EOF";

    /** How long the parent waits for a line, or for the child to end. */
    public static final long TIMEOUT_SECONDS = 60;

    private ChildProcess()
    {
    }

    /**
     * @return the command that runs {@code main} with {@code args} in a small JVM with this test's class path and the
     * flags every JVM running Ferrite needs.
     */
    public static List<String> javaCommand(final Class<?> main, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            ProcessHandle.current().info().command().orElseThrow(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp", System.getProperty("java.class.path"),
            main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Copy the child's stdout into {@code lines}, then {@link #EOF}. Runs on a thread of its own.
     */
    public static void pumpLines(final Process child, final BlockingQueue<String> lines)
    {
        try (BufferedReader reader = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII)))
        {
            for (String line = reader.readLine(); null != line; line = reader.readLine())
            {
                lines.add(line);
            }
        }
        catch (final IOException ignored)
        {
            // the child is gone; EOF below says so
        }
        lines.add(EOF);
    }

    /**
     * @return the child's next line; fails the test when it prints nothing for {@link #TIMEOUT_SECONDS} or ends.
     */
    public static String next(
        final BlockingQueue<String> lines, final Process child, final Path errors, final String plan)
        throws InterruptedException
    {
        final String line = lines.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (null == line)
        {
            fail(plan + ": child printed nothing for " + TIMEOUT_SECONDS + " s" + errors(errors));
        }
        if (EOF.equals(line))
        {
            child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            fail(plan + ": child ended before it was killed (exit " +
                (child.isAlive() ? "?" : Integer.toString(child.exitValue())) + ")" + errors(errors));
        }
        return line;
    }

    /**
     * @return the child's stderr, for a failure message, or nothing when it wrote none.
     */
    public static String errors(final Path errors)
    {
        try
        {
            return Files.exists(errors) ? "\nchild stderr:\n" + Files.readString(errors) : "";
        }
        catch (final IOException ex)
        {
            return "\n(child stderr unreadable: " + ex + ")";
        }
    }

    /**
     * In the child: halt when stdin closes — the parent never writes, so end of file means it is gone.
     */
    public static void haltWhenParentGoes()
    {
        final Thread watchdog = new Thread(() ->
        {
            try
            {
                while (System.in.read() >= 0)
                {
                    // the parent never writes; end of file means it is gone
                }
            }
            catch (final IOException ignored)
            {
                // same as end of file
            }
            Runtime.getRuntime().halt(2);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
