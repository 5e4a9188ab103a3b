package io.ferrite.engine.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch directories for the file fuzzers, which copy a stream for every input: in memory ({@code /dev/shm}) where
 * the machine has it, since tens of thousands of copies and the fsyncs of each open would otherwise go to the disk.
 * Each root is removed when the JVM exits, and each case as soon as it is checked.
 */
public final class CaseDirectories
{
    private static final Path SHM = Path.of("/dev/shm");

    private CaseDirectories()
    {
    }

    public static Path createRoot(final String prefix)
    {
        try
        {
            final Path root = Files.isDirectory(SHM) && Files.isWritable(SHM) ?
                Files.createTempDirectory(SHM, prefix) : Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(root), "delete " + root));
            return root;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Delete a tree, whatever a case left in it (a file where a directory was, a directory where a file was).
     */
    public static void delete(final Path root)
    {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                path.toFile().setWritable(true);
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public static void deleteQuietly(final Path root)
    {
        try
        {
            delete(root);
        }
        catch (final RuntimeException ignored)
        {
            // Best effort at exit: a temp directory left behind is no reason to fail the run.
        }
    }
}
