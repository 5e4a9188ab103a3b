package io.ferrite.bench.plot;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

final class PercentileAxisFormatTest
{
    private final PercentileAxisFormat format = new PercentileAxisFormat();

    @Test
    void labelsEachDecadeAsItsNines()
    {
        assertThat(format.format(1.0)).isEqualTo("0%");
        assertThat(format.format(10.0)).isEqualTo("90%");
        assertThat(format.format(100.0)).isEqualTo("99%");
        assertThat(format.format(1000.0)).isEqualTo("99.9%");
        assertThat(format.format(1_000_000.0)).isEqualTo("99.9999%");
    }

    @Test
    void placesAPercentileAtOneOverOneMinusIt()
    {
        assertThat(PercentileAxisFormat.axisValue(0.0)).isEqualTo(1.0);
        assertThat(PercentileAxisFormat.axisValue(0.99)).isCloseTo(100.0, within(1e-9));
    }
}
