package io.ferrite.metrics;

import io.ferrite.store.StoreStats;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and latency recorders for one store. Recording never blocks (LongAdder, HdrHistogram Recorder);
 * {@link #snapshot()} folds each recorder's interval into a cumulative histogram under this object's monitor, which
 * only other snapshot callers contend for.
 */
public final class StoreMetrics
{
    public static final int STATE_SERIALIZE = 0;
    public static final int STATE_WRITE = 1;
    public static final int STATE_FSYNC = 2;
    public static final int STATE_RENAME = 3;

    public static final int RECOVERY_STATE = 0;
    public static final int RECOVERY_SCAN = 1;

    public static final int FLUSH_FORCE = 0;
    public static final int FLUSH_DIRECTORY = 1;

    private final LongAdder blockFileOpens = new LongAdder();
    private final LongAdder blockBytesRead = new LongAdder();
    private final LongAdder blocksCreated = new LongAdder();
    private final LongAdder fullStateWrites = new LongAdder();

    private final OperationTimer writeFullState;
    private final OperationTimer recovery;
    private final OperationTimer flush;
    private final OperationTimer blockRoll;
    private final List<OperationTimer> timers = new ArrayList<>();
    private final Map<String, Histogram> cumulative = new LinkedHashMap<>();

    public StoreMetrics(final long slowThresholdNanos, final Logger log)
    {
        writeFullState = register(new OperationTimer(
            "writeFullState", slowThresholdNanos, log, "serialize", "write", "fsync", "rename"));
        recovery = register(new OperationTimer("recovery", slowThresholdNanos, log, "state", "scan"));
        flush = register(new OperationTimer("flush", slowThresholdNanos, log, "force", "directory"));
        blockRoll = register(new OperationTimer("blockRoll", slowThresholdNanos, log, "create"));
    }

    private OperationTimer register(final OperationTimer timer)
    {
        timers.add(timer);
        cumulative.put(timer.operation(), newHistogram());
        for (int i = 0; i < timer.phaseCount(); i++)
        {
            cumulative.put(timer.operation() + '.' + timer.phaseName(i), newHistogram());
        }
        return timer;
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

    public synchronized StoreStats snapshot()
    {
        final Map<String, Histogram> copies = new LinkedHashMap<>();
        for (final OperationTimer timer : timers)
        {
            fold(timer.operation(), timer.totalRecorder(), copies);
            for (int i = 0; i < timer.phaseCount(); i++)
            {
                fold(timer.operation() + '.' + timer.phaseName(i), timer.phaseRecorder(i), copies);
            }
        }
        return new StoreStats(
            blockFileOpens.sum(), blockBytesRead.sum(), blocksCreated.sum(), fullStateWrites.sum(), copies);
    }

    private void fold(final String name, final Recorder recorder, final Map<String, Histogram> copies)
    {
        final Histogram total = cumulative.get(name);
        total.add(recorder.getIntervalHistogram());
        copies.put(name, total.copy());
    }

    private static Histogram newHistogram()
    {
        return new Histogram(3);
    }
}
