package io.ferrite.bench;

import org.agrona.IoUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where benchmarks put their files. Every benchmark works in a fresh directory of its own and deletes it
 * when done, so runs never measure each other's leftovers and a full suite does not fill the disk.
 * <p>
 * The parent must be on the storage under test: a tmpfs parent would turn every {@code force} into a no-op
 * and every "disk" figure into a memory figure.
 */
public final class BenchDirectory
{
    /** System property naming the parent directory for benchmark files. */
    public static final String PARENT_PROP_NAME = "ferrite.bench.dir";

    /** Prefix of every directory created, so stray ones from a killed run are easy to find and remove. */
    public static final String PREFIX = "ferrite-bench-";

    private BenchDirectory()
    {
    }

    /**
     * The parent directory: {@value #PARENT_PROP_NAME} when set, otherwise {@code java.io.tmpdir}.
     *
     * @return the parent, not necessarily existing yet.
     */
    public static Path parent()
    {
        return Paths.get(System.getProperty(PARENT_PROP_NAME, System.getProperty("java.io.tmpdir")));
    }

    /**
     * Creates a fresh, empty directory under {@link #parent()}.
     *
     * @param name what the directory is for; appears in its name.
     * @return the new directory.
     */
    public static Path create(final String name)
    {
        try
        {
            final Path parent = Files.createDirectories(parent());
            return Files.createTempDirectory(parent, PREFIX + name + "-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create a benchmark directory under " + parent(), ex);
        }
    }

    /**
     * Deletes a directory made by {@link #create(String)} and everything in it; failures are ignored
     * because a leftover temporary directory must not fail a measurement that already finished.
     *
     * @param directory to delete, or null.
     */
    public static void delete(final Path directory)
    {
        if (null != directory)
        {
            IoUtil.delete(directory.toFile(), true);
        }
    }
}
