package io.ferrite.engine.view;

import org.agrona.DirectBuffer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * The totals of what a view's index lists: messages, their content bytes, and the time of the last message met. Blocks
 * are indexed backward as well as forward, so the last time is the one of the highest sequence met, not the last
 * record indexed.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class ViewTotals
{
    private long msgs;
    private long bytes;
    private long lastTime;
    private long lastTimeSeq;

    /**
     * The message record at {@code offset} of {@code buffer} was listed.
     */
    void listed(final DirectBuffer buffer, final int offset)
    {
        msgs++;
        bytes += contentLength(buffer, offset);
    }

    /**
     * The message record at {@code offset} of {@code buffer}, listed before, was removed.
     */
    void unlisted(final DirectBuffer buffer, final int offset)
    {
        msgs--;
        bytes -= contentLength(buffer, offset);
    }

    /**
     * A verified message record {@code seq} was met at {@code offset}, listed or not.
     */
    void met(final long seq, final DirectBuffer buffer, final int offset)
    {
        if (seq >= lastTimeSeq)
        {
            lastTimeSeq = seq;
            lastTime = buffer.getLong(offset + TIMESTAMP_OFFSET);
        }
    }

    private static long contentLength(final DirectBuffer buffer, final int offset)
    {
        return (long)(buffer.getShort(offset + SUBJECT_LENGTH_OFFSET) & 0xFFFF) +
            buffer.getInt(offset + HEADERS_LENGTH_OFFSET) + buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET);
    }

    void clear()
    {
        msgs = 0;
        bytes = 0;
        lastTime = 0;
        lastTimeSeq = 0;
    }

    long msgs()
    {
        return msgs;
    }

    long bytes()
    {
        return bytes;
    }

    long lastTime()
    {
        return lastTime;
    }
}
