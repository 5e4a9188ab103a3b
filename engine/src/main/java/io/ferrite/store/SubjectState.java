package io.ferrite.store;

/**
 * What a stream holds under one subject.
 *
 * @param msgs     messages stored under the subject, at least 1.
 * @param firstSeq the sequence of the first of them.
 * @param lastSeq  the sequence of the last of them.
 */
public record SubjectState(long msgs, long firstSeq, long lastSeq)
{
}
