package io.ferrite.store;

/**
 * A {@link StreamTailer} learned that the stream was truncated ({@link StreamStore#truncate}) below a sequence it had
 * already delivered or passed: messages it handed over above {@link #truncatedTo()} may no longer exist, and their
 * sequences may be assigned again to other messages. Thrown once, by the poll that first sees the truncation; the
 * tailer is then at {@code truncatedTo() + 1}, so the next poll follows the new timeline (or {@link StreamTailer#seek}
 * elsewhere). Discard or re-check what was consumed above {@code truncatedTo()}.
 */
public final class StreamTruncatedException extends StoreException
{
    private final long truncatedTo;
    private final long tailerSeq;

    /**
     * @param streamName  the stream's name.
     * @param tailerSeq   where the tailer was ({@code nextSeq()} before it was moved).
     * @param truncatedTo the lowest last sequence a truncation since the tailer's previous poll kept; 0 when more than
     *                    16 truncations happened since and how far back they went is unknown.
     */
    public StreamTruncatedException(final String streamName, final long tailerSeq, final long truncatedTo)
    {
        super("stream " + streamName + " was truncated to sequence " + truncatedTo + " below this tailer's next " +
            "sequence " + tailerSeq + ": messages delivered above " + truncatedTo + " may be gone, their sequences " +
            "reassigned; the tailer now continues at " + (truncatedTo + 1), null, UNKNOWN, truncatedTo);
        this.truncatedTo = truncatedTo;
        this.tailerSeq = tailerSeq;
    }

    /**
     * @return the last sequence the truncation kept; everything above it was cut.
     */
    public long truncatedTo()
    {
        return truncatedTo;
    }

    /**
     * @return the tailer's next sequence before the truncation was reported.
     */
    public long tailerSeq()
    {
        return tailerSeq;
    }
}
