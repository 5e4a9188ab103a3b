package io.ferrite.engine.recovery;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.block.SequenceGaps;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockScan;
import io.ferrite.format.Crc32c;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.RecordScanner;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.StoreException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * Scans blocks into a {@link StreamIndex}: records become sequence-table entries and, past the point the state file
 * already covers, updates to totals, block entries and subjects. Damage becomes {@link LostRange}s whose sequences are
 * inferred from the valid records around them.
 */
final class Replay implements RecordScanner.Visitor
{
    private final StreamDirectory directory;
    private final StoreMetrics metrics;
    private final Crc32c crc;
    /** Null for a plaintext stream. */
    private final BlockCrypto crypto;
    private final RecordCipher cipher = new RecordCipher();
    private final FooterCheck footerCheck = new FooterCheck();
    /** The block being scanned: where replay starts in it, whether it is the last, the damage found in it so far. */
    private final BlockScan blockScan = new BlockScan();
    private final StreamIndex index = new StreamIndex();
    private final LossLedger lost = new LossLedger();
    private final List<MessageBlock> opened = new ArrayList<>();
    private final RemovalReplay removals = new RemovalReplay(index);
    /** What a readable state.db proves, even when it cannot be restored as a whole. */
    private final StateEvidence evidence;
    private final MissingBlocks missing;
    /**
     * The last sequence recovery raised the stream to above everything the surviving blocks hold (the state, or lost
     * blocks, proved it), else 0: only state.db remembers it, so the store must put it in a block header.
     */
    private long sequenceFloor;
    /** The stream's last sequence before files set aside raised it: set by {@link #finish(long)}. */
    private long survivingLastSeq;
    /**
     * Whether the last block holds damage with valid records after it: it stays on disk, so the block must not stay
     * the tail — scanned on every open, it would be found and reported again each time.
     */
    private boolean damagedTail;
    /** The losses as reported, fixed when the replay finishes. */
    private List<LostRange> reported;
    /** Sizes block files had before an abandoned replay extended them: the truncation must still be reported. */
    private final Map<Path, Long> truncatedBefore;
    private MessageBlock tornTail;
    private int tornFrom;
    private int tornTo;

    // Where the records of the block being scanned go: set together at the start of each block's scan.
    private MessageBlock block;
    private int slot;
    private SequenceTable table;
    private BlockSubjects summary;
    /**
     * For a block state.db lists, what the scan accounts for against the message count the state recorded: records
     * cut out of its middle leave only a sequence gap, which nothing else tells from an appendAt jump. Else null.
     */
    private SequenceGaps gaps;

    private long lastSeq;
    private boolean damageBeforeReplayPoint;
    /**
     * Set when rebuilding: the last block is scanned past zeros too if the state lists it, since the state proves
     * records were there and zeros before them are damage, not the end of the data.
     */
    private boolean probeListedTail;
    private boolean countReplays;
    private long replayedRecords;
    private int blocksScanned;
    private long bytesScanned;

    /**
     * @param evidence        what state.db proves, {@link StateEvidence#none()} without a readable one.
     * @param truncatedBefore block files found shorter than their header claims by an abandoned replay, with the size
     *                        they had then (opening a block to append extends it, so the file no longer shows it).
     */
    Replay(final StreamDirectory directory, final StoreMetrics metrics, final Crc32c crc, final BlockCrypto crypto,
        final StateEvidence evidence, final Map<Path, Long> truncatedBefore)
    {
        this.evidence = evidence;
        this.missing = new MissingBlocks(directory, evidence);
        this.directory = directory;
        this.metrics = metrics;
        this.crc = crc;
        this.crypto = crypto;
        this.truncatedBefore = truncatedBefore;
    }

    /**
     * Restore from a consistent snapshot and scan only its last block plus any newer block files.
     *
     * @return null on success, else why the snapshot does not match the blocks.
     */
    String fromState(final StateSnapshot snapshot, final long[] ids)
    {
        snapshot.restoreInto(index);
        lastSeq = snapshot.lastSeq();
        countReplays = true;
        final int count = snapshot.blockCount();
        for (int i = 0; i < count - 1; i++)
        {
            index.blockIndex().add(snapshot.buffer(), snapshot.blockEntryOffset(i));
            final MessageBlock sealed = MessageBlock.unmapped(directory.blockFile(snapshot.blockId(i)),
                snapshot.blockId(i), snapshot.blockBaseSeq(i), snapshot.blockWriteOffset(i), snapshot.blockLastSeq(i),
                snapshot.blockMsgs(i), metrics, crypto);
            snapshot.restoreDeleted(sealed, i);
            index.addBlock(sealed);
        }
        if (count > 0)
        {
            final int last = count - 1;
            final long id = snapshot.blockId(last);
            final MessageBlock tail = StreamRecovery.openForScan(
                directory, id, snapshot.blockBaseSeq(last), ids.length == count, metrics, crypto);
            opened.add(tail);
            final long headerBaseSeq = tail.buffer().getLong(BlockDescriptor.BASE_SEQ_OFFSET);
            if (headerBaseSeq != tail.baseSeq())
            {
                // The tail's table and removed set would be placed by a number only a damaged or forged state.db gets
                // wrong: the header's is the one its records were written under.
                return "state.db gives " + tail.file() + " base sequence " + tail.baseSeq() + " where its header " +
                    "says " + headerBaseSeq;
            }
            final int writeOffset = snapshot.blockWriteOffset(last);
            if (writeOffset < BlockDescriptor.DATA_OFFSET || writeOffset > tail.limit() ||
                (writeOffset > BlockDescriptor.DATA_OFFSET &&
                    tail.buffer().getInt(writeOffset - CHECKSUM_LENGTH) != snapshot.blockLastChecksum(last)))
            {
                return "the last checksum in state.db does not match the tail of " + tail.file() + " at offset " +
                    writeOffset;
            }
            index.blockIndex().add(snapshot.buffer(), snapshot.blockEntryOffset(last));
            snapshot.restoreDeleted(tail, last);
            scan(tail, last, writeOffset, ids.length == count, snapshot.blockLastSeq(last));
            if (damageBeforeReplayPoint)
            {
                return "block " + tail.file() + " is damaged inside the range state.db covers";
            }
            if (tail.writeOffset() < writeOffset && tail.buffer().getLong(tail.writeOffset()) == 0)
            {
                // Zeros where the state says records are: the scan stopped there, and the records after them need
                // a scan that looks past zeros. (An erased last record also ends the scan early, but on its header.)
                return "block " + tail.file() + " ends at offset " + tail.writeOffset() + ", before the end of data " +
                    "state.db recorded for it (" + writeOffset + ")";
            }
        }
        for (int i = count; i < ids.length; i++)
        {
            scanNew(ids[i], i == ids.length - 1);
        }
        settle();
        return null;
    }

    /**
     * Scan every block file, then hold the result to what state.db proves, if one could be read: its removals stay
     * removed (their tombstones may have been in what was lost), and its last sequence and blocks are accounted for;
     * so do the removals an interrupted truncation recorded ({@link TruncationRemovalsFile}).
     */
    void fromBlocks(final long[] ids)
    {
        probeListedTail = true;
        for (int i = 0; i < ids.length; i++)
        {
            scanNew(ids[i], i == ids.length - 1);
        }
        evidence.forEachRemovedRun(removals::applyRecorded);
        // A truncation that crashed before the tombstones it cut were written again recorded their removals here.
        TruncationRemovalsFile.forEachRun(directory, removals::applyRecorded);
        settle();
    }

    /**
     * After the last surviving block: blocks the state lists beyond it are lost, and so is everything between the last
     * sequence the blocks hold and the last the state recorded. Damage at the end of the last block, whose extent was
     * open, ends at that proven last sequence; without proof of more it runs to the end (nothing after it was
     * durable, and the sequences are assigned again).
     */
    private void settle()
    {
        final MessageBlock last = index.lastBlock();
        // What the records (and tombstone headers, which carry the stream's last sequence when written) made the
        // stream's last, and what the last block's header proves: appends continue above it without help.
        final long blocksLast = Math.max(index.lastSeq(), null == last ? 0 : last.baseSeq() - 1);
        lastSeq = Math.max(lastSeq, index.lastSeq());
        final long floor = Math.max(lastSeq, evidence.lastSeq());
        account(missing.between(null == last ? MissingBlocks.NO_BLOCK : last.id(), lastSeq,
            MissingBlocks.NO_NEXT_BLOCK, floor));
        if (floor > lastSeq && lost.hasOpen())
        {
            lost.closeOpen(floor);
        }
        else if (floor > lastSeq)
        {
            final int listed = null == last ? -1 : evidence.positionOf(last.id());
            final int end = null == last ? 0 : last.writeOffset();
            lost.add(new LostRange(null == last ? directory.blocksDir() : last.file(), end,
                listed < 0 ? end : Math.max(end, evidence.writeOffset(listed)), lastSeq + 1, floor, Kind.BEHIND_STATE));
        }
        lost.closeOpen(StoreException.UNKNOWN);
        lastSeq = Math.max(lastSeq, floor);
        // Proven assigned: the state's last sequence, and every sequence reported lost with a known end. (Not the
        // scan's own high-water mark: a block entry may name a torn record's sequence, which is assigned again.)
        final long proven = Math.max(evidence.lastSeq(), lost.lastKnownSeq());
        if (proven > blocksLast)
        {
            sequenceFloor = proven;
        }
    }

    /**
     * Report block files proven lost (see {@link MissingBlocks}); damage left open before them ends where they begin.
     */
    private void account(final List<LostRange> gone)
    {
        if (gone.isEmpty())
        {
            return;
        }
        final long first = MissingBlocks.firstSeq(gone);
        if (first != StoreException.UNKNOWN)
        {
            lost.closeOpen(first - 1);
        }
        for (final LostRange range : gone)
        {
            lost.add(range);
        }
        lastSeq = MissingBlocks.lastSeq(gone, lastSeq);
    }

    private void scanNew(final long id, final boolean isLast)
    {
        final MessageBlock newBlock = StreamRecovery.openForScan(directory, id, -1, isLast, metrics, crypto);
        opened.add(newBlock);
        checkPreviousTail(newBlock);
        final int newSlot = index.blockIndex().add(id, newBlock.baseSeq(), BlockDescriptor.DATA_OFFSET);
        scan(newBlock, newSlot, BlockDescriptor.DATA_OFFSET, isLast, Math.max(lastSeq, newBlock.baseSeq() - 1));
    }

    /**
     * A block's header records the stream's last sequence when it was created: if the previous block, as scanned, ends
     * below that, power loss took that block's unforced tail, and exactly those sequences are reported lost. Block ids
     * absent before it (a gap, or before the first block) are blocks the reclaimer deleted or blocks lost: the proof
     * is of theirs, and {@link MissingBlocks} tells which.
     */
    private void checkPreviousTail(final MessageBlock next)
    {
        final MessageBlock previous = index.lastBlock();
        final long provenLast = next.buffer().getLong(BlockDescriptor.PREV_LAST_SEQ_OFFSET);
        if (null == previous || next.id() != previous.id() + 1)
        {
            account(missing.between(null == previous ? MissingBlocks.NO_BLOCK : previous.id(), lastSeq, next.id(),
                provenLast));
            return;
        }
        if (null != previous && provenLast > lastSeq && lost.hasOpen())
        {
            // Damage at the end of the previous block already claims these sequences: now their last one is known.
            lost.closeOpen(provenLast);
            lastSeq = provenLast;
        }
        else if (null != previous && provenLast > lastSeq)
        {
            lost.add(new LostRange(previous.file(), previous.writeOffset(), previous.limit(), lastSeq + 1, provenLast,
                Kind.TORN_TAIL));
            lastSeq = provenLast;
        }
    }

    private void scan(final MessageBlock target, final int targetSlot, final int from, final boolean isLast,
        final long seqBefore)
    {
        blockScan.begin(target.file(), from, isLast, BlockScan.NO_PROGRESS)
            .wrap(target.buffer(), target.mapped(), target.limit(), target.isEncrypted())
            .blockBase(target.baseSeq());
        block = target;
        slot = targetSlot;
        table = new SequenceTable(target.baseSeq());
        summary = new BlockSubjects(from > BlockDescriptor.DATA_OFFSET);
        target.contents().subjects(summary);
        target.holdsTombstones(false);
        removals.startBlock();
        if (lost.hasOpen() && target.baseSeq() - 1 >= lastSeq)
        {
            lost.closeOpen(target.baseSeq() - 1);
        }
        lastSeq = Math.max(lastSeq, target.baseSeq() - 1);
        final int listed = evidence.positionOf(target.id());
        gaps = listed >= 0 && evidence.baseSeq(listed) == target.baseSeq() ?
            new SequenceGaps(target.baseSeq(), evidence.blockLastSeq(listed), evidence::removed) : null;
        final long scanAfter = from == BlockDescriptor.DATA_OFFSET ? lastSeq : target.baseSeq() - 1;
        // A block that is not the last was filled and left: zeros inside it followed by records are damage, so its
        // scan probes past them (only up to its own end). The last block's zero tail is where appends continue,
        // unless state.db lists it: then zeros followed by records are damage there too.
        final boolean probe = !isLast || probeListedTail && listed >= 0;
        final int end = blockScan.scan(scanAfter, probe, this);
        final long truncatedSize = target.truncatedSize() >= 0 ?
            target.truncatedSize() : truncatedBefore.getOrDefault(target.file(), -1L);
        if (truncatedSize >= 0)
        {
            // Whatever the block held past the cut is gone: the sequences after its last valid record, up to the next
            // block's base (or, for the last block, to the end of the stream).
            lost.addOpen(new LostRange(target.file(), truncatedSize,
                Math.max(truncatedSize, target.buffer().getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET)), lastSeq + 1,
                StoreException.UNKNOWN, Kind.TRUNCATED_FILE));
        }
        if (null != gaps)
        {
            gaps.onEnd(end, truncatedSize >= 0 || end < evidence.writeOffset(listed));
            if (gaps.messagesMissing(evidence.msgs(listed)))
            {
                reportCut(target);
            }
        }
        // In the last block, the latest damaged record whose header verified: when nothing valid follows it, the
        // block keeps that frame, and its data (and the next append) continue after it.
        final int keptEnd = isLast ? blockScan.damagedRecordEnd() : 0;
        if (keptEnd > end)
        {
            keepDamagedLastRecord(keptEnd, blockScan.damagedRecordSeq());
        }
        target.recovered(table, Math.max(end, keptEnd));
        if (target.isEncrypted() && from == BlockDescriptor.DATA_OFFSET)
        {
            checkFooter(target, end);
        }
        lastSeq = Math.max(lastSeq, seqBefore);
        index.addBlock(target);
        removals.applyBlock();
        blocksScanned++;
        bytesScanned += end - BlockDescriptor.DATA_OFFSET;
        metrics.onBlockBytesRead(end - BlockDescriptor.DATA_OFFSET);
    }

    @Override
    public void onRecord(
        final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
        final int checksum)
    {
        final boolean replaying = offset >= blockScan.replayFrom();
        // Messages are authenticated here only where they are replayed (elsewhere on first read); skips always, since
        // a message forged into a skip would otherwise vanish without a trace.
        final DirectBuffer subjectSource = replaying && (type == TYPE_MESSAGE || type == TYPE_DELETE) ||
            type == TYPE_SKIP ? subjectSource(buffer, offset, seq) : buffer;
        if (null != gaps && type == TYPE_DELETE && null == subjectSource)
        {
            // A tombstone's header sequence is the stream's last when it was written, not one it held.
            gaps.onDamage();
        }
        else if (null != gaps && type != TYPE_DELETE)
        {
            gaps.onRecord(seq, offset, type == TYPE_MESSAGE || null == subjectSource);
        }
        if (null == subjectSource)
        {
            blockScan.reject(offset, offset + frameLength, seq);
            damage(offset, offset + frameLength, seq, false);
            return;
        }
        if (type == TYPE_DELETE)
        {
            onTombstone(subjectSource == buffer ? offset : 0, subjectSource, replaying, offset + frameLength, checksum,
                seq);
            return;
        }
        lost.closeOpen(seq - 1);
        if (type == TYPE_MESSAGE && !block.contents().deleted().contains(seq))
        {
            table.put(seq, offset);
        }
        if (replaying)
        {
            final int end = offset + frameLength;
            if (type == TYPE_MESSAGE)
            {
                final int subjectAt = subjectSource == buffer ? RecordDescriptor.subjectOffset(offset) :
                    RecordDescriptor.HEADER_LENGTH;
                final int subjectLength = buffer.getShort(offset + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
                final int messageBytes = subjectLength + buffer.getInt(offset + HEADERS_LENGTH_OFFSET) +
                    buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET);
                final long timestamp = buffer.getLong(offset + TIMESTAMP_OFFSET);
                index.blockIndex().onMessage(slot, seq, timestamp, messageBytes, end, checksum);
                index.onMessage(seq, timestamp, messageBytes);
                final SubjectIndex.Entry entry = index.subjects().entryFor(
                    subjectSource.getStringWithoutLengthAscii(subjectAt, subjectLength));
                index.subjects().onMessage(entry, seq);
                summary.onMessage(entry, seq);
            }
            else
            {
                index.blockIndex().onSkip(slot, seq, end, checksum);
                index.onSkip(seq);
            }
            replayedRecords += countReplays ? 1 : 0;
        }
        lastSeq = Math.max(lastSeq, seq);
    }

    /**
     * A tombstone: its removals are applied once the block is in the index (they name only sequences up to it).
     *
     * @param at where the record starts in {@code source}: the block, or the decrypted copy.
     */
    private void onTombstone(
        final int at, final DirectBuffer source, final boolean replaying, final int end, final int checksum,
        final long headerSeq)
    {
        block.holdsTombstones(true);
        if (!replaying)
        {
            return;
        }
        final int body = RecordDescriptor.payloadOffset(at, 0, 0);
        removals.onTombstone(source.getLong(body + TOMBSTONE_FROM_OFFSET), source.getLong(body + TOMBSTONE_TO_OFFSET),
            source.getLong(body + RecordDescriptor.TOMBSTONE_FLAGS_OFFSET));
        index.blockIndex().onTombstone(slot, end, checksum);
        if (headerSeq > index.lastSeq())
        {
            // The stream had reached this sequence when the tombstone was written, even if the record that held it
            // was erased since and no longer verifies.
            index.onSkip(headerSeq);
        }
        replayedRecords += countReplays ? 1 : 0;
    }

    private void checkFooter(final MessageBlock target, final int end)
    {
        final LostRange tampered = footerCheck.check(target, end, blockScan.damageEnd(), Math.max(0, lastSeq),
            blockScan.isLast());
        if (null != tampered)
        {
            lost.add(tampered);
        }
    }

    /**
     * @return where the record's subject can be read: the block itself, or for an encrypted block the authenticated
     * plaintext (subject at {@link RecordDescriptor#HEADER_LENGTH}); null when the body does not authenticate.
     */
    private DirectBuffer subjectSource(final UnsafeBuffer buffer, final int offset, final long seq)
    {
        if (!block.isEncrypted())
        {
            return buffer;
        }
        try
        {
            return cipher.open(block.key(), block.mapped(), buffer, offset, seq, block.file());
        }
        catch (final CorruptRecordException ex)
        {
            return null;
        }
    }

    @Override
    public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
    {
        if (null != gaps && knownSeq > 0)
        {
            gaps.onRecord(knownSeq, fromOffset, true);
        }
        else if (null != gaps)
        {
            gaps.onDamage();
        }
        damage(fromOffset, toOffset, knownSeq, tail);
    }

    /**
     * Bytes that held no verifiable record, found by the scanner or by authentication.
     */
    private void damage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
    {
        // The scan noted its end (and, with a known sequence, that it may be kept: see keepDamagedLastRecord()).
        final boolean lastBlock = blockScan.isLast();
        final int replayFrom = blockScan.replayFrom();
        if (knownSeq > 0 && fromOffset >= replayFrom)
        {
            // The block held this sequence (an erased or damaged message): its entry must say so, or a rewrite of the
            // block would no longer prove it and the next block's header would claim it lost.
            index.blockIndex().raiseLastSeq(slot, knownSeq);
        }
        if (knownSeq > 0 && block.contents().deleted().contains(knownSeq))
        {
            // An erased message, removed before the state was written: its bytes were overwritten on purpose.
            lost.closeOpen(knownSeq - 1);
            lastSeq = Math.max(lastSeq, knownSeq);
            return;
        }
        lost.closeOpen(knownSeq > 0 ? knownSeq - 1 : StoreException.UNKNOWN);
        damagedTail |= lastBlock && !tail;
        if (fromOffset < replayFrom)
        {
            damageBeforeReplayPoint = true;
        }
        if (tail && lastBlock && knownSeq > 0)
        {
            onTornRecord(fromOffset, toOffset, knownSeq);
            return;
        }
        if (tail && lastBlock)
        {
            final long first = lastSeq + 1;
            // Open: state.db may prove how far the stream had got (see settle()).
            lost.addOpen(new LostRange(block.file(), fromOffset, toOffset, first, StoreException.UNKNOWN,
                Kind.TORN_TAIL));
            // Zeroed only in finish(): if this replay is abandoned, the one that takes over must find the tail too.
            tornTail = block;
            tornFrom = fromOffset;
            tornTo = toOffset;
            return;
        }
        if (knownSeq > 0)
        {
            lost.add(new LostRange(block.file(), fromOffset, toOffset, knownSeq, knownSeq, Kind.DAMAGED_RECORD));
            lastSeq = Math.max(lastSeq, knownSeq);
            return;
        }
        lost.addOpen(new LostRange(block.file(), fromOffset, toOffset, lastSeq + 1, StoreException.UNKNOWN,
            Kind.DAMAGED_REGION));
    }

    /**
     * The scan of a block state.db lists accounts for fewer live messages than the state counted, and no damage holds
     * the rest: whole records were cut out, and the records after the cut moved up to where it began. Each gap the
     * state's removals do not explain may be the cut, so each is reported lost, at the offset of the record after it
     * (an appendAt gap reported with it held no message; it is marked removed like the rest).
     */
    private void reportCut(final MessageBlock target)
    {
        gaps.forEachUnexplained((first, last, offset) ->
            lost.add(new LostRange(target.file(), offset, offset, first, last, Kind.DAMAGED_REGION)));
    }

    /**
     * The last record of the last block, torn, with a header that verified: its sequence was assigned (an append
     * returned it, though no force covered it), so it is reported lost from the sequence after the last valid one,
     * and stays taken ({@link #keepDamagedLastRecord()}).
     */
    private void onTornRecord(final int fromOffset, final int toOffset, final long knownSeq)
    {
        lost.add(new LostRange(block.file(), fromOffset, toOffset, Math.min(lastSeq + 1, knownSeq), knownSeq,
            Kind.TORN_TAIL));
        lastSeq = Math.max(lastSeq, knownSeq);
    }

    /**
     * The last block's data ends in a damaged record whose header verified (torn by a power cut, or followed only by
     * bytes the scan does not reach): its sequence was assigned, so it stays taken. The stream's last sequence and the
     * block entry (and so, in an encrypted stream, the footer written when the block is sealed) reach it, and the
     * next append gets the sequence after it. Reusing it would give one sequence to two messages, with the block
     * entry already claiming it for the old one, and in an encrypted block would seal a second plaintext under the
     * nonce the damaged record used.
     * <p>
     * The frame is kept, not zeroed: its verified header is the on-disk proof that the sequence was taken, so a later
     * rebuild finds it again (a {@code DAMAGED_RECORD}, or an erased record once the state marks it removed) instead
     * of a gap the next append would fill. Appends continue after it.
     */
    private void keepDamagedLastRecord(final int keptEnd, final long keptSeq)
    {
        if (keptEnd > blockScan.replayFrom())
        {
            index.blockIndex().onSkip(slot, keptSeq, keptEnd, block.buffer().getInt(keptEnd - CHECKSUM_LENGTH));
        }
        if (index.lastSeq() < keptSeq)
        {
            index.onSkip(keptSeq);
        }
        lastSeq = Math.max(lastSeq, keptSeq);
    }

    long replayedRecords()
    {
        return replayedRecords;
    }

    int blocksScanned()
    {
        return blocksScanned;
    }

    long bytesScanned()
    {
        return bytesScanned;
    }

    /**
     * @return the losses found, less the erased messages: a record that no longer verifies because a later tombstone
     * erased it was removed on purpose.
     */
    List<LostRange> lost()
    {
        if (null != reported)
        {
            return reported;
        }
        final List<LostRange> real = new ArrayList<>();
        for (final LostRange range : lost.list())
        {
            if (!removals.isErased(range))
            {
                real.add(range);
            }
        }
        return real;
    }

    /**
     * Give up on this replay: release the channels it opened.
     *
     * @return the block files it found shorter than their headers claim, with their sizes then, for the replay that
     * takes over to report.
     */
    Map<Path, Long> abandon()
    {
        final Map<Path, Long> truncated = new HashMap<>(truncatedBefore);
        for (final MessageBlock opening : opened)
        {
            opening.durability().releaseChannel();
            if (opening.truncatedSize() >= 0)
            {
                truncated.put(opening.file(), opening.truncatedSize());
            }
        }
        return truncated;
    }

    /**
     * Zero the torn tail found (nothing was zeroed while scanning, so an abandoned replay changes no block) and
     * publish.
     *
     * @param provenAside the highest sequence block files set aside prove the stream had assigned, 0 when none: the
     *                    stream's last sequence is raised to it, like to a floor state.db proves.
     * @return the index, published; every block but the last has released its channel.
     */
    StreamIndex finish(final long provenAside)
    {
        // Taken before the losses are marked removed: afterwards every lost record would look erased.
        reported = lost();
        removals.markRemoved(reported);
        if (null != tornTail)
        {
            tornTail.truncateTo(tornFrom, tornTo);
        }
        final MessageBlock[] blocks = index.blocks();
        for (int i = 0; i < blocks.length - 1; i++)
        {
            blocks[i].durability().releaseChannel();
        }
        StaleTail.erase(index.lastBlock(), directory.storageIO(), metrics);
        // A last block none of whose records survived (a power cut dropped its pages) still begins at its base
        // sequence: appends continue in it, so the stream's last sequence must reach at least base - 1.
        final MessageBlock tail = index.lastBlock();
        if (null != tail && index.lastSeq() < tail.baseSeq() - 1)
        {
            index.onSkip(tail.baseSeq() - 1);
        }
        // What state.db or a lost block proved beyond the surviving blocks: never assigned again. New blocks never
        // take the id of a block the state lists, even a lost one.
        if (index.lastSeq() < sequenceFloor)
        {
            index.onSkip(sequenceFloor);
        }
        survivingLastSeq = index.lastSeq();
        if (provenAside > survivingLastSeq)
        {
            // Files set aside after a lost roll prove these were assigned: they are reported lost up to here, never
            // handed out again, and only the new block the store bases above the floor remembers it.
            sequenceFloor = provenAside;
            index.onSkip(provenAside);
        }
        index.nextBlockId(Math.max(index.nextBlockId(), evidence.nextBlockId()));
        index.publish();
        return index;
    }

    /**
     * @return whether the last block holds damage that valid records follow: appends must go to a new block, so the
     * damaged one is sealed (read lazily, its lost sequences removed) instead of scanned again on every open.
     */
    boolean damagedTail()
    {
        return damagedTail;
    }

    /**
     * @return the stream's last sequence as the surviving blocks and state.db account for it, before files set aside
     * raised it ({@link #finish(long)}): what they are reported lost after.
     */
    long survivingLastSeq()
    {
        return survivingLastSeq;
    }

    /**
     * @return the last sequence recovery raised the stream to above everything its blocks hold, else 0: the store must
     * record it in a block before anything else can forget it.
     */
    long sequenceFloor()
    {
        return sequenceFloor;
    }

    /**
     * @return whether the index counts removed a record no surviving tombstone names (see
     * {@link RemovalReplay#untombstonedRemovals()}).
     */
    boolean untombstonedRemovals()
    {
        return removals.untombstonedRemovals();
    }

    /**
     * @return the erasures begun by replayed tombstones whose message bytes are still there.
     */
    List<UnfinishedErasure> unfinishedErasures()
    {
        return removals.unfinishedErasures();
    }

    BlockIndex blockIndex()
    {
        return index.blockIndex();
    }
}
