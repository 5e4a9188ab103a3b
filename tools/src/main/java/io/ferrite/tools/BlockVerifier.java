package io.ferrite.tools;

import io.ferrite.block.BlockDescriptor;
import io.ferrite.block.RecordDescriptor;
import io.ferrite.block.RecordScanner;
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

    private Path file;
    private LongConsumer progress;
    private long messages;
    private long skips;
    private long firstSeq;
    private long lastSeq;
    private long validEnd;
    private long expectedEnd;
    private int expectedChecksum;
    private boolean expectedTailFound;

    BlockVerifier(final DamageLog log)
    {
        this.log = log;
    }

    /**
     * @param expected the block as state.db records it, or null when state.db does not list it.
     * @param progress told how far into the file the scan is.
     */
    BlockCheck verify(final Path file, final long id, final BlockSummary expected, final LongConsumer progress)
        throws IOException
    {
        this.file = file;
        this.progress = progress;
        messages = 0;
        skips = 0;
        firstSeq = 0;
        lastSeq = 0;
        validEnd = BlockDescriptor.DATA_OFFSET;
        expectedEnd = null == expected || expected.isEmpty() ? -1 : expected.writeOffset();
        expectedChecksum = null == expected ? 0 : expected.lastChecksum();
        expectedTailFound = false;
        final int damagesBefore = log.size();
        final long size;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            size = channel.size();
            scanFile(channel, size, id);
        }
        if (expectedEnd > 0 && !expectedTailFound && log.size() == damagesBefore)
        {
            log.add(new DamagedRange(file, Math.max(0, expectedEnd - RecordDescriptor.CHECKSUM_LENGTH), expectedEnd,
                expected.lastSeq(), expected.lastSeq(), DamageKind.STATE_MISMATCH, "state.db: records end at offset " +
                expectedEnd + " with checksum " + Units.checksum(expectedChecksum) + "; the file's valid records end " +
                "at " + validEnd));
        }
        progress.accept(size);
        return new BlockCheck(file, id, size, messages, skips, firstSeq, lastSeq, validEnd, log.size() - damagesBefore);
    }

    private void scanFile(final FileChannel channel, final long size, final long id) throws IOException
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
                DamagedRange.UNKNOWN, DamageKind.BAD_HEADER, header.problem()));
        }
        if (header.encrypted())
        {
            log.add(new DamagedRange(file, BlockDescriptor.FLAGS_OFFSET, BlockDescriptor.HEADER_LENGTH,
                DamagedRange.UNKNOWN, DamagedRange.UNKNOWN, DamageKind.BAD_HEADER,
                "the header says the block is encrypted but stream.json says the stream is not; its records were " +
                    "not checked"));
            return;
        }
        final long mappable;
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
        }
        else
        {
            mappable = Math.min(size, StreamConfig.BLOCK_SIZE_MAX);
        }
        final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, mappable);
        try
        {
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            final long afterSeq = header.trusted() ? Math.max(log.lastSeq(), header.baseSeq() - 1) : log.lastSeq();
            scanner.wrap(new UnsafeBuffer(mapped), mapped, (int)mappable)
                .scan(BlockDescriptor.DATA_OFFSET, afterSeq, true, this);
        }
        finally
        {
            IoUtil.unmap(mapped);
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
        if (type == RecordDescriptor.TYPE_MESSAGE)
        {
            messages++;
        }
        else
        {
            skips++;
        }
        if (firstSeq == 0)
        {
            firstSeq = seq;
        }
        lastSeq = seq;
        validEnd = offset + frameLength;
        if (validEnd == expectedEnd && checksum == expectedChecksum)
        {
            expectedTailFound = true;
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
