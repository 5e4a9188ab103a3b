package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code load} (a verified heap copy) against zero-copy {@code read} (a verified flyweight over mapped memory), over
 * a store of {@link #MESSAGES} messages of 128 B, in sequential and random order. Both verify the record's checksums
 * on every call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FerriteReadBenchmark extends BenchmarkDefaults
{
    /** About 180 MB of records: several blocks, far more than the CPU caches. */
    public static final int MESSAGES = 1_000_000;

    /** Visiting order. */
    @Param({ "sequential", "random" })
    public String order;

    private Path directory;
    private StreamStore store;
    private final SplittableRandom random = new SplittableRandom(Payloads.SEED);
    private long next;
    private int messages;
    private Blackhole blackhole;
    private final MessageHandler handler = this::consume;

    /**
     * Writes the messages once per trial.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-read");
        store = FileStreamStore.open(directory, StreamConfig.builder("bench").build());
        final byte[] payload = Payloads.random(128);
        messages = SmokeScale.scale(MESSAGES);
        for (int i = 0; i < messages; i++)
        {
            store.append(FerriteAppender.SUBJECT, null, payload);
        }
    }

    /**
     * Closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    private long nextSeq()
    {
        if ("random".equals(order))
        {
            return 1 + random.nextInt(messages);
        }
        next = next == messages ? 1 : next + 1;
        return next;
    }

    /**
     * A verified copy of one message.
     */
    @Benchmark
    public StoredMessage load()
    {
        return store.load(nextSeq());
    }

    /**
     * A verified zero-copy view of one message, its payload's first and last bytes consumed.
     */
    @Benchmark
    public boolean read(final Blackhole blackhole)
    {
        this.blackhole = blackhole;
        return store.read(nextSeq(), handler);
    }

    private void consume(final MessageView view)
    {
        blackhole.consume(view.buffer().getByte(view.payloadOffset()) +
            view.buffer().getByte(view.payloadOffset() + view.payloadLength() - 1));
    }
}
