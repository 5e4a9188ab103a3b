package io.ferrite.tools;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FormattingTest
{
    @Test
    void jsonEscapesAndNests()
    {
        final Map<String, Object> object = Json.object();
        object.put("s", "a\"b\\c\nd\u0001");
        object.put("n", 42L);
        object.put("b", true);
        object.put("none", null);
        object.put("list", List.of(1, "x"));
        object.put("empty", List.of());

        assertThat(Json.write(object)).isEqualTo("""
            {
              "s": "a\\"b\\\\c\\nd\\u0001",
              "n": 42,
              "b": true,
              "none": null,
              "list": [
                1,
                "x"
              ],
              "empty": []
            }""");
    }

    @Test
    void tablesPadColumnsAndRightAlignNumbers()
    {
        final StringWriter text = new StringWriter();
        new Table("NAME", "COUNT").alignRight(1).row("a", 1).row("longer", 1000).print(new PrintWriter(text), "  ");

        assertThat(text.toString().lines()).containsExactly(
            "  NAME    COUNT",
            "  a           1",
            "  longer   1000");
    }

    @Test
    void unitsAreHumanAndAscii()
    {
        assertThat(Units.bytes(512)).isEqualTo("512 B");
        assertThat(Units.bytes(8 << 20)).isEqualTo("8.0 MiB");
        assertThat(Units.nanos(999)).isEqualTo("999 ns");
        assertThat(Units.nanos(53_400)).isEqualTo("53.4 us");
        assertThat(Units.nanos(180_000_000)).isEqualTo("180.0 ms");
        assertThat(Units.nanos(2_500_000_000L)).isEqualTo("2.50 s");
        assertThat(Units.instant(1_700_000_000_123_456_789L)).isEqualTo("2023-11-14T22:13:20.123456789Z");
        assertThat(Units.instant(0)).isEqualTo("-");
        assertThat(Units.checksum(0x0d3bf122)).isEqualTo("0d3bf122");
    }

    @Test
    void progressBarRedrawsOncePerPercentAndEndsTheLine()
    {
        final StringWriter text = new StringWriter();
        final ProgressBar bar = new ProgressBar(new PrintWriter(text), "job", 1000, Units::count, true);
        for (int i = 1; i <= 1000; i++)
        {
            bar.update(i);
        }
        bar.finish();

        assertThat(text.toString().split("\r", -1)).hasSize(1 + 101);
        assertThat(text.toString()).endsWith("job [##############################] 100%  1,000 / 1,000" +
            System.lineSeparator());
    }

    @Test
    void progressBarWritesOneLineAndNoCarriageReturnToALog()
    {
        final StringWriter text = new StringWriter();
        final ProgressBar bar = new ProgressBar(new PrintWriter(text), "job", 1000, Units::count, false);
        for (int i = 1; i <= 1000; i++)
        {
            bar.update(i);
        }
        bar.finish();
        bar.finish();

        assertThat(text.toString()).doesNotContain("\r")
            .isEqualTo("job [##############################] 100%  1,000 / 1,000" + System.lineSeparator());
    }

    @Test
    void durationsAreReadAsOperatorsTypeThem()
    {
        final DurationConverter converter = new DurationConverter();

        assertThat(converter.convert("200ms")).isEqualTo(Duration.ofMillis(200));
        assertThat(converter.convert("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(converter.convert("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(converter.convert("1m")).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void printableTextIsShownAsTextAndEverythingElseIsNot()
    {
        assertThat(MessagePrinter.printableText("héllo \"x\"\n".getBytes(StandardCharsets.UTF_8)))
            .isEqualTo("héllo \\\"x\\\"\\n");
        assertThat(MessagePrinter.printableText(new byte[] { 0, 1 })).isNull();
        assertThat(MessagePrinter.printableText(new byte[] { (byte)0xC3 })).isNull();
    }
}
