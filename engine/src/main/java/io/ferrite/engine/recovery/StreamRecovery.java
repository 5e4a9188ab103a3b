package io.ferrite.engine.recovery;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.metrics.OperationTimer;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.FullStateReader;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.Crc32c;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
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
    /** Block files set aside as unwritten rolls, reported with whatever recovery finds next. */
    private final List<RecoveryReport.LostRange> setAside = new ArrayList<>();
    /** The id after the last block file set aside: no new block takes an id a set-aside file had. */
    private long afterSetAside;
    /**
     * The highest sequence the files set aside prove the stream had assigned ({@link SetAsideProof}), 0 when they
     * prove none: recovery raises the stream's last sequence to it, so none of them is assigned again.
     */
    private long setAsideProven;
    private final List<Replay> replays = new ArrayList<>();

    /** Suffix of a block file set aside because its roll never became durable; not a block file name. */
    public static final String UNWRITTEN_SUFFIX = ".unwritten";

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
     *
     * @param sequenceFloor the stream's last sequence when recovery raised it above everything the surviving blocks
     *                      hold (state.db or lost blocks proved it), else 0. Only state.db remembers it then: the store
     *                      bases a new block above it (its header records it) before anything can replace the state.
     * @param damagedTail   whether the last block holds damage that valid records follow: the store appends to a new
     *                      block, so the damage is not scanned, and reported, again on every open.
     * @param unfinishedErasures erase tombstones recovery replayed whose message bytes are still on disk.
     * @param untombstonedRemovals whether removals the index holds may be named by no tombstone in the surviving
     *                      blocks (a removal only state.db recorded met a record the blocks hold, or a loss other than
     *                      a torn tail, which may have taken tombstones of earlier blocks with it): the store writes
     *                      every removed run as tombstones again before it announces itself open, so readers
     *                      indexing only the blocks never list them. (A torn tail's lost sequences, marked removed,
     *                      get a tombstone of their own.)
     */
    public record Result(StreamIndex index, RecoveryReport report, long sequenceFloor, boolean damagedTail,
        List<UnfinishedErasure> unfinishedErasures, boolean untombstonedRemovals)
    {
    }

    public Result recover()
    {
        try
        {
            adoptEarlierSetAside();
            try
            {
                return recoverOnce();
            }
            catch (final CorruptFileException ex)
            {
                if (setAsideUnwrittenBlocks(ex))
                {
                    return recoverOnce();
                }
                throw ex;
            }
        }
        catch (final RuntimeException ex)
        {
            // A failed open must not leave block files open behind it.
            for (final Replay replay : replays)
            {
                CloseHelper.close(ex::addSuppressed, replay::abandon);
            }
            throw ex;
        }
    }

    private Replay track(final Replay replay)
    {
        replays.add(replay);
        return replay;
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
            // With stream.json there, nothing is left that records how far the sequences had got: say so rather than
            // look like a new stream. (A stream opened and killed before its first append and close gets here too.)
            final boolean existed = Files.exists(directory.metadataFile());
            final String why = (null == reason ? "no blocks and no state" : reason) + (existed ?
                "; stream.json exists but no block file and no usable state.db do: if the stream held messages they " +
                "are gone, and nothing records their sequences, so numbering starts again at 1" : "");
            if (existed)
            {
                LOG.warn("stream {}: {}", directory.root(), why);
            }
            return new Result(index, new RecoveryReport(Outcome.NEW_STREAM, why, List.of(), 0, 0,
                System.nanoTime() - startNanos), 0, false, List.of(), false);
        }

        // Used even when the state cannot be restored as a whole: what it proves still holds (StateEvidence).
        final StateEvidence evidence = StateEvidence.of(snapshot);
        Replay replay = null;
        Map<Path, Long> truncated = Map.of();
        Outcome outcome = Outcome.REBUILT_FROM_BLOCKS;
        if (null != snapshot)
        {
            final String mismatch = consistency(snapshot, ids);
            if (null == mismatch)
            {
                replay = track(new Replay(directory, metrics, crc, crypto, evidence, Map.of()));
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
            LOG.warn("stream {}: rebuilding state from {} block files because {}", directory.root(), ids.length,
                reason);
            replay = track(new Replay(directory, metrics, crc, crypto, evidence, truncated));
            replay.fromBlocks(ids);
        }
        run.endPhase(StoreMetrics.RECOVERY_SCAN);

        final StreamIndex index = replay.finish(setAsideProven);
        index.nextBlockId(Math.max(index.nextBlockId(), afterSetAside));
        final List<RecoveryReport.LostRange> lost = new ArrayList<>(setAsideFrom(replay.survivingLastSeq() + 1));
        for (final RecoveryReport.LostRange range : replay.lost())
        {
            lost.add(closedAtSetAsideProof(range));
        }
        final RecoveryReport report = new RecoveryReport(outcome, reason, lost, replay.blocksScanned(),
            replay.bytesScanned(), System.nanoTime() - startNanos);
        for (final RecoveryReport.LostRange range : report.lost())
        {
            LOG.warn("stream {}: recovery lost data: {}", directory.root(), range);
        }
        run.finish(directory.root() + " " + outcome + ", " + report.blocksScanned() + " blocks scanned");
        return new Result(index, report, replay.sequenceFloor(), replay.damagedTail(),
            List.copyOf(replay.unfinishedErasures()), replay.untombstonedRemovals() ||
            report.lost().stream().anyMatch((range) -> range.kind() != RecoveryReport.Kind.TORN_TAIL));
    }

    /**
     * A block file newer than {@code state.db} (without a state: newer than {@code state.db.replaced}, the state a
     * reclaim pass set aside; without either: at the end of the listing) whose header is all zeros (or that is shorter
     * than a header) is a roll that never became durable: the header is written before the rename, but power failed
     * before that page reached the disk. Nothing in it was acknowledged — the flusher acknowledges nothing in a block
     * before forcing it from offset 0 — and the block files after it cannot be placed without it, so it and every
     * later block file are set aside (renamed {@code *.unwritten}, kept for inspection) and listed in the recovery
     * report. A block that the state (or the state set aside) lists is never set aside: damage to it fails the open,
     * naming the file.
     * <p>
     * A later file's header (and records) may have reached the disk although the earlier header did not: its
     * sequences were assigned, maybe read. What each file set aside proves ({@link SetAsideProof}) raises the
     * stream's last sequence, so the next append takes a sequence above all of them, and closes the reported range.
     *
     * @return whether anything was set aside, so recovery can run again.
     */
    private boolean setAsideUnwrittenBlocks(final CorruptFileException failure)
    {
        final long[] ids = directory.listBlockIds();
        long knownUpTo = lastBlockIdOf(directory.stateFile());
        if (knownUpTo < 0 && !Files.exists(directory.stateFile()))
        {
            knownUpTo = lastBlockIdOf(directory.replacedStateFile());
        }
        int first = 0;
        if (knownUpTo >= 0)
        {
            while (first < ids.length && (ids[first] <= knownUpTo || !headerUnwritten(directory.blockFile(ids[first]))))
            {
                first++;
            }
        }
        else
        {
            // Without a state to say which blocks are newer, only a trailing run of unwritten files is a roll that
            // never became durable; an unwritten file with written ones after it is damage and fails the open.
            first = ids.length;
            while (first > 0 && headerUnwritten(directory.blockFile(ids[first - 1])))
            {
                first--;
            }
        }
        boolean failedInRun = false;
        for (int i = first; i < ids.length; i++)
        {
            failedInRun |= directory.blockFile(ids[i]).equals(failure.file());
        }
        if (!failedInRun)
        {
            return false;
        }
        final SetAsideProof proof = new SetAsideProof(metrics, crypto);
        final Path unwritten = directory.blockFile(ids[first]);
        for (int i = first; i < ids.length; i++)
        {
            final Path file = directory.blockFile(ids[i]);
            final Path aside = file.resolveSibling(file.getFileName() + UNWRITTEN_SUFFIX);
            final long size;
            try
            {
                size = Files.size(file);
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("set aside unwritten block file", file, ex);
            }
            afterSetAside = Math.max(afterSetAside, ids[i] + 1);
            setAside.add(new RecoveryReport.LostRange(aside, 0, size, StoreException.UNKNOWN, StoreException.UNKNOWN,
                RecoveryReport.Kind.UNWRITTEN_BLOCK));
            if (i == first)
            {
                LOG.warn("stream {}: set aside {} as {}: its header never reached the disk (a block roll interrupted " +
                    "by power loss); nothing in it was acknowledged", directory.root(), file, aside.getFileName());
                continue;
            }
            // Read once the file carries its new name: a failure here leaves it set aside, never loaded on a retry.
            final long proven = proof.highestProven(aside, ids[i]);
            setAsideProven = Math.max(setAsideProven, proven);
            LOG.warn("stream {}: set aside {} as {}: it comes after {}, whose header never reached the disk, so it " +
                "cannot be placed in the stream; {}", directory.root(), file, aside.getFileName(),
                unwritten.getFileName(), proven == SetAsideProof.NOTHING ? "its own header does not validate either" :
                "it proves the stream had assigned sequences up to " + proven + ", so none of them is assigned again");
        }
        return true;
    }

    /**
     * Block files an earlier open set aside whose proof nothing else records yet. That open raised the stream's last
     * sequence to what they prove and bases a new block above it, but a power cut after its renames reached the disk
     * and before that block's header did would leave the proof in them alone. Such a file's id is above every block
     * file's and every id the state knew of: a block created, or a state written, after the set-aside takes a higher
     * id and records the raised sequence (a truncation since then wrote such a state too). Those that prove a sequence
     * are read again and reported as when first set aside; nothing in them is loaded.
     */
    private void adoptEarlierSetAside()
    {
        final long[] ids = directory.listBlockIds();
        long known = ids.length == 0 ? 0 : ids[ids.length - 1];
        final List<Path> earlier = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory.blocksDir(),
            "*" + BlockDescriptor.FILE_SUFFIX + UNWRITTEN_SUFFIX))
        {
            for (final Path aside : stream)
            {
                if (setAsideId(aside) > known)
                {
                    earlier.add(aside);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list set-aside block files", directory.blocksDir(), ex);
        }
        if (earlier.isEmpty())
        {
            // The usual case: no set-aside file, or a block created since records what they proved.
            return;
        }
        known = Math.max(known, lastBlockIdOf(directory.stateFile()));
        if (!Files.exists(directory.stateFile()))
        {
            known = Math.max(known, lastBlockIdOf(directory.replacedStateFile()));
        }
        earlier.sort(null);
        final SetAsideProof proof = new SetAsideProof(metrics, crypto);
        for (final Path aside : earlier)
        {
            final long id = setAsideId(aside);
            if (id <= known)
            {
                continue;
            }
            afterSetAside = Math.max(afterSetAside, id + 1);
            final long proven = proof.highestProven(aside, id);
            if (proven == SetAsideProof.NOTHING)
            {
                // It cannot raise the floor: reported when it was set aside, it is not reported on every open.
                continue;
            }
            final long size;
            try
            {
                size = Files.size(aside);
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("read set-aside block file size", aside, ex);
            }
            setAside.add(new RecoveryReport.LostRange(aside, 0, size, StoreException.UNKNOWN, StoreException.UNKNOWN,
                RecoveryReport.Kind.UNWRITTEN_BLOCK));
            setAsideProven = Math.max(setAsideProven, proven);
            LOG.warn("stream {}: {} was set aside by an open that recorded nothing after it (power lost during that " +
                "open?); it proves the stream had assigned sequences up to {}, so none of them is assigned again",
                directory.root(), aside, proven);
        }
    }

    /**
     * @return the id of the block a file named {@code <block file name>}{@link #UNWRITTEN_SUFFIX} was, -1 when the
     * name is not one.
     */
    private static long setAsideId(final Path aside)
    {
        final String name = aside.getFileName().toString();
        return name.endsWith(UNWRITTEN_SUFFIX) ?
            BlockDescriptor.parseFileName(name.substring(0, name.length() - UNWRITTEN_SUFFIX.length())) : -1;
    }

    /**
     * The files set aside, each reported with the sequences from {@code firstLost} on. Every sequence a set-aside file
     * held came after everything that survived: without a first sequence the report would leave them silently absent,
     * and a file with written records after the unwritten one (damage rather than a lost roll, or a roll whose header
     * page happened to reach the disk) did hold some. The range ends at the highest sequence the files prove was
     * assigned, which the stream's last sequence was raised to; when they prove none beyond what survived (every
     * header unwritten), it stays open-ended and the next append takes {@code firstLost} again. Which file held which
     * of the sequences is not known (the first file's header is gone), so each file is reported with all of them.
     *
     * @param firstLost the sequence after the last one the surviving blocks and state account for.
     */
    private List<RecoveryReport.LostRange> setAsideFrom(final long firstLost)
    {
        final long lastLost = setAsideProven >= firstLost ? setAsideProven : StoreException.UNKNOWN;
        final List<RecoveryReport.LostRange> ranges = new ArrayList<>(setAside.size());
        for (final RecoveryReport.LostRange range : setAside)
        {
            ranges.add(new RecoveryReport.LostRange(range.file(), range.fromOffset(), range.toOffset(), firstLost,
                lastLost, range.kind()));
        }
        return ranges;
    }

    /**
     * @return {@code range}, or when it is open-ended (damage at the end of what survived, such as a torn tail) and
     * files set aside prove the stream got further, the same range ending there: the stream's last sequence was raised
     * to that proof, so the sequences after it are new, not lost.
     */
    private RecoveryReport.LostRange closedAtSetAsideProof(final RecoveryReport.LostRange range)
    {
        if (range.lastSeq() != StoreException.UNKNOWN || range.firstSeq() == StoreException.UNKNOWN ||
            setAsideProven < range.firstSeq())
        {
            return range;
        }
        return new RecoveryReport.LostRange(range.file(), range.fromOffset(), range.toOffset(), range.firstSeq(),
            setAsideProven, range.kind());
    }

    /**
     * @return the id of the last block that existed when the state in {@code file} was taken (it lists it, or none
     *         when it lists no block: every block file is newer), or -1 when there is no state or it cannot be read
     *         (then nothing says which blocks are newer than it).
     */
    private long lastBlockIdOf(final Path file)
    {
        try
        {
            final StateSnapshot snapshot = FullStateReader.read(file, null == crypto ? null : new StateCipher(crypto));
            if (null == snapshot)
            {
                return -1;
            }
            final long lastListed = snapshot.blockCount() == 0 ? 0 : snapshot.blockId(snapshot.blockCount() - 1);
            return Math.max(lastListed, snapshot.nextBlockId() - 1);
        }
        catch (final CorruptFileException ex)
        {
            return -1;
        }
    }

    private static boolean headerUnwritten(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer header = ByteBuffer.allocate(BlockDescriptor.HEADER_LENGTH);
            while (header.hasRemaining())
            {
                if (channel.read(header) < 0)
                {
                    break;
                }
            }
            for (int i = 0; i < header.position(); i++)
            {
                if (header.get(i) != 0)
                {
                    return false;
                }
            }
            return true;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read block header", file, ex);
        }
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

    static MessageBlock openForScan(
        final StreamDirectory directory, final long id, final long baseSeq, final boolean writable,
        final StoreMetrics metrics, final BlockCrypto crypto)
    {
        return MessageBlock.open(directory.blockFile(id), id, baseSeq, writable, metrics, crypto);
    }
}
