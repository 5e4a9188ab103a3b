package io.ferrite.engine.state;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process id with its start time names one process: not another one that holds the id later, nor one that exited.
 */
class ProcessIdentityTest
{
    private static final ProcessHandle SELF = ProcessHandle.current();

    @Test
    void aRunningProcessIsKnownByItsIdAndStartTime()
    {
        final long started = ProcessIdentity.startMillis(SELF);
        assertThat(started).as("Linux tells a process's start time").isNotEqualTo(ProcessIdentity.UNKNOWN_START);
        assertThat(ProcessIdentity.runs(SELF.pid(), started)).isTrue();
        assertThat(ProcessIdentity.runs(SELF.pid(), ProcessIdentity.UNKNOWN_START)).as("by the id alone").isTrue();
    }

    /**
     * What a reused id looks like from here: a live process with the id, started at another time than the record says.
     */
    @Test
    void anotherProcessWithTheSameIdDoesNotCount()
    {
        final long started = ProcessIdentity.startMillis(SELF);
        assertThat(ProcessIdentity.runs(SELF.pid(), started - 60_000)).isFalse();
        assertThat(ProcessIdentity.runs(SELF.pid(), started + 1)).isFalse();
    }

    @Test
    void anExitedProcessDoesNotRun() throws Exception
    {
        final Process exited = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final long started = ProcessIdentity.startMillis(exited.toHandle());
        assertThat(exited.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessIdentity.runs(exited.pid(), started)).isFalse();
        assertThat(ProcessIdentity.runs(exited.pid(), ProcessIdentity.UNKNOWN_START)).isFalse();
    }
}
