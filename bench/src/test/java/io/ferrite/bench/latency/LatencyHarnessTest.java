package io.ferrite.bench.latency;

import io.ferrite.bench.plot.PercentileDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class LatencyHarnessTest
{
    @Test
    void writesOnePercentileFilePerSeriesPlusTheTimerAndAPlot(@TempDir final Path out)
    {
        LatencyHarness.main(new String[]{
            "--series", "agrona-floor,chronicle-queue",
            "--payload", "64",
            "--warmup", "1000",
            "--ops", "10000",
            "--out", out.toString() });

        for (final String name : List.of("agrona-floor-64B", "chronicle-queue-64B", LatencyHarness.TIMER_SERIES))
        {
            final PercentileDistribution distribution = PercentileDistribution.read(out.resolve(name + ".hgrm"));
            assertThat(distribution.name()).isEqualTo(name);
            assertThat(distribution.max()).isPositive();
        }
        assertThat(out.resolve("append-64B.png")).exists();
    }

    @Test
    void recordsEveryMeasuredOp(@TempDir final Path out) throws IOException
    {
        final List<Path> files = LatencyHarness.run(
            List.of(AppendSeries.AGRONA_FLOOR), 128, new LatencyRecorder(0, 5000), out);

        assertThat(files).hasSize(2);
        assertThat(files.get(0)).hasFileName("agrona-floor-128B.hgrm");
        assertThat(Files.readString(files.get(0))).containsPattern("Total count\\s+=\\s+5000\\b");
    }

    @Test
    void namesTheKnownSeriesForAnUnknownOne()
    {
        assertThatThrownBy(() -> AppendSeries.bySeriesName("nope"))
            .hasMessageContaining("agrona-floor")
            .hasMessageContaining("chronicle-queue");
    }
}
