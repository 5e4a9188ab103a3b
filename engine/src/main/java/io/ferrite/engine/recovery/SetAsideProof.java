package io.ferrite.engine.recovery;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockScan;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.RecordScanner;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.CorruptRecordException;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;

/**
 * What a block file set aside as part of a lost roll proves the stream had assigned. Such a file is never loaded: a
 * block before it is gone, so its records are out of order with what survived. But when its header reached the disk
 * it was created, and its records written, after the stream had reached certain sequences, and recovery must not
 * hand those out again (a reader or a tailer may have seen them under the old messages).
 * <p>
 * Only what verifies counts, checked by the code that checks every other block: a header that validates
 * ({@code BlockFile.open}, and for an encrypted stream a key id that matches the one derived from its salt) proves its
 * base sequence less one and its previous last sequence; the {@link BlockScan} walk proves the sequence of every
 * message or skip that verifies (authenticated with the block key in an encrypted stream), the header sequence of
 * every tombstone that does, and — as {@link Replay} counts them in a surviving block — the sequence of a message
 * whose header verifies though its body does not. A file whose header does not validate proves nothing.
 * <p>
 * Open-time only; not thread-safe: one per recovery.
 */
final class SetAsideProof implements RecordScanner.Visitor
{
    /** The proof of a file whose header does not validate. */
    static final long NOTHING = 0;

    private final StoreMetrics metrics;
    /** Null for a plaintext stream. */
    private final BlockCrypto crypto;
    private final BlockScan blockScan = new BlockScan();
    private final RecordCipher cipher = new RecordCipher();
    private MessageBlock block;
    private long proven;

    SetAsideProof(final StoreMetrics metrics, final BlockCrypto crypto)
    {
        this.metrics = metrics;
        this.crypto = crypto;
    }

    /**
     * @param file the set-aside file, under whatever name it has now.
     * @param id   the id of the block it was.
     * @return the highest sequence the file proves was assigned, {@link #NOTHING} when it proves none.
     */
    long highestProven(final Path file, final long id)
    {
        try
        {
            block = MessageBlock.open(file, id, -1, false, metrics, crypto);
        }
        catch (final CorruptFileException ex)
        {
            // An unwritten or damaged header: nothing in the file can be placed or trusted.
            return NOTHING;
        }
        try
        {
            final long base = block.baseSeq();
            final long previousLast = block.buffer().getLong(BlockDescriptor.PREV_LAST_SEQ_OFFSET);
            proven = Math.max(Math.max(NOTHING, base - 1), bounded(previousLast));
            blockScan.begin(file, BlockDescriptor.DATA_OFFSET, false, BlockScan.NO_PROGRESS)
                .wrap(block.buffer(), block.mapped(), block.limit(), block.isEncrypted())
                .blockBase(base);
            // Probe past zeros: records after a hole still verify on their own, and a higher proof only skips numbers.
            blockScan.scan(Math.max(NOTHING, base - 1), true, this);
            return proven;
        }
        finally
        {
            blockScan.release();
            block.durability().releaseChannel();
            block = null;
        }
    }

    @Override
    public void onRecord(
        final UnsafeBuffer buffer, final int offset, final int frameLength, final byte type, final long seq,
        final int checksum)
    {
        if (block.isEncrypted())
        {
            try
            {
                cipher.open(block.key(), block.mapped(), buffer, offset, seq, block.file());
            }
            catch (final CorruptRecordException ex)
            {
                // A body that does not authenticate: as in Replay, its header still names a message's sequence.
                final long knownSeq = type == RecordDescriptor.TYPE_DELETE ? 0 : seq;
                blockScan.reject(offset, offset + frameLength, knownSeq);
                onDamage(offset, offset + frameLength, knownSeq, false);
                return;
            }
        }
        // A tombstone's header sequence is the stream's last when it was written: assigned, like a message's.
        proven = Math.max(proven, bounded(seq));
    }

    @Override
    public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
    {
        // The scanner names a sequence only for a message or skip whose header verified, within the block's span.
        proven = Math.max(proven, bounded(knownSeq));
    }

    /**
     * @return {@code seq} when a stream may have assigned it, else {@link #NOTHING}: a number no sequence can have
     * (only a damaged or forged header gives one) must not push the stream's sequences out of range.
     */
    private static long bounded(final long seq)
    {
        return RecordDescriptor.isSequence(seq) ? seq : NOTHING;
    }
}
