package io.ferrite.engine.block;

import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Large folios where forces are few next to the bytes written: always without forces, never with a force per commit,
 * and in {@code INTERVAL} while blocks fill within four sync intervals; never while a tailer of this process follows.
 */
class FolioPolicyTest
{
    private static final int BLOCK_SIZE = 8 << 20;
    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void withoutForcesEveryBlockGetsLargeFoliosFromTheFirstOn()
    {
        final FolioPolicy policy = FolioPolicy.of(SyncMode.NONE, INTERVAL, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).isEqualTo(FolioPolicy.LARGE_RANGE);
        policy.onTake(0);
        policy.onTake(3_600_000 * MS);
        assertThat(policy.rangeBytes(false)).as("however slow").isEqualTo(FolioPolicy.LARGE_RANGE);
    }

    @Test
    void withAForcePerCommitNoBlockGetsThem()
    {
        final FolioPolicy policy = FolioPolicy.of(SyncMode.ALWAYS, INTERVAL, BLOCK_SIZE);
        policy.onTake(0);
        policy.onTake(MS);
        assertThat(policy.rangeBytes(false)).as("however fast").isEqualTo(FolioPolicy.SMALL_RANGE);
    }

    @Test
    void atIntervalsABlockGetsThemWhileTheNewestFilledWithinFourIntervals()
    {
        final FolioPolicy policy = FolioPolicy.of(SyncMode.INTERVAL, INTERVAL, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).as("no block filled yet").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onTake(1_000 * MS);
        assertThat(policy.rangeBytes(false)).as("one roll tells no rate").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onTake(1_400 * MS);
        assertThat(policy.rangeBytes(false)).as("filled in exactly four intervals").isEqualTo(FolioPolicy.LARGE_RANGE);
        policy.onTake(1_801 * MS);
        assertThat(policy.rangeBytes(false)).as("slowed down").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onTake(1_802 * MS);
        assertThat(policy.rangeBytes(false)).as("fast again").isEqualTo(FolioPolicy.LARGE_RANGE);
    }

    @Test
    void whileATailerFollowsNoBlockGetsThem()
    {
        final FolioPolicy policy = FolioPolicy.of(SyncMode.NONE, INTERVAL, BLOCK_SIZE);
        assertThat(policy.rangeBytes(true)).isEqualTo(FolioPolicy.SMALL_RANGE);
        assertThat(policy.rangeBytes(false)).as("once it stopped following").isEqualTo(FolioPolicy.LARGE_RANGE);
    }

    @Test
    void blocksSmallerThanALargeFolioNeverGetThem()
    {
        final FolioPolicy policy = FolioPolicy.of(SyncMode.NONE, INTERVAL, FolioPolicy.LARGE_RANGE - 4096);
        assertThat(policy.rangeBytes(false)).isEqualTo(FolioPolicy.SMALL_RANGE);
        assertThat(FolioPolicy.small().rangeBytes(false)).isEqualTo(FolioPolicy.SMALL_RANGE);
    }
}
