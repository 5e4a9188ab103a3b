package io.ferrite.bench;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamListener;
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

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What listeners cost the appender (issue 15: "with no listener registered the append path must not get slower"):
 * 128 B appends with no listener ({@code none}), with one that counts {@code onAppended} calls on the appending
 * thread ({@code counting}), and with one registered and then removed ({@code removed}: the path a store takes once
 * its last listener is gone). Throughput; run it with {@code -bm sample -tu ns} for the latency distribution.
 * <p>
 * JMH subclasses benchmark classes, so this one cannot be final.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ListenerCostBenchmark extends BenchmarkDefaults
{
    /** Which listeners the store has while the benchmark appends. */
    @Param({ "none", "counting", "removed" })
    public String listeners;

    private Path directory;
    private StreamStore store;
    private AutoCloseable registration;
    private long appended;
    private final byte[] payload = Payloads.random(128);

    /**
     * Opens the store and registers the listener the parameter names.
     */
    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        directory = BenchDirectory.create("listener-cost");
        store = FileStreamStore.open(directory, StreamConfig.builder("bench").build());
        switch (listeners)
        {
            case "none" ->
            {
            }
            case "counting" -> registration = store.addListener(new StreamListener()
            {
                @Override
                public void onAppended(final long seq, final int bytes)
                {
                    appended++;
                }
            });
            case "removed" -> store.addListener(new StreamListener()
            {
            }).close();
            default -> throw new IllegalArgumentException("listeners must be none, counting or removed: " + listeners);
        }
    }

    /**
     * Removes the listener, closes and deletes the store.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        try
        {
            if (null != registration)
            {
                registration.close();
            }
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
        if ("counting".equals(listeners))
        {
            System.out.printf("%nthe listener counted %d appends%n", appended);
        }
    }

    /**
     * One append of 128 B.
     */
    @Benchmark
    public long append()
    {
        return store.append(FerriteAppender.SUBJECT, null, payload);
    }
}
