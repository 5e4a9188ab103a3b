package io.ferrite.bench;

import org.agrona.IoUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The disk floor for durability: what one 4 KiB page made durable costs on this storage, by the three
 * routes Ferrite's flusher can take.
 * <ul>
 *     <li>{@code channelWriteForce}: {@code pwrite} of 4 KiB then {@link FileChannel#force(boolean)
 *     force(false)} ({@code fdatasync}), the route for a write-based block;</li>
 *     <li>{@code mappedForceRange}: 4 KiB stored through the mapping then
 *     {@link MappedByteBuffer#force(int, int)} ({@code msync} of that range);</li>
 *     <li>{@code mappedWriteChannelForce}: 4 KiB stored through the mapping then {@code fdatasync} of the
 *     file, which on Linux also writes back pages dirtied through a shared mapping.</li>
 * </ul>
 * The file is written in full before the trial, so no op extends it or allocates blocks and the sync
 * carries only the one dirty page's data. Offsets advance a page per op and wrap, so every op dirties a
 * page that is clean. SampleTime, because durability cost is a distribution with a long tail, not a rate.
 * <p>
 * Run it with {@code -Dferrite.bench.dir} on the disk under test (see {@link BenchDirectory}); on tmpfs
 * these figures are meaningless. JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ForceLatencyBenchmark extends BenchmarkDefaults
{
    /** One page: the unit a sync writes back. */
    public static final int WRITE_LENGTH = 4096;

    /** 64 MiB, so consecutive ops touch distinct pages for 16,384 ops before the offset wraps. */
    public static final int FILE_LENGTH = 64 * 1024 * 1024;

    /** Name of the file inside the trial's directory. */
    public static final String FILE_NAME = "force.dat";

    private Path directory;
    private FileChannel channel;
    private MappedByteBuffer mapped;
    private ByteBuffer page;
    private int offset;

    /**
     * Writes the file in full, syncs it, and maps it.
     *
     * @throws IOException if the file cannot be created, which fails the trial.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        directory = BenchDirectory.create("force");
        channel = IoUtil.createEmptyFile(directory.resolve(FILE_NAME).toFile(), FILE_LENGTH, true);
        channel.force(true);
        mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_LENGTH);
        page = ByteBuffer.allocateDirect(WRITE_LENGTH);
        page.put(Payloads.random(WRITE_LENGTH)).clear();
    }

    /**
     * Unmaps, closes and deletes the file.
     *
     * @throws IOException if the channel cannot be closed.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        try
        {
            IoUtil.unmap(mapped);
            channel.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * {@code pwrite} of one page then {@code fdatasync}.
     */
    @Benchmark
    public void channelWriteForce()
    {
        final int at = nextOffset();
        try
        {
            page.clear();
            while (page.hasRemaining())
            {
                channel.write(page, at + page.position());
            }
            channel.force(false);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("write+force at " + at, ex);
        }
    }

    /**
     * Store one page through the mapping then {@code msync} that page.
     */
    @Benchmark
    public void mappedForceRange()
    {
        final int at = nextOffset();
        mapped.put(at, page, 0, WRITE_LENGTH);
        mapped.force(at, WRITE_LENGTH);
    }

    /**
     * Store one page through the mapping then {@code fdatasync} the whole file.
     */
    @Benchmark
    public void mappedWriteChannelForce()
    {
        final int at = nextOffset();
        mapped.put(at, page, 0, WRITE_LENGTH);
        try
        {
            channel.force(false);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("force after a mapped store at " + at, ex);
        }
    }

    private int nextOffset()
    {
        final int at = offset;
        offset = (at + WRITE_LENGTH) % FILE_LENGTH;
        return at;
    }
}
