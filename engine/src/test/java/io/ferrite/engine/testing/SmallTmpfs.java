package io.ferrite.engine.testing;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A small tmpfs mounted for a test that needs a file system that fills up: mounting needs root, so where the machine
 * does not allow it the test is skipped, saying why.
 */
public final class SmallTmpfs
{
    private SmallTmpfs()
    {
    }

    /**
     * Mount a tmpfs of {@code size} (as {@code mount -o size=} takes it, e.g. {@code 2m}) at {@code dir}, an existing
     * empty directory, or skip the calling test.
     */
    public static void mountOrSkip(final Path dir, final String size) throws IOException, InterruptedException
    {
        final Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
            .redirectErrorStream(true).start();
        final String output = new String(mount.getInputStream().readAllBytes());
        assumeTrue(mount.waitFor() == 0, "cannot mount a " + size + " tmpfs at " + dir + " (needs root): " +
            output.strip());
    }

    /**
     * Unmount {@code dir} lazily: closed stores leave their block mappings to the garbage collector, which keeps the
     * mount busy.
     *
     * @return the output of {@code umount} when it failed, or null.
     */
    public static String unmount(final Path dir) throws IOException, InterruptedException
    {
        final Process umount = new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true).start();
        final String output = new String(umount.getInputStream().readAllBytes());
        return umount.waitFor() == 0 ? null : output.strip();
    }
}
