package io.ferrite.recovery;

import io.ferrite.block.BlockDescriptor;
import io.ferrite.block.BlockCrypto;
import io.ferrite.block.Crc32c;
import io.ferrite.block.MessageBlock;
import io.ferrite.index.StreamIndex;
import io.ferrite.metrics.OperationTimer;
import io.ferrite.metrics.StoreMetrics;
import io.ferrite.state.FullStateReader;
import io.ferrite.state.StateCipher;
import io.ferrite.state.StateSnapshot;
import io.ferrite.state.StreamDirectory;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;

/**
 * Rebuilds the in-memory {@link StreamIndex} when a stream is opened, doing as little block I/O as the files allow:
 * <ol>
 *   <li>a valid {@code state.db} whose last checksum matches the last block's tail: restore it and scan only that
 *   tail block (its sequence table is needed for reads, and records written after the state are replayed);</li>
 *   <li>a valid but older {@code state.db}: the same, plus every block created after it;</li>
 *   <li>a missing, corrupt or inconsistent {@code state.db}: scan every block, and say why in the log.</li>
 * </ol>
 * Sealed blocks known from state are not opened at all; they are mapped when a read first needs them.
 */
public final class StreamRecovery
{
    private static final Logger LOG = LoggerFactory.getLogger(StreamRecovery.class);

    private final StreamDirectory directory;
    private final StoreMetrics metrics;
    private final Crc32c crc = new Crc32c();
    private final BlockCrypto crypto;

    /**
     * @param crypto the stream's block keys, null for a plaintext stream.
     */
    public StreamRecovery(final StreamDirectory directory, final StoreMetrics metrics, final BlockCrypto crypto)
    {
        this.directory = directory;
        this.metrics = metrics;
        this.crypto = crypto;
    }

    /**
     * The recovered index, published and ready for appends, and the report of what was found.
     */
    public record Result(StreamIndex index, RecoveryReport report)
    {
    }

    public Result recover()
    {
        try
        {
            return recoverOnce();
        }
        catch (final CorruptFileException ex)
        {
            if (removedUnwrittenLastBlock(ex))
            {
                return recoverOnce();
            }
            throw ex;
        }
    }

    private Result recoverOnce()
    {
        final long startNanos = System.nanoTime();
        final OperationTimer.Run run = metrics.recovery().start();
        final long[] ids = directory.listBlockIds();
        StateSnapshot snapshot = null;
        String reason;
        try
        {
            snapshot = FullStateReader.read(directory.stateFile(), null == crypto ? null : new StateCipher(crypto));
            reason = null == snapshot ? "state.db is missing" : null;
            if (null != snapshot && snapshot.isEncrypted() != (null != crypto))
            {
                reason = snapshot.isEncrypted() ? "state.db is encrypted but the stream is not" :
                    "state.db is plaintext but the stream is encrypted";
                snapshot = null;
            }
        }
        catch (final CorruptFileException ex)
        {
            reason = "state.db is unusable: " + ex.getMessage();
        }
        run.endPhase(StoreMetrics.RECOVERY_STATE);

        if (null == snapshot && ids.length == 0)
        {
            final StreamIndex index = new StreamIndex();
            index.publish();
            run.endPhase(StoreMetrics.RECOVERY_SCAN);
            run.finish(directory.root().toString());
            return new Result(index, new RecoveryReport(
                Outcome.NEW_STREAM, null == reason ? "no blocks and no state" : reason, java.util.List.of(), 0, 0,
                System.nanoTime() - startNanos));
        }

        Replay replay = null;
        Map<Path, Long> truncated = Map.of();
        Outcome outcome = Outcome.REBUILT_FROM_BLOCKS;
        if (null != snapshot)
        {
            final String mismatch = consistency(snapshot, ids);
            if (null == mismatch)
            {
                replay = new Replay(directory, metrics, crc, crypto, java.util.Map.of());
                final String tailProblem = replay.fromState(snapshot, ids);
                if (null == tailProblem)
                {
                    outcome = ids.length > snapshot.blockCount() || replay.replayedRecords() > 0 ?
                        Outcome.REPLAYED_AFTER_STATE : Outcome.LOADED_STATE;
                    reason = outcome == Outcome.LOADED_STATE ? "state.db matches the last block's tail" :
                        "state.db is older than the blocks: replayed " + replay.replayedRecords() + " records";
                }
                else
                {
                    reason = tailProblem;
                    truncated = replay.abandon();
                    replay = null;
                }
            }
            else
            {
                reason = mismatch;
            }
        }
        if (null == replay)
        {
            LOG.warn("stream {}: rebuilding state from {} block files because {}", directory.root(), ids.length, reason);
            replay = new Replay(directory, metrics, crc, crypto, truncated);
            replay.fromBlocks(ids);
        }
        run.endPhase(StoreMetrics.RECOVERY_SCAN);

        final StreamIndex index = replay.finish();
        final RecoveryReport report = new RecoveryReport(outcome, reason, replay.lost(), replay.blocksScanned(),
            replay.bytesScanned(), System.nanoTime() - startNanos);
        for (final RecoveryReport.LostRange range : report.lost())
        {
            LOG.warn("stream {}: recovery lost data: {}", directory.root(), range);
        }
        run.finish(directory.root() + " " + outcome + ", " + report.blocksScanned() + " blocks scanned");
        return new Result(index, report);
    }

    /**
     * A last block file that is nothing but zeros is a roll that never became durable (the header is written before
     * the rename, but power failed before that page reached the disk) and holds nothing to lose, so it is removed
     * rather than failing the open. Any other unreadable header still fails the open, naming the file.
     */
    private boolean removedUnwrittenLastBlock(final CorruptFileException failure)
    {
        final long[] ids = directory.listBlockIds();
        if (ids.length == 0)
        {
            return false;
        }
        final java.nio.file.Path last = directory.blockFile(ids[ids.length - 1]);
        if (!last.equals(failure.file()) || !io.ferrite.block.BlockFile.isUnwritten(last))
        {
            return false;
        }
        LOG.warn("stream {}: removing {}: it holds only zeros (a block roll interrupted by power loss)",
            directory.root(), last);
        try
        {
            java.nio.file.Files.delete(last);
        }
        catch (final java.io.IOException ex)
        {
            throw new io.ferrite.store.StoreIOException("remove unwritten block file", last, ex);
        }
        return true;
    }

    /**
     * @return why the state cannot describe these block files, or null when its blocks are exactly the oldest files.
     */
    private static String consistency(final StateSnapshot snapshot, final long[] ids)
    {
        final int count = snapshot.blockCount();
        if (count > ids.length)
        {
            return "state.db lists " + count + " blocks but only " + ids.length + " block files exist";
        }
        for (int i = 0; i < count; i++)
        {
            if (snapshot.blockId(i) != ids[i])
            {
                return "state.db lists block " + snapshot.blockId(i) + " where the directory holds " +
                    BlockDescriptor.fileName(ids[i]);
            }
        }
        if (count == 0 && snapshot.lastSeq() > 0)
        {
            return "state.db has sequences but lists no blocks";
        }
        return null;
    }

    static long unknownIfEmpty(final long first, final long last)
    {
        return first > last ? StoreException.UNKNOWN : first;
    }

    static MessageBlock openForScan(
        final StreamDirectory directory, final long id, final long baseSeq, final boolean writable,
        final StoreMetrics metrics, final BlockCrypto crypto, final Crc32c crc)
    {
        return MessageBlock.open(directory.blockFile(id), id, baseSeq, writable, metrics, crypto, crc);
    }
}
