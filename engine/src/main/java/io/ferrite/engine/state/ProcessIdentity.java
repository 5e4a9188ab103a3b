package io.ferrite.engine.state;

import io.ferrite.format.PositionsDescriptor;

import java.time.Instant;
import java.util.Optional;

/**
 * A process as another one can recognise it later: its id and its start time. An id alone names whichever process
 * holds it now — once the process exited, after a reboot, or seen from another pid namespace that is another process,
 * or none — and the start time tells them apart. Used for the holder of a stream's {@code LOCK} and for the writer a
 * positions file names.
 * <p>
 * Asking allocates (the JDK reads {@code /proc}); callers ask off their hot paths.
 */
public final class ProcessIdentity
{
    /** The start time of a process the system does not tell, or a record that does not say. */
    public static final long UNKNOWN_START = PositionsDescriptor.WRITER_START_UNKNOWN;

    private ProcessIdentity()
    {
    }

    /**
     * @return when {@code process} started, in epoch milliseconds, or {@link #UNKNOWN_START}.
     */
    public static long startMillis(final ProcessHandle process)
    {
        return process.info().startInstant().map(Instant::toEpochMilli).orElse(UNKNOWN_START);
    }

    /**
     * @param pid           the process id a record names.
     * @param startedMillis the start time it names, or {@link #UNKNOWN_START}.
     * @return whether that process runs now: a live process with this id and, where both start times are known, the
     * same start time. A process this one cannot see counts as gone.
     */
    public static boolean runs(final long pid, final long startedMillis)
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return false;
        }
        if (UNKNOWN_START == startedMillis)
        {
            return true;
        }
        final long started = startMillis(process.get());
        return UNKNOWN_START == started || started == startedMillis;
    }
}
