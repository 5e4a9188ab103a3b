package io.ferrite.engine.block;

import org.agrona.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code /proc/self/smaps} says about one mapping of this process: whether it is still mapped, and how much of it
 * has page-table entries (its {@code Rss}) — what touching a mapping ahead buys and costs. Linux only:
 * {@link #AVAILABLE} says whether it can answer.
 */
final class ProcessMappings
{
    static final Path SMAPS = Path.of("/proc/self/smaps");
    /** Why a test that needs it is skipped elsewhere. */
    static final String UNAVAILABLE = "needs /proc/self/smaps (Linux) to count the pages a mapping has entries for";
    static final boolean AVAILABLE = Files.isReadable(SMAPS);

    private ProcessMappings()
    {
    }

    /**
     * @param file the file mapped: once unmapped, another mapping may take the same address.
     * @return the resident size in KiB of the mapping of {@code file} that starts where {@code mapped} does, or -1 when
     * there is none (it was unmapped).
     */
    static long residentKiB(final ByteBuffer mapped, final Path file) throws IOException
    {
        return field(mapped, file, "Rss:");
    }

    /**
     * @return the KiB of that mapping mapped by huge page-middle-directory entries (whole 2 MiB folios), or -1 when
     * there is no such mapping.
     */
    static long pmdMappedKiB(final ByteBuffer mapped, final Path file) throws IOException
    {
        return field(mapped, file, "FilePmdMapped:");
    }

    private static long field(final ByteBuffer mapped, final Path file, final String field) throws IOException
    {
        final String start = Long.toHexString(BufferUtil.address(mapped)) + "-";
        final String name = " " + file.toAbsolutePath();
        final List<String> lines = Files.readAllLines(SMAPS);
        for (int i = 0; i < lines.size(); i++)
        {
            if (lines.get(i).startsWith(start) && lines.get(i).endsWith(name))
            {
                for (int j = i + 1; j < lines.size(); j++)
                {
                    if (lines.get(j).startsWith(field))
                    {
                        return Long.parseLong(lines.get(j).substring(field.length()).trim().split("\\s+")[0]);
                    }
                }
            }
        }
        return -1;
    }
}
