package io.ferrite.bench;

import io.ferrite.store.SyncMode;
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

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Ferrite's three append forms side by side, with Chronicle Queue as the peer in the same run: the {@code byte[]}
 * append with a {@code String} subject ({@link FerriteAppender}), the append from an off-heap buffer through a subject
 * handle ({@link FerriteBufferAppender}), and claim, encode, commit ({@link FerriteClaimAppender}), with the floors in
 * the same run: the ring floor ({@link AgronaFloorAppender}) and the two fresh-page floors, which keep their data as a
 * store does ({@link FreshPageFloorAppender}, without and with a page-preparing helper). Every Ferrite form
 * opens the same store configuration ({@link FerriteAppender#openStore}, default 8 MiB blocks) in {@code INTERVAL}
 * mode (durable within 100 ms, what issue 14's targets name), no headers, the same payload. Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} is the allocation per append.
 * <p>
 * Lifecycle as in {@link AppendBenchmark}, which this does not extend so that it stays at one payload size by
 * default (issue 14 compares the forms at 128 B; {@code -p payloadLength=...} for others): a fresh target per
 * iteration, one append in setup to take first-write costs out of the first measured op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HotPathAppendBenchmark extends BenchmarkDefaults
{
    /** How the message reaches the store. */
    public enum Form
    {
        /** {@code append(String, byte[], byte[])}. */
        BYTES((directory, payload) -> new FerriteAppender(directory, payload, SyncMode.INTERVAL)),

        /** {@code append(SubjectHandle, DirectBuffer, ..., DirectBuffer, ...)} from an off-heap buffer. */
        BUFFER((directory, payload) -> new FerriteBufferAppender(directory, payload, SyncMode.INTERVAL)),

        /** {@code tryClaim}, copy the payload into the claim, {@code commit()}. */
        CLAIM((directory, payload) -> new FerriteClaimAppender(directory, payload, SyncMode.INTERVAL)),

        /** The peer: Chronicle Queue's {@code writeBytes(BytesStore)}; its own configuration, no sync mode. */
        CHRONICLE(ChronicleQueueAppender::new),

        /** The ring floor: one 64 MiB file, already faulted, reused ({@link AgronaFloorAppender}). */
        FLOOR_RING(AgronaFloorAppender::new),

        /** The fresh-page floor: sparse 64 MiB files never reused, faulted by the appender. */
        FLOOR_FRESH(FreshPageFloorAppender::sparse),

        /** The fresh-page floor with a helper thread touching each page of the next files ahead of the appender. */
        FLOOR_FRESH_PREPARED(FreshPageFloorAppender::prepared);

        private final AppendTargetFactory factory;

        Form(final AppendTargetFactory factory)
        {
            this.factory = factory;
        }
    }

    @Param({ "BYTES", "BUFFER", "CLAIM", "CHRONICLE", "FLOOR_RING", "FLOOR_FRESH", "FLOOR_FRESH_PREPARED" })
    public Form form;

    /** Payload bytes per append. */
    @Param({ "128" })
    public int payloadLength;

    private Path directory;
    private AppendTarget target;

    /**
     * Opens an empty store for the iteration and appends once.
     */
    @Setup(Level.Iteration)
    public void setUp()
    {
        directory = BenchDirectory.create("hot-path-" + form.name().toLowerCase());
        target = form.factory.open(directory, Payloads.random(payloadLength));
        target.append();
    }

    /**
     * Closes the store and deletes its files.
     */
    @TearDown(Level.Iteration)
    public void tearDown()
    {
        try
        {
            target.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * Appends as fast as possible.
     */
    @Benchmark
    public void append()
    {
        target.append();
    }
}
