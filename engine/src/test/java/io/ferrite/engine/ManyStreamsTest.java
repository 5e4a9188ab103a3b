package io.ferrite.engine;

import io.ferrite.store.EnvironmentConfig;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreEnvironment;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many idle streams in one environment: {@value #STREAMS_VERIFY} in {@code verify}, {@value #STREAMS_SOAK} under
 * {@code -Psoak}. They run on the environment's three threads, each keeps no latency histogram it never used, the
 * catalog lists them all, and they reopen after a close. Prints the heap, direct and mapped memory per idle stream
 * (docs/ENGINE.md quotes it); those figures are reported, not asserted, since a heap reading depends on the collector.
 * The timeout only stops a hang.
 */
@Timeout(600)
class ManyStreamsTest
{
    private static final int STREAMS_VERIFY = 200;
    private static final int STREAMS_SOAK = 1_000;
    private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path root;

    private final List<Thread> made = new CopyOnWriteArrayList<>();
    private final ThreadFactory factory = (runnable) ->
    {
        final Thread thread = new Thread(runnable);
        thread.setDaemon(true);
        made.add(thread);
        return thread;
    };

    @Test
    void manyIdleStreamsShareThreeThreadsAndReopen()
    {
        final int count = Boolean.getBoolean("ferrite.soak") ? STREAMS_SOAK : STREAMS_VERIFY;
        final EnvironmentConfig config = EnvironmentConfig.builder().syncMode(SyncMode.INTERVAL)
            .threadFactory(factory).build();
        final MemoryReading before = MemoryReading.now();
        try (StoreEnvironment env = StoreEnvironment.open(root, config))
        {
            final List<StreamStore> stores = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final StreamStore store = env.createStream(
                    env.streamConfig(name(i)).blockSize(64 << 10).maxMsgSize(4096).preparedBlocks(1).build());
                store.append("idle", null, PAYLOAD);
                stores.add(store);
            }
            for (final StreamStore store : stores)
            {
                assertThat(store.flush().join()).isEqualTo(1);
            }
            final MemoryReading after = MemoryReading.now();
            System.out.printf("ManyStreamsTest: %d idle streams (64 KiB blocks, 1 prepared): per stream heap %d B, " +
                "direct %d B, mapped %d B%n", count, (after.heap - before.heap) / count,
                (after.direct - before.direct) / count, (after.mapped - before.mapped) / count);

            assertThat(made).as("threads for %d streams", count).hasSizeLessThanOrEqualTo(3);
            assertThat(((FileStoreEnvironment)env).agentCount()).isEqualTo(3 * count);
            final FileStreamStore idle = (FileStreamStore)stores.get(count / 2);
            System.out.println("ManyStreamsTest: recorders an idle stream made: " + idle.metrics().recordersMade());
            assertThat(idle.metrics().recordersMade()).as("histograms an idle stream made").hasSizeLessThan(12);
            final EnvironmentSnapshot snapshot = env.snapshot();
            assertThat(snapshot.streams()).hasSize(count);
            assertThat(snapshot.streams()).allSatisfy((stream) ->
            {
                assertThat(stream.open()).isTrue();
                assertThat(stream.lastSeq()).isEqualTo(1);
                assertThat(stream.durableSeq()).isEqualTo(1);
            });
        }
        try (StoreEnvironment env = StoreEnvironment.open(root, config))
        {
            assertThat(env.streamNames()).hasSize(count).contains(name(0), name(count - 1));
            assertThat(env.snapshot().streams()).allSatisfy((stream) -> assertThat(stream.open()).isFalse());
            assertThat(env.openStream(name(count - 1)).load(1).subject()).isEqualTo("idle");
        }
    }

    private static String name(final int i)
    {
        return String.format("stream-%04d", i);
    }

    /**
     * Heap used after a collection, and the direct and mapped buffer pools.
     */
    private record MemoryReading(long heap, long direct, long mapped)
    {
        static MemoryReading now()
        {
            System.gc();
            final long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long direct = 0;
            long mapped = 0;
            for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
            {
                if (pool.getName().equals("direct"))
                {
                    direct = pool.getMemoryUsed();
                }
                else if (pool.getName().equals("mapped"))
                {
                    mapped = pool.getMemoryUsed();
                }
            }
            return new MemoryReading(heap, direct, mapped);
        }
    }
}
