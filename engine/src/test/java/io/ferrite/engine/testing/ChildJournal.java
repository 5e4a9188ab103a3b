package io.ferrite.engine.testing;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The lines a child JVM says before it is killed, kept where SIGKILL cannot lose them. A crash test bounds what the
 * stream may hold after the kill by what the child said it would do ({@code WILL <n>}); the pipe to the parent is not
 * a reliable record of that: lines written just before the kill are sometimes never read by the parent (seen in about
 * one kill in sixteen), which made an upper bound too low. Each line goes to a file beside the stream first (one
 * {@code write}, kept by the page cache whatever happens to the process), then to stdout for the parent's progress.
 */
public final class ChildJournal implements AutoCloseable
{
    private final FileChannel file;
    private final PrintStream out;

    private ChildJournal(final FileChannel file, final PrintStream out)
    {
        this.file = file;
        this.out = out;
    }

    /**
     * @return the journal of the child working on {@code streamDir}: a file beside it.
     */
    public static Path beside(final Path streamDir)
    {
        return streamDir.resolveSibling(streamDir.getFileName() + ".journal");
    }

    /**
     * In the child: append to {@code journal} and echo to {@code out}.
     */
    public static ChildJournal open(final Path journal, final PrintStream out) throws IOException
    {
        return new ChildJournal(FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND), out);
    }

    /**
     * In the parent, after the child died: every line it said, in order; the last may be cut short by the kill.
     */
    public static List<String> read(final Path journal)
    {
        try
        {
            return Files.exists(journal) ? Files.readAllLines(journal, StandardCharsets.US_ASCII) : List.of();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("read child journal " + journal, ex);
        }
    }

    /**
     * Write {@code line} to the journal, then print and flush it.
     */
    public void say(final String line) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining())
        {
            file.write(bytes);
        }
        out.println(line);
        out.flush();
    }

    @Override
    public void close() throws IOException
    {
        file.close();
    }
}
