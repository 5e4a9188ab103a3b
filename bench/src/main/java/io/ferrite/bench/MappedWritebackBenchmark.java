package io.ferrite.bench;

import org.agrona.IoUtil;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * What forcing a block costs when the process still maps it writable, against forcing it through a read-only mapping
 * once the writable one is gone (issue 14, the flusher's CPU): each invocation dirties every page of an 8 MiB file
 * through a writable shared mapping (not timed), then forces the file through a mapping ({@code msync}) — timed, wall
 * clock, and its CPU counted on the forcing thread (auxiliary counters: {@code forceCpuNanos} over {@code forces} is
 * the CPU of one force). A thread of the same process busy-spins on the other core throughout, as an appender or a
 * tailer does, so the process's page tables are live on both cores.
 * <ul>
 *     <li>{@code writable}: force through the writable mapping the pages were written through (today's blocks);</li>
 *     <li>{@code readOnlyMapped}: force through a second, read-only mapping of the file while the writable one is still
 *     mapped (a second mapping alone changes nothing);</li>
 *     <li>{@code readOnlyUnmapped}: unmap the writable mapping first, then force through the read-only one.</li>
 * </ul>
 * Writing a page back write-protects every writable mapping of it, one TLB flush on every core the process runs on per
 * page; a read-only mapping needs none.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MappedWritebackBenchmark extends BenchmarkDefaults
{
    /** One block of the default size. */
    public static final int FILE_LENGTH = 8 << 20;

    /** How the file is mapped when it is forced. */
    @Param({ "writable", "readOnlyMapped", "readOnlyUnmapped" })
    public String mapping;

    private Path directory;
    private Path file;
    private FileChannel channel;
    private MappedByteBuffer writable;
    private MappedByteBuffer readOnly;
    private Thread spinner;
    private volatile boolean spinning;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private int round;

    /**
     * CPU time of the forcing thread inside the timed force, summed over the iteration.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class ForceCpu
    {
        /** Nanoseconds of CPU inside the forces; divided by {@link #forces}, the CPU of one force. */
        public long forceCpuNanos;
        /** Forces timed. */
        public long forces;

        /**
         * Start each iteration from zero.
         */
        @Setup(Level.Iteration)
        public void reset()
        {
            forceCpuNanos = 0;
            forces = 0;
        }
    }

    /**
     * Starts the spinning thread and makes the directory.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("mapped-writeback");
        spinning = true;
        spinner = new Thread(() ->
        {
            while (spinning)
            {
                Thread.onSpinWait();
            }
        }, "bench-spinner");
        spinner.setDaemon(true);
        spinner.start();
    }

    /**
     * A fresh file with every page dirtied through a writable mapping; the read-only mapping made and read when the
     * parameter asks for it; the writable one unmapped for {@code readOnlyUnmapped}.
     */
    @Setup(Level.Invocation)
    public void dirty() throws IOException
    {
        file = directory.resolve("block-" + round++);
        channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        channel.write(ByteBuffer.wrap(new byte[1]), FILE_LENGTH - 1);
        writable = channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_LENGTH);
        for (int offset = 0; offset < FILE_LENGTH; offset += Long.BYTES)
        {
            writable.putLong(offset, offset);
        }
        if (!"writable".equals(mapping))
        {
            readOnly = channel.map(FileChannel.MapMode.READ_ONLY, 0, FILE_LENGTH);
            long sum = 0;
            for (int offset = 0; offset < FILE_LENGTH; offset += 4096)
            {
                sum += readOnly.get(offset);
            }
            if (sum != 0)
            {
                throw new IllegalStateException("page starts hold offsets multiple of 4096, whose low bytes are 0");
            }
        }
        if ("readOnlyUnmapped".equals(mapping))
        {
            IoUtil.unmap(writable);
            writable = null;
        }
    }

    /**
     * Unmaps, closes and deletes the invocation's file.
     */
    @TearDown(Level.Invocation)
    public void release() throws IOException
    {
        if (null != writable)
        {
            IoUtil.unmap(writable);
            writable = null;
        }
        if (null != readOnly)
        {
            IoUtil.unmap(readOnly);
            readOnly = null;
        }
        if (null != channel)
        {
            channel.close();
            channel = null;
        }
        Files.deleteIfExists(file);
    }

    /**
     * Stops the spinning thread and deletes the directory.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        spinning = false;
        spinner.join();
        BenchDirectory.delete(directory);
    }

    /**
     * Force the dirtied file through the mapping the parameter names.
     */
    @Benchmark
    public void force(final ForceCpu cpu)
    {
        final long before = threads.getCurrentThreadCpuTime();
        ("writable".equals(mapping) ? writable : readOnly).force();
        cpu.forceCpuNanos += threads.getCurrentThreadCpuTime() - before;
        cpu.forces++;
    }
}
