package io.ferrite.engine;

import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.BlockFile;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.block.RecordVerifier;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.Crc32c;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * Rewrites a sealed block with only its live messages: into a new file beside it (in an encrypted stream under a new
 * block key: records are opened with the old key and sealed again, never re-encrypted under a key that sealed
 * something else at that position), forced, then renamed over the old file. A crash before the rename leaves the old
 * file and a {@code *.rewrite} leftover that the next open deletes; after it, the new file, complete.
 * <p>
 * Threading: {@link #plan} and {@link #install} under the append lock; {@link #write} outside it, on the reclaim
 * thread only.
 */
final class BlockRewriter
{
    private static final Logger LOG = LoggerFactory.getLogger(BlockRewriter.class);

    private static final int PAGE_SIZE = 4096;

    /** Suffix of a rewrite in progress; never a block file name. */
    static final String REWRITE_SUFFIX = ".rewrite";

    private final StreamIndex index;
    private final StreamDirectory directory;
    private final StreamConfig config;
    private final StoreMetrics metrics;
    private final BlockCrypto crypto;
    private final Crc32c crc = new Crc32c();
    private final RecordVerifier verifier = new RecordVerifier();
    private final RecordCipher sealer = new RecordCipher();

    BlockRewriter(
        final StreamIndex index, final StreamDirectory directory, final StreamConfig config,
        final StoreMetrics metrics, final BlockCrypto crypto)
    {
        this.index = index;
        this.directory = directory;
        this.config = config;
        this.metrics = metrics;
        this.crypto = crypto;
    }

    /**
     * What to copy, captured under the append lock.
     */
    record Plan(MessageBlock block, long[] seqs, int[] offsets, long lastSeq, long lastTime, int fileLength)
    {
    }

    /**
     * The written file.
     */
    record Rewrite(Path file, int writeOffset, int lastChecksum)
    {
    }

    Plan plan(final int position)
    {
        final MessageBlock block = index.blocks()[position];
        final SequenceTable table = block.table();
        // Every message the table lists, whatever the counts say: a rewrite must never drop one.
        long[] seqs = new long[Math.max(16, index.blockIndex().msgs(position))];
        int[] offsets = new int[seqs.length];
        int count = 0;
        for (long seq = table.nextListed(block.baseSeq()); seq > 0; seq = table.nextListed(seq + 1))
        {
            if (count == seqs.length)
            {
                seqs = Arrays.copyOf(seqs, count * 2);
                offsets = Arrays.copyOf(offsets, count * 2);
            }
            seqs[count] = seq;
            offsets[count++] = table.get(seq);
        }
        long length = BlockDescriptor.DATA_OFFSET + block.skipFrameLength() +
            (null == crypto ? 0 : BlockFooterCodec.FOOTER_LENGTH);
        final UnsafeBuffer buffer = block.buffer();
        for (int i = 0; i < count; i++)
        {
            length += buffer.getInt(offsets[i] + FRAME_LENGTH_OFFSET);
        }
        // Sized to what it holds, so the space of the removed messages is given back to the filesystem.
        final int fileLength = (int)Math.min(config.blockSize(), BitUtil.align(length, PAGE_SIZE));
        return new Plan(block, Arrays.copyOf(seqs, count), Arrays.copyOf(offsets, count),
            index.blockIndex().lastSeq(position), index.blockIndex().lastTime(position), fileLength);
    }

    /**
     * @return the rewrite, or null when a record did not verify (the block is left as it is: a rewrite must never
     * drop data it could not read).
     */
    Rewrite write(final Plan plan)
    {
        return write(plan, newCopy(plan));
    }

    /**
     * The block the rewrite is written into, beside the old file. Split from {@link #write(Plan, MessageBlock)} only
     * so a test can see the copy's table and mappings go back.
     */
    MessageBlock newCopy(final Plan plan)
    {
        final MessageBlock old = plan.block();
        final Path target = rewriteFile(old.file());
        final Path temp = target.resolveSibling(target.getFileName() + BlockFile.TEMP_SUFFIX);
        final long prevLastSeq = old.buffer().getLong(BlockDescriptor.PREV_LAST_SEQ_OFFSET);
        final long created = old.buffer().getLong(BlockDescriptor.CREATED_OFFSET);
        // Its table sized for the block's span, so it does not grow (and keep what it outgrew) as the copy fills.
        final int span = (int)Math.min(Math.max(0, plan.lastSeq() - old.baseSeq() + 1),
            BlockDescriptor.MAX_SEQUENCE_SPAN);
        return MessageBlock.create(BlockFile.prepare(temp, plan.fileLength()), target, old.id(),
            old.baseSeq(), created, prevLastSeq, SequenceTable.allocate(span), null, metrics, crypto);
    }

    /**
     * As {@link #write(Plan)}, into {@code copy} from {@link #newCopy}. Whatever comes of it, the copy's mappings are
     * unmapped and its table freed before this returns.
     */
    Rewrite write(final Plan plan, final MessageBlock copy)
    {
        final Rewrite rewrite;
        try
        {
            rewrite = copy(plan, plan.block(), copy);
            if (null != rewrite)
            {
                // In here: should it fail, the rewrite is dropped like any failed one, its file deleted, rather than
                // left for the retry's create to trip over.
                giveBack(copy);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            // The block stays as it is and the reclaimer retries the pass: no descriptor left open per attempt, and
            // no half-written rewrite left for the next open to clear up.
            discard(copy, ex);
            throw ex;
        }
        finally
        {
            // Each keeps a view of the last mapping it wrote through, the copy's writable one, until the next rewrite.
            crc.release();
            sealer.release();
        }
        if (null == rewrite)
        {
            discard(copy, null);
        }
        return rewrite;
    }

    private Rewrite copy(final Plan plan, final MessageBlock old, final MessageBlock copy)
    {
        int lastChecksum = 0;
        long firstTime = 0;
        long lastTime = 0;
        long bytes = 0;
        for (int i = 0; i < plan.seqs().length; i++)
        {
            final long seq = plan.seqs()[i];
            final DirectBuffer record = old.verifiedRecord(plan.offsets()[i], seq, verifier);
            if (null == record)
            {
                LOG.warn("not rewriting {}: the record of seq {} at offset {} does not verify", old.file(), seq,
                    plan.offsets()[i]);
                return null;
            }
            final int at = old.isEncrypted() ? 0 : plan.offsets()[i];
            final int subjectLength = record.getShort(at + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
            final int headersLength = record.getInt(at + HEADERS_LENGTH_OFFSET);
            final int payloadLength = record.getInt(at + PAYLOAD_LENGTH_OFFSET);
            final byte[] subject = new byte[subjectLength];
            final byte[] headers = new byte[headersLength];
            final byte[] payload = new byte[payloadLength];
            record.getBytes(subjectOffset(at), subject);
            record.getBytes(headersOffset(at, subjectLength), headers);
            record.getBytes(payloadOffset(at, subjectLength, headersLength), payload);
            final long timestamp = record.getLong(at + TIMESTAMP_OFFSET);
            final int frameLength = (int)frameLengthForContent(
                (long)subjectLength + headersLength + payloadLength, null != crypto);
            lastChecksum = copy.append(seq, timestamp, subject, headers, payload, frameLength, crc, sealer);
            firstTime = i == 0 ? timestamp : firstTime;
            lastTime = timestamp;
            bytes += subjectLength + headersLength + payloadLength;
        }
        final int count = plan.seqs().length;
        if (count == 0 || plan.seqs()[count - 1] < plan.lastSeq())
        {
            // The block's last sequence must survive: the next block's header proves it, and recovery reports any
            // sequence below that proof it cannot find as lost.
            lastChecksum = copy.appendSkip(plan.lastSeq(), Math.max(lastTime, plan.lastTime()), crc, sealer);
        }
        if (null != crypto)
        {
            copy.sealFooter(new BlockFooter(Integer.toUnsignedLong(lastChecksum), count == 0 ? 0 : plan.seqs()[0],
                plan.lastSeq(), firstTime, lastTime, count, bytes, copy.writeOffset(), count), new BlockFooterCodec());
        }
        copy.durability().force(copy.writeOffset(), null != crypto, directory.storageIO());
        copy.durability().releaseChannel();
        return new Rewrite(copy.file(), copy.writeOffset(), lastChecksum);
    }

    /**
     * Rename the rewrite over the block and put it in the index, with the removals made since the plan. Called under
     * the append lock.
     *
     * @return the block replaced (to retire), or null when it changed meanwhile and the rewrite was dropped.
     */
    MessageBlock install(final Plan plan, final Rewrite rewrite)
    {
        final MessageBlock old = plan.block();
        final int position = index.positionOf(old);
        if (position < 0 || position == index.blockCount() - 1 || old.contents().isEmptied())
        {
            delete(rewrite.file());
            return null;
        }
        // Retired before the rename: from here a reader holding the old block must not map its path (which is about
        // to name the rewrite); it waits for the index to hold the replacement instead (see StreamReader).
        old.retire();
        try
        {
            Files.move(rewrite.file(), old.file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            // The old file is still in place and still the index's: readers waiting for a replacement read it again.
            old.restore();
            throw new StoreIOException("rename block rewrite", rewrite.file(), ex);
        }
        final BlockIndex entries = index.blockIndex();
        final MessageBlock replacement = MessageBlock.unmapped(old.file(), old.id(), old.baseSeq(),
            rewrite.writeOffset(), plan.lastSeq(), entries.msgs(position), metrics, crypto);
        replacement.holdsTombstones(false);
        replacement.fileLength(plan.fileLength());
        // Removals made since the plan are kept as records in the rewrite; their tombstones still bind its deletion.
        replacement.contents().removedUpTo(old.contents().removalWritten());
        for (final long seq : plan.seqs())
        {
            if (old.contents().deleted().contains(seq))
            {
                replacement.contents().deleted().add(seq);
            }
        }
        entries.reset(position, old.id(), entries.firstSeq(position), entries.lastSeq(position),
            entries.firstTime(position), entries.lastTime(position), entries.msgs(position), entries.bytes(position),
            rewrite.writeOffset(), rewrite.lastChecksum());
        index.replaceBlock(position, replacement);
        return old;
    }

    int blockSize()
    {
        return config.blockSize();
    }

    static Path rewriteFile(final Path blockFile)
    {
        return blockFile.resolveSibling(blockFile.getFileName() + REWRITE_SUFFIX);
    }

    /**
     * Delete what a rewrite interrupted by a crash left behind.
     */
    static void deleteLeftovers(final StreamDirectory directory)
    {
        try (DirectoryStream<Path> stream =
            Files.newDirectoryStream(directory.blocksDir(), "*" + REWRITE_SUFFIX + "*"))
        {
            for (final Path leftover : stream)
            {
                delete(leftover);
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("list block rewrite leftovers", directory.blocksDir(), ex);
        }
    }

    /**
     * Give back what the copy holds and delete its file: the rewrite failed, or was refused. Each step is tried
     * whatever became of the ones before.
     *
     * @param failure what failed the rewrite, to carry any failure here as suppressed; null for a refused rewrite,
     *                which throws the first failure here instead.
     */
    private static void discard(final MessageBlock copy, final Throwable failure)
    {
        final AutoCloseable[] steps =
            {copy.durability()::releaseChannel, () -> giveBack(copy), () -> delete(copy.file())};
        if (null == failure)
        {
            CloseHelper.closeAll(steps);
        }
        else
        {
            CloseHelper.closeAll(failure::addSuppressed, steps);
        }
    }

    /**
     * Unmap the copy's mappings and free its table now, not at some collection (which may never come for the table's
     * direct memory: see {@link SequenceTable}). Nothing else can hold them: the copy was never in the index, so no
     * reader, flusher or unmapper ever saw it, and the replacement {@link #install} puts there opens the renamed file
     * anew and builds its own table. This thread wrote the copy's table, so the free sees every growth of it.
     */
    private static void giveBack(final MessageBlock copy)
    {
        final List<MappedByteBuffer> mappings = new ArrayList<>(2);
        final List<SequenceTable> tables = new ArrayList<>(2);
        copy.detachMappings(mappings, tables);
        mappings.forEach(IoUtil::unmap);
        tables.forEach(SequenceTable::free);
    }

    private static void delete(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("delete block rewrite", file, ex);
        }
    }
}
