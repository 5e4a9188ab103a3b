package io.ferrite.bench;

import com.sun.management.OperatingSystemMXBean;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CPU time per operation, whatever the wall clock did: {@code -prof io.ferrite.bench.CpuPerOpProfiler}. A busy machine
 * stretches an append's latency but not the CPU it burns, so this compares stores fairly where throughput cannot
 * (issue 14: "CPU per append"). Per iteration, over the operations JMH measured:
 * <ul>
 *   <li>{@code cpu.process} — the whole benchmark JVM (every thread, GC and JIT included) in ns per op: what an
 *   append costs the machine, background threads (Ferrite's flusher and block preparer, Chronicle's) included;</li>
 *   <li>{@code cpu.worker} — the JMH worker threads (the appending threads) in ns per op;</li>
 *   <li>{@code cpu.background} — the difference: what runs beside the appender, per op;</li>
 *   <li>{@code cpu.jit} and {@code cpu.gc} — the part of that the JIT compilers and the collectors account for
 *   (their own time counters, per op): what is left is the store's own threads (and, for a store opened per
 *   iteration, its open and close). A short warm-up leaves JIT time in the measured iterations.</li>
 * </ul>
 * The iteration's own setup and teardown (opening and closing a store) fall inside the window; with millions of
 * operations per iteration they add little, and the same for every store. Needs a JVM that measures thread CPU time
 * (HotSpot on Linux does).
 */
public final class CpuPerOpProfiler implements InternalProfiler
{
    private static final String WORKER = "jmh-worker";

    private final OperatingSystemMXBean os = (OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final CompilationMXBean compilation = ManagementFactory.getCompilationMXBean();
    private long jitMillisBefore;
    private long gcMillisBefore;
    private final Map<Long, Long> workerCpuBefore = new HashMap<>();
    private long processCpuBefore;

    @Override
    public String getDescription()
    {
        return "CPU time per operation: process, appending (worker) threads, and the rest";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams)
    {
        workerCpuBefore.clear();
        for (final ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds()))
        {
            if (null != info && info.getThreadName().contains(WORKER))
            {
                workerCpuBefore.put(info.getThreadId(), Math.max(0, threads.getThreadCpuTime(info.getThreadId())));
            }
        }
        jitMillisBefore = jitMillis();
        gcMillisBefore = gcMillis();
        processCpuBefore = os.getProcessCpuTime();
    }

    private long jitMillis()
    {
        return null != compilation && compilation.isCompilationTimeMonitoringSupported() ?
            compilation.getTotalCompilationTime() : 0;
    }

    private static long gcMillis()
    {
        long millis = 0;
        for (final GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans())
        {
            millis += Math.max(0, collector.getCollectionTime());
        }
        return millis;
    }

    @Override
    public List<? extends Result<?>> afterIteration(
        final BenchmarkParams benchmarkParams, final IterationParams iterationParams, final IterationResult result)
    {
        final long processCpu = os.getProcessCpuTime() - processCpuBefore;
        final long jitNanos = TimeUnit.MILLISECONDS.toNanos(jitMillis() - jitMillisBefore);
        final long gcNanos = TimeUnit.MILLISECONDS.toNanos(gcMillis() - gcMillisBefore);
        long workerCpu = 0;
        for (final ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds()))
        {
            if (null != info && info.getThreadName().contains(WORKER))
            {
                final long now = threads.getThreadCpuTime(info.getThreadId());
                if (now >= 0)
                {
                    workerCpu += now - workerCpuBefore.getOrDefault(info.getThreadId(), 0L);
                }
            }
        }
        final long ops = result.getMetadata().getMeasuredOps();
        if (ops <= 0 || processCpu < 0)
        {
            return List.of();
        }
        return List.of(
            new ScalarResult("cpu.process", (double)processCpu / ops, "ns/op", AggregationPolicy.AVG),
            new ScalarResult("cpu.worker", (double)workerCpu / ops, "ns/op", AggregationPolicy.AVG),
            new ScalarResult("cpu.background", (double)(processCpu - workerCpu) / ops, "ns/op",
                AggregationPolicy.AVG),
            new ScalarResult("cpu.jit", (double)jitNanos / ops, "ns/op", AggregationPolicy.AVG),
            new ScalarResult("cpu.gc", (double)gcNanos / ops, "ns/op", AggregationPolicy.AVG));
    }
}
