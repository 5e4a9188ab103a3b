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
 * Writes a store's interval histograms to a file in HdrHistogram's log format ({@link HistogramLogWriter}), one
 * tagged interval histogram per metric every period, so they can be plotted with HdrHistogram's own tools
 * ({@code HistogramLogProcessor -tag flush.force}). Writing is page-cache I/O of a few KiB per period and happens on
 * the store's flusher thread; a failure to write logs one warning and disables the log, it never fails the store.
 * <p>
 * Threading: one thread calls {@link #maybeWrite}; {@link #close()} after that thread stopped.
 */
public final class HistogramLog implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(HistogramLog.class);

    private final Path file;
    private final long periodNanos;
    private final StoreMetrics metrics;
    private PrintStream out;
    private HistogramLogWriter writer;
    private long nextWriteNanos;
    private long intervalStartMillis;

    public HistogramLog(final Path file, final long periodNanos, final StoreMetrics metrics)
    {
        this.file = file;
        this.periodNanos = periodNanos;
        this.metrics = metrics;
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
        metrics.writeIntervals(writer, intervalStartMillis, endMillis);
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
}
