package io.ferrite.engine.metrics;

import org.HdrHistogram.Recorder;

/**
 * An HdrHistogram {@link Recorder} made on the first value recorded. An unpacked recorder holds two histograms of
 * tens to hundreds of KiB each once it saw values of a few milliseconds, and a store keeps about twenty metrics (each
 * with a cumulative and a log histogram beside it): about 2 MiB a stream, so an environment of a thousand idle
 * streams spent gigabytes of heap on histograms. Most metrics of an idle stream (back-pressure, state-write phases,
 * appends) never record a value; those that do off the append path (recovery, forces, block rolls) are packed.
 * <p>
 * Threading: {@link #recordValue} from any number of threads, wait-free once made (the first caller makes it under
 * this object's monitor, which is taken once); {@link #recorderOrNull()} from any thread.
 */
public final class LazyRecorder
{
    private final int significantDigits;
    private final boolean packed;
    private volatile Recorder recorder;

    /**
     * @param significantDigits of the recorder's histograms.
     * @param packed            whether its histograms are packed (memory grows with the buckets used, recording may
     *                          allocate when a new bucket is first used): for metrics off the append path, which in
     *                          an idle stream hold a handful of values over a wide range. The append path's
     *                          recorders are not packed, so a sampled append never allocates.
     */
    public LazyRecorder(final int significantDigits, final boolean packed)
    {
        this.significantDigits = significantDigits;
        this.packed = packed;
    }

    /**
     * Record {@code value}, making the recorder first if none was.
     */
    public void recordValue(final long value)
    {
        Recorder current = recorder;
        if (null == current)
        {
            current = make();
        }
        current.recordValue(value);
    }

    /**
     * @return the recorder, or null when nothing was ever recorded (a harvest has nothing to take).
     */
    public Recorder recorderOrNull()
    {
        return recorder;
    }

    private synchronized Recorder make()
    {
        Recorder current = recorder;
        if (null == current)
        {
            current = new Recorder(significantDigits, packed);
            recorder = current;
        }
        return current;
    }
}
