package io.ferrite.bench;

/**
 * Shrinks the data that setup-heavy benchmarks prepare (gigabytes written, thousands of block files) when the
 * benchmarks run as a smoke test inside {@code mvn verify}, where only "does it still run" matters. A real run never
 * sets the property, so every published figure uses the declared sizes.
 */
public final class SmokeScale
{
    /** System property: divide prepared data sizes by this factor. */
    public static final String DIVISOR_PROP_NAME = "ferrite.bench.smokeDivisor";

    private SmokeScale()
    {
    }

    /**
     * @return {@code size} divided by the smoke divisor, at least 1.
     */
    public static int scale(final int size)
    {
        return Math.max(1, size / Math.max(1, Integer.getInteger(DIVISOR_PROP_NAME, 1)));
    }
}
