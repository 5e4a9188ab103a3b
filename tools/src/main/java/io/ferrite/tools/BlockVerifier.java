package io.ferrite.tools;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.BlockKey;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockScan;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.RecordScanner;
import io.ferrite.format.TombstoneEpochSlots;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.StreamConfig;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;

/**
 * Checks every record of one block file with the engine's {@link RecordScanner}, walked by a {@link BlockScan} as
 * recovery walks it, probing zero runs too ({@code probeZeroTail}), so damage that zeroed a record's first word is
 * found rather than taken for the end.
 * <p>
 * In an encrypted stream, records must be sealed like their block (the scanner rejects a plaintext message forged
 * into an encrypted block), and the block's last {@link BlockFooterCodec#FOOTER_LENGTH} bytes are its footer, not
 * records. With the stream's key, every message body is also authenticated with the engine's {@link RecordCipher}
 * (its AES-GCM tag, and the timestamp against its authenticated copy) — decrypted into a scratch buffer that nothing
 * reads — and the footer's MAC verified; without it only checksums are checked, and the footer's fields compared as
 * they stand.
 * <p>
 * Tombstones ({@link RecordDescriptor#TYPE_DELETE}) are read (and, with the key, authenticated like any record body)
 * and handed to {@link Removals}. A message whose header verifies but whose body checksum does not is what
 * {@code erase} leaves on purpose, so it is not reported here: {@link Removals} decides at the end of the stream, when
 * every tombstone has been seen, whether it was erased or is damage.
 * <p>
 * Read-only by construction: the file is opened {@code READ} and mapped {@code READ_ONLY}, never past its end (the
 * size is checked first), and unmapped as soon as the block is done so 10,000 blocks do not pin 80 GiB of address
 * space. No lock is taken: on a stream that is being appended to, the active block's last record may be caught
 * mid-write and show as a torn tail.
 * <p>
 * Not thread-safe: one instance per verification, reused block after block; what it keeps per block is the
 * {@link BlockScan}'s, started afresh by one call.
 */
final class BlockVerifier implements RecordScanner.Visitor
{
    /** The block being checked: its mapping and what its records showed so far, started afresh per block. */
    private final BlockScan scan = new BlockScan();
    private final DamageLog log;
    private final Removals removals;
    private final boolean encryptedStream;
    /** Null when no key was given: tags and footer MACs are not checked. */
    private final StreamKey key;
    private final RecordCipher cipher;
    private final BlockFooterCodec footerCodec;
    /** The key of the block whose records are being walked, when they are authenticated; else null. */
    private BlockKey blockKey;

    /**
     * @param encryptedStream whether stream.json says the stream is encrypted.
     * @param key             the unlocked stream, or null.
     */
    BlockVerifier(final DamageLog log, final Removals removals, final boolean encryptedStream, final StreamKey key)
    {
        this.log = log;
        this.removals = removals;
        this.encryptedStream = encryptedStream;
        this.key = key;
        this.cipher = null == key ? null : new RecordCipher();
        this.footerCodec = encryptedStream ? new BlockFooterCodec() : null;
    }

    /**
     * @param expected the block as state.db records it, or null when state.db does not list it.
     * @param sealed   whether the block is sealed (not the newest): an encrypted one should carry a footer.
     * @param progress told how far into the file the scan is.
     */
    BlockCheck verify(
        final Path file, final long id, final BlockSummary expected, final boolean sealed, final LongConsumer progress)
        throws IOException
    {
        final long expectedEnd = null == expected || expected.isEmpty() ? -1 : expected.writeOffset();
        final int expectedChecksum = null == expected ? 0 : expected.lastChecksum();
        scan.begin(file, BlockDescriptor.DATA_OFFSET, !sealed, progress).expectTail(expectedEnd, expectedChecksum);
        final int damagesBefore = log.size();
        final long size;
        final FooterCheck footer;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            size = channel.size();
            footer = scanFile(channel, size, id);
        }
        if (expectedEnd > 0 && !scan.expectedTailFound() && log.size() == damagesBefore)
        {
            log.add(new DamagedRange(file, Math.max(0, expectedEnd - RecordDescriptor.CHECKSUM_LENGTH), expectedEnd,
                expected.lastSeq(), expected.lastSeq(), DamageKind.STATE_MISMATCH, "state.db: records end at offset " +
                expectedEnd + " with checksum " + Units.checksum(expectedChecksum) + "; the file's valid records end " +
                "at " + scan.validEnd()));
        }
        progress.accept(size);
        return new BlockCheck(file, id, size, scan.messages(), scan.skips(), scan.tombstones(), 0, scan.firstSeq(),
            scan.lastSeq(), scan.validEnd(), log.size() - damagesBefore, scan.authenticatedCount(),
            null == footer ? null : footer.status());
    }

    /**
     * @return the block's footer as checked, or null when it has none to check.
     */
    private FooterCheck scanFile(final FileChannel channel, final long size, final long id) throws IOException
    {
        final Path file = scan.file();
        if (size < BlockDescriptor.HEADER_LENGTH)
        {
            log.add(new DamagedRange(file, 0, size, DamagedRange.UNKNOWN, DamagedRange.UNKNOWN, DamageKind.BAD_HEADER,
                "the file is " + size + " bytes, shorter than a block header"));
            return null;
        }
        final ByteBuffer headerBytes =
            ByteBuffer.allocate(BlockDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, headerBytes);
        final BlockHeaderReport header = BlockHeaderReport.of(headerBytes, id);
        if (header.trusted() && !header.supportedVersion())
        {
            throw ToolException.error(file + " has block format version " + header.version() + " but this build " +
                "reads versions " + BlockDescriptor.VERSION_WITHOUT_EPOCH_SLOTS + " and " + BlockDescriptor.VERSION +
                " — use the ferrite build that wrote the stream");
        }
        for (final int slot : header.damagedEpochSlots())
        {
            final int at = TombstoneEpochSlots.offset(slot);
            log.add(new DamagedRange(file, at, at + BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH, DamagedRange.NONE,
                DamagedRange.NONE, DamageKind.BAD_EPOCH_SLOT, "slot " + slot + (header.damagedEpochSlots().size() ==
                BlockDescriptor.TOMBSTONE_EPOCH_SLOT_COUNT ? "; with both slots damaged, the engine refuses a " +
                "removal that would have to go into this block under a new tombstone epoch (an encrypted tail on a " +
                "full disk)" : "; the engine rewrites it before it next starts a tombstone epoch in this block")));
        }
        if (null != header.problem())
        {
            log.add(new DamagedRange(file, header.offset(), BlockDescriptor.HEADER_LENGTH, DamagedRange.UNKNOWN,
                DamagedRange.UNKNOWN, DamageKind.BAD_HEADER, header.problem() +
                (!header.trusted() && null != key ? "; without a trusted header the block's key is unknown, so its " +
                    "record tags and footer were not checked" : "")));
        }
        if (header.trusted() && header.encrypted() != encryptedStream)
        {
            log.add(new DamagedRange(file, BlockDescriptor.FLAGS_OFFSET, BlockDescriptor.HEADER_LENGTH,
                DamagedRange.UNKNOWN, DamagedRange.UNKNOWN, DamageKind.BAD_HEADER, header.encrypted() ?
                "the header says the block is encrypted but stream.json says the stream is not; its records were " +
                    "not checked" :
                "the header says the block is plaintext but stream.json says the stream is encrypted; its records " +
                    "were not checked"));
            return null;
        }
        final BlockKey recordKey = header.trusted() && null != key ? blockKey(header) : null;
        final long mappable;
        final long recordLimit;
        if (header.trusted())
        {
            log.onBlockStart(header.baseSeq());
            if (size < header.declaredLength())
            {
                log.add(new DamagedRange(file, size, header.declaredLength(), DamagedRange.UNKNOWN,
                    DamagedRange.UNKNOWN, DamageKind.TRUNCATED_FILE,
                    "the file is " + size + " bytes, its header declares " + header.declaredLength()));
            }
            mappable = Math.min(size, header.declaredLength());
            recordLimit = encryptedStream && header.footerOffset() > 0 ?
                Math.min(mappable, header.footerOffset()) : mappable;
        }
        else
        {
            mappable = Math.min(size, StreamConfig.BLOCK_SIZE_MAX);
            recordLimit = mappable;
        }
        final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, mappable);
        try
        {
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            blockKey = recordKey;
            final int damagesBefore = log.size();
            final long afterSeq = header.trusted() ? Math.max(log.lastSeq(), header.baseSeq() - 1) : log.lastSeq();
            scan.wrap(new UnsafeBuffer(mapped), mapped, (int)recordLimit, encryptedStream).scan(afterSeq, true, this);
            if (encryptedStream && header.trusted() && (null == key || null != recordKey))
            {
                return checkFooter(mapped, header, id, size, log.size() == damagesBefore);
            }
            return null;
        }
        finally
        {
            blockKey = null;
            if (null != cipher)
            {
                cipher.release();
            }
            scan.release();
            IoUtil.unmap(mapped);
        }
    }

    /**
     * @return the block's key under this stream's key, or null (reported) when the header names another key: its
     * records' tags cannot be checked.
     */
    private BlockKey blockKey(final BlockHeaderReport header)
    {
        final BlockKey blockKey = key.blockKey(header.salt());
        if (blockKey.keyId() != header.keyId())
        {
            log.add(new DamagedRange(scan.file(), BlockDescriptor.KEY_ID_OFFSET,
                BlockDescriptor.KEY_ID_OFFSET + Long.BYTES,
                DamagedRange.UNKNOWN, DamagedRange.UNKNOWN, DamageKind.BAD_HEADER, "the header names block key " +
                BlockKey.keyIdHex(header.keyId()) + " but its salt under this stream's key gives " +
                BlockKey.keyIdHex(blockKey.keyId()) + ": the header was altered or the block belongs to another " +
                "stream; its record tags and footer were not checked"));
            return null;
        }
        return blockKey;
    }

    /**
     * The footer of an encrypted block: authentic (with the key), well formed, and in agreement with the records the
     * scan found — unless the scan found damage, which explains any disagreement already.
     *
     * @return the footer as checked, or null when there is none to check or an unsealed block has none.
     */
    private FooterCheck checkFooter(
        final MappedByteBuffer mapped, final BlockHeaderReport header, final long id, final long size,
        final boolean recordsClean)
    {
        final long at = header.footerOffset();
        if (at < 0 || size < at + BlockFooterCodec.FOOTER_LENGTH)
        {
            return null;
        }
        final FooterCheck found = FooterCheck.of(mapped.duplicate().clear(), (int)at, at, header, id, blockKey,
            footerCodec);
        // The footer counts the messages still stored when the block was sealed: fewer than it holds when some were
        // removed before that, never more. A block's last sequence is at least the one before its base.
        final int writtenEnd = scan.writtenEnd();
        final FooterCheck footer = recordsClean ? found.against("the block's records", new FooterCheck.Expected(null,
            Math.max(header.baseSeq() - 1, scan.writtenLastSeq()), scan.writtenMessages(), null, writtenEnd,
            writtenEnd == BlockDescriptor.DATA_OFFSET ? null : scan.writtenLastChecksum(),
            FooterCheck.Removed.BY_FOOTER)) : found;
        if (footer.isProblem())
        {
            log.add(new DamagedRange(scan.file(), at, at + BlockFooterCodec.FOOTER_LENGTH, DamagedRange.NONE,
                DamagedRange.NONE, footer.status() == FooterCheck.Status.TAMPERED ? DamageKind.TAMPERED_FOOTER :
                DamageKind.BAD_FOOTER, footer.status() == FooterCheck.Status.TAMPERED ? "" : footer.problem()));
        }
        else if (footer.status() == FooterCheck.Status.NONE && scan.isLast())
        {
            return null;
        }
        return footer;
    }

    private static void readFully(final FileChannel channel, final ByteBuffer into) throws IOException
    {
        while (into.hasRemaining())
        {
            if (channel.read(into, into.position()) < 0)
            {
                throw new EOFException("block header ended early");
            }
        }
    }

    @Override
    public void onRecord(
        final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
        final int checksum)
    {
        if (type == RecordDescriptor.TYPE_DELETE)
        {
            onTombstone(buffer, offset, frameLength, seq);
            return;
        }
        log.onRecord(seq);
        if (type == RecordDescriptor.TYPE_MESSAGE && null != blockKey)
        {
            try
            {
                cipher.open(blockKey, scan.mapped(), buffer, offset, seq, scan.file());
                scan.authenticated();
            }
            catch (final CorruptRecordException ex)
            {
                scan.reject(offset, offset + frameLength, seq);
                log.add(new DamagedRange(scan.file(), offset, offset + frameLength, seq, seq,
                    DamageKind.TAMPERED_RECORD,
                    ex.getMessage().contains("timestamp") ? "its timestamp differs from the authenticated copy" : ""));
            }
        }
    }

    /**
     * A tombstone whose checksums verified: authenticated and read with the key, read as it stands in a plaintext
     * block, counted but not read in an encrypted one without the key.
     */
    private void onTombstone(final UnsafeBuffer buffer, final int offset, final int frameLength, final long seq)
    {
        log.onTombstone(seq);
        final Path file = scan.file();
        final Tombstone tombstone;
        final String problem;
        if (null != blockKey)
        {
            final DirectBuffer plain;
            try
            {
                plain = cipher.open(blockKey, scan.mapped(), buffer, offset, seq, file);
            }
            catch (final CorruptRecordException ex)
            {
                scan.reject(offset, offset + frameLength, 0);
                log.add(new DamagedRange(file, offset, offset + frameLength, DamagedRange.NONE, DamagedRange.NONE,
                    DamageKind.TAMPERED_RECORD, "a tombstone" + (ex.getMessage().contains("timestamp") ?
                    "; its timestamp differs from the authenticated copy" : "")));
                return;
            }
            problem = Tombstone.problem(plain, 0);
            tombstone = null == problem ? Tombstone.read(plain, 0, file, offset) : null;
        }
        else if (encryptedStream)
        {
            problem = null;
            tombstone = Tombstone.sealed(buffer, offset, file);
        }
        else
        {
            problem = Tombstone.problem(buffer, offset);
            tombstone = null == problem ? Tombstone.read(buffer, offset, file, offset) : null;
        }
        if (null == tombstone)
        {
            scan.reject(offset, offset + frameLength, 0);
            log.add(new DamagedRange(file, offset, offset + frameLength, DamagedRange.NONE, DamagedRange.NONE,
                DamageKind.BAD_TOMBSTONE, problem));
            return;
        }
        removals.onTombstone(tombstone);
    }

    @Override
    public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
    {
        final UnsafeBuffer block = scan.buffer();
        if (scan.isTombstoneHeader(fromOffset, toOffset))
        {
            // Its header sequence is the stream's last one when it was written, not one it held: it lost no message.
            log.onTombstone(block.getLong(fromOffset + RecordDescriptor.SEQUENCE_OFFSET));
            log.add(new DamagedRange(scan.file(), fromOffset, toOffset, DamagedRange.NONE, DamagedRange.NONE,
                tail ? DamageKind.TORN_TAIL : DamageKind.DAMAGED_TOMBSTONE, tail ? "a tombstone" : ""));
            return;
        }
        if (knownSeq <= 0 || block.getByte(fromOffset + RecordDescriptor.TYPE_OFFSET) != RecordDescriptor.TYPE_MESSAGE)
        {
            log.onScanDamage(scan.file(), fromOffset, toOffset, knownSeq, tail);
            return;
        }
        // A message whose header verified, so its length and the checksum the writer stored at its end are as
        // written: erased, or damaged — which only the tombstones after it can tell.
        log.onDeferred(knownSeq);
        removals.onUnreadableBody(new DamagedRange(scan.file(), fromOffset, toOffset, knownSeq, knownSeq,
            tail ? DamageKind.TORN_TAIL : DamageKind.DAMAGED_RECORD, ""), isZeroBody(block, fromOffset, toOffset));
    }

    /**
     * @return whether every byte between the record's header and its checksum is zero: the mark {@code erase} leaves.
     */
    private static boolean isZeroBody(final UnsafeBuffer block, final int fromOffset, final int toOffset)
    {
        final int end = toOffset - RecordDescriptor.CHECKSUM_LENGTH;
        int at = fromOffset + RecordDescriptor.HEADER_LENGTH;
        for (; at + Long.BYTES <= end; at += Long.BYTES)
        {
            if (block.getLong(at) != 0)
            {
                return false;
            }
        }
        for (; at < end; at++)
        {
            if (block.getByte(at) != 0)
            {
                return false;
            }
        }
        return true;
    }
}
