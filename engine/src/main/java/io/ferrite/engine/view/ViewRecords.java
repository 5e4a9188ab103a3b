package io.ferrite.engine.view;

import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.MessageView;
import org.agrona.DirectBuffer;

import java.util.function.BooleanSupplier;

/**
 * Hands out the records a view indexed, each checked again first (the writer may have changed it since): frame and
 * header checksums, sequence, type and encryption flag, and in an encrypted stream authenticated and decrypted. One
 * {@link MessageView} flyweight over the last record located.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class ViewRecords
{
    private final ViewIndex index;
    private final StreamPositions positions;
    private final RecordCheck check;
    private final BooleanSupplier writerMoved;
    private final RecordCipher cipher = new RecordCipher();
    private final MessageView view = new MessageView();
    private DirectBuffer recordBuffer;
    private int recordOffset;

    ViewRecords(
        final ViewIndex index, final StreamPositions positions, final RecordCheck check,
        final BooleanSupplier writerMoved)
    {
        this.index = index;
        this.positions = positions;
        this.check = check;
        this.writerMoved = writerMoved;
    }

    /**
     * Point the flyweight at the verified message {@code seq}, indexing back to its block first when needed.
     *
     * @return false when no message is listed there, up to {@code bound}.
     * @throws CorruptRecordException when its record does not verify and neither a change of the writer nor a
     *                                removal explains it.
     */
    boolean locate(final long seq, final long bound)
    {
        return locate(seq, bound, true);
    }

    /**
     * @param again whether a look that catching up voided may be made once more.
     */
    private boolean locate(final long seq, final long bound, final boolean again)
    {
        if (seq < 1 || seq > bound || seq < positions.firstSeq())
        {
            return false;
        }
        index.indexFrom(seq);
        final ViewBlock block = index.blockFor(seq);
        final int offset = null == block ? 0 : block.offsetOf(seq);
        if (offset == 0)
        {
            return null != block && block.damageOffsetOf(seq) != 0 && failDamaged(block, seq, bound, again);
        }
        final String problem = check.problemWith(block, offset, seq);
        if (null != problem)
        {
            // The writer may have changed the bytes since they were indexed: an erase (its tombstone is then at the
            // tail), a truncation or a restart (the next refresh drops the index and tailers are told of the rewind).
            if (writerMoved.getAsBoolean())
            {
                return false;
            }
            index.catchUp();
            if (index.blockFor(seq) != block)
            {
                return lookAgain(seq, bound, again);
            }
            if (block.offsetOf(seq) == 0 || index.isRemoved(seq))
            {
                return false;
            }
            throw new CorruptRecordException(problem + " (read-only view)", block.file, offset, seq);
        }
        if (null == block.key)
        {
            recordBuffer = block.buffer;
            recordOffset = offset;
        }
        else
        {
            recordBuffer = cipher.open(block.key, block.mapped, block.buffer, offset, seq, block.file);
            recordOffset = 0;
        }
        return true;
    }

    /**
     * A sequence the look listed as held by a record header that does not verify fails the read naming the damaged
     * offset — unless a removal the view has not indexed yet names it, or the writer moved since the refresh (the next
     * refresh looks again), or catching up dropped the index (below).
     *
     * @return false when it is not damage after all.
     */
    private boolean failDamaged(final ViewBlock block, final long seq, final long bound, final boolean again)
    {
        if (writerMoved.getAsBoolean())
        {
            return false;
        }
        index.catchUp();
        if (index.blockFor(seq) != block)
        {
            return lookAgain(seq, bound, again);
        }
        final int damageOffset = block.damageOffsetOf(seq);
        if (damageOffset != 0 && !index.isRemoved(seq))
        {
            throw new CorruptRecordException("record header does not verify (read-only view)", block.file,
                damageOffset, seq);
        }
        return false;
    }

    /**
     * Catching up found a block gone or replaced and dropped the index: what the look said of the record is void. A
     * truncation under way does this — it deletes the blocks after the cut and zeroes the cut block's tail before it
     * publishes its count, so the zeros looked like damage or a changed record. The look is made once more in the
     * index built now; a second drop leaves the sequence for the next refresh.
     */
    private boolean lookAgain(final long seq, final long bound, final boolean again)
    {
        return again && locate(seq, bound, false);
    }

    /**
     * @return the flyweight over the record last located.
     */
    MessageView view()
    {
        return view.wrap(recordBuffer, recordOffset);
    }

    void release()
    {
        cipher.release();
    }
}
