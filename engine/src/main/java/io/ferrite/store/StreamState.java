package io.ferrite.store;

/**
 * A consistent snapshot of a stream's totals.
 *
 * @param msgs        messages currently stored.
 * @param bytes       bytes of subject, headers and payload currently stored.
 * @param firstSeq    the first stored sequence, or {@code lastSeq + 1} when the stream holds no message.
 * @param lastSeq     the last sequence assigned (messages and skips), 0 for a new stream.
 * @param firstTime   epoch nanos of the first stored message, 0 when empty.
 * @param lastTime    epoch nanos of the last appended message, 0 when nothing was ever appended.
 * @param numDeleted  sequences between {@code firstSeq} and {@code lastSeq} that hold no message (skips, losses).
 * @param numSubjects distinct subjects currently stored.
 */
public record StreamState(
    long msgs, long bytes, long firstSeq, long lastSeq, long firstTime, long lastTime, long numDeleted,
        long numSubjects)
{
}
