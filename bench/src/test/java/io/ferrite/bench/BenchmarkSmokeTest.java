package io.ferrite.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves every benchmark in the module runs and produces a number, not what the number is: one 100 ms
 * measurement per benchmark, no warm-up, so a broken setup, a missing JVM flag or a benchmark that throws
 * fails {@code mvn verify} instead of a long run hours later. Real runs are {@code java -jar}.
 */
final class BenchmarkSmokeTest
{
    private static final TimeValue SMOKE_MEASUREMENT = TimeValue.milliseconds(100);

    @Test
    void everyBenchmarkProducesAFiniteScore() throws RunnerException, IOException
    {
        // In this JVM (forks 0): Surefire's argLine carries the same flags the forks get.
        System.setProperty(SmokeScale.DIVISOR_PROP_NAME, "100");
        final Options options = new OptionsBuilder()
            .include(BenchmarkSmokeTest.class.getPackageName() + "\\.")
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(SMOKE_MEASUREMENT)
            .forks(0)
            .shouldFailOnError(true)
            .verbosity(VerboseMode.SILENT)
            .build();

        final Collection<RunResult> results = new Runner(options).run();

        final List<BenchmarkListEntry> declared = declaredBenchmarks();
        assertThat(declared).isNotEmpty();
        assertThat(results).hasSize(expectedRuns(declared));

        final Set<String> ran = new HashSet<>();
        for (final RunResult result : results)
        {
            final double score = result.getPrimaryResult().getScore();
            assertThat(Double.isFinite(score))
                .as("%s %s %s score %s", result.getParams().getBenchmark(), result.getParams().getMode(),
                    paramsOf(result), score)
                .isTrue();
            ran.add(result.getParams().getBenchmark() + " " + result.getParams().getMode());
        }

        for (final BenchmarkListEntry entry : declared)
        {
            assertThat(ran).contains(entry.getUsername() + " " + entry.getMode());
        }
    }

    @Test
    void forkedJvmGetsItsFlagsFromTheAnnotationAlone() throws RunnerException
    {
        // jvmArgs replaces the flags JMH would otherwise copy from this JVM, so only @Fork's can apply;
        // Chronicle and Agrona both fail without theirs.
        final Options options = new OptionsBuilder()
            .include(ChronicleQueueAppendBenchmark.class.getName() + ".throughput")
            .include(AgronaFloorBenchmark.class.getName() + ".throughput")
            .param("payloadLength", "128")
            .mode(Mode.Throughput)
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(SMOKE_MEASUREMENT)
            .forks(1)
            .jvmArgs("-Xmx256m", "-D" + BenchDirectory.PARENT_PROP_NAME + "=" + BenchDirectory.parent())
            .shouldFailOnError(true)
            .verbosity(VerboseMode.SILENT)
            .build();

        final Collection<RunResult> results = new Runner(options).run();

        assertThat(results).hasSize(2);
        for (final RunResult result : results)
        {
            assertThat(result.getPrimaryResult().getScore()).isPositive();
            assertThat(result.getParams().getJvmArgs()).containsAll(JvmFlags.forkFlags());
        }
    }

    private static List<BenchmarkListEntry> declaredBenchmarks() throws IOException
    {
        try (InputStream list = BenchmarkSmokeTest.class.getResourceAsStream(BenchmarkList.BENCHMARK_LIST))
        {
            assertThat(list).as("JMH's annotation processor wrote no %s", BenchmarkList.BENCHMARK_LIST).isNotNull();
            return BenchmarkList.readBenchmarkList(list);
        }
    }

    private static int expectedRuns(final List<BenchmarkListEntry> declared)
    {
        int runs = 0;
        for (final BenchmarkListEntry entry : declared)
        {
            int combinations = 1;
            if (entry.getParams().hasValue())
            {
                for (final Map.Entry<String, String[]> param : entry.getParams().get().entrySet())
                {
                    combinations *= param.getValue().length;
                }
            }
            runs += combinations;
        }

        return runs;
    }

    private static String paramsOf(final RunResult result)
    {
        final StringBuilder params = new StringBuilder();
        for (final String key : result.getParams().getParamsKeys())
        {
            params.append(key).append('=').append(result.getParams().getParam(key)).append(' ');
        }

        return params.toString().trim();
    }
}
