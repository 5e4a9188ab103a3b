package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Sequential tailer throughput: one {@code StreamTailer} polling batches of {@link #BATCH} verified zero-copy views
 * over a store of {@link #MESSAGES} messages of 128 B (plaintext), starting again at the first once it reaches the
 * end. {@code reader=tailer} is the writer's own tailer; {@code reader=view} the tailer of a read-only view
 * ({@code FileStreamStore.openReadOnly}, what a reader in another process uses), opened here beside the open writer.
 * The counterpart of {@link FerriteReadBenchmark}'s sequential {@code read}, which looks each sequence up on its own.
 * Write-to-read latency is {@link TailerLatencyBenchmark} (in-process) and {@link CrossProcessLatencyBenchmark};
 * Chronicle Queue read the same way is {@link ChronicleTailerBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FerriteTailerBenchmark extends BenchmarkDefaults
{
    /** About 180 MB of records, as {@link FerriteReadBenchmark}. */
    public static final int MESSAGES = 1_000_000;
    /** Messages per poll. */
    public static final int BATCH = 64;

    /** Whose tailer polls: the writer's ({@code tailer}) or a read-only view's ({@code view}). */
    @Param({"tailer", "view"})
    public String reader;

    private Path directory;
    private StreamStore store;
    private StreamView view;
    private StreamTailer tailer;
    private Blackhole blackhole;
    private final MessageHandler handler = this::consume;

    /**
     * Writes the messages once per trial; for {@code reader=view}, keeps the writer open and opens the view.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-tailer");
        store = FileStreamStore.open(directory, StreamConfig.builder("bench").build());
        final byte[] payload = Payloads.random(128);
        final int messages = SmokeScale.scale(MESSAGES);
        for (int i = 0; i < messages; i++)
        {
            store.append(FerriteAppender.SUBJECT, null, payload);
        }
        if ("view".equals(reader))
        {
            view = FileStreamStore.openReadOnly(directory);
            tailer = view.createTailer(1);
        }
        else
        {
            tailer = store.createTailer(1);
        }
    }

    /**
     * Closes the view and the store, and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            tailer.close();
            if (null != view)
            {
                view.close();
            }
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * One poll of up to {@link #BATCH} messages, each payload's first and last bytes consumed. The poll that finds the
     * end (one in {@code MESSAGES / BATCH}) seeks back to the start.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int poll(final Blackhole blackhole)
    {
        this.blackhole = blackhole;
        final int handed = tailer.poll(handler, BATCH);
        if (handed < BATCH)
        {
            tailer.seek(1);
        }
        return handed;
    }

    private void consume(final MessageView message)
    {
        blackhole.consume(message.buffer().getByte(message.payloadOffset()) +
            message.buffer().getByte(message.payloadOffset() + message.payloadLength() - 1));
    }
}
