package io.ferrite.bench.latency;

import io.ferrite.bench.AppendTarget;
import io.ferrite.bench.BenchDirectory;
import io.ferrite.bench.JvmFlags;
import io.ferrite.bench.Payloads;
import io.ferrite.bench.plot.PercentileDistribution;
import io.ferrite.bench.plot.PercentilePlot;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the append latency distribution of each {@link AppendSeries} with a {@link LatencyRecorder} and
 * writes one HdrHistogram percentile file per series ({@code <series>-<payload>B.hgrm}, values in µs),
 * plus {@code nanotime.hgrm} for the timer's own cost and a percentile plot of them all.
 * <p>
 * JMH's SampleTime gives percentiles too, but sampled and bucketed; this records every op at full
 * HdrHistogram resolution, which is what the p99.9 targets are judged on and what the plot draws.
 * <pre>
 * java &#64;bench/target/jvm.args -cp bench/target/ferrite-benchmarks.jar \
 *     io.ferrite.bench.latency.LatencyHarness --series agrona-floor,chronicle-queue \
 *     --payload 128 --warmup 500000 --ops 5000000 --out bench/results/latency
 * </pre>
 * Series run one after another in this JVM, each in a fresh directory under {@link BenchDirectory}.
 */
public final class LatencyHarness
{
    /** HdrHistogram output granularity: 5 ticks per half distance, its documented default for plots. */
    public static final int PERCENTILE_TICKS_PER_HALF_DISTANCE = 5;

    /** Recorded in ns, written in µs: the plot's unit and the unit the design states targets in. */
    public static final double NANOS_PER_OUTPUT_UNIT = 1000.0;

    /** Unit of the written values, for the plot's axis. */
    public static final String OUTPUT_UNIT = "µs";

    /** File extension HdrHistogram's own plotter expects. */
    public static final String FILE_SUFFIX = ".hgrm";

    /** Name of the timer-overhead series. */
    public static final String TIMER_SERIES = "nanotime";

    /** The design's reference payload: its append targets are stated at 128 B. */
    public static final int PAYLOAD_DEFAULT = 128;

    /** Untimed appends first: C2 has compiled these append paths well within this many. */
    public static final int WARMUP_DEFAULT = 200_000;

    /** Timed appends: 2 M gives p99.99 from 200 samples above it, in seconds of run time. */
    public static final int OPS_DEFAULT = 2_000_000;

    private LatencyHarness()
    {
    }

    /**
     * @param args {@code [--series a,b] [--payload n] [--warmup n] [--ops n] [--out dir] [--png file]}.
     */
    public static void main(final String[] args)
    {
        JvmFlags.requirePresent();

        String seriesNames = AppendSeries.names();
        int payloadLength = PAYLOAD_DEFAULT;
        int warmupOps = WARMUP_DEFAULT;
        int measuredOps = OPS_DEFAULT;
        Path out = Paths.get("bench", "results", "latency");
        Path png = null;

        for (int i = 0; i < args.length; i += 2)
        {
            if (i + 1 >= args.length)
            {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }

            final String value = args[i + 1];
            switch (args[i])
            {
                case "--series" -> seriesNames = value;
                case "--payload" -> payloadLength = Integer.parseInt(value);
                case "--warmup" -> warmupOps = Integer.parseInt(value);
                case "--ops" -> measuredOps = Integer.parseInt(value);
                case "--out" -> out = Paths.get(value);
                case "--png" -> png = Paths.get(value);
                default -> throw new IllegalArgumentException(
                    "unknown option " + args[i] + ", expected --series --payload --warmup --ops --out --png");
            }
        }

        final List<AppendSeries> series = new ArrayList<>();
        for (final String name : seriesNames.split(","))
        {
            series.add(AppendSeries.bySeriesName(name.trim()));
        }

        final List<Path> written = run(series, payloadLength, new LatencyRecorder(warmupOps, measuredOps), out);
        final Path plot = null != png ? png : out.resolve("append-" + payloadLength + "B.png");
        // Log latency axis: appends span from tens of ns at the median to ms at the maximum.
        PercentilePlot.plot(
            PercentileDistribution.readAll(written), plot,
            "Append latency, " + payloadLength + " B payload, " + measuredOps + " ops", OUTPUT_UNIT, true);
        System.out.println("plot: " + plot);
    }

    /**
     * Records every series and the timer, writing one percentile file each.
     *
     * @param series        to record, in order.
     * @param payloadLength bytes per append.
     * @param recorder      warm-up and measured op counts.
     * @param out           directory for the files; created if absent.
     * @return the files written, timer last.
     */
    public static List<Path> run(
        final List<AppendSeries> series, final int payloadLength, final LatencyRecorder recorder, final Path out)
    {
        final byte[] payload = Payloads.random(payloadLength);
        final List<Path> written = new ArrayList<>();
        for (final AppendSeries one : series)
        {
            final Path directory = BenchDirectory.create(one.seriesName());
            final Histogram histogram;
            try (AppendTarget target = one.factory().open(directory, payload))
            {
                histogram = recorder.record(target);
            }
            finally
            {
                BenchDirectory.delete(directory);
            }

            written.add(write(histogram, out.resolve(one.seriesName() + "-" + payloadLength + "B" + FILE_SUFFIX)));
            summarise(one.seriesName(), histogram);
        }

        final Histogram timer = recorder.timerOverhead();
        written.add(write(timer, out.resolve(TIMER_SERIES + FILE_SUFFIX)));
        summarise(TIMER_SERIES, timer);

        return written;
    }

    private static Path write(final Histogram histogram, final Path file)
    {
        try
        {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (PrintStream stream = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8))
            {
                histogram.outputPercentileDistribution(stream, PERCENTILE_TICKS_PER_HALF_DISTANCE,
                    NANOS_PER_OUTPUT_UNIT);
            }

            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + file, ex);
        }
    }

    private static void summarise(final String name, final Histogram histogram)
    {
        System.out.printf(
            "%-16s ops=%d p50=%dns p90=%dns p99=%dns p99.9=%dns p99.99=%dns max=%dns%n",
            name,
            histogram.getTotalCount(),
            histogram.getValueAtPercentile(50),
            histogram.getValueAtPercentile(90),
            histogram.getValueAtPercentile(99),
            histogram.getValueAtPercentile(99.9),
            histogram.getValueAtPercentile(99.99),
            histogram.getMaxValue());
    }
}
