package io.ferrite.tools;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Free and total inodes under a directory. The JDK has no statvfs, so this runs {@code df -Pi DIR} (POSIX output, one
 * line per filesystem) with a timeout — df blocks on a hung NFS mount — and parses it; anything else is "unknown".
 *
 * @param total 0 when the filesystem allocates inodes dynamically and reports none (btrfs, some FUSE).
 */
record InodeCount(long total, long free)
{
    /** df is a local syscall; waiting longer means the mount is hung, which is itself worth saying. */
    static final long DF_TIMEOUT_MILLIS = 5_000;

    /**
     * @return the count, or null when it could not be determined.
     */
    static InodeCount of(final Path dir)
    {
        final Process process;
        try
        {
            process = new ProcessBuilder("df", "-Pi", dir.toString()).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            return null;
        }
        try (InputStream in = process.getInputStream())
        {
            if (!process.waitFor(DF_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                return null;
            }
            return process.exitValue() == 0 ? parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)) : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return null;
        }
    }

    /**
     * Parse {@code df -Pi}: a header, then {@code Filesystem Inodes IUsed IFree IUse% Mounted-on}.
     */
    static InodeCount parse(final String output)
    {
        final String[] lines = output.strip().split("\n");
        if (lines.length < 2)
        {
            return null;
        }
        final String[] fields = lines[lines.length - 1].trim().split("\\s+");
        if (fields.length < 6)
        {
            return null;
        }
        try
        {
            return new InodeCount(Long.parseLong(fields[1]), Long.parseLong(fields[3]));
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }

    double freeFraction()
    {
        return total == 0 ? 1 : free / (double)total;
    }

    String describe()
    {
        return total == 0 ? "not limited (the filesystem reports none: it allocates inodes on demand)" :
            Units.count(free) + " free of " + Units.count(total) + " (" + Units.percent(freeFraction()) + ")";
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("total", total);
        json.put("free", free);
        return json;
    }
}
