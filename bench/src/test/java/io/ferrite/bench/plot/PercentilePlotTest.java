package io.ferrite.bench.plot;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

final class PercentilePlotTest
{
    /** Every PNG starts with these eight bytes (PNG specification, section 5.2). */
    private static final byte[] PNG_SIGNATURE = { (byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

    @Test
    void drawsAPngOfEverySeries(@TempDir final Path directory) throws IOException
    {
        final Path fast = write(directory.resolve("fast.hgrm"), histogram(100, 1));
        final Path slow = write(directory.resolve("slow.hgrm"), histogram(300, 7));
        final Path png = directory.resolve("plots").resolve("latency.png");

        PercentilePlot.main(new String[]{ "--out", png.toString(), "--title", "test", fast.toString(),
            slow.toString() });

        assertThat(png).exists();
        assertThat(Files.size(png)).isPositive();
        try (InputStream in = Files.newInputStream(png))
        {
            assertThat(Arrays.equals(in.readNBytes(PNG_SIGNATURE.length), PNG_SIGNATURE)).isTrue();
        }
        final BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(PercentilePlot.WIDTH_PIXELS);
        assertThat(image.getHeight()).isEqualTo(PercentilePlot.HEIGHT_PIXELS);
    }

    @Test
    void drawsWithALogLatencyAxis(@TempDir final Path directory) throws IOException
    {
        final Path series = write(directory.resolve("tail.hgrm"), histogram(100, 3));
        final Path png = directory.resolve("log.png");

        PercentilePlot.main(new String[]{ "--out", png.toString(), "--log-y", series.toString() });

        assertThat(ImageIO.read(png.toFile())).isNotNull();
    }

    /** A long-tailed distribution in ns: mostly near {@code medianNanos}, one in a thousand 100× slower. */
    private static Histogram histogram(final long medianNanos, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final Histogram histogram = new Histogram(3);
        for (int i = 0; i < 100_000; i++)
        {
            final long value = medianNanos / 2 + random.nextLong(medianNanos);
            histogram.recordValue(random.nextInt(1000) == 0 ? value * 100 : value);
        }

        return histogram;
    }

    private static Path write(final Path file, final Histogram histogram) throws IOException
    {
        try (PrintStream stream = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.UTF_8))
        {
            histogram.outputPercentileDistribution(stream, 5, 1000.0);
        }

        return file;
    }
}
