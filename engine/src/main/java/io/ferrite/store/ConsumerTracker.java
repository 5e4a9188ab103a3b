package io.ferrite.store;

import java.util.Map;
import java.util.TreeMap;

/**
 * The rules of a consumer's state, shared by every store so that they cannot drift: what a delivery and an
 * acknowledgement do to it ({@link ConsumerStore} states them) and which updates are refused. It knows nothing of
 * files or durability; a store keeps one per consumer and persists {@link #encode()} as its sync mode says.
 * <p>
 * Not thread-safe: the owning store serializes every call.
 */
public final class ConsumerTracker
{
    private final String name;
    private final AckPolicy policy;
    private long deliveredConsumer;
    private long deliveredStream;
    private long floorConsumer;
    private long floorStream;
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    private final TreeMap<Long, Long> redelivered = new TreeMap<>();

    /**
     * @param name   the consumer's name, for error messages.
     * @param config its configuration.
     * @param state  where it stands: {@link ConsumerState#EMPTY} for a new consumer, or one recovered.
     * @throws IllegalArgumentException when {@code config} says {@link AckPolicy#NONE} and the state has pending
     *                                  messages, which that policy could never acknowledge.
     */
    public ConsumerTracker(final String name, final ConsumerConfig config, final ConsumerState state)
    {
        this.name = name;
        this.policy = config.ackPolicy();
        if (policy == AckPolicy.NONE && !state.pending().isEmpty())
        {
            throw new IllegalArgumentException("consumer '" + name + "' has " + state.pending().size() +
                " pending messages: ack policy NONE could never acknowledge them");
        }
        deliveredConsumer = state.delivered().consumer();
        deliveredStream = state.delivered().stream();
        floorConsumer = state.ackFloor().consumer();
        floorStream = state.ackFloor().stream();
        pending.putAll(state.pending());
        redelivered.putAll(state.redelivered());
    }

    /**
     * Apply a delivery, as {@link ConsumerStore#updateDelivered} says; nothing changes when it is refused.
     *
     * @param lastStreamSeq the stream's last sequence: no delivery is beyond it.
     * @throws IllegalArgumentException naming the values, when the delivery breaks a rule.
     */
    public void delivered(
        final long dseq, final long sseq, final long deliveryCount, final long timestampNanos, final long lastStreamSeq)
    {
        if (dseq < 1 || sseq < 1 || deliveryCount < 1)
        {
            throw new IllegalArgumentException("consumer '" + name + "': dseq (" + dseq + "), sseq (" + sseq +
                ") and deliveryCount (" + deliveryCount + ") must be at least 1");
        }
        if (sseq > lastStreamSeq)
        {
            throw new IllegalArgumentException("consumer '" + name + "': sseq " + sseq +
                " is above the stream's last sequence " + lastStreamSeq);
        }
        if (dseq <= deliveredConsumer)
        {
            throw new IllegalArgumentException("consumer '" + name + "': dseq " + dseq +
                " is not above the last consumer sequence delivered, " + deliveredConsumer +
                ": every delivery, redeliveries included, takes a new consumer sequence");
        }
        if (deliveryCount == 1)
        {
            if (sseq <= deliveredStream)
            {
                throw new IllegalArgumentException("consumer '" + name + "': first delivery (deliveryCount 1) of " +
                    "sseq " + sseq + " is not above the last stream sequence delivered, " + deliveredStream +
                    " (a redelivery has deliveryCount > 1)");
            }
            deliveredConsumer = dseq;
            deliveredStream = sseq;
            if (policy == AckPolicy.NONE)
            {
                floorConsumer = dseq;
                floorStream = sseq;
            }
            else
            {
                pending.put(sseq, new Pending(dseq, timestampNanos));
            }
            return;
        }
        if (policy == AckPolicy.NONE)
        {
            throw new IllegalArgumentException("consumer '" + name + "': deliveryCount " + deliveryCount +
                " for sseq " + sseq + ", but ack policy NONE redelivers nothing");
        }
        final Pending previous = pending.get(sseq);
        if (null == previous)
        {
            throw new IllegalArgumentException("consumer '" + name + "': redelivery (deliveryCount " + deliveryCount +
                ") of sseq " + sseq + ", which is not pending (" + notPendingReason(sseq) + ")");
        }
        deliveredConsumer = dseq;
        pending.put(sseq, new Pending(previous.consumerSeq(), timestampNanos));
        redelivered.merge(sseq, deliveryCount - 1, Math::max);
    }

    /**
     * Apply an acknowledgement, as {@link ConsumerStore#updateAcks} says; nothing changes when it is refused.
     *
     * @return false when it was at or below the ack floor (made already).
     * @throws IllegalArgumentException naming the values, when the acknowledgement breaks a rule.
     * @throws IllegalStateException    when the ack policy is {@link AckPolicy#NONE}.
     */
    public boolean acked(final long dseq, final long sseq)
    {
        if (policy == AckPolicy.NONE)
        {
            throw new IllegalStateException("consumer '" + name + "' has ack policy NONE: there is nothing to " +
                "acknowledge (ack of dseq " + dseq + ", sseq " + sseq + ")");
        }
        if (dseq < 1 || sseq < 1)
        {
            throw new IllegalArgumentException("consumer '" + name + "': dseq (" + dseq + ") and sseq (" + sseq +
                ") must be at least 1");
        }
        if (sseq <= floorStream)
        {
            return false;
        }
        final Pending acked = pending.get(sseq);
        if (null == acked)
        {
            throw new IllegalArgumentException("consumer '" + name + "': ack of sseq " + sseq + ", which is not " +
                "pending (" + notPendingReason(sseq) + ")");
        }
        if (dseq < acked.consumerSeq() || dseq > deliveredConsumer)
        {
            throw new IllegalArgumentException("consumer '" + name + "': ack of sseq " + sseq + " with dseq " + dseq +
                ", which names no delivery of it (first delivered as dseq " + acked.consumerSeq() +
                ", last dseq delivered " + deliveredConsumer + ")");
        }
        if (policy == AckPolicy.ALL)
        {
            pending.headMap(sseq, true).clear();
            redelivered.headMap(sseq, true).clear();
            floorConsumer = acked.consumerSeq();
            floorStream = sseq;
        }
        else
        {
            pending.remove(sseq);
            redelivered.remove(sseq);
        }
        if (pending.isEmpty())
        {
            floorConsumer = deliveredConsumer;
            floorStream = deliveredStream;
        }
        else
        {
            // Every pending message was first delivered above the floor, and in stream order, so the lowest one holds
            // the lowest consumer sequence too: just below it everything was acknowledged.
            final Map.Entry<Long, Pending> lowest = pending.firstEntry();
            if (lowest.getKey() - 1 > floorStream)
            {
                floorConsumer = lowest.getValue().consumerSeq() - 1;
                floorStream = lowest.getKey() - 1;
            }
        }
        return true;
    }

    /**
     * After a crash took back the stream's messages above {@code lastStreamSeq} (a state written in {@code INTERVAL}
     * or {@code NONE} mode can name messages the stream had not made durable): forget the deliveries of the messages
     * that are gone, so that the sequences reused by new messages can be delivered. Consumer sequences stay.
     *
     * @return whether anything changed.
     */
    public boolean forgetBeyond(final long lastStreamSeq)
    {
        if (deliveredStream <= lastStreamSeq)
        {
            return false;
        }
        pending.tailMap(lastStreamSeq, false).clear();
        redelivered.tailMap(lastStreamSeq, false).clear();
        deliveredStream = lastStreamSeq;
        floorStream = Math.min(floorStream, lastStreamSeq);
        return true;
    }

    /**
     * @return {@code state} without the deliveries of messages above {@code lastStreamSeq} (see {@link #forgetBeyond}):
     * what a consumer that is not open must become when the stream is truncated or backed up at that sequence.
     */
    public static ConsumerState withoutBeyond(final ConsumerState state, final long lastStreamSeq)
    {
        if (state.delivered().stream() <= lastStreamSeq)
        {
            return state;
        }
        // The policy only decides which acknowledgements are legal; forgetting deliveries needs none of it.
        final ConsumerTracker tracker =
            new ConsumerTracker("", ConsumerConfig.builder().ackPolicy(AckPolicy.EXPLICIT).build(), state);
        tracker.forgetBeyond(lastStreamSeq);
        return tracker.state();
    }

    /**
     * @return a copy of the state.
     */
    public ConsumerState state()
    {
        return new ConsumerState(new SequencePair(deliveredConsumer, deliveredStream),
            new SequencePair(floorConsumer, floorStream), pending, redelivered);
    }

    /**
     * @return the state's compact encoding (see {@link ConsumerState#encode()}).
     */
    public byte[] encode()
    {
        return state().encode();
    }

    private String notPendingReason(final long sseq)
    {
        if (sseq > deliveredStream)
        {
            return "never delivered: the last stream sequence delivered is " + deliveredStream;
        }
        return sseq <= floorStream ? "acknowledged already: the ack floor is at sseq " + floorStream :
            "acknowledged already or never delivered to this consumer";
    }
}
