package io.ferrite.engine;

import io.ferrite.engine.flush.ControllableStorageIO;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * In {@code INTERVAL} and {@code NONE} a purge or compaction does not wait for a force of everything appended (one
 * purge in {@code NONE} stalled over 5 s, issue 12): it returns while the force is held, and the emptied blocks go
 * once the force completes, on the reclaim thread.
 */
class PurgeWithoutStallTest
{
    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SyncMode.class, names = { "INTERVAL", "NONE" })
    void aPurgeReturnsWhileTheForceIsHeldAndTheSpaceComesBackAfterIt(final SyncMode mode) throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final StreamConfig config = StreamConfig.builder("purging").blockSize(16 << 10).maxMsgSize(1024)
            .syncMode(mode).syncInterval(Duration.ofMillis(10)).build();
        final Path dir = root.resolve("purging");
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            // Counted down once a reclaim pass left only the tail purge rolled: a pass that starts before the force
            // completed waits for it (the purge's tombstone must be durable before any block goes), never the purge.
            final CountDownLatch deleted = new CountDownLatch(1);
            store.reclaimSteps((step) ->
            {
                if (step == ReclaimStep.DELETE_STATE_WRITTEN && blockFilesUnchecked(dir) == 1)
                {
                    deleted.countDown();
                }
            });
            for (int i = 1; i <= 200; i++)
            {
                store.append("telemetry.cpu", null, new byte[500]);
            }
            final long blocksBefore = blockFiles(dir);
            assertThat(blocksBefore).isGreaterThan(4);
            io.stallBlockForces();
            try
            {
                // A hang detector, not a synchronisation: the force is held until released below, so a purge that
                // waited for it would never return.
                final long removed = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> store.purge());
                assertThat(removed).isEqualTo(200);
                assertThat(store.state().msgs()).isZero();
                // The purge returned and a force is held right now: it did not wait for it.
                io.awaitStalled();
            }
            finally
            {
                io.releaseStall();
            }
            assertThat(deleted.await(60, TimeUnit.SECONDS)).as("every emptied block deleted after the force").isTrue();
            assertThat(store.append("telemetry.cpu", null, new byte[10])).isEqualTo(201);
        }
        try (FileStreamStore reopened = FileStreamStore.open(dir, config))
        {
            assertThat(reopened.state().msgs()).isEqualTo(1);
            assertThat(reopened.state().firstSeq()).isEqualTo(201);
            assertThat(reopened.recoveryReport().lost()).isEmpty();
        }
    }

    private static long blockFilesUnchecked(final Path dir)
    {
        try
        {
            return blockFiles(dir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static long blockFiles(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((p) -> p.toString().endsWith(BlockDescriptor.FILE_SUFFIX)).count();
        }
    }
}
