package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoreCounters;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SyncMode;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where a write-to-read delay comes from, message by message: one thread appends stamped messages at a fixed rate
 * (busy-spinning between them, as {@link TailerLatencyBenchmark}'s appender does) and one busy-spins on a tailer. The
 * appender notes how long each append call took and whether it rolled a block, the tailer each message's delay from
 * just before its append to its receipt; at the end every message later than {@link #LATE_NANOS} is put down to its
 * own append (slow: a roll, a fault, a wait for room) or to the tailer (the append was quick, so the tailer was not
 * running: the scheduler gave its core to another thread). Not a JMH benchmark — a diagnostic, as {@link FolioCost}
 * is: it prints counts, not a figure to compare across runs.
 * <p>
 * Usage: {@code java -cp ferrite-benchmarks.jar io.ferrite.bench.TailerStallProbe [seconds] [rate] [payload]
 * [INTERVAL|NONE|ALWAYS]} (defaults 10 s, 100,000/s, 128 B, {@code INTERVAL}), after 3 s of warm-up.
 */
public final class TailerStallProbe
{
    private static final long LATE_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    private static final long WARM_UP_SECONDS = 3;

    private long[] appendNanos;
    private long[] delayNanos;
    private boolean[] rolled;
    private volatile boolean running = true;
    private volatile long received;
    private final ThreadCpu cpu = new ThreadCpu();

    private TailerStallProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final long seconds = args.length > 0 ? Long.parseLong(args[0]) : 10;
        final long rate = args.length > 1 ? Long.parseLong(args[1]) : 100_000;
        final int payloadLength = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        final SyncMode mode = args.length > 3 ? SyncMode.valueOf(args[3]) : SyncMode.INTERVAL;
        if (payloadLength < Long.BYTES || rate < 1 || seconds < 1)
        {
            throw new IllegalArgumentException("need seconds >= 1, rate >= 1, payload >= 8 bytes: " + seconds + ", " +
                rate + ", " + payloadLength);
        }
        final Path directory = BenchDirectory.create("tailer-stall-probe");
        try
        {
            new TailerStallProbe().run(directory, seconds, rate, payloadLength, mode);
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    private void run(
        final Path directory, final long seconds, final long rate, final int payloadLength, final SyncMode mode)
        throws InterruptedException
    {
        final int capacity = (int)Math.min(Integer.MAX_VALUE - 8, rate * (seconds + WARM_UP_SECONDS) + rate);
        appendNanos = new long[capacity];
        delayNanos = new long[capacity];
        rolled = new boolean[capacity];
        final byte[] payload = new byte[payloadLength];
        final UnsafeBuffer stamp = new UnsafeBuffer(payload);
        int sent = 0;
        int measuredFrom = -1;
        try (StreamStore store = FileStreamStore.open(directory, StreamConfig.builder("probe").syncMode(mode).build()))
        {
            final StreamTailer tailer = store.createTailer(1);
            final MessageHandler handler = this::onMessage;
            final Thread follower = new Thread(() ->
            {
                try (tailer)
                {
                    long count = 0;
                    while (running)
                    {
                        count += tailer.poll(handler, 64);
                        received = count;
                    }
                }
            }, "probe-tailer");
            follower.start();
            final long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            final long warmUpEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARM_UP_SECONDS);
            final long end = warmUpEnd + TimeUnit.SECONDS.toNanos(seconds);
            long next = System.nanoTime();
            final StoreCounters counters = store.counters();
            long blocks = counters.blocksCreated();
            for (long now = System.nanoTime(); now < end && sent < capacity; now = System.nanoTime())
            {
                next = Math.max(next + interval, now - TimeUnit.MILLISECONDS.toNanos(1));
                while (System.nanoTime() < next)
                {
                    Thread.onSpinWait();
                }
                final long sentAt = System.nanoTime();
                if (measuredFrom < 0 && sentAt > warmUpEnd)
                {
                    measuredFrom = sent;
                    cpu.start();
                }
                stamp.putLong(0, sentAt, ByteOrder.LITTLE_ENDIAN);
                store.append("probe", null, payload);
                appendNanos[sent] = System.nanoTime() - sentAt;
                final long nowBlocks = counters.blocksCreated();
                rolled[sent] = nowBlocks != blocks;
                blocks = nowBlocks;
                sent++;
            }
            cpu.stop();
            while (received < sent)
            {
                if (!follower.isAlive())
                {
                    throw new IllegalStateException("the tailer thread ended after " + received + " of " + sent +
                        " messages (see its stack trace above)");
                }
                Thread.onSpinWait();
            }
            running = false;
            follower.join();
        }
        print(mode, payloadLength, rate, Math.max(0, measuredFrom), sent);
        cpu.print();
    }

    /**
     * CPU time of every live thread over the measured part of the run, against the wall-clock time: how much of it
     * the two busy-spinning threads had a core, and what the store's own threads took from the machine's cores.
     */
    private static final class ThreadCpu
    {
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final Map<Long, Long> startNanos = new HashMap<>();
        private final Map<Long, String> names = new HashMap<>();
        private final Map<Long, Long> usedNanos = new HashMap<>();
        private long wallStart;
        private long wallNanos;

        void start()
        {
            wallStart = System.nanoTime();
            for (final long id : threads.getAllThreadIds())
            {
                final ThreadInfo info = threads.getThreadInfo(id);
                if (null != info)
                {
                    names.put(id, info.getThreadName());
                    startNanos.put(id, threads.getThreadCpuTime(id));
                }
            }
        }

        void stop()
        {
            if (startNanos.isEmpty())
            {
                return;
            }
            wallNanos = System.nanoTime() - wallStart;
            startNanos.forEach((id, from) ->
            {
                final long now = threads.getThreadCpuTime(id);
                if (now >= 0 && from >= 0)
                {
                    usedNanos.put(id, now - from);
                }
            });
        }

        void print()
        {
            final StringBuilder line = new StringBuilder("thread CPU over ").append(wallNanos / 1_000_000)
                .append(" ms of wall time:");
            usedNanos.entrySet().stream()
                .filter((entry) -> entry.getValue() >= TimeUnit.MILLISECONDS.toNanos(1))
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach((entry) -> line.append(' ').append(names.get(entry.getKey())).append(' ')
                    .append(String.format("%.1f %%", 100.0 * entry.getValue() / Math.max(1, wallNanos))));
            System.out.println(line);
        }
    }

    private void onMessage(final MessageView view)
    {
        final int index = (int)(view.seq() - 1);
        delayNanos[index] = System.nanoTime() - view.buffer().getLong(view.payloadOffset(), ByteOrder.LITTLE_ENDIAN);
    }

    private void print(final SyncMode mode, final int payloadLength, final long rate, final int from, final int to)
    {
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final Histogram appends = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        long late = 0;
        long lateSlowAppend = 0;
        long lateRoll = 0;
        long lateDelay = 0;
        long lateSlowAppendDelay = 0;
        long rolls = 0;
        for (int i = from; i < to; i++)
        {
            latency.recordValue(Math.min(delayNanos[i], latency.getHighestTrackableValue()));
            appends.recordValue(Math.min(appendNanos[i], appends.getHighestTrackableValue()));
            rolls += rolled[i] ? 1 : 0;
            if (delayNanos[i] > LATE_NANOS)
            {
                late++;
                lateDelay += delayNanos[i];
                if (appendNanos[i] > LATE_NANOS)
                {
                    lateSlowAppend++;
                    lateSlowAppendDelay += delayNanos[i];
                    lateRoll += rolled[i] ? 1 : 0;
                }
            }
        }
        System.out.printf("mode %s, %d B at %d/s: %d messages measured, %d rolls%n", mode, payloadLength, rate,
            to - from, rolls);
        System.out.printf("write-to-read: p50 %d ns, p90 %d ns, p99 %d ns, p99.9 %d ns, max %d ns%n",
            latency.getValueAtPercentile(50), latency.getValueAtPercentile(90), latency.getValueAtPercentile(99),
            latency.getValueAtPercentile(99.9), latency.getMaxValue());
        System.out.printf("append call: p50 %d ns, p90 %d ns, p99 %d ns, p99.9 %d ns, max %d ns%n",
            appends.getValueAtPercentile(50), appends.getValueAtPercentile(90), appends.getValueAtPercentile(99),
            appends.getValueAtPercentile(99.9), appends.getMaxValue());
        System.out.printf("later than %d us: %d (%.2f %%, delay %.1f ms in all); their own append slow: %d " +
            "(%d rolls, delay %.1f ms in all); append quick, tailer late: %d (delay %.1f ms in all)%n",
            TimeUnit.NANOSECONDS.toMicros(LATE_NANOS), late, 100.0 * late / Math.max(1, to - from), lateDelay / 1e6,
            lateSlowAppend, lateRoll, lateSlowAppendDelay / 1e6, late - lateSlowAppend,
            (lateDelay - lateSlowAppendDelay) / 1e6);
    }
}
