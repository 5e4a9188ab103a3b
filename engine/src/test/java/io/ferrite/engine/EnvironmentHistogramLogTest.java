package io.ferrite.engine;

import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code EnvironmentConfig.histogramLog}: one HdrHistogram log for every stream of an environment, each interval
 * histogram tagged with its stream's name, written on the shared flusher thread, its last interval written and the
 * file closed with the environment; its streams open no log of their own. The timeout only stops a hang.
 */
@Timeout(120)
class EnvironmentHistogramLogTest
{
    private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.US_ASCII);
    /** Appends are timed one in 64 (StoreMetrics.APPEND_SAMPLE_MASK): these counts give 2 and 1 samples. */
    private static final int ORDERS_APPENDS = 128;
    private static final int AUDIT_APPENDS = 64;

    @TempDir
    Path root;
    @TempDir
    Path logs;

    private final List<Thread> made = new CopyOnWriteArrayList<>();
    private final ThreadFactory factory = (runnable) ->
    {
        final Thread thread = new Thread(runnable);
        thread.setDaemon(true);
        made.add(thread);
        return thread;
    };

    private StoreEnvironment open(final Path log, final Duration period)
    {
        return StoreEnvironment.open(root, EnvironmentConfig.builder().syncMode(SyncMode.INTERVAL)
            .threadFactory(factory).threadNamePrefix("hlog-env-").histogramLog(log, period).build());
    }

    @Test
    void oneLogHoldsEveryStreamTaggedByNameAndIsClosedWithTheEnvironment() throws IOException
    {
        final Path log = logs.resolve("env.hlog");
        // An hour: nothing is written while open, so what the file holds is what the environment's close wrote.
        final StoreEnvironment env = open(log, Duration.ofHours(1));
        final StreamStore orders = env.createStream(StoreEnvironmentTest.small(env, "orders"));
        final StreamStore audit = env.createStream(StoreEnvironmentTest.small(env, "audit"));
        append(orders, ORDERS_APPENDS);
        append(audit, AUDIT_APPENDS);
        assertThat(orders.flush().join()).isEqualTo(ORDERS_APPENDS);
        assertThat(audit.flush().join()).isEqualTo(AUDIT_APPENDS);
        final FileStoreEnvironment file = (FileStoreEnvironment)env;
        assertThat(file.agentCount()).as("three per stream and the log's one").isEqualTo(7);
        assertThat(file.histogramLogSources()).isEqualTo(2);
        assertThat(logFilesUnder(root)).as("no stream writes a log of its own").isEmpty();

        env.close();

        assertThat(made).allSatisfy((thread) -> assertThat(thread.isAlive()).isFalse());
        final Map<String, Long> counts = countsByTag(log);
        assertThat(counts.keySet()).allSatisfy((tag) -> assertThat(tag).matches("(orders|audit)/\\S+"));
        assertThat(counts).containsEntry("orders/append", 2L).containsEntry("audit/append", 1L);
        assertThat(counts.get("orders/flush.force")).isPositive();
        assertThat(counts.get("audit/flush.force")).isPositive();
    }

    @Test
    void intervalsAreWrittenWhileOpenAndAClosedStreamLeavesTheLogOnceItsLastIntervalIsOut() throws IOException
    {
        final Path log = logs.resolve("env.hlog");
        try (StoreEnvironment env = open(log, Duration.ofMillis(5)))
        {
            final FileStoreEnvironment file = (FileStoreEnvironment)env;
            final StreamStore orders = env.createStream(StoreEnvironmentTest.small(env, "orders"));
            final StreamStore audit = env.createStream(StoreEnvironmentTest.small(env, "audit"));
            append(orders, ORDERS_APPENDS);
            append(audit, AUDIT_APPENDS);
            orders.close();
            // Polled, not slept on: only an interval written on the flusher's timer drops the closed stream (the
            // file is not read while open: a reader could meet a line half written).
            while (file.histogramLogSources() != 1)
            {
                LockSupport.parkNanos(1_000_000L);
            }
            assertThat(env.openStream("orders").lastSeq()).isEqualTo(ORDERS_APPENDS);
            assertThat(file.histogramLogSources()).as("opened again, logged again").isEqualTo(2);
        }
        // The closed stream's samples were written before it left, once: not lost, not counted twice.
        assertThat(countsByTag(log)).containsEntry("orders/append", 2L).containsEntry("audit/append", 1L);
    }

    @Test
    void aStreamThatNamesItsOwnLogIsRefused() throws IOException
    {
        final Path own = logs.resolve("own.hlog");
        try (StoreEnvironment env = open(logs.resolve("env.hlog"), Duration.ofSeconds(1)))
        {
            final StreamConfig config = env.streamConfig("orders").blockSize(64 << 10).maxMsgSize(4096)
                .histogramLog(own, Duration.ofSeconds(1)).build();
            assertThatThrownBy(() -> env.createStream(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'orders' names its own histogram log").hasMessageContaining("env.hlog");
            assertThat(env.streamNames()).isEmpty();
            env.createStream(StoreEnvironmentTest.small(env, "orders")).close();
            assertThatThrownBy(() -> env.openStream(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("own histogram log");
            assertThat(own).doesNotExist();
        }
    }

    @Test
    void withoutALogTheEnvironmentRunsNoLogAgent()
    {
        try (StoreEnvironment env = StoreEnvironment.open(root, EnvironmentConfig.builder().threadFactory(factory)
            .build()))
        {
            env.createStream(StoreEnvironmentTest.small(env, "orders"));
            assertThat(((FileStoreEnvironment)env).agentCount()).isEqualTo(3);
            assertThat(((FileStoreEnvironment)env).histogramLogSources()).isZero();
        }
    }

    @Test
    void aPeriodOutOfRangeIsRefused()
    {
        assertThatThrownBy(() -> EnvironmentConfig.builder().histogramLog(logs, Duration.ZERO))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("histogramLogPeriod");
        assertThatThrownBy(() -> EnvironmentConfig.builder().histogramLog(logs, Duration.ofHours(2)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("histogramLogPeriod");
    }

    private static void append(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            store.append("s", null, PAYLOAD);
        }
    }

    private static Map<String, Long> countsByTag(final Path log) throws IOException
    {
        final Map<String, Long> counts = new TreeMap<>();
        final HistogramLogReader reader = new HistogramLogReader(log.toFile());
        try
        {
            for (EncodableHistogram interval = reader.nextIntervalHistogram(); null != interval;
                interval = reader.nextIntervalHistogram())
            {
                counts.merge(interval.getTag(), ((org.HdrHistogram.AbstractHistogram)interval).getTotalCount(),
                    Long::sum);
            }
        }
        finally
        {
            reader.close();
        }
        return counts;
    }

    private static List<Path> logFilesUnder(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            return files.filter((path) -> path.getFileName().toString().endsWith(".hlog")).toList();
        }
    }
}
