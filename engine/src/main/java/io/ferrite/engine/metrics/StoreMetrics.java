package io.ferrite.engine.metrics;

import io.ferrite.store.IntervalStatsReader;
import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StoreOperation;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoreStatsReader;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and latency recorders for one store. Recording never blocks (LongAdder, HdrHistogram Recorder, each made
 * on its first value: {@link LazyRecorder});
 * {@link #cumulative()} and {@link #writeIntervals} harvest each recorder's interval under this object's monitor, which
 * only other harvesters contend for (the flusher, once per histogram log period), and fold it into the cumulative
 * histogram and the interval pending for the histogram log. Interval readers ({@link #newReader()}, and the one behind
 * {@link #snapshot()}) subtract successive cumulative copies ({@link IntervalStatsReader}), so the log, {@code stats()}
 * and any number of readers each get intervals of their own and none steals from another.
 * <p>
 * The counters ({@link #blocksCreated()} and the like) are {@link LongAdder} sums and volatile fields: lock-free to
 * read, for {@code StreamStore.counters()}.
 * <p>
 * Histograms (values in nanoseconds unless said otherwise):
 * <ul>
 *   <li>{@code append}: one append in {@value #APPEND_SAMPLE_PERIOD} (sequence multiple of that), timed around the
 *   whole append; sampling keeps the hot path to one masked compare for the rest;</li>
 *   <li>{@code appendToDurable}: from an append returning to the force that covered it completing: every
 *   {@code ALWAYS} append, and the sampled appends in the other modes;</li>
 *   <li>{@code groupCommit}: commits ({@code ALWAYS} appends and {@code flush()} calls) resolved per force — a
 *   count, not nanos;</li>
 *   <li>{@code flush}, {@code flush.capture}, {@code flush.force}, {@code flush.directory}: each force cycle of the
 *   flusher by phase (capture is the time under the append lock);</li>
 *   <li>{@code backPressure}: how long each append that found {@code maxUnforcedBytes} unforced ({@code INTERVAL}
 *   mode) waited for the flusher before it could write;</li>
 *   <li>{@code writeFullState.*}, {@code recovery.*}, {@code blockRoll}: the other operations that can stall.</li>
 * </ul>
 */
public final class StoreMetrics
{
    public static final int STATE_SERIALIZE = 0;
    public static final int STATE_WRITE = 1;
    public static final int STATE_FSYNC = 2;
    public static final int STATE_RENAME = 3;

    public static final int RECOVERY_STATE = 0;
    public static final int RECOVERY_SCAN = 1;

    public static final int FLUSH_CAPTURE = 0;
    public static final int FLUSH_FORCE = 1;
    public static final int FLUSH_DIRECTORY = 2;
    /**
     * Phase of {@code writeFullState}: the store's own state writes (erase, close, reclaim) waiting for the force that
     * makes their state image durable. A caller's {@code writeFullState()} never waits: it records 0 here.
     */
    public static final int STATE_BLOCKS = 4;

    /** One append in this many is timed: cheap enough for the hot path, thousands of samples a second under load. */
    public static final int APPEND_SAMPLE_PERIOD = 64;
    private static final long APPEND_SAMPLE_MASK = APPEND_SAMPLE_PERIOD - 1;


    private final LongAdder blockFileOpens = new LongAdder();
    private final LongAdder blockBytesRead = new LongAdder();
    private final LongAdder blocksCreated = new LongAdder();
    private final LongAdder fullStateWrites = new LongAdder();

    private final OperationTimer writeFullState;
    private final OperationTimer recovery;
    private final OperationTimer flush;
    private final OperationTimer blockRoll;
    private final LongAdder forceCycles = new LongAdder();
    private final LongAdder backPressureWaits = new LongAdder();
    private final LongAdder reclaimFailures = new LongAdder();
    /** Why the newest reclaim pass failed; null when it succeeded (or none ran). */
    private volatile String reclaimFailure;
    private final ForceRate forceRate = new ForceRate();
    private final List<OperationTimer> timers = new ArrayList<>();
    private final Map<String, LazyRecorder> recorders = new LinkedHashMap<>();
    private final Map<String, Histogram> cumulative = new LinkedHashMap<>();
    private final Map<String, Histogram> pendingLog = new LinkedHashMap<>();
    /** The histogram each recorder handed out last, handed back so a harvest allocates nothing once warm. */
    private final Map<String, Histogram> recycled = new LinkedHashMap<>();
    private final LazyRecorder appendLatency = new LazyRecorder(3, false);
    private final LazyRecorder appendToDurable = new LazyRecorder(3, false);
    private final LazyRecorder groupCommit = new LazyRecorder(3, true);
    private final LazyRecorder backPressure = new LazyRecorder(3, true);
    private final AtomicLong probeSeq = new AtomicLong();
    private volatile long probeNanos;
    private volatile long durableSeq;
    /** The reader behind {@link #snapshot()}: {@code stats()}'s intervals, apart from every other reader's. */
    private final StoreStatsReader statsReader;

    public StoreMetrics(final long slowThresholdNanos, final Logger log)
    {
        this(slowThresholdNanos, Map.of(), log);
    }

    /**
     * @param thresholds slow-operation thresholds in nanos by operation name ({@code writeFullState},
     *                   {@code recovery}, {@code flush}, {@code blockRoll}); the others use {@code slowThresholdNanos}.
     */
    public StoreMetrics(final long slowThresholdNanos, final Map<String, Long> thresholds, final Logger log)
    {
        writeFullState = register(timer(StoreOperation.WRITE_FULL_STATE, thresholds, slowThresholdNanos, log));
        recovery = register(timer(StoreOperation.RECOVERY, thresholds, slowThresholdNanos, log));
        flush = register(timer(StoreOperation.FLUSH, thresholds, slowThresholdNanos, log));
        blockRoll = register(timer(StoreOperation.BLOCK_ROLL, thresholds, slowThresholdNanos, log));
        register(StoreMetricNames.APPEND, appendLatency);
        register(StoreMetricNames.APPEND_TO_DURABLE, appendToDurable);
        register(StoreMetricNames.GROUP_COMMIT, groupCommit);
        register(StoreMetricNames.BACK_PRESSURE, backPressure);
        statsReader = new IntervalStatsReader(this::cumulative);
    }

    private static OperationTimer timer(
        final StoreOperation operation, final Map<String, Long> thresholds, final long slowThresholdNanos,
        final Logger log)
    {
        return new OperationTimer(operation.metricName(),
            thresholds.getOrDefault(operation.metricName(), slowThresholdNanos), log,
            operation.phases().toArray(new String[0]));
    }

    private OperationTimer register(final OperationTimer timer)
    {
        timers.add(timer);
        register(timer.operation(), timer.totalRecorder());
        for (int i = 0; i < timer.phaseCount(); i++)
        {
            register(timer.operation() + '.' + timer.phaseName(i), timer.phaseRecorder(i));
        }
        return timer;
    }

    /**
     * Its cumulative and log histograms are made at the first harvest that finds its recorder made (the first value):
     * an idle stream holds none.
     */
    private void register(final String name, final LazyRecorder recorder)
    {
        recorders.put(name, recorder);
    }

    /**
     * @return the names of the metrics whose recorder was made (recorded a value): few for a stream that has done
     *         little since it opened, which is what keeps an idle stream's heap small.
     */
    public List<String> recordersMade()
    {
        final List<String> made = new ArrayList<>();
        for (final Map.Entry<String, LazyRecorder> entry : recorders.entrySet())
        {
            if (null != entry.getValue().recorderOrNull())
            {
                made.add(entry.getKey());
            }
        }
        return made;
    }

    /**
     * Start timing an append when it is one of the sampled ones.
     *
     * @param nextSeq the sequence the append will probably get (a racy read is fine: it only picks the sample).
     * @return the start time, or 0 when this append is not sampled.
     */
    public long appendSampleStart(final long nextSeq)
    {
        return (nextSeq & APPEND_SAMPLE_MASK) == 0 ? System.nanoTime() : 0;
    }

    /**
     * Finish timing a sampled append; it also becomes the probe for {@code appendToDurable} when none is pending.
     */
    public void appendSampleEnd(final long startNanos, final long seq)
    {
        if (0 != startNanos)
        {
            final long end = System.nanoTime();
            appendLatency.recordValue(Math.max(0, end - startNanos));
            if (0 == probeSeq.get() && probeSeq.compareAndSet(0, -1))
            {
                probeNanos = end;
                probeSeq.set(seq);
            }
        }
    }

    /**
     * The flusher made everything up to {@code durable} durable.
     *
     * @param probe whether to resolve the sampled append probe ({@code ALWAYS} records every append instead).
     */
    public void onDurable(final long durable, final long nowNanos, final boolean probe)
    {
        durableSeq = durable;
        final long pending = probeSeq.get();
        if (pending > 0 && pending <= durable)
        {
            if (probe)
            {
                appendToDurable.recordValue(Math.max(0, nowNanos - probeNanos));
            }
            probeSeq.set(0);
        }
    }

    public void onAppendDurable(final long nanos)
    {
        appendToDurable.recordValue(Math.max(0, nanos));
    }

    /**
     * A force cycle that did I/O resolved {@code commits} waiting appends and {@code flush()} calls.
     */
    public void onForceCycle(final int commits)
    {
        forceCycles.increment();
        groupCommit.recordValue(commits);
    }

    /**
     * A force cycle made {@code bytes} of block data durable in {@code nanos}: feeds {@link #forceBytesPerSecond()}.
     */
    public void onForced(final long bytes, final long nanos)
    {
        forceRate.record(bytes, nanos);
    }

    /**
     * @return bytes per second the disk took over recent force cycles, or {@link ForceRate#UNKNOWN}.
     */
    public long forceBytesPerSecond()
    {
        return forceRate.bytesPerSecond();
    }

    /**
     * A reclaim pass failed; it is retried later.
     *
     * @param why the failure, naming the file.
     */
    public void onReclaimFailed(final String why)
    {
        reclaimFailures.increment();
        reclaimFailure = why;
    }

    /**
     * A reclaim pass completed.
     */
    public void onReclaimSucceeded()
    {
        reclaimFailure = null;
    }

    /**
     * An append found the unforced-bytes bound reached and starts waiting for the flusher.
     */
    public void onBackPressureWait()
    {
        backPressureWaits.increment();
    }

    /**
     * @return appends that waited for the flusher because the unforced-bytes bound was reached.
     */
    public long backPressureWaits()
    {
        return backPressureWaits.sum();
    }

    /**
     * A waiting append was let through (or refused) after {@code nanos}.
     */
    public void onBackPressureEnd(final long nanos)
    {
        backPressure.recordValue(Math.max(0, nanos));
    }

    public OperationTimer writeFullState()
    {
        return writeFullState;
    }

    public OperationTimer recovery()
    {
        return recovery;
    }

    public OperationTimer flush()
    {
        return flush;
    }

    public OperationTimer blockRoll()
    {
        return blockRoll;
    }

    public void onBlockFileOpened()
    {
        blockFileOpens.increment();
    }

    public void onBlockBytesRead(final long bytes)
    {
        blockBytesRead.add(bytes);
    }

    public void onBlockCreated()
    {
        blocksCreated.increment();
    }

    public void onFullStateWritten()
    {
        fullStateWrites.increment();
    }

    public long blockFileOpens()
    {
        return blockFileOpens.sum();
    }

    public long blockBytesRead()
    {
        return blockBytesRead.sum();
    }

    public long blocksCreated()
    {
        return blocksCreated.sum();
    }

    public long fullStateWrites()
    {
        return fullStateWrites.sum();
    }

    public long forceCycles()
    {
        return forceCycles.sum();
    }

    public long reclaimFailures()
    {
        return reclaimFailures.sum();
    }

    /**
     * @return cumulative histograms, and interval histograms covering what was recorded since the previous snapshot
     * (not since another reader's read). Writers are never blocked: each recorder swaps its interval histogram
     * (HdrHistogram's phaser).
     */
    public StoreStats snapshot()
    {
        return statsReader.read();
    }

    /**
     * @return a reader whose intervals are its own (see {@link IntervalStatsReader}).
     */
    public StoreStatsReader newReader()
    {
        return new IntervalStatsReader(this::cumulative);
    }

    /**
     * @return the counters and a copy of every cumulative histogram, with no interval histograms: what interval
     * readers subtract. Harvests first, so it includes everything recorded before the call.
     */
    public StoreStats cumulative()
    {
        final Map<String, Histogram> totals = new LinkedHashMap<>();
        synchronized (this)
        {
            harvest();
            for (final String name : recorders.keySet())
            {
                // A metric that never recorded a value reads as an empty histogram, as when histograms were eager.
                final Histogram total = cumulative.get(name);
                totals.put(name, null == total ? newHistogram() : total.copy());
            }
        }
        return new StoreStats(blockFileOpens.sum(), blockBytesRead.sum(), blocksCreated.sum(), fullStateWrites.sum(),
            totals, Map.of(), forceCycles.sum(), durableSeq, backPressureWaits.sum(), forceRate.bytesPerSecond(),
            reclaimFailures.sum(), reclaimFailure);
    }

    /**
     * Write every metric's interval since the previous call, tagged with its name, then reset it.
     */
    public void writeIntervals(
        final org.HdrHistogram.HistogramLogWriter writer, final long startMillis, final long endMillis)
    {
        writeIntervals(writer, startMillis, endMillis, "");
    }

    /**
     * Write every metric's interval since the previous call, tagged with {@code tagPrefix} and its name (a log that
     * holds several streams tells them apart), then reset it.
     */
    public synchronized void writeIntervals(final org.HdrHistogram.HistogramLogWriter writer, final long startMillis,
        final long endMillis, final String tagPrefix)
    {
        harvest();
        for (final Map.Entry<String, Histogram> entry : pendingLog.entrySet())
        {
            final Histogram interval = entry.getValue();
            interval.setTag(tagPrefix + entry.getKey());
            interval.setStartTimeStamp(startMillis);
            interval.setEndTimeStamp(endMillis);
            writer.outputIntervalHistogram(interval);
            interval.reset();
        }
    }

    private void harvest()
    {
        for (final Map.Entry<String, LazyRecorder> entry : recorders.entrySet())
        {
            final Recorder recorder = entry.getValue().recorderOrNull();
            if (null == recorder)
            {
                continue;
            }
            final String name = entry.getKey();
            final Histogram interval = recorder.getIntervalHistogram(recycled.get(name));
            recycled.put(name, interval);
            cumulative.computeIfAbsent(name, (key) -> newHistogram()).add(interval);
            pendingLog.computeIfAbsent(name, (key) -> newHistogram()).add(interval);
        }
    }

    /**
     * Cumulative and log histograms are packed: they are added to at harvests, never on the append path, and an idle
     * stream's hold a few values.
     */
    private static Histogram newHistogram()
    {
        return new PackedHistogram(3);
    }
}
