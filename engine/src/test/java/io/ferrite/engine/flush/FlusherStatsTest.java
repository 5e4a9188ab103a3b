package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the flusher records, and the resources it releases.
 */
class FlusherStatsTest
{
    private static final byte[] PAYLOAD = new byte[128];

    @TempDir
    Path tmp;

    @Test
    void oneAppendInSixtyFourIsTimedAndIntervalsResetBetweenSnapshots()
    {
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("s"), config(SyncMode.INTERVAL).build()))
        {
            for (int i = 0; i < 6_400; i++)
            {
                store.append("stats", null, PAYLOAD);
            }
            assertThat(store.flush().join()).isEqualTo(6_400);
            final StoreStats first = store.stats();
            assertThat(first.histogram("append").getTotalCount()).isEqualTo(100);
            assertThat(first.intervalHistogram("append").getTotalCount()).isEqualTo(100);
            assertThat(first.histogram("flush.force").getTotalCount()).isPositive();
            assertThat(first.histogram("appendToDurable").getTotalCount()).isPositive();
            assertThat(first.histogram("groupCommit").getTotalCount()).isEqualTo(first.forceCycles());
            assertThat(first.durableSeq()).isEqualTo(6_400);
            assertThat(first.forceBytesPerSecond()).as("bytes over time of the forces that ran").isPositive();
            assertThat(first.backPressureWaits()).as("800 KB is far under the default maxUnforcedBytes").isZero();
            assertThat(first.histogram("backPressure").getTotalCount()).isZero();

            final StoreStats second = store.stats();
            assertThat(second.intervalHistogram("append").getTotalCount()).as("nothing appended since").isZero();
            assertThat(second.histogram("append").getTotalCount()).as("cumulative keeps counting").isEqualTo(100);
        }
    }

    @Test
    void alwaysModeTimesEveryCommitFromAppendToDurable()
    {
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("s"), config(SyncMode.ALWAYS).build()))
        {
            for (int i = 0; i < 50; i++)
            {
                store.append("always", null, PAYLOAD);
            }
            final StoreStats stats = store.stats();
            assertThat(stats.histogram("appendToDurable").getTotalCount()).isEqualTo(50);
            assertThat(stats.durableSeq()).isEqualTo(50);
        }
    }

    @Test
    void theHistogramLogIsReadableByHdrHistogramsOwnReader() throws IOException
    {
        final Path log = tmp.resolve("ferrite.hlog");
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("s"),
            config(SyncMode.INTERVAL).histogramLog(log, Duration.ofMillis(5)).build()))
        {
            for (int i = 0; i < 640; i++)
            {
                store.append("logged", null, PAYLOAD);
            }
            store.flush().join();
        }
        final Map<String, Long> counts = new HashMap<>();
        final HistogramLogReader reader = new HistogramLogReader(log.toFile());
        for (EncodableHistogram interval = reader.nextIntervalHistogram(); null != interval;
            interval = reader.nextIntervalHistogram())
        {
            counts.merge(interval.getTag(), ((org.HdrHistogram.Histogram)interval).getTotalCount(), Long::sum);
        }
        reader.close();
        assertThat(counts).containsKeys("append", "flush", "flush.force", "appendToDurable", "groupCommit");
        assertThat(counts.get("append")).isEqualTo(10);
        assertThat(counts.get("flush.force")).isPositive();
    }

    @Test
    void sealedBlocksReleaseTheirFileDescriptorsWithoutAnyFlush() throws IOException
    {
        for (final SyncMode mode : SyncMode.values())
        {
            final Path dir = tmp.resolve(mode.name());
            try (FileStreamStore store = FileStreamStore.open(dir,
                config(mode).blockSize(4096).maxMsgSize(1024).build()))
            {
                for (int i = 0; i < 400; i++)
                {
                    store.append("fd", null, new byte[900]);
                }
                assertThat(store.stats().blocksCreated()).isGreaterThan(50);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (BlockFiles.openDescriptors(dir) > 1 && System.nanoTime() < deadline)
                {
                    Thread.onSpinWait(); // the flusher releases sealed blocks in the background
                }
                assertThat(BlockFiles.openDescriptors(dir)).as("%s: only the tail block keeps a descriptor", mode)
                    .isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void syncSettingsAreValidatedWithTheAllowedRange()
    {
        final StreamConfig defaults = StreamConfig.builder("d").build();
        assertThat(defaults.syncMode()).isEqualTo(StreamConfig.SYNC_MODE_DEFAULT).isEqualTo(SyncMode.INTERVAL);
        assertThat(defaults.syncInterval()).isEqualTo(Duration.ofMillis(100));
        assertThatThrownBy(() -> StreamConfig.builder("d").syncInterval(Duration.ZERO))
            .hasMessageContaining("syncInterval").hasMessageContaining("(0, 1 h]");
        assertThatThrownBy(() -> StreamConfig.builder("d").slowOperationThreshold("fsync", Duration.ofMillis(1)))
            .hasMessageContaining("flush");
        final StreamConfig tuned = StreamConfig.builder("d").slowOperationThreshold("flush", Duration.ofMillis(5))
            .syncMode(SyncMode.ALWAYS).build().toBuilder().build();
        assertThat(tuned.slowOperationThreshold("flush")).isEqualTo(Duration.ofMillis(5));
        assertThat(tuned.slowOperationThreshold("writeFullState")).isEqualTo(tuned.slowOperationThreshold());
        assertThat(tuned.syncMode()).isEqualTo(SyncMode.ALWAYS);
    }

    @Test
    void theFlusherThreadIsNamedAfterTheStreamAndStopsOnClose()
    {
        final FileStreamStore store = FileStreamStore.open(tmp.resolve("s"), config(SyncMode.INTERVAL).build());
        assertThat(flusherThreads()).contains("ferrite-flusher-stats");
        store.close();
        assertThat(flusherThreads()).doesNotContain("ferrite-flusher-stats");
    }

    private static List<String> flusherThreads()
    {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter((name) -> name.startsWith("ferrite-flusher-")).toList();
    }

    private static StreamConfig.Builder config(final SyncMode mode)
    {
        return StreamConfig.builder("stats").blockSize(64 * 1024).maxMsgSize(4096).syncMode(mode)
            .syncInterval(Duration.ofMillis(1));
    }
}
