package io.ferrite.bench;

import com.sun.management.OperatingSystemMXBean;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StoreOperation;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.HdrHistogram.Histogram;
import org.agrona.IoUtil;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * A timed main (not JMH: JMH opens a store per iteration, and the store's threads are gone before a profiler could
 * read them) that says which thread spends the CPU of sustained appends (issue 14): one store, default configuration,
 * {@code appends} appends of {@code payloadLength} bytes from the main thread after 200,000 to warm up, then the CPU
 * time each thread used during them, per append, from {@link ThreadMXBean} — the appender, Ferrite's flusher and block
 * preparer — with the process total (GC and JIT included).
 * <p>
 * Arguments: {@code syncMode} (default {@code INTERVAL}), {@code appends} (default 5,000,000), {@code payloadLength}
 * (default 128), {@code directory} (default a new temporary one under {@code java.io.tmpdir}; {@code -} for that
 * default), {@code rate} (appends a second, default 0: flat out). With a rate the appender appends in bursts of
 * {@value #BURST} and parks between them, so the block preparer keeps ahead and the appender takes no first-touch
 * faults and waits at no roll: its CPU per append is then what the append path itself costs, which a flat-out run
 * mixes with the rolls it waits at and the blocks it prepares itself.
 */
public final class AppendThreadCpu
{
    private static final int WARM_UP = 200_000;
    private static final int BURST = 1_000;

    private AppendThreadCpu()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final SyncMode mode = args.length > 0 ? SyncMode.valueOf(args[0]) : SyncMode.INTERVAL;
        final int appends = args.length > 1 ? Integer.parseInt(args[1]) : 5_000_000;
        final byte[] payload = Payloads.random(args.length > 2 ? Integer.parseInt(args[2]) : 128);
        final Path dir = Files.createTempDirectory(args.length > 3 && !"-".equals(args[3]) ? Path.of(args[3]) :
            Path.of(System.getProperty("java.io.tmpdir")), "ferrite-thread-cpu");
        final long rate = args.length > 4 ? Long.parseLong(args[4]) : 0;
        final long burstNanos = rate > 0 ? BURST * 1_000_000_000L / rate : 0;
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final OperatingSystemMXBean os = (OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
        try (StreamStore store = FileStreamStore.open(dir, StreamConfig.builder("cpu").syncMode(mode).build()))
        {
            for (int i = 0; i < WARM_UP; i++)
            {
                store.append(FerriteAppender.SUBJECT, null, payload);
            }
            final Map<Long, Long> before = cpuByThread(threads);
            final long processBefore = os.getProcessCpuTime();
            final long start = System.nanoTime();
            long nextBurst = start;
            for (int i = 0; i < appends; i++)
            {
                if (burstNanos > 0 && i % BURST == 0)
                {
                    nextBurst += burstNanos;
                    for (long wait = nextBurst - System.nanoTime(); wait > 0; wait = nextBurst - System.nanoTime())
                    {
                        LockSupport.parkNanos(wait);
                    }
                }
                store.append(FerriteAppender.SUBJECT, null, payload);
            }
            final long wall = System.nanoTime() - start;
            final long process = os.getProcessCpuTime() - processBefore;
            System.out.printf("%s, %d B: %d appends in %.0f ms (%.2f M/s); process CPU %.0f ns per append%n", mode,
                payload.length, appends, wall / 1e6, appends * 1e3 / wall, (double)process / appends);
            for (final ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds()))
            {
                if (null == info)
                {
                    continue;
                }
                final long used = threads.getThreadCpuTime(info.getThreadId()) -
                    before.getOrDefault(info.getThreadId(), 0L);
                if (used > 1_000_000)
                {
                    System.out.printf("  %-36s %9.1f ms CPU, %6.0f ns per append%n", info.getThreadName(), used / 1e6,
                        (double)used / appends);
                }
            }
            printWaits(store.stats(), wall);
        }
        finally
        {
            IoUtil.delete(dir.toFile(), true);
        }
    }

    /**
     * Where the appender waited, from the store's own histograms (warm-up included): the flusher under
     * {@code maxUnforcedBytes}, and block rolls (the appender waiting for a prepared block).
     */
    private static void printWaits(final StoreStats stats, final long wallNanos)
    {
        System.out.printf("  back-pressure waits: %d%n", stats.backPressureWaits());
        for (final String name : new String[]{ StoreMetricNames.BACK_PRESSURE, StoreOperation.BLOCK_ROLL.metricName() })
        {
            if (!stats.histogramNames().contains(name))
            {
                continue;
            }
            final Histogram histogram = stats.histogram(name);
            final double total = histogram.getMean() * histogram.getTotalCount();
            System.out.printf("  %-13s n=%d p50=%d ns p99=%d ns max=%d ns, total %.1f ms (%.1f %% of the run)%n", name,
                histogram.getTotalCount(), histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99),
                histogram.getMaxValue(), total / 1e6, 100 * total / wallNanos);
        }
    }

    private static Map<Long, Long> cpuByThread(final ThreadMXBean threads)
    {
        final Map<Long, Long> cpu = new HashMap<>();
        for (final long id : threads.getAllThreadIds())
        {
            cpu.put(id, threads.getThreadCpuTime(id));
        }
        return cpu;
    }
}
