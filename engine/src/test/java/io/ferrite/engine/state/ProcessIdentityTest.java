package io.ferrite.engine.state;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A process id with its start and boot id names one process: not another one that holds the id later, not one of
 * another boot, nor one that exited. Linux only tells these; the test runs where the build does.
 */
class ProcessIdentityTest
{
    private static final long SELF = ProcessHandle.current().pid();

    @BeforeEach
    void needsProc()
    {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")),
            "needs /proc/<pid>/stat (Linux): elsewhere a process is known by its id alone");
    }

    @Test
    void aRunningProcessIsKnownByItsIdStartAndBoot()
    {
        final long start = ProcessIdentity.startTicks(SELF);
        assertThat(start).as("/proc tells a process's start").isPositive();
        assertThat(ProcessIdentity.bootHigh() != ProcessIdentity.UNKNOWN || ProcessIdentity.bootLow() !=
            ProcessIdentity.UNKNOWN).as("/proc tells the boot id").isTrue();
        assertThat(ProcessIdentity.runs(SELF, start, ProcessIdentity.bootHigh(), ProcessIdentity.bootLow())).isTrue();
        final long unknown = ProcessIdentity.UNKNOWN;
        assertThat(ProcessIdentity.runs(SELF, unknown, unknown, unknown)).as("by the id alone").isTrue();
    }

    /**
     * What a reused id looks like from here: a live process with the id, started at another tick than the record says,
     * or at the same tick of another boot (a service started at the same point of every boot).
     */
    @Test
    void anotherProcessWithTheSameIdDoesNotCount()
    {
        final long start = ProcessIdentity.startTicks(SELF);
        final long high = ProcessIdentity.bootHigh();
        final long low = ProcessIdentity.bootLow();
        assertThat(ProcessIdentity.runs(SELF, start - 1, high, low)).isFalse();
        assertThat(ProcessIdentity.runs(SELF, start + 100, high, low)).isFalse();
        assertThat(ProcessIdentity.runs(SELF, start, high, low ^ 1)).as("another boot").isFalse();
        assertThat(ProcessIdentity.runs(SELF, start, high ^ 1, low)).as("another boot").isFalse();
    }

    @Test
    void anExitedProcessDoesNotRun() throws Exception
    {
        final Process child = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final long start = ProcessIdentity.startTicks(child.pid());
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessIdentity.startTicks(child.pid())).as("reaped").isEqualTo(ProcessIdentity.UNKNOWN);
        assertThat(ProcessIdentity.runs(child.pid(), start, ProcessIdentity.bootHigh(), ProcessIdentity.bootLow()))
            .isFalse();
        final long unknown = ProcessIdentity.UNKNOWN;
        assertThat(ProcessIdentity.runs(child.pid(), unknown, unknown, unknown)).isFalse();
    }

    /**
     * A process that exited and that its parent has not reaped yet still has its id, and the JDK counts it alive: it
     * does not run. Made here by a shell that starts a short command and then becomes a process that never reaps it.
     */
    @Test
    void anExitedProcessNotYetReapedDoesNotRun() throws Exception
    {
        final Process parent = new ProcessBuilder("/bin/sh", "-c", "sleep 0 & echo $!; exec sleep 60")
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII)))
        {
            final long zombie = Long.parseLong(out.readLine().trim());
            final Path stat = Path.of("/proc", Long.toString(zombie), "stat");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(stat, StandardCharsets.US_ASCII).contains(") Z "))
            {
                assertThat(System.nanoTime() - deadline).as("the child exited in time").isNegative();
                Thread.onSpinWait();
            }
            assertThat(ProcessHandle.of(zombie).map(ProcessHandle::isAlive)).as("the JDK's view").contains(true);
            assertThat(ProcessIdentity.runs(zombie, ProcessIdentity.UNKNOWN, ProcessIdentity.UNKNOWN,
                ProcessIdentity.UNKNOWN)).isFalse();
        }
        finally
        {
            parent.destroyForcibly();
            parent.waitFor(60, TimeUnit.SECONDS);
        }
    }
}
