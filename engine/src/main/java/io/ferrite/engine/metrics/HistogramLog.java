package io.ferrite.engine.metrics;

import io.ferrite.store.StoreIOException;
import org.HdrHistogram.HistogramLogWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Writes interval histograms to a file in HdrHistogram's log format ({@link HistogramLogWriter}), one tagged interval
 * histogram per metric every period, so they can be plotted with HdrHistogram's own tools
 * ({@code HistogramLogProcessor -tag flush.force}). What it writes comes from {@link Intervals}: one store's metrics,
 * or every stream of an environment ({@code EnvironmentHistogramLog}, tags prefixed with the stream's name). Writing is
 * page-cache I/O of a few KiB per period and happens on a flusher thread; a failure to write logs one warning and
 * disables the log, it never fails the store.
 * <p>
 * Threading: one thread calls {@link #maybeWrite}; {@link #close()} after that thread stopped.
 */
public final class HistogramLog implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(HistogramLog.class);

    private final Path file;
    private final long periodNanos;
    private final Intervals intervals;
    private PrintStream out;
    private HistogramLogWriter writer;
    private long nextWriteNanos;
    private long intervalStartMillis;

    /**
     * Open (replace) {@code file} and write the log's header.
     *
     * @param intervals what each period writes.
     * @throws StoreIOException naming the file when it cannot be opened.
     */
    public HistogramLog(final Path file, final long periodNanos, final Intervals intervals)
    {
        this.file = file;
        this.periodNanos = periodNanos;
        this.intervals = intervals;
        try
        {
            out = new PrintStream(file.toFile(), StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("open histogram log", file, ex);
        }
        writer = new HistogramLogWriter(out);
        intervalStartMillis = System.currentTimeMillis();
        writer.outputLogFormatVersion();
        writer.outputStartTime(intervalStartMillis);
        writer.setBaseTime(intervalStartMillis);
        writer.outputLegend();
        nextWriteNanos = System.nanoTime() + periodNanos;
    }

    public Path file()
    {
        return file;
    }

    /**
     * @return when the next interval is due, in {@link System#nanoTime()} terms; {@link Long#MAX_VALUE} once disabled.
     */
    public long nextWriteNanos()
    {
        return null == writer ? Long.MAX_VALUE : nextWriteNanos;
    }

    /**
     * Write one interval of every metric when the period has passed.
     */
    public void maybeWrite(final long nowNanos)
    {
        if (null != writer && nowNanos - nextWriteNanos >= 0)
        {
            write();
            nextWriteNanos = nowNanos + periodNanos;
        }
    }

    private void write()
    {
        final long endMillis = System.currentTimeMillis();
        intervals.write(writer, intervalStartMillis, endMillis);
        intervalStartMillis = endMillis;
        out.flush();
        if (out.checkError())
        {
            LOG.warn("histogram log {}: write failed; no further intervals are written", file);
            out.close();
            writer = null;
        }
    }

    /**
     * Write the last interval and close the file.
     */
    @Override
    public void close()
    {
        if (null != writer)
        {
            write();
            writer = null;
            out.close();
        }
    }

    /**
     * What one period of the log holds.
     */
    @FunctionalInterface
    public interface Intervals
    {
        /**
         * Write each histogram's interval since the previous call, tagged, with its start and end times.
         */
        void write(HistogramLogWriter writer, long startMillis, long endMillis);
    }
}
