package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.ChildJournal;
import io.ferrite.engine.testing.ChildProcess;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.ConsumerTracker;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The process {@link ConsumerCrashTest} kills. Opens the stream and consumer {@value #CONSUMER}, prints
 * {@code OPEN <ack floor stream seq>}, then repeats: append a few messages, deliver them, and acknowledge a seeded
 * random pending message (out of order, so the floor moves in jumps) — printing {@code WILL <floor>} with the floor
 * the acknowledgement will produce before {@code updateAcks}, and {@code ACKED <floor>} after it returned. It never
 * closes anything: it is killed with SIGKILL, stops after {@code maxRounds}, or halts when its parent goes.
 * <p>
 * Arguments: {@code <dir> <syncMode> <maxRounds> <seed>}.
 */
public final class ConsumerCrashChild
{
    public static final String CONSUMER = "crash-consumer";
    public static final ConsumerConfig CONFIG = ConsumerConfig.builder().build();

    private ConsumerCrashChild()
    {
    }

    public static StreamConfig config(final SyncMode mode)
    {
        return StreamConfig.builder("consumer-crash").blockSize(64 * 1024).maxMsgSize(256).syncMode(mode)
            .syncInterval(Duration.ofMillis(5)).build();
    }

    public static void main(final String[] args) throws IOException
    {
        final Path dir = Path.of(args[0]);
        final SyncMode mode = SyncMode.valueOf(args[1]);
        final int maxRounds = Integer.parseInt(args[2]);
        final Random random = new Random(Long.parseLong(args[3]));
        ChildProcess.haltWhenParentGoes();

        final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false,
            StandardCharsets.US_ASCII);
        final ChildJournal journal = ChildJournal.open(ChildJournal.beside(dir), out);
        final StreamStore store = FileStreamStore.open(dir, config(mode));
        final ConsumerStore consumer = store.consumer(CONSUMER, CONFIG);
        out.println("OPEN " + consumer.state().ackFloor().stream());
        out.flush();
        final byte[] payload = new byte[32];
        for (int round = 0; round < maxRounds; round++)
        {
            final int appends = 1 + random.nextInt(3);
            for (int i = 0; i < appends; i++)
            {
                store.append("crash.k", null, payload);
            }
            ConsumerState state = consumer.state();
            long dseq = state.delivered().consumer();
            for (long sseq = state.delivered().stream() + 1; sseq <= store.lastSeq(); sseq++)
            {
                consumer.updateDelivered(++dseq, sseq, 1, System.currentTimeMillis() * 1_000_000L);
            }
            state = consumer.state();
            final List<Long> pending = new ArrayList<>(state.pending().keySet());
            if (pending.isEmpty())
            {
                continue;
            }
            // The lowest more often than not, so the floor keeps moving.
            final long sseq = random.nextBoolean() ? pending.get(0) : pending.get(random.nextInt(pending.size()));
            final long ackDseq = state.pending().get(sseq).consumerSeq();
            final ConsumerTracker shadow = new ConsumerTracker(CONSUMER, CONFIG, state);
            shadow.acked(ackDseq, sseq);
            journal.say("WILL " + shadow.state().ackFloor().stream());
            consumer.updateAcks(ackDseq, sseq);
            journal.say("ACKED " + consumer.state().ackFloor().stream());
        }
        out.println("DONE");
        out.flush();
        Runtime.getRuntime().halt(0);
    }
}
