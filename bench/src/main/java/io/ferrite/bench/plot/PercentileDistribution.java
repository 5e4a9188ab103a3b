package io.ferrite.bench.plot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One series read from an HdrHistogram percentile distribution file, the text that
 * {@code Histogram.outputPercentileDistribution} writes:
 * <pre>
 *        Value     Percentile TotalCount 1/(1-Percentile)
 *
 *        0.078 0.000000000000          1           1.00
 *        0.080 0.100000000000     104857           1.11
 *        ...
 *      123.007 1.000000000000    2000000
 * #[Mean    =        0.103, StdDeviation   =        0.412]
 * #[Max     =      123.007, Total count    =      2000000]
 * #[Buckets =           25, SubBuckets     =         2048]
 * </pre>
 * Values stay in the file's unit. The last row (percentile 1.0, the maximum) has no finite
 * 1/(1-percentile), so it is kept apart as {@link #max()} rather than among the points a log axis draws.
 * Immutable.
 */
public final class PercentileDistribution
{
    /** File extension stripped from a file's name to name its series. */
    public static final String FILE_SUFFIX = ".hgrm";

    /** HdrHistogram's summary and header lines start with this or with a column title. */
    private static final String COMMENT_PREFIX = "#";

    private final String name;
    private final double[] percentiles;
    private final double[] values;
    private final double max;

    private PercentileDistribution(final String name, final double[] percentiles, final double[] values,
        final double max)
    {
        this.name = name;
        this.percentiles = percentiles;
        this.values = values;
        this.max = max;
    }

    /**
     * @param name  the series name for the legend.
     * @param lines the file's lines.
     * @return the series.
     * @throws IllegalArgumentException naming the line when one is neither a header, a comment nor a row.
     */
    public static PercentileDistribution parse(final String name, final List<String> lines)
    {
        final List<double[]> rows = new ArrayList<>();
        double max = Double.NaN;
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith(COMMENT_PREFIX) || line.startsWith("Value"))
            {
                continue;
            }

            final String[] columns = line.split("\\s+");
            if (columns.length < 3)
            {
                throw new IllegalArgumentException(name + " line " + (i + 1) + " is not a percentile row: " + line);
            }

            try
            {
                final double value = Double.parseDouble(columns[0]);
                final double percentile = Double.parseDouble(columns[1]);
                if (percentile >= 1.0)
                {
                    max = value;
                }
                else
                {
                    rows.add(new double[]{ percentile, value });
                }
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(name + " line " + (i + 1) + " is not a percentile row: " + line, ex);
            }
        }

        if (rows.isEmpty())
        {
            throw new IllegalArgumentException(name + " has no percentile rows");
        }

        final double[] percentiles = new double[rows.size()];
        final double[] values = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++)
        {
            percentiles[i] = rows.get(i)[0];
            values[i] = rows.get(i)[1];
        }

        return new PercentileDistribution(name, percentiles, values,
            Double.isNaN(max) ? values[values.length - 1] : max);
    }

    /**
     * @param file a percentile distribution file; its name less {@value #FILE_SUFFIX} names the series.
     * @return the series.
     */
    public static PercentileDistribution read(final Path file)
    {
        final String fileName = file.getFileName().toString();
        final String name = fileName.endsWith(FILE_SUFFIX) ?
            fileName.substring(0, fileName.length() - FILE_SUFFIX.length()) : fileName;
        try
        {
            return parse(name, Files.readAllLines(file));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
    }

    /**
     * @param files percentile distribution files.
     * @return one series per file, in order.
     */
    public static List<PercentileDistribution> readAll(final List<Path> files)
    {
        final List<PercentileDistribution> all = new ArrayList<>(files.size());
        for (final Path file : files)
        {
            all.add(read(file));
        }

        return all;
    }

    /**
     * @return the series name.
     */
    public String name()
    {
        return name;
    }

    /**
     * @return number of rows below the maximum.
     */
    public int size()
    {
        return percentiles.length;
    }

    /**
     * @param index of a row, below {@link #size()}.
     * @return its percentile as a fraction in [0, 1).
     */
    public double percentile(final int index)
    {
        return percentiles[index];
    }

    /**
     * @param index of a row, below {@link #size()}.
     * @return its value, in the file's unit.
     */
    public double value(final int index)
    {
        return values[index];
    }

    /**
     * @return the largest value recorded, in the file's unit.
     */
    public double max()
    {
        return max;
    }

    /**
     * @param percentile a fraction in [0, 1).
     * @return the value of the first row at or above it, or the maximum when none is.
     */
    public double valueAt(final double percentile)
    {
        int index = Arrays.binarySearch(percentiles, percentile);
        if (index < 0)
        {
            index = -index - 1;
        }

        return index < values.length ? values[index] : max;
    }
}
