package io.ferrite.tools;

import java.time.Instant;
import java.util.Locale;

/**
 * Human formatting of sizes, durations, counts and times. ASCII only ({@code us}, not the micro sign), so output
 * survives a POSIX locale and a log file.
 */
final class Units
{
    private static final long KIB = 1024;
    private static final long MIB = KIB * 1024;
    private static final long GIB = MIB * 1024;
    private static final long TIB = GIB * 1024;

    private Units()
    {
    }

    static String bytes(final long bytes)
    {
        if (bytes < KIB)
        {
            return bytes + " B";
        }
        if (bytes < MIB)
        {
            return format("%.1f KiB", bytes / (double)KIB);
        }
        if (bytes < GIB)
        {
            return format("%.1f MiB", bytes / (double)MIB);
        }
        if (bytes < TIB)
        {
            return format("%.1f GiB", bytes / (double)GIB);
        }
        return format("%.1f TiB", bytes / (double)TIB);
    }

    static String nanos(final long nanos)
    {
        if (nanos < 1_000)
        {
            return nanos + " ns";
        }
        if (nanos < 1_000_000)
        {
            return format("%.1f us", nanos / 1e3);
        }
        if (nanos < 1_000_000_000)
        {
            return format("%.1f ms", nanos / 1e6);
        }
        return format("%.2f s", nanos / 1e9);
    }

    static String count(final long count)
    {
        return format("%,d", count);
    }

    static String percent(final double fraction)
    {
        return format("%.1f %%", fraction * 100);
    }

    /**
     * @return ISO-8601 in UTC with nanosecond precision, or "-" for 0 (no time recorded).
     */
    static String instant(final long epochNanos)
    {
        if (epochNanos == 0)
        {
            return "-";
        }
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos,
            1_000_000_000L))
            .toString();
    }

    /** A CRC32C as eight hex digits, the form operators compare by eye. */
    static String checksum(final int checksum)
    {
        return format("%08x", checksum);
    }

    static String format(final String pattern, final Object... args)
    {
        return String.format(Locale.ROOT, pattern, args);
    }
}
