package io.ferrite.tools;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators type them: {@code 200ms}, {@code 2s}, {@code 1.5s}, {@code 1m}.
 */
final class DurationConverter implements ITypeConverter<Duration>
{
    private static final Pattern FORMAT = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m)");

    @Override
    public Duration convert(final String value)
    {
        final Matcher matcher = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!matcher.matches())
        {
            throw new TypeConversionException("'" + value + "' is not a duration: use a number with ms, s or m, " +
                "e.g. 200ms or 2s");
        }
        final double amount = Double.parseDouble(matcher.group(1));
        final double millis = switch (matcher.group(2))
        {
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            default -> amount * 60_000;
        };
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }
}
