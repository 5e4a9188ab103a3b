package io.ferrite.bench;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
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
 * Sequential tailer throughput of Chronicle Queue, the peer of {@link FerriteTailerBenchmark} measured the same way:
 * one {@code ExcerptTailer} reading batches of {@link FerriteTailerBenchmark#BATCH} documents in place
 * ({@code readingDocument()}) over a queue of {@link FerriteTailerBenchmark#MESSAGES} messages of 128 B, each
 * payload's first and last bytes consumed, going back to the start once it reaches the end.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ChronicleTailerBenchmark extends BenchmarkDefaults
{
    private Path directory;
    private ChronicleQueueAppender writer;
    private ExcerptTailer tailer;

    /**
     * Writes the messages once per trial.
     */
    @Setup(Level.Trial)
    public void setUp()
    {
        directory = BenchDirectory.create("chronicle-tailer");
        writer = new ChronicleQueueAppender(directory, Payloads.random(128));
        final int messages = SmokeScale.scale(FerriteTailerBenchmark.MESSAGES);
        for (int i = 0; i < messages; i++)
        {
            writer.append();
        }
        tailer = writer.queue().createTailer();
    }

    /**
     * Closes and deletes the queue.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            tailer.close();
            writer.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * Up to {@link FerriteTailerBenchmark#BATCH} documents; the batch that finds the end goes back to the start.
     */
    @Benchmark
    @OperationsPerInvocation(FerriteTailerBenchmark.BATCH)
    public int poll(final Blackhole blackhole)
    {
        for (int i = 0; i < FerriteTailerBenchmark.BATCH; i++)
        {
            try (DocumentContext document = tailer.readingDocument())
            {
                if (!document.isPresent())
                {
                    tailer.toStart();
                    return i;
                }
                final Bytes<?> bytes = document.wire().bytes();
                blackhole.consume(bytes.readByte(bytes.readPosition()) + bytes.readByte(bytes.readLimit() - 1));
            }
        }
        return FerriteTailerBenchmark.BATCH;
    }
}
