package io.ferrite.tools;

import io.ferrite.block.BlockDescriptor;
import io.ferrite.block.RecordCipher;
import io.ferrite.block.RecordDescriptor;
import io.ferrite.block.RecordScanner;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.BlockKey;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.StreamConfig;
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
 * Checks every record of one block file with the engine's {@link RecordScanner}, probing zero runs too
 * ({@code probeZeroTail}), so damage that zeroed a record's first word is found rather than taken for the end.
 * <p>
 * In an encrypted stream, records must be sealed like their block (the scanner rejects a plaintext message forged
 * into an encrypted block), and the block's last {@link BlockFooterCodec#FOOTER_LENGTH} bytes are its footer, not
 * records. With the stream's key, every message body is also authenticated with the engine's {@link RecordCipher}
 * (its AES-GCM tag, and the timestamp against its authenticated copy) — decrypted into a scratch buffer that nothing
 * reads — and the footer's MAC verified; without it only checksums are checked, and the footer's fields compared as
 * they stand.
 * <p>
 * Read-only by construction: the file is opened {@code READ} and mapped {@code READ_ONLY}, never past its end (the
 * size is checked first), and unmapped as soon as the block is done so 10,000 blocks do not pin 80 GiB of address
 * space. No lock is taken: on a stream that is being appended to, the active block's last record may be caught
 * mid-write and show as a torn tail.
 * <p>
 * Not thread-safe: one instance per verification, reused block after block.
 */
final class BlockVerifier implements RecordScanner.Visitor
{
    private final RecordScanner scanner = new RecordScanner();
    private final DamageLog log;
    private final boolean encryptedStream;
    /** Null when no key was given: tags and footer MACs are not checked. */
    private final StreamKey key;
    private final RecordCipher cipher;
    private final BlockFooterCodec footerCodec;

    private Path file;
    private LongConsumer progress;
    private long messages;
    private long skips;
    private long authenticated;
    private long firstSeq;
    private long lastSeq;
    private long validEnd;
    private int lastChecksum;
    private long expectedEnd;
    private int expectedChecksum;
    private boolean expectedTailFound;
    private MappedByteBuffer mapped;
    /** The block's key while its records are authenticated, else null. */
    private BlockKey blockKey;
    private FooterCheck footer;

    /**
     * @param encryptedStream whether stream.json says the stream is encrypted.
     * @param key             the unlocked stream, or null.
     */
    BlockVerifier(final DamageLog log, final boolean encryptedStream, final StreamKey key)
    {
        this.log = log;
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
        this.file = file;
        this.progress = progress;
        messages = 0;
        skips = 0;
        authenticated = 0;
        firstSeq = 0;
        lastSeq = 0;
        lastChecksum = 0;
        validEnd = BlockDescriptor.DATA_OFFSET;
        expectedEnd = null == expected || expected.isEmpty() ? -1 : expected.writeOffset();
        expectedChecksum = null == expected ? 0 : expected.lastChecksum();
        expectedTailFound = false;
        blockKey = null;
        footer = null;
        final int damagesBefore = log.size();
        final long size;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            size = channel.size();
            scanFile(channel, size, id, sealed);
        }
        if (expectedEnd > 0 && !expectedTailFound && log.size() == damagesBefore)
        {
            log.add(new DamagedRange(file, Math.max(0, expectedEnd - RecordDescriptor.CHECKSUM_LENGTH), expectedEnd,
                expected.lastSeq(), expected.lastSeq(), DamageKind.STATE_MISMATCH, "state.db: records end at offset " +
                expectedEnd + " with checksum " + Units.checksum(expectedChecksum) + "; the file's valid records end " +
                "at " + validEnd));
        }
        progress.accept(size);
        return new BlockCheck(file, id, size, messages, skips, firstSeq, lastSeq, validEnd,
            log.size() - damagesBefore, authenticated, null == footer ? null : footer.status());
    }

    private void scanFile(final FileChannel channel, final long size, final long id, final boolean sealed)
        throws IOException
    {
        if (size < BlockDescriptor.HEADER_LENGTH)
        {
            log.add(new DamagedRange(file, 0, size, DamagedRange.UNKNOWN, DamagedRange.UNKNOWN, DamageKind.BAD_HEADER,
                "the file is " + size + " bytes, shorter than a block header"));
            return;
        }
        final ByteBuffer headerBytes = ByteBuffer.allocate(BlockDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, headerBytes);
        final BlockHeaderCheck header = BlockHeaderCheck.of(headerBytes, id);
        if (header.trusted() && !header.supportedVersion())
        {
            throw ToolException.error(file + " has block format version " + header.version() + " but this build " +
                "reads version " + BlockDescriptor.VERSION + " — use the ferrite build that wrote the stream");
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
            return;
        }
        if (header.trusted() && null != key)
        {
            blockKey = key.blockKey(header.salt());
            if (blockKey.keyId() != header.keyId())
            {
                log.add(new DamagedRange(file, BlockDescriptor.KEY_ID_OFFSET, BlockDescriptor.KEY_ID_OFFSET + Long.BYTES,
                    DamagedRange.UNKNOWN, DamagedRange.UNKNOWN, DamageKind.BAD_HEADER, "the header names block key " +
                    BlockKey.keyIdHex(header.keyId()) + " but its salt under this stream's key gives " +
                    BlockKey.keyIdHex(blockKey.keyId()) + ": the header was altered or the block belongs to another " +
                    "stream; its record tags and footer were not checked"));
                blockKey = null;
            }
        }
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
        mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, mappable);
        try
        {
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            final int damagesBefore = log.size();
            final long afterSeq = header.trusted() ? Math.max(log.lastSeq(), header.baseSeq() - 1) : log.lastSeq();
            scanner.wrap(new UnsafeBuffer(mapped), mapped, (int)recordLimit, encryptedStream)
                .scan(BlockDescriptor.DATA_OFFSET, afterSeq, true, this);
            if (encryptedStream && header.trusted() && (null == key || null != blockKey))
            {
                checkFooter(header, id, size, sealed, log.size() == damagesBefore);
            }
        }
        finally
        {
            if (null != cipher)
            {
                cipher.release();
            }
            IoUtil.unmap(mapped);
            mapped = null;
        }
    }

    /**
     * The footer of an encrypted block: authentic (with the key), well formed, and in agreement with the records the
     * scan found — unless the scan found damage, which explains any disagreement already.
     */
    private void checkFooter(
        final BlockHeaderCheck header, final long id, final long size, final boolean sealed, final boolean recordsClean)
    {
        final long at = header.footerOffset();
        if (at < 0 || size < at + BlockFooterCodec.FOOTER_LENGTH)
        {
            return;
        }
        final FooterCheck found = FooterCheck.of(mapped.duplicate().clear(), (int)at, at, header, id, blockKey,
            footerCodec);
        footer = recordsClean ? found.against("the block's records", new FooterCheck.Expected(null, lastSeq, messages,
            null, validEnd, validEnd == BlockDescriptor.DATA_OFFSET ? null : lastChecksum)) : found;
        if (footer.isProblem())
        {
            log.add(new DamagedRange(file, at, at + BlockFooterCodec.FOOTER_LENGTH, DamagedRange.NONE,
                DamagedRange.NONE, footer.status() == FooterCheck.Status.TAMPERED ? DamageKind.TAMPERED_FOOTER :
                DamageKind.BAD_FOOTER, footer.status() == FooterCheck.Status.TAMPERED ? "" : footer.problem()));
        }
        else if (footer.status() == FooterCheck.Status.NONE && !sealed)
        {
            footer = null;
        }
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
        log.onRecord(seq);
        if (firstSeq == 0)
        {
            firstSeq = seq;
        }
        lastSeq = seq;
        lastChecksum = checksum;
        validEnd = offset + frameLength;
        if (validEnd == expectedEnd && checksum == expectedChecksum)
        {
            expectedTailFound = true;
        }
        if (type != RecordDescriptor.TYPE_MESSAGE)
        {
            skips++;
        }
        else if (null == blockKey)
        {
            messages++;
        }
        else
        {
            try
            {
                cipher.open(blockKey, mapped, buffer, offset, seq, file);
                messages++;
                authenticated++;
            }
            catch (final CorruptRecordException ex)
            {
                log.add(new DamagedRange(file, offset, offset + frameLength, seq, seq, DamageKind.TAMPERED_RECORD,
                    ex.getMessage().contains("timestamp") ? "its timestamp differs from the authenticated copy" : ""));
            }
        }
        progress.accept(validEnd);
    }

    @Override
    public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
    {
        log.onScanDamage(file, fromOffset, toOffset, knownSeq, tail);
        progress.accept(toOffset);
    }
}
