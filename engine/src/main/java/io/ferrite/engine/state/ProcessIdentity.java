package io.ferrite.engine.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A process as another one can recognise it later: its id, when it started (clock ticks since boot, from
 * {@code /proc/<pid>/stat}) and which boot of the machine it ran in ({@code /proc/sys/kernel/random/boot_id}). An id
 * alone names whichever process holds it now — once the process exited, after a reboot, or seen from another pid
 * namespace that is another process, or none; a service started at the same point of every boot may even get the same
 * id and start tick again, which the boot id tells apart. Ticks since boot, not a wall-clock time: the JDK's
 * {@code ProcessHandle.Info.startInstant()} adds the boot time each JVM reads once, which moves when the clock is
 * stepped (NTP, a resumed VM), so two processes would disagree on a third one's start.
 * <p>
 * Where {@code /proc} does not tell (another system), the start is {@link #UNKNOWN} and the id alone decides, as it
 * did before. Asking reads a small file; callers ask off their hot paths.
 */
public final class ProcessIdentity
{
    /** A start or boot id that is not known. */
    public static final long UNKNOWN = -1;

    /** The field of {@code /proc/<pid>/stat} holding the start time, counted from 1: {@code starttime}. */
    private static final int START_TIME_FIELD = 22;
    /** The first field {@link #statFields} returns: the state, after the command name. */
    private static final int FIRST_FIELD = 3;
    private static final String ZOMBIE = "Z";

    private static final long BOOT_HIGH;
    private static final long BOOT_LOW;

    static
    {
        long high = UNKNOWN;
        long low = UNKNOWN;
        try
        {
            final UUID boot = UUID.fromString(
                Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim());
            high = boot.getMostSignificantBits();
            low = boot.getLeastSignificantBits();
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            // Not Linux, or no /proc: the boot is unknown and processes are told apart by their start alone.
        }
        BOOT_HIGH = high;
        BOOT_LOW = low;
    }

    private ProcessIdentity()
    {
    }

    /**
     * @return the high half of this boot's id, or {@link #UNKNOWN}.
     */
    public static long bootHigh()
    {
        return BOOT_HIGH;
    }

    /**
     * @return the low half of this boot's id, or {@link #UNKNOWN}.
     */
    public static long bootLow()
    {
        return BOOT_LOW;
    }

    /**
     * @return when process {@code pid} started, in clock ticks since boot, or {@link #UNKNOWN} when no such process
     * can be seen or the system does not tell.
     */
    public static long startTicks(final long pid)
    {
        return startTicks(statFields(pid));
    }

    private static long startTicks(final String[] fields)
    {
        final int index = START_TIME_FIELD - FIRST_FIELD;
        if (null == fields || fields.length <= index)
        {
            return UNKNOWN;
        }
        try
        {
            return Long.parseLong(fields[index]);
        }
        catch (final NumberFormatException ex)
        {
            return UNKNOWN;
        }
    }

    /**
     * @return the fields of {@code /proc/<pid>/stat} from the third (the state) on, or null when it cannot be read.
     */
    private static String[] statFields(final long pid)
    {
        final String stat;
        try
        {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: count fields from
        // the last closing one, which is field 2's.
        final int nameEnd = stat.lastIndexOf(')');
        return nameEnd < 0 ? null : stat.substring(nameEnd + 1).trim().split(" ");
    }

    /**
     * @param pid        the process id a record names.
     * @param startTicks the start it names ({@link #startTicks}), or {@link #UNKNOWN}.
     * @param bootHigh   the high half of the boot id it names, or {@link #UNKNOWN}.
     * @param bootLow    the low half, or {@link #UNKNOWN}.
     * @return whether that process runs now: it ran in this boot (where both boot ids are known), and a live process
     * has its id and, where both are known, its start. A process this one cannot see counts as gone.
     */
    public static boolean runs(final long pid, final long startTicks, final long bootHigh, final long bootLow)
    {
        if (known(bootHigh, bootLow) && known(BOOT_HIGH, BOOT_LOW) && (bootHigh != BOOT_HIGH || bootLow != BOOT_LOW))
        {
            return false;
        }
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        {
            return false;
        }
        final String[] fields = statFields(pid);
        if (null != fields && ZOMBIE.equals(fields[0]))
        {
            // Exited, not yet reaped by its parent: the JDK still counts it alive.
            return false;
        }
        if (UNKNOWN == startTicks)
        {
            return true;
        }
        final long started = startTicks(fields);
        return UNKNOWN == started || started == startTicks;
    }

    /**
     * @return whether a boot id is known: neither unknown nor zero, which a file whose writer stored none may hold.
     */
    private static boolean known(final long high, final long low)
    {
        return (UNKNOWN != high || UNKNOWN != low) && (0 != high || 0 != low);
    }
}
