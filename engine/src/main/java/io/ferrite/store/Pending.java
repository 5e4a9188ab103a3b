package io.ferrite.store;

/**
 * A message delivered to a consumer and not acknowledged yet, as {@link ConsumerState#pending()} holds it by stream
 * sequence.
 *
 * @param consumerSeq    the consumer sequence of its first delivery (a redelivery keeps it).
 * @param timestampNanos when it was last delivered, epoch nanoseconds, as the caller passed it.
 */
public record Pending(long consumerSeq, long timestampNanos)
{
}
