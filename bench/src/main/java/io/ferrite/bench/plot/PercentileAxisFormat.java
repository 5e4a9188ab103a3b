package io.ferrite.bench.plot;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;

/**
 * Labels a log axis of 1/(1 - percentile) in percentiles, as HdrHistogram's plotter does: 1 → "0%",
 * 10 → "90%", 100 → "99%", 1000 → "99.9%". Drawing 1/(1 - p) on a log scale gives every "nine" the same
 * width, so the tail, where stores differ, is not squeezed into the last pixel.
 * <p>
 * Formatting only; {@link #parse(String, ParsePosition)} is unsupported because charts never parse labels.
 */
public final class PercentileAxisFormat extends NumberFormat
{
    private static final long serialVersionUID = 1L;

    /** Enough digits to tell 99.999 % from 99.9999 % without printing floating-point noise. */
    private static final int MAX_FRACTION_DIGITS = 6;

    /**
     * @param percentile a fraction in [0, 1).
     * @return its position on the axis, 1/(1 - percentile).
     */
    public static double axisValue(final double percentile)
    {
        return 1.0 / (1.0 - percentile);
    }

    /**
     * {@inheritDoc}
     */
    public StringBuffer format(final double axisValue, final StringBuffer toAppendTo, final FieldPosition pos)
    {
        final double percent = 100.0 * (1.0 - 1.0 / axisValue);
        final BigDecimal rounded = BigDecimal.valueOf(percent)
            .setScale(MAX_FRACTION_DIGITS, RoundingMode.HALF_UP)
            .stripTrailingZeros();
        return toAppendTo.append(rounded.signum() == 0 ? "0" : rounded.toPlainString()).append('%');
    }

    /**
     * {@inheritDoc}
     */
    public StringBuffer format(final long axisValue, final StringBuffer toAppendTo, final FieldPosition pos)
    {
        return format((double)axisValue, toAppendTo, pos);
    }

    /**
     * Unsupported.
     *
     * @throws UnsupportedOperationException always.
     */
    public Number parse(final String source, final ParsePosition parsePosition)
    {
        throw new UnsupportedOperationException("percentile axis labels are not parsed");
    }
}
