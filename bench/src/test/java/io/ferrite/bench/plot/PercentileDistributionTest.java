package io.ferrite.bench.plot;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

final class PercentileDistributionTest
{
    @Test
    void readsWhatHdrHistogramWrites()
    {
        final Histogram histogram = new Histogram(3);
        for (long value = 1; value <= 10_000; value++)
        {
            histogram.recordValue(value * 1000);
        }

        final PercentileDistribution distribution = PercentileDistribution.parse("uniform", lines(histogram, 1000.0));

        assertThat(distribution.name()).isEqualTo("uniform");
        assertThat(distribution.size()).isGreaterThan(20);
        assertThat(distribution.percentile(0)).isZero();
        assertThat(distribution.valueAt(0.5)).isCloseTo(histogram.getValueAtPercentile(50) / 1000.0, within(0.01));
        // HdrHistogram's rows fall at percentile ticks, not at 99 exactly: the first row at or above it.
        assertThat(distribution.valueAt(0.99)).isBetween(
            histogram.getValueAtPercentile(99) / 1000.0, histogram.getValueAtPercentile(99.1) / 1000.0);
        assertThat(distribution.max()).isCloseTo(histogram.getMaxValue() / 1000.0, within(0.01));
        for (int i = 1; i < distribution.size(); i++)
        {
            assertThat(distribution.percentile(i)).isGreaterThan(distribution.percentile(i - 1)).isLessThan(1.0);
            assertThat(distribution.value(i)).isGreaterThanOrEqualTo(distribution.value(i - 1));
        }
    }

    @Test
    void rejectsALineThatIsNotARowNamingIt()
    {
        assertThatThrownBy(() -> PercentileDistribution.parse("bad", List.of("       Value", "1.0 oops 3")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("bad line 2");
    }

    @Test
    void rejectsAFileWithNoRows()
    {
        assertThatThrownBy(() -> PercentileDistribution.parse("empty", List.of("#[Mean = 1]")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("no percentile rows");
    }

    static List<String> lines(final Histogram histogram, final double scale)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8))
        {
            histogram.outputPercentileDistribution(stream, 5, scale);
        }

        return List.of(bytes.toString(StandardCharsets.UTF_8).split("\n"));
    }
}
