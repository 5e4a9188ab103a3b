package io.ferrite.engine.view;

import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import org.agrona.DirectBuffer;

import java.util.function.BooleanSupplier;

/**
 * Hands out the records a view indexed, each checked again first (the writer may have changed it since): frame and
 * header checksums, sequence, type and encryption flag, and in an encrypted stream authenticated and decrypted. One
 * {@link MessageView} flyweight over the last record located, and one more for each handler running
 * ({@link #handOver}) that reads the view again: its record must stay under its flyweight.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class ViewRecords
{
    private final ViewIndex index;
    private final StreamPositions positions;
    private final RecordCheck check;
    private final BooleanSupplier writerMoved;
    private final Located outermost = new Located();
    /** Where the last record located is. */
    private Located located = outermost;

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
            // Listed as held by a record header that does not verify (damage a look passed in a sealed block).
            return null != block && block.damageOffsetOf(seq) != 0 &&
                confirmFailure(block, seq, bound, again, "record header does not verify");
        }
        final String problem = check.problemWith(block, offset, seq);
        if (null != problem)
        {
            return confirmFailure(block, seq, bound, again, problem);
        }
        final Located into = notHandedOver();
        if (null == block.key)
        {
            into.recordBuffer = block.buffer;
            into.recordOffset = offset;
        }
        else
        {
            into.recordBuffer = into.cipher.open(block.key, block.mapped, block.buffer, offset, seq, block.file);
            into.recordOffset = 0;
        }
        located = into;
        return true;
    }

    /**
     * A record that fails (a listed record that no longer verifies, or a sequence listed as held by damaged bytes)
     * fails the read naming its offset — unless the writer moved since the refresh (an erase, whose tombstone is then
     * at the tail; a truncation or a restart: the next refresh drops the index and tailers are told of the rewind), a
     * removal the view has not indexed yet names it, or catching up dropped the index ({@link #lookAgain}).
     *
     * @return false when it is not damage after all, or what the look made again returned.
     */
    private boolean confirmFailure(
        final ViewBlock block, final long seq, final long bound, final boolean again, final String problem)
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
        final int offset = Math.max(block.offsetOf(seq), block.damageOffsetOf(seq));
        if (offset == 0 || index.isRemoved(seq))
        {
            return false;
        }
        throw new CorruptRecordException(problem + " (read-only view)", block.file, offset, seq);
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
        return located.view.wrap(located.recordBuffer, located.recordOffset);
    }

    /**
     * Run {@code handler} over the record last located. Until it returns, what it reads of the view (a handler may) is
     * located under another flyweight, allocated at the first such read and kept.
     */
    void handOver(final MessageHandler handler)
    {
        final Located handed = located;
        final MessageView message = view();
        handed.handedOver = true;
        try
        {
            handler.onMessage(message);
        }
        finally
        {
            handed.handedOver = false;
            located = handed;
        }
    }

    private Located notHandedOver()
    {
        Located free = outermost;
        while (free.handedOver)
        {
            free = free.nested();
        }
        return free;
    }

    void release()
    {
        for (Located each = outermost; null != each; each = each.nested)
        {
            each.cipher.release();
        }
    }

    /**
     * A flyweight and the record under it: in an encrypted stream the record decrypted by its own cipher, whose buffer
     * the next open overwrites.
     */
    private static final class Located
    {
        private final RecordCipher cipher = new RecordCipher();
        private final MessageView view = new MessageView();
        private DirectBuffer recordBuffer;
        private int recordOffset;
        private boolean handedOver;
        private Located nested;

        private Located nested()
        {
            if (null == nested)
            {
                nested = new Located();
            }
            return nested;
        }
    }
}
