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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Sequential tailer throughput through the read-only view ({@code FileStreamStore.openReadOnly}) a reader in another
 * process uses, opened here beside the writer: the same store and workload as {@link FerriteTailerBenchmark} (1 M
 * messages of 128 B, plaintext, batches of {@link #BATCH}, the end seeking back to the first), so the two compare the
 * in-process tailer with the view's. Cross-process write-to-read latency is not measured here.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ReadOnlyViewTailerBenchmark extends BenchmarkDefaults
{
    /** Messages per poll. */
    public static final int BATCH = FerriteTailerBenchmark.BATCH;

    private Path directory;
    private StreamStore store;
    private StreamView view;
    private StreamTailer tailer;
    private Blackhole blackhole;
    private final MessageHandler handler = this::consume;

    /**
     * Writes the messages once per trial, keeps the writer open and opens the view beside it.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-view-tailer");
        store = FileStreamStore.open(directory, StreamConfig.builder("bench").build());
        final byte[] payload = Payloads.random(128);
        final int messages = SmokeScale.scale(FerriteTailerBenchmark.MESSAGES);
        for (int i = 0; i < messages; i++)
        {
            store.append(FerriteAppender.SUBJECT, null, payload);
        }
        view = FileStreamStore.openReadOnly(directory);
        tailer = view.createTailer(1);
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
            view.close();
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * One poll of up to {@link #BATCH} messages, each payload's first and last bytes consumed.
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
