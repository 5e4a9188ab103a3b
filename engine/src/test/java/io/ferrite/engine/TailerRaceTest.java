package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamTruncatedException;
import io.ferrite.store.SyncMode;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tailer on its own thread racing a writer that appends, skips, removes, purges, compacts and truncates once, in
 * small blocks so that blocks roll and the reclaimer deletes and rewrites them under the tailer. Checked against the
 * writer's model: every message the stream holds at the end was handed over exactly once, with the payload appended
 * at its sequence in the timeline it belongs to; nothing was handed over that was not appended there; sequences came
 * in order between rewinds; the truncation was reported once. Plaintext and encrypted. The writer's operations are
 * seeded; the interleaving is not, which is what is being tested.
 * <p>
 * {@value #OPS_DEFAULT} writer operations per mode; {@value #OPS_SOAK} with {@code -Dferrite.soak=true}
 * ({@code -Psoak}), or {@code -Dferrite.tailer.ops=N}.
 */
class TailerRaceTest
{
    private static final int OPS_DEFAULT = 60_000;
    private static final int OPS_SOAK = 1_200_000;
    private static final long SEED = 0x7A11_E4L;
    private static final int PAYLOAD_HEAD = 12;
    /**
     * How often the writer lets the tailer catch up. Without it a busy machine may starve the tailer while purges and
     * compactions remove what it has not read yet, and the race would check little; with it every window of this many
     * operations is followed while it is still there.
     */
    private static final int CATCH_UP_EVERY = 2_000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTailerRacingAWriterDeliversEveryMessageOnceInOrder(final StreamMode mode) throws Exception
    {
        final int ops = Integer.getInteger("ferrite.tailer.ops", CampaignSeeds.soak() ? OPS_SOAK : OPS_DEFAULT);
        final StreamConfig config = mode.config(StreamConfig.builder("race").blockSize(8192).maxMsgSize(256));
        final int[] model = new int[ops + 2];
        final int[] delivered = new int[ops + 2];
        final AtomicLong tailerAt = new AtomicLong(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long[] rewinds = new long[1];
        final long[] handedOver = new long[1];
        final long[] truncatedTo = { -1 };
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final Thread writer = new Thread(() -> write(store, ops, model, tailerAt, truncatedTo, failure),
                "race-writer");
            final Thread tailing = new Thread(
                () -> follow(store, writer, delivered, tailerAt, rewinds, handedOver, failure), "race-tailer");
            writer.start();
            tailing.start();
            writer.join();
            tailing.join();
            assertThat(failure.get()).as("writer or tailer failed").isNull();

            final long lastSeq = store.lastSeq();
            long live = 0;
            for (long seq = 1; seq <= lastSeq; seq++)
            {
                final StoredMessage message = store.load(seq);
                if (null != message)
                {
                    live++;
                    final int generation = generationOf(message.payload());
                    assertThat(model[(int)seq]).as("model generation of seq %d", seq).isEqualTo(generation + 1);
                    assertThat(delivered[(int)seq]).as("seq %d, stored at the end, was handed over", seq)
                        .isEqualTo(generation + 1);
                }
            }
            for (int seq = 1; seq < delivered.length; seq++)
            {
                if (delivered[seq] != 0)
                {
                    assertThat(delivered[seq]).as("seq %d was handed over as appended in its timeline", seq)
                        .isEqualTo(model[seq]);
                }
            }
            assertThat(handedOver[0]).as("messages handed over (%d stored at the end)", live).isGreaterThan(ops / 10);
            assertThat(rewinds[0]).as("the truncation to %d was reported once", truncatedTo[0]).isEqualTo(1);
            assertThat(store.stats().blocksCreated()).as("blocks rolled under the tailer").isGreaterThan(50);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aDurableOnlyTailerNeverHandsOverBeyondTheDurableSequence(final StreamMode mode) throws Exception
    {
        final int appends = Math.max(1_000, Integer.getInteger("ferrite.tailer.ops",
            CampaignSeeds.soak() ? OPS_SOAK : OPS_DEFAULT) / 4);
        final StreamConfig config = mode.config(StreamConfig.builder("durable").blockSize(64 * 1024)
            .maxMsgSize(256).syncMode(SyncMode.INTERVAL).syncInterval(Duration.ofMillis(1)));
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long[] count = new long[1];
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final byte[] payload = new byte[64];
                    for (int i = 0; i < appends; i++)
                    {
                        store.append("d.x", null, payload);
                    }
                    store.flush().join();
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "durable-writer");
            final Thread tailing = new Thread(() ->
            {
                final IdleStrategy idle = new BackoffIdleStrategy();
                final long[] last = new long[1];
                final MessageHandler handler = message ->
                {
                    final long durable = store.durableSeq();
                    if (message.seq() > durable || message.seq() != last[0] + 1)
                    {
                        throw new AssertionError("handed over seq " + message.seq() + " after " + last[0] +
                            " with durable seq " + durable);
                    }
                    last[0] = message.seq();
                    count[0]++;
                };
                try (StreamTailer tailer = store.createTailer(1, true))
                {
                    while (last[0] < appends && null == failure.get())
                    {
                        idle.idle(tailer.poll(handler, 64));
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "durable-tailer");
            tailing.start();
            writer.start();
            writer.join();
            tailing.join();
            assertThat(failure.get()).isNull();
            assertThat(count[0]).isEqualTo(appends);
        }
    }

    private static void write(
        final FileStreamStore store, final int ops, final int[] model, final AtomicLong tailerAt,
        final long[] truncatedTo, final AtomicReference<Throwable> failure)
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final byte[] payload = new byte[PAYLOAD_HEAD + 120];
        final ByteBuffer head = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        int generation = 0;
        try
        {
            for (int op = 0; op < ops; op++)
            {
                final long last = store.lastSeq();
                if (op > 0 && op % CATCH_UP_EVERY == 0)
                {
                    awaitTailer(tailerAt, last, failure);
                }
                if (op == ops / 2)
                {
                    final long to = Math.max(0, last - 1 - random.nextInt(150));
                    // Let the tailer pass the cut first, so the rewind is there to report.
                    awaitTailer(tailerAt, last, failure);
                    store.truncate(to);
                    truncatedTo[0] = to;
                    for (long seq = to + 1; seq <= last; seq++)
                    {
                        model[(int)seq] = 0;
                    }
                    generation++;
                    continue;
                }
                final int roll = random.nextInt(10_000);
                if (roll < 8_400)
                {
                    final long seq = last + 1;
                    head.putLong(0, seq).putInt(8, generation);
                    final int length = PAYLOAD_HEAD + random.nextInt(120);
                    final byte[] bytes = Arrays.copyOf(payload, length);
                    final String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
                    final long assigned = store.append(subject, null, bytes);
                    if (assigned != seq)
                    {
                        throw new AssertionError("append took " + assigned + ", expected " + seq);
                    }
                    model[(int)seq] = generation + 1;
                }
                else if (roll < 9_600)
                {
                    store.remove(Math.max(1, last - random.nextInt(300)));
                }
                else if (roll < 9_850)
                {
                    store.skip();
                }
                else if (roll < 9_960)
                {
                    store.compact(Math.min(last + 1, store.firstSeq() + random.nextInt(400)));
                }
                else if (roll < 9_995)
                {
                    store.purge("r.c", Math.max(0, last - 100), 0);
                }
                else
                {
                    store.purge();
                }
            }
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    private static void awaitTailer(
        final AtomicLong tailerAt, final long last, final AtomicReference<Throwable> failure)
    {
        while (tailerAt.get() <= last && null == failure.get())
        {
            Thread.yield();
        }
    }

    private static void follow(
        final FileStreamStore store, final Thread writer, final int[] delivered, final AtomicLong tailerAt,
        final long[] rewinds, final long[] handedOver, final AtomicReference<Throwable> failure)
    {
        final long[] lastDelivered = new long[1];
        final MessageHandler handler = message ->
        {
            final long seq = message.seq();
            final DirectBuffer buffer = message.buffer();
            final long payloadSeq = buffer.getLong(message.payloadOffset(), ByteOrder.LITTLE_ENDIAN);
            final int generation = buffer.getInt(message.payloadOffset() + 8, ByteOrder.LITTLE_ENDIAN);
            if (payloadSeq != seq || seq <= lastDelivered[0] || delivered[(int)seq] != 0)
            {
                throw new AssertionError("handed over seq " + seq + " (payload says " + payloadSeq + ") after " +
                    lastDelivered[0] + ", already delivered as generation " + (delivered[(int)seq] - 1));
            }
            delivered[(int)seq] = generation + 1;
            lastDelivered[0] = seq;
            handedOver[0]++;
        };
        final IdleStrategy idle = new BackoffIdleStrategy();
        try (StreamTailer tailer = store.createTailer(1))
        {
            while (null == failure.get())
            {
                final int handed;
                try
                {
                    handed = tailer.poll(handler, 64);
                }
                catch (final StreamTruncatedException rewound)
                {
                    // What was consumed above the cut may be gone: forget it, and follow the new timeline.
                    rewinds[0]++;
                    for (long seq = rewound.truncatedTo() + 1; seq <= lastDelivered[0]; seq++)
                    {
                        delivered[(int)seq] = 0;
                    }
                    lastDelivered[0] = Math.min(lastDelivered[0], rewound.truncatedTo());
                    if (tailer.nextSeq() != rewound.truncatedTo() + 1)
                    {
                        throw new AssertionError("after the rewind the tailer is at " + tailer.nextSeq());
                    }
                    continue;
                }
                tailerAt.set(tailer.nextSeq());
                // The writer was started before this thread, so "not alive" means finished.
                if (handed == 0 && !writer.isAlive() && tailer.nextSeq() > store.lastSeq())
                {
                    return;
                }
                idle.idle(handed);
            }
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    private static int generationOf(final byte[] payload)
    {
        return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
    }

    private static final String[] SUBJECTS = { "r.a", "r.b", "r.c" };
}
