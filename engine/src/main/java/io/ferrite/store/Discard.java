package io.ferrite.store;

/**
 * What a stream does when an append would exceed {@code maxMsgs}, {@code maxBytes} or {@code maxMsgsPerSubject}.
 */
public enum Discard
{
    /** Remove the oldest messages (of the subject, for {@code maxMsgsPerSubject}) to make room. */
    OLD,
    /** Refuse the append with {@link LimitExceededException}; what is stored stays. */
    NEW
}
