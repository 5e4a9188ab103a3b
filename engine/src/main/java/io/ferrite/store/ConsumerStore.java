package io.ferrite.store;

/**
 * The state of one consumer of a stream, with JetStream's semantics: what was delivered, what is acknowledged (the
 * ack floor), what is pending, what was redelivered. The embedder decides what to deliver and when; this store
 * remembers it, checks that each update makes sense, and keeps it across closes and crashes.
 * <pre>
 * ConsumerStore billing = store.consumer("billing", ConsumerConfig.builder().build());
 * billing.updateDelivered(1, 17, 1, now);     // consumer seq 1 delivered stream seq 17
 * billing.updateDelivered(2, 18, 1, now);
 * billing.updateAcks(2, 18);                  // 17 still pending: the floor stays at (0, 16)
 * billing.updateAcks(1, 17);                  // nothing pending: the floor is (2, 18)
 * </pre>
 * When an update is durable follows the stream's {@link SyncMode}: {@code ALWAYS} before the update returns (updates
 * made at once by several threads share a write); {@code INTERVAL} by the stream's flusher within about one sync
 * interval; {@code NONE} when the stream is closed. After a crash the state is one that some update left, never a
 * mix; in {@code ALWAYS} mode it includes every update that returned.
 * <p>
 * Threading: any thread; updates are serialized. A consumer store lives as long as its stream store is open (or until
 * it is deleted); {@link StreamStore#consumer} hands out the same instance for the same name.
 */
public interface ConsumerStore
{
    /**
     * @return the consumer's name.
     */
    String name();

    /**
     * @return the configuration it was opened with.
     */
    ConsumerConfig config();

    /**
     * Record a delivery: {@code deliveryCount} 1 is a first delivery — the message becomes pending (with
     * {@link AckPolicy#NONE}: the ack floor moves to it) and {@code delivered} moves to ({@code dseq}, {@code sseq});
     * a higher count is a redelivery of a pending message: its timestamp is updated and its redelivery count raised
     * to {@code deliveryCount - 1}, and {@code delivered}'s consumer sequence moves to {@code dseq}.
     *
     * @param dseq           the consumer sequence of this delivery: above every earlier one.
     * @param sseq           the stream sequence delivered: at most the stream's last sequence; for a first delivery
     *                       above every stream sequence delivered before, for a redelivery a pending one.
     * @param deliveryCount  1 for a first delivery, more for a redelivery (not with {@link AckPolicy#NONE}).
     * @param timestampNanos when it was delivered, epoch nanoseconds (kept as given).
     * @throws IllegalArgumentException naming the values, when the update breaks one of those rules; nothing changed.
     * @throws IllegalStateException    when the consumer was deleted.
     * @throws StoreClosedException     when the stream store is closed.
     * @throws StoreIOException         in {@code ALWAYS} mode, when the state could not be written: the update holds
     *                                  in memory and may not be durable.
     */
    void updateDelivered(long dseq, long sseq, long deliveryCount, long timestampNanos);

    /**
     * Record an acknowledgement of stream sequence {@code sseq}, delivered as consumer sequence {@code dseq} (its first
     * delivery's or a redelivery's). {@link AckPolicy#EXPLICIT}: the message stops being pending and the ack floor
     * rises to just below the lowest message still pending, or to {@code delivered} when none is.
     * {@link AckPolicy#ALL}: every pending message up to {@code sseq} is acknowledged and the ack floor moves to it
     * (its consumer sequence being that of the message's first delivery), or to {@code delivered} when nothing is left
     * pending. An acknowledgement at or below the ack floor was made already: it changes nothing (a replay).
     *
     * @return true when the state changed, false for an acknowledgement at or below the ack floor.
     * @throws IllegalArgumentException naming the values, when {@code sseq} was never delivered or is not pending, or
     *                                  {@code dseq} names no delivery of it; nothing changed.
     * @throws IllegalStateException    when the ack policy is {@link AckPolicy#NONE}, or the consumer was deleted.
     * @throws StoreClosedException     when the stream store is closed.
     * @throws StoreIOException         as {@link #updateDelivered}.
     */
    boolean updateAcks(long dseq, long sseq);

    /**
     * @return a copy of the state, including updates not durable yet.
     */
    ConsumerState state();

    /**
     * @return the state in the compact encoding of {@code io.ferrite.format.ConsumerStateDescriptor} (plaintext, also
     * in an encrypted stream); {@link ConsumerState#decode} reads it.
     */
    byte[] encodedState();

    /**
     * Delete this consumer and its state, as {@link StreamStore#deleteConsumer} does.
     *
     * @return true when it still existed.
     */
    boolean delete();
}
