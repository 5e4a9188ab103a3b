package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.ConsumerTracker;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.agrona.IoUtil;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A named tailer's cursor (issue 15) and a consumer's state (issue 16) under the power-loss model
 * ({@link PowerLossIO}), in every sync mode. Each cycle opens the previous cycle's power-cut image, appends, polls and
 * acknowledges through one named tailer, delivers and acknowledges through one {@code EXPLICIT} consumer, and cuts the
 * power after a seeded number of steps. What counts as acknowledged durable: in {@code ALWAYS} every {@code ack} and
 * consumer update that returned; in every mode a tailer's {@code close()} after a {@code flush()} covering what it
 * acknowledged, and the store's {@code close()} (the cycle closes and reopens it at a seeded step). The reopened image
 * must hold:
 * <ul>
 *   <li>cursor: acknowledged position at least the last durably acknowledged one, at most the highest acknowledged
 *   (no unacknowledged message is skipped) and at most the stream's last sequence; the tailer resumes right after
 *   it;</li>
 *   <li>consumer: exactly one of the states its updates produced since the last durable one (a whole-file write: never
 *   a mix), less the deliveries of messages the cut took back — so its ack floor is never below the last durable
 *   update's and never above what was acked, and delivered and pending stay consistent;</li>
 *   <li>the stream: every message whose durability was acknowledged is there, byte-identical.</li>
 * </ul>
 * {@value #CYCLES_DEFAULT} cycles per stream mode by default, {@value #CYCLES_SOAK} on each of {@link CampaignSeeds}'
 * seeds with {@code -Psoak}; {@code -Dferrite.powerloss.seed} and {@code -Dferrite.powerloss.cycles} replay one.
 */
class ConsumerCursorPowerLossTest
{
    static final int CYCLES_DEFAULT = 40;
    static final int CYCLES_SOAK = 300;
    private static final long DEFAULT_SEED = 0xC0_5EEDL;
    private static final int BLOCK_SIZE = 8 * 1024;
    private static final int MAX_PAYLOAD = 300;
    private static final String TAILER = "orders";
    private static final String CONSUMER = "billing";
    private static final ConsumerConfig EXPLICIT = ConsumerConfig.builder().build();

    @TempDir
    Path tmp;

    private final Map<Long, byte[]> payloads = new HashMap<>();

    static Stream<Arguments> campaigns()
    {
        return CampaignSeeds.perValue(
            StreamMode.values(), "ferrite.powerloss.seed", (mode) -> DEFAULT_SEED + mode.ordinal());
    }

    @ParameterizedTest(name = "{0} seed={1}")
    @MethodSource("campaigns")
    void cursorsAndConsumersKeepTheirPromisesAcrossSeededPowerCuts(final StreamMode streamMode, final long seed)
    {
        final int cycles =
            Integer.getInteger("ferrite.powerloss.cycles", CampaignSeeds.soak() ? CYCLES_SOAK : CYCLES_DEFAULT);
        final Random random = new Random(seed);
        Path dir = tmp.resolve("cycle-0");
        Model model = new Model();
        for (int cycle = 1; cycle <= cycles; cycle++)
        {
            final SyncMode mode = SyncMode.values()[random.nextInt(SyncMode.values().length)];
            final Path image = tmp.resolve("cycle-" + cycle);
            final String plan = streamMode + " seed=" + seed + " (-Dferrite.powerloss.seed), cycle " + cycle + ": " +
                mode;
            model = runCycle(streamMode, mode, random, dir, image, model, random, plan);
            IoUtil.delete(dir.toFile(), false);
            dir = image;
        }
        assertThat(model.maxAck).as("the tailer acknowledged something").isPositive();
    }

    @ParameterizedTest
    @EnumSource(SyncMode.class)
    void theWorstCaseCutKeepsEveryDurablyAcknowledgedPosition(final SyncMode mode)
    {
        final Random random = new Random(mode.ordinal() + 11);
        Path dir = tmp.resolve("w-0");
        Model model = new Model();
        for (int cycle = 1; cycle <= 6; cycle++)
        {
            final Path image = tmp.resolve("w-" + cycle);
            model = runCycle(StreamMode.PLAINTEXT, mode, random, dir, image, model, PowerLossIO.worstCase(),
                "worst case " + mode + ", cycle " + cycle);
            dir = image;
        }
        assertThat(model.maxAck).isPositive();
    }

    /**
     * What was acknowledged, and what of it durably, carried from cycle to cycle.
     */
    private static final class Model
    {
        long durableMessages;
        long ack;
        long durableAck;
        long maxAck;
        long dseq;
        long timestamp;
        /** Consumer states since the last durable one, that one first. */
        List<ConsumerState> states = new ArrayList<>(List.of(ConsumerState.EMPTY));
        boolean consumerCreated;
        boolean tailerCreated;
    }

    private Model runCycle(
        final StreamMode streamMode, final SyncMode mode, final Random random, final Path dir, final Path image,
        final Model model, final Random cut, final String plan)
    {
        final PowerLossIO io = new PowerLossIO(dir);
        final StreamConfig config = config(streamMode, mode, Duration.ofMillis(1 + random.nextInt(5)));
        final int steps = 1 + random.nextInt(60);
        final int reopenAt = random.nextInt(3) == 0 ? random.nextInt(steps) : -1;
        FileStreamStore store = FileStreamStore.open(dir, config, io);
        try
        {
            NamedTailer tailer = store.createTailer(TAILER);
            model.tailerCreated = true;
            ConsumerStore consumer = store.consumer(CONSUMER, EXPLICIT);
            model.consumerCreated = true;
            for (int step = 0; step < steps; step++)
            {
                if (step == reopenAt)
                {
                    // The store's close makes every acknowledgement and update durable.
                    tailer.close();
                    final long lastBeforeClose = store.state().lastSeq();
                    store.close();
                    model.durableMessages = lastBeforeClose;
                    model.durableAck = model.ack;
                    model.states = new ArrayList<>(List.of(model.states.get(model.states.size() - 1)));
                    store = FileStreamStore.open(dir, config, io);
                    tailer = store.createTailer(TAILER);
                    consumer = store.consumer(CONSUMER, EXPLICIT);
                }
                switch (random.nextInt(5))
                {
                    case 0, 1 -> append(store, mode, random, model);
                    case 2 -> pollAndAck(tailer, mode, random, model);
                    case 3 -> updateConsumer(store, consumer, mode, random, model);
                    default ->
                    {
                        // A durability point for the cursor in every mode: what it acknowledged made durable by the
                        // flush, then written by the tailer's close.
                        final long flushed = store.flush().join();
                        model.durableMessages = Math.max(model.durableMessages, flushed);
                        tailer.close();
                        model.durableAck = Math.max(model.durableAck, Math.min(model.ack, flushed));
                        tailer = store.createTailer(TAILER);
                    }
                }
            }
            io.cut(cut, image);
        }
        finally
        {
            store.close();
        }
        return verify(streamMode, image, model, plan);
    }

    private void append(final FileStreamStore store, final SyncMode mode, final Random random, final Model model)
    {
        for (int i = 1 + random.nextInt(8); i > 0; i--)
        {
            final byte[] payload = new byte[random.nextInt(MAX_PAYLOAD)];
            random.nextBytes(payload);
            final long seq = store.append("s", null, payload);
            payloads.put(seq, payload);
            if (mode == SyncMode.ALWAYS)
            {
                model.durableMessages = seq;
            }
        }
    }

    private static void pollAndAck(final NamedTailer tailer, final SyncMode mode, final Random random,
        final Model model)
    {
        tailer.poll((view) ->
        {
        }, 1 + random.nextInt(10));
        final long passed = tailer.nextSeq() - 1;
        if (passed > model.ack && random.nextInt(4) != 0)
        {
            final long seq = model.ack + 1 + random.nextInt((int)(passed - model.ack));
            tailer.ack(seq);
            model.ack = seq;
            model.maxAck = Math.max(model.maxAck, seq);
            if (mode == SyncMode.ALWAYS)
            {
                model.durableAck = seq;
            }
        }
    }

    private static void updateConsumer(
        final FileStreamStore store, final ConsumerStore consumer, final SyncMode mode, final Random random,
        final Model model)
    {
        final ConsumerState state = consumer.state();
        final long next = state.delivered().stream() + 1;
        if (next <= store.state().lastSeq() && (state.pending().isEmpty() || random.nextBoolean()))
        {
            consumer.updateDelivered(++model.dseq, next, 1, ++model.timestamp);
        }
        else if (!state.pending().isEmpty())
        {
            final List<Long> pending = new ArrayList<>(state.pending().keySet());
            final long sseq = pending.get(random.nextInt(pending.size()));
            consumer.updateAcks(state.pending().get(sseq).consumerSeq(), sseq);
        }
        else
        {
            return;
        }
        if (mode == SyncMode.ALWAYS)
        {
            model.states.clear();
        }
        model.states.add(consumer.state());
    }

    private Model verify(final StreamMode streamMode, final Path image, final Model model, final String plan)
    {
        try (FileStreamStore store = FileStreamStore.open(image,
            config(streamMode, SyncMode.INTERVAL, Duration.ofMillis(1)), new PowerLossIO(image)))
        {
            final long last = store.state().lastSeq();
            final String context = plan + ": recovered " + store.state() + ", report " + store.recoveryReport();
            assertThat(last).as("durable messages: %s", context).isGreaterThanOrEqualTo(model.durableMessages);
            for (long seq = 1; seq <= model.durableMessages; seq++)
            {
                // A sequence absent already (lost, and reported, at an earlier cycle's cut) has no payload left.
                if (payloads.containsKey(seq))
                {
                    final StoredMessage message = store.load(seq);
                    assertThat(null != message && Arrays.equals(message.payload(), payloads.get(seq)))
                        .as("durable seq %d: %s", seq, context).isTrue();
                }
            }
            for (long seq = model.durableMessages + 1; seq <= last; seq++)
            {
                if (!isStored(store, seq))
                {
                    payloads.remove(seq);
                }
            }
            payloads.keySet().removeIf((seq) -> seq > last);

            assertThat(store.tailers()).as("the cursor, created durably: %s", context)
                .anyMatch((position) -> position.name().equals(TAILER));
            final long resumedAck;
            try (NamedTailer tailer = store.createTailer(TAILER))
            {
                resumedAck = tailer.ackedSeq();
                assertThat(resumedAck).as("cursor not behind its last durable ack %d: %s", model.durableAck, context)
                    .isGreaterThanOrEqualTo(model.durableAck);
                assertThat(resumedAck).as("cursor not beyond what was acked (%d) or stored: %s", model.maxAck,
                    context).isLessThanOrEqualTo(Math.min(model.maxAck, last));
                final long[] first = { -1 };
                tailer.poll((view) -> first[0] = view.seq(), 1);
                // The first message stored after the acknowledged position: a sequence an earlier cut took (and
                // reported) is passed over, any stored one never is.
                long expected = resumedAck + 1;
                while (expected <= last && !isStored(store, expected))
                {
                    expected++;
                }
                if (expected <= last)
                {
                    assertThat(first[0]).as("resumes at the first stored message after the acknowledged position %d: " +
                        "%s", resumedAck, context).isEqualTo(expected);
                }
            }

            assertThat(store.consumerNames()).as("the consumer, created durably: %s", context).contains(CONSUMER);
            final ConsumerState recovered = store.consumer(CONSUMER, EXPLICIT).state();
            boolean matched = false;
            for (final ConsumerState produced : model.states)
            {
                matched |= ConsumerTracker.withoutBeyond(produced, last).equals(recovered);
            }
            assertThat(matched).as("consumer state %s is one its updates produced since the last durable one %s, " +
                "less deliveries beyond %d: %s", recovered, model.states, last, context).isTrue();
            final ConsumerState durable = ConsumerTracker.withoutBeyond(model.states.get(0), last);
            assertThat(recovered.ackFloor().stream()).as("ack floor not behind the durable one: %s", context)
                .isGreaterThanOrEqualTo(durable.ackFloor().stream());

            final Model next = new Model();
            next.durableMessages = last;
            next.ack = resumedAck;
            next.durableAck = resumedAck;
            next.maxAck = Math.max(model.maxAck, resumedAck);
            next.dseq = recovered.delivered().consumer();
            next.timestamp = model.timestamp;
            next.states = new ArrayList<>(List.of(recovered));
            return next;
        }
    }

    /**
     * @return whether {@code seq} is stored: a sequence lost (and reported) at an earlier cut is absent, or, in a block
     * a later state lists as sealed, refuses to load rather than return damaged bytes.
     */
    private static boolean isStored(final FileStreamStore store, final long seq)
    {
        try
        {
            return null != store.load(seq);
        }
        catch (final CorruptRecordException lost)
        {
            return false;
        }
    }

    private static StreamConfig config(final StreamMode streamMode, final SyncMode mode, final Duration interval)
    {
        return streamMode.config(StreamConfig.builder("cursors").blockSize(BLOCK_SIZE).maxMsgSize(MAX_PAYLOAD + 64)
            .syncMode(mode).syncInterval(interval));
    }
}
