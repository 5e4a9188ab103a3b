package io.ferrite.engine;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import org.agrona.BitUtil;

/**
 * Which blocks to give back, and when to look: a sealed block goes once no message of it can be read, a sealed block
 * is rewritten once doing so at least halves its file, and messages past {@code maxAge} are expired on a timer.
 * <p>
 * Threading: under the append lock (it reads the index), except {@link #maxAge} and {@link #ageCheckNanos()}.
 */
final class ReclaimPolicy
{
    /** A sealed block is rewritten only once this many of its messages were removed (and see {@link #isSparse}). */
    static final int REWRITE_MIN_REMOVED = 16;
    /** How soon to look again when a block could not be reclaimed yet (its last force is still pending). */
    static final long RETRY_NANOS = 50_000_000L;
    private static final int PAGE_SIZE = 4096;
    private static final long MAX_AGE_CHECK_NANOS = 250_000_000L;

    private final StreamIndex index;
    private final int blockSize;
    /** Follows {@code updateLimits}: written by the thread calling it, read by the reclaim agent. */
    private volatile long ageCheckNanos;

    /**
     * @param maxAgeNanos the stream's {@code maxAge}, 0 for none.
     */
    ReclaimPolicy(final StreamIndex index, final int blockSize, final long maxAgeNanos)
    {
        this.index = index;
        this.blockSize = blockSize;
        maxAge(maxAgeNanos);
    }

    /**
     * Follow a new {@code maxAge}, 0 for none.
     */
    void maxAge(final long maxAgeNanos)
    {
        ageCheckNanos = maxAgeNanos == 0 ? 0 : Math.max(1_000_000L, Math.min(MAX_AGE_CHECK_NANOS, maxAgeNanos / 4));
    }

    /**
     * @return how often to expire messages past {@code maxAge}: a quarter of it, within [1 ms, 250 ms]; 0 for no
     * {@code maxAge}.
     */
    long ageCheckNanos()
    {
        return ageCheckNanos;
    }

    /**
     * @return whether a removal from the block at {@code position} should wake the reclaimer: it is sealed and sparse.
     */
    boolean wakesOnRemoval(final int position)
    {
        return position < index.blockCount() - 1 && isSparse(position);
    }

    /**
     * @return whether the block at {@code position} is counted empty and lists nothing: its file may go, since no
     * message of it can be read.
     */
    boolean isEmptied(final int position)
    {
        final MessageBlock block = index.blocks()[position];
        return index.blockIndex().msgs(position) == 0 && block.table().nextListed(block.baseSeq()) < 0;
    }

    /**
     * @return the first sealed block worth rewriting, or -1.
     */
    int sparseBlock()
    {
        final int sealed = index.blockCount() - 1;
        for (int p = 0; p < sealed; p++)
        {
            if (isSparse(p))
            {
                return p;
            }
        }
        return -1;
    }

    /**
     * @return whether rewriting the block at {@code position} with only its live messages would at least halve its
     * file: the live bytes plus each record's framing, rounded to whole pages, against the file's length.
     */
    boolean isSparse(final int position)
    {
        final int live = index.blockIndex().msgs(position);
        final MessageBlock block = index.blocks()[position];
        if (live == 0 || block.contents().deleted().count() < REWRITE_MIN_REMOVED)
        {
            return false;
        }
        final long framing = RecordDescriptor.HEADER_LENGTH + RecordDescriptor.CHECKSUM_LENGTH +
            RecordDescriptor.ALIGNMENT + (block.isEncrypted() ? RecordCipher.OVERHEAD : 0);
        final long rewritten = BlockDescriptor.DATA_OFFSET + index.blockIndex().bytes(position) + live * framing +
            block.skipFrameLength() + (block.isEncrypted() ? BlockFooterCodec.FOOTER_LENGTH : 0);
        final long length = block.fileLength() > 0 ? block.fileLength() : blockSize;
        return BitUtil.align(rewritten, PAGE_SIZE) * 2 <= length;
    }
}
