package io.ferrite.store;

/**
 * A position of a consumer: a consumer sequence (one per delivery, redeliveries included) and the stream sequence of
 * the message it delivered.
 *
 * @param consumer the consumer sequence, 0 for none.
 * @param stream   the stream sequence, 0 for none.
 */
public record SequencePair(long consumer, long stream)
{
    /** No delivery yet. */
    public static final SequencePair NONE = new SequencePair(0, 0);
}
