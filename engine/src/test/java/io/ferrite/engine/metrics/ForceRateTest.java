package io.ferrite.engine.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The force rate the back-pressure warning quotes: bytes over force time, following what the disk does now.
 */
class ForceRateTest
{
    private static final long MS = 1_000_000L;

    @Test
    void isUnknownUntilAForceCarriesBytes()
    {
        final ForceRate rate = new ForceRate();
        assertThat(rate.bytesPerSecond()).isEqualTo(ForceRate.UNKNOWN);
        rate.record(0, 5 * MS);
        assertThat(rate.bytesPerSecond()).as("a directory sync says nothing about the rate")
            .isEqualTo(ForceRate.UNKNOWN);
        assertThat(ForceRate.describe(rate.bytesPerSecond())).startsWith("unknown");
    }

    @Test
    void followsTheRecentRateNotTheLifetimeAverage()
    {
        final ForceRate rate = new ForceRate();
        rate.record(20_000_000, 100 * MS);
        assertThat(rate.bytesPerSecond()).isEqualTo(200_000_000);
        assertThat(ForceRate.describe(rate.bytesPerSecond())).isEqualTo("200.0 MB/s");

        // The disk slows to 20 MB/s: after ten seconds of forcing at that rate the old figure has all but gone.
        for (int i = 0; i < 100; i++)
        {
            rate.record(2_000_000, 100 * MS);
        }
        assertThat(rate.bytesPerSecond()).isBetween(19_000_000L, 21_000_000L);
    }
}
