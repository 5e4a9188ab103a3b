package io.ferrite.store;

/**
 * How many messages of a subject filter a stream holds from a sequence on, and where they start and end: what a
 * consumer with that filter and start has pending (NATS's {@code SimpleState}).
 *
 * @param msgs     matching messages at or after the start.
 * @param firstSeq the first of them, 0 when there is none.
 * @param lastSeq  the last of them, 0 when there is none.
 */
public record FilteredState(long msgs, long firstSeq, long lastSeq)
{
    /** No message matches. */
    public static final FilteredState NONE = new FilteredState(0, 0, 0);

    public FilteredState
    {
        if (msgs < 0 || firstSeq < 0 || lastSeq < 0 || (msgs == 0) != (firstSeq == 0 && lastSeq == 0) ||
            firstSeq > lastSeq)
        {
            throw new IllegalArgumentException("inconsistent filtered state: msgs " + msgs + ", firstSeq " + firstSeq +
                ", lastSeq " + lastSeq);
        }
    }
}
