package io.ferrite.tools;

import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StoreOperation;
import io.ferrite.store.StreamConfig;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The store's own latency histograms, when the application logs them ({@code StreamConfig.histogramLog}) to the
 * conventional file in the stream directory: every interval of a metric summed into one histogram per tag.
 */
final class StoreHistogramLog
{
    /** The metrics doctor shows, in this order, when the log holds them: the ones that bound durability. */
    static final List<String> SHOWN = List.of(
        StoreOperation.FLUSH.metricName(),
        StoreOperation.FLUSH.phaseMetricName(StoreMetrics.FLUSH_FORCE),
        StoreOperation.FLUSH.phaseMetricName(StoreMetrics.FLUSH_DIRECTORY),
        StoreMetricNames.APPEND_TO_DURABLE,
        StoreOperation.WRITE_FULL_STATE.metricName(),
        StoreOperation.WRITE_FULL_STATE.phaseMetricName(StoreMetrics.STATE_FSYNC),
        StoreOperation.BLOCK_ROLL.metricName(),
        StoreOperation.RECOVERY.metricName());

    private StoreHistogramLog()
    {
    }

    /**
     * @return the histograms by metric name (nanoseconds), or null when the stream directory has no histogram log.
     * @throws ToolException when the log exists but cannot be read.
     */
    static Map<String, Histogram> read(final Path streamDir)
    {
        final Path file = streamDir.resolve(StreamConfig.HISTOGRAM_LOG_FILE_NAME);
        if (!Files.isRegularFile(file))
        {
            return null;
        }
        final Map<String, Histogram> byTag = new TreeMap<>();
        try
        {
            final HistogramLogReader reader = new HistogramLogReader(file.toFile());
            try
            {
                EncodableHistogram interval;
                while (null != (interval = reader.nextIntervalHistogram()))
                {
                    if (interval instanceof Histogram histogram && null != histogram.getTag())
                    {
                        byTag.computeIfAbsent(histogram.getTag(), (tag) -> new Histogram(3)).add(histogram);
                    }
                }
            }
            finally
            {
                reader.close();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            throw ToolException.error("cannot read the histogram log " + file + ": " + ex.getMessage() +
                " (it is written by the application's store; move it aside if it is damaged)");
        }
        return byTag;
    }
}
