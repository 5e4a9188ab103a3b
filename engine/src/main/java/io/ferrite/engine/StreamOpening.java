package io.ferrite.engine;

import io.ferrite.engine.agent.AgentSlot;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.flush.DurabilityListener;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.metrics.HistogramLog;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import org.agrona.CloseHelper;
import org.slf4j.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The checks and parts {@link FileStreamStore#open} needs before the store exists: that the directory holds this
 * stream (or none), the store's metrics, and its flusher, started knowing whether recovery found a clean close.
 */
final class StreamOpening
{
    private StreamOpening()
    {
    }

    /**
     * @param existing the directory's {@code stream.json}, or null when it has none.
     * @throws IllegalArgumentException when the directory holds another stream.
     * @throws StoreException           when the stream's encryption does not match the configuration's.
     */
    static void check(final StreamDirectory directory, final StreamMetadata existing, final StreamConfig config)
    {
        if (null != existing)
        {
            if (!existing.name().equals(config.name()))
            {
                throw new IllegalArgumentException("directory " + directory.root() + " holds stream '" +
                    existing.name() +
                    "', not '" + config.name() + "'");
            }
            if (existing.encrypted() != config.encrypted())
            {
                throw new StoreException(existing.encrypted() ?
                    "stream " + existing.name() + " is encrypted: open it with its encryption key" :
                    "stream " + existing.name() + " is not encrypted: open it without an encryption key",
                    directory.metadataFile(), StoreException.UNKNOWN, StoreException.UNKNOWN);
            }
        }
        if (null == existing && !config.encrypted() &&
            Files.exists(directory.root().resolve(StreamMetadata.KEY_FILE)))
        {
            throw new StoreException("stream.json is missing but stream.key is present: the stream is encrypted, " +
                "open it with its encryption key", directory.root().resolve(StreamMetadata.KEY_FILE),
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
    }

    /**
     * @param thread the thread that will run the flusher, started by the caller.
     */
    static AsyncFlusher flusher(
        final StreamConfig config, final BlockFlusher blocks, final StreamIndex index, final RecoveryReport report,
        final StoreMetrics metrics, final AgentSlot thread, final DurabilityListener durabilityListener)
    {
        final boolean clean = report.outcome() == RecoveryReport.Outcome.LOADED_STATE ||
            report.outcome() == RecoveryReport.Outcome.NEW_STREAM;
        if (!clean)
        {
            // After a crash, what recovery scanned may have reached only the page cache of the process that died:
            // force it before reporting it durable.
            blocks.forceRecoveredOnce(index.blockCount() - report.blocksScanned());
        }
        final HistogramLog histogramLog = null == config.histogramLogFile() ? null :
            new HistogramLog(config.histogramLogFile(), config.histogramLogInterval().toNanos(),
                metrics::writeIntervals);
        final AsyncFlusher flusher = new AsyncFlusher(config.name(), blocks, config.syncMode(),
            config.syncInterval().toNanos(), clean ? index.lastSeq() : 0, metrics, histogramLog, thread.wakeUp());
        flusher.durabilityListener(durabilityListener);
        return flusher;
    }

    /**
     * Put the last sequence recovery proved beyond the surviving blocks into a block header (a new block based above
     * it), and force it before the store is handed out: until then only {@code state.db} remembers it, and a reclaim or
     * truncate may replace the state at any moment after open. A failure fails the open, stopping what was started.
     */
    static void recordSequenceFloor(
        final StreamWriter writer, final AgentSlot flusherThread, final AsyncFlusher durability, final long floor,
        final Path blocksDir)
    {
        try
        {
            writer.baseNextBlockAbove(floor);
            durability.flushAndWait();
        }
        catch (final RuntimeException ex)
        {
            throw stopAfter(ex, writer, flusherThread, durability, floor, blocksDir,
                "record the recovered last sequence " + floor + " in a new block failed");
        }
    }

    /**
     * In {@code ALWAYS} mode readers see nothing beyond the durable sequence; after a crash what recovery found is
     * not known durable until forced. Force it before the store is handed out, so the recovered messages are readable
     * at once (rather than after the next commit) and never shown before they are durable. A failure fails the open,
     * stopping what was started. Nothing is forced after a clean close: the flusher starts with everything durable.
     *
     * @param lastSeq the stream's last sequence after recovery.
     */
    static void forceRecovered(
        final StreamWriter writer, final AgentSlot flusherThread, final AsyncFlusher durability, final long lastSeq,
        final Path blocksDir)
    {
        if (durability.durableSeq() >= lastSeq)
        {
            return;
        }
        try
        {
            durability.flushAndWait();
        }
        catch (final RuntimeException ex)
        {
            throw stopAfter(ex, writer, flusherThread, durability, lastSeq, blocksDir,
                "force the recovered messages up to sequence " + lastSeq + " before opening in ALWAYS mode failed");
        }
    }

    private static RuntimeException stopAfter(
        final RuntimeException ex, final StreamWriter writer, final AgentSlot flusherThread,
        final AsyncFlusher durability, final long seq, final Path dir, final String what)
    {
        final RuntimeException failure = ex instanceof StoreException ? ex :
            new StoreException(what, dir, StoreException.UNKNOWN, seq, ex);
        try
        {
            CloseHelper.closeAll(flusherThread, durability, writer::close, writer::closePreallocator);
        }
        catch (final RuntimeException closeFailure)
        {
            failure.addSuppressed(closeFailure);
        }
        return failure;
    }

    static StoreMetrics metrics(final StreamConfig config, final Logger log)
    {
        final Map<String, Long> thresholds = new HashMap<>();
        for (final String operation : StreamConfig.TIMED_OPERATIONS)
        {
            thresholds.put(operation, config.slowOperationThreshold(operation).toNanos());
        }
        return new StoreMetrics(config.slowOperationThreshold().toNanos(), thresholds, log);
    }
}
