package io.ferrite.bench.plot;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws latency-percentile curves, one per HdrHistogram percentile file, into a PNG: percentile on a log
 * axis of 1/(1 - p) labelled "90%", "99%", "99.9%" ({@link PercentileAxisFormat}), latency on the other,
 * the way HdrHistogram's own plotter draws them, so the stores' tails can be compared at a glance.
 * <pre>
 * java -cp bench/target/ferrite-benchmarks.jar io.ferrite.bench.plot.PercentilePlot \
 *     --out append.png [--title "Append, 128 B"] [--unit µs] [--log-y] a.hgrm b.hgrm ...
 * </pre>
 * Each series is named after its file, less {@code .hgrm}; the legend adds its maximum, which a log
 * percentile axis cannot place.
 */
public final class PercentilePlot
{
    /** Wide enough to read six decades of percentiles apart. */
    public static final int WIDTH_PIXELS = 1200;

    /** Height in pixels. */
    public static final int HEIGHT_PIXELS = 700;

    /** Title when none is given. */
    public static final String TITLE_DEFAULT = "Latency by percentile";

    /** Unit when none is given: the unit the latency harness writes. */
    public static final String UNIT_DEFAULT = "µs";

    /** Line width: visible at the default size without hiding a neighbour's line. */
    private static final float LINE_WIDTH = 2.0f;

    /**
     * Room to the right of the highest percentile drawn, as a factor on the log axis, so the last point of
     * a series is not drawn on the plot's border.
     */
    private static final double PERCENTILE_AXIS_HEADROOM = 2.0;

    /** Latency labels on a log axis: enough decimals for 10 ns in µs, none for large values. */
    private static final String LATENCY_LABEL_PATTERN = "#,##0.###";

    /** Distinct on white and to most colour-blind readers (the "tab10" palette), in legend order. */
    private static final Color[] SERIES_COLOURS = {
        new Color(0x1F77B4), new Color(0xD62728), new Color(0x2CA02C), new Color(0x9467BD),
        new Color(0xFF7F0E), new Color(0x8C564B), new Color(0x7F7F7F), new Color(0x17BECF) };

    private PercentilePlot()
    {
    }

    /**
     * @param args {@code --out file.png [--title t] [--unit u] [--log-y] file.hgrm...}.
     */
    public static void main(final String[] args)
    {
        Path out = null;
        String title = TITLE_DEFAULT;
        String unit = UNIT_DEFAULT;
        boolean logValues = false;
        final List<Path> files = new ArrayList<>();

        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--out" -> out = Paths.get(valueOf(args, ++i));
                case "--title" -> title = valueOf(args, ++i);
                case "--unit" -> unit = valueOf(args, ++i);
                case "--log-y" -> logValues = true;
                default -> files.add(Paths.get(args[i]));
            }
        }

        if (null == out || files.isEmpty())
        {
            throw new IllegalArgumentException(
                "usage: PercentilePlot --out file.png [--title t] [--unit u] [--log-y] file.hgrm...");
        }

        plot(PercentileDistribution.readAll(files), out, title, unit, logValues);
        System.out.println("plot: " + out);
    }

    /**
     * Draws the series with a linear latency axis.
     *
     * @param series to draw, in legend order.
     * @param png    file to write; parent directories are created.
     * @param title  chart title.
     * @param unit   unit of the series' values, for the axis label.
     */
    public static void plot(final List<PercentileDistribution> series, final Path png, final String title,
        final String unit)
    {
        plot(series, png, title, unit, false);
    }

    /**
     * @param series    to draw, in legend order.
     * @param png       file to write; parent directories are created.
     * @param title     chart title.
     * @param unit      unit of the series' values, for the axis label.
     * @param logValues a log latency axis, for series whose tails are orders of magnitude above their
     *                  medians.
     */
    public static void plot(
        final List<PercentileDistribution> series,
        final Path png,
        final String title,
        final String unit,
        final boolean logValues)
    {
        System.setProperty("java.awt.headless", "true");

        final XYSeriesCollection dataset = new XYSeriesCollection();
        double highestAxisValue = PercentileAxisFormat.axisValue(0.9);
        for (final PercentileDistribution distribution : series)
        {
            final XYSeries xy = new XYSeries(distribution.name() + " (max " + distribution.max() + " " + unit + ")");
            for (int i = 0; i < distribution.size(); i++)
            {
                final double axisValue = PercentileAxisFormat.axisValue(distribution.percentile(i));
                xy.add(axisValue, distribution.value(i));
                highestAxisValue = Math.max(highestAxisValue, axisValue);
            }
            dataset.addSeries(xy);
        }

        // Fixed range rather than auto: auto-range margins would reach below 1, a negative percentile.
        final LogAxis percentileAxis = new LogAxis("Percentile");
        percentileAxis.setBase(10);
        percentileAxis.setTickUnit(new NumberTickUnit(1.0));
        percentileAxis.setNumberFormatOverride(new PercentileAxisFormat());
        percentileAxis.setRange(1.0, highestAxisValue * PERCENTILE_AXIS_HEADROOM);

        final ValueAxis latencyAxis;
        if (logValues)
        {
            // One tick per decade, printed as plain numbers (0.01, 0.1, 1, 10) rather than as 10^-2.
            final LogAxis log = new LogAxis("Latency (" + unit + ")");
            log.setBase(10);
            log.setTickUnit(new NumberTickUnit(1.0));
            log.setNumberFormatOverride(new DecimalFormat(LATENCY_LABEL_PATTERN));
            latencyAxis = log;
        }
        else
        {
            final NumberAxis linear = new NumberAxis("Latency (" + unit + ")");
            linear.setAutoRangeIncludesZero(true);
            latencyAxis = linear;
        }

        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < series.size(); i++)
        {
            renderer.setSeriesStroke(i, new BasicStroke(LINE_WIDTH));
            renderer.setSeriesPaint(i, SERIES_COLOURS[i % SERIES_COLOURS.length]);
        }

        final XYPlot plot = new XYPlot(dataset, percentileAxis, latencyAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

        final JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);

        try
        {
            final Path parent = png.toAbsolutePath().getParent();
            if (null != parent)
            {
                Files.createDirectories(parent);
            }
            ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH_PIXELS, HEIGHT_PIXELS);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + png, ex);
        }
    }

    private static String valueOf(final String[] args, final int index)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException("option " + args[index - 1] + " needs a value");
        }

        return args[index];
    }
}
