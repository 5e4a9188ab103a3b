package io.ferrite.store;

import io.ferrite.format.ConsumerStateDescriptor;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A consumer's state, as JetStream keeps it: a copy, unaffected by later updates.
 *
 * @param delivered   the last delivery: its consumer sequence and the highest stream sequence delivered.
 * @param ackFloor    every delivery up to here is acknowledged (with {@link AckPolicy#EXPLICIT}: just below the lowest
 *                    pending message, or {@code delivered} when none is).
 * @param pending     messages delivered and not acknowledged, by stream sequence, ascending.
 * @param redelivered how many times each message was redelivered (deliveries - 1), by stream sequence, ascending;
 *                    only messages delivered more than once and not acknowledged.
 */
public record ConsumerState(
    SequencePair delivered, SequencePair ackFloor, SortedMap<Long, Pending> pending, SortedMap<Long, Long> redelivered)
{
    /** A consumer that delivered nothing yet. */
    public static final ConsumerState EMPTY =
        new ConsumerState(SequencePair.NONE, SequencePair.NONE, new TreeMap<>(), new TreeMap<>());

    /**
     * Copies the maps, so the state stays as it was.
     */
    public ConsumerState
    {
        pending = Collections.unmodifiableSortedMap(new TreeMap<>(pending));
        redelivered = Collections.unmodifiableSortedMap(new TreeMap<>(redelivered));
    }

    /**
     * @return this state in the compact encoding {@link ConsumerStateDescriptor} draws, which
     * {@link ConsumerStore#encodedState()} returns and {@link #decode} reads.
     */
    public byte[] encode()
    {
        final long[] pendingStream = new long[pending.size()];
        final long[] pendingConsumer = new long[pending.size()];
        final long[] pendingTimestamp = new long[pending.size()];
        int i = 0;
        for (final Map.Entry<Long, Pending> entry : pending.entrySet())
        {
            pendingStream[i] = entry.getKey();
            pendingConsumer[i] = entry.getValue().consumerSeq();
            pendingTimestamp[i] = entry.getValue().timestampNanos();
            i++;
        }
        final long[] redeliveredStream = new long[redelivered.size()];
        final long[] redeliveredCount = new long[redelivered.size()];
        i = 0;
        for (final Map.Entry<Long, Long> entry : redelivered.entrySet())
        {
            redeliveredStream[i] = entry.getKey();
            redeliveredCount[i] = entry.getValue();
            i++;
        }
        return ConsumerStateDescriptor.encode(new ConsumerStateDescriptor.Image(ackFloor.consumer(), ackFloor.stream(),
            delivered.consumer(), delivered.stream(), pendingStream, pendingConsumer, pendingTimestamp,
            redeliveredStream, redeliveredCount));
    }

    /**
     * Read an encoding made by {@link #encode}: for tools and tests.
     *
     * @throws ConsumerStateDescriptor.MalformedException naming the offset, when {@code encoded} is no consumer state.
     */
    public static ConsumerState decode(final byte[] encoded)
    {
        final ConsumerStateDescriptor.Image image = ConsumerStateDescriptor.decode(encoded);
        final SortedMap<Long, Pending> pending = new TreeMap<>();
        for (int i = 0; i < image.pendingStream().length; i++)
        {
            pending.put(image.pendingStream()[i], new Pending(image.pendingConsumer()[i], image.pendingTimestamp()[i]));
        }
        final SortedMap<Long, Long> redelivered = new TreeMap<>();
        for (int i = 0; i < image.redeliveredStream().length; i++)
        {
            redelivered.put(image.redeliveredStream()[i], image.redeliveredCount()[i]);
        }
        return new ConsumerState(new SequencePair(image.deliveredConsumer(), image.deliveredStream()),
            new SequencePair(image.ackFloorConsumer(), image.ackFloorStream()), pending, redelivered);
    }
}
