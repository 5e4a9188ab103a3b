package io.ferrite.engine.block;

import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Large folios only where they at most double what forces write: never with a force per commit or a small bound on
 * unforced bytes, otherwise while the stream appends at least one large folio per sync interval, measured over the
 * newest block from roll to roll; while a tailer of this process follows, only while preparing a block for it in
 * small steps takes the preparer more than half the time the stream takes to fill one.
 */
class FolioPolicyTest
{
    private static final int BLOCK_SIZE = 8 << 20;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void atIntervalsABlockGetsThemWhileTheStreamAppendsALargeFolioPerInterval()
    {
        final FolioPolicy policy = FolioPolicy.of(config(SyncMode.INTERVAL, BLOCK_SIZE, StreamConfig.UNBOUNDED));
        assertThat(policy.rangeBytes(false)).as("no block filled yet").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onRoll(1_000 * MS, 0);
        assertThat(policy.rangeBytes(false)).as("one roll tells no rate").isEqualTo(FolioPolicy.SMALL_RANGE);
        // 8 MiB in 400 ms: 2 MiB per 100 ms interval, exactly one large folio per force.
        policy.onRoll(1_400 * MS, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).isEqualTo(FolioPolicy.LARGE_RANGE);
        policy.onRoll(1_801 * MS, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).as("slowed down").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onRoll(1_802 * MS, 4096);
        assertThat(policy.rangeBytes(false)).as("a roll 1 ms after the last that filled nothing (a purge) looks slow")
            .isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onRoll(1_850 * MS, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).as("fast again").isEqualTo(FolioPolicy.LARGE_RANGE);
        assertThat(policy.rangeBytes(true)).as("but not while a tailer follows").isEqualTo(FolioPolicy.SMALL_RANGE);
    }

    @Test
    void aFollowedStreamGetsThemWhileSmallStepsForItTookThePreparerOverHalfTheTimeABlockTakesToFill()
    {
        final FolioPolicy policy = FolioPolicy.of(config(SyncMode.INTERVAL, BLOCK_SIZE, StreamConfig.UNBOUNDED));
        policy.onRoll(0, 0);
        // 8 MiB in 100 ms: a block fills in 100 ms.
        policy.onRoll(100 * MS, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).isEqualTo(FolioPolicy.LARGE_RANGE);
        assertThat(policy.rangeBytes(true)).as("no block prepared for a follower yet").isEqualTo(
            FolioPolicy.SMALL_RANGE);
        policy.onPreparedFollowed(50 * MS);
        assertThat(policy.rangeBytes(true)).as("half the time: not more").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onPreparedFollowed(51 * MS);
        assertThat(policy.rangeBytes(true)).isEqualTo(FolioPolicy.LARGE_RANGE);
        policy.onRoll(300 * MS, BLOCK_SIZE);
        assertThat(policy.rangeBytes(true)).as("slowed to 200 ms a block").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onPreparedFollowed(101 * MS);
        assertThat(policy.rangeBytes(true)).as("a slower preparer").isEqualTo(FolioPolicy.LARGE_RANGE);
        // 5 s a block: 0.16 MiB per interval, under the rate rule however busy the preparer.
        policy.onRoll(5_300 * MS, BLOCK_SIZE);
        policy.onPreparedFollowed(5_000 * MS);
        assertThat(policy.rangeBytes(true)).isEqualTo(FolioPolicy.SMALL_RANGE);
    }

    @Test
    void withoutForcesOnTheClockTheSameRateDecides()
    {
        final FolioPolicy policy = FolioPolicy.of(config(SyncMode.NONE, BLOCK_SIZE, StreamConfig.UNBOUNDED));
        policy.onRoll(0, 0);
        policy.onRoll(3_600_000 * MS, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).as("a trickle").isEqualTo(FolioPolicy.SMALL_RANGE);
        policy.onRoll(3_600_010 * MS, BLOCK_SIZE);
        assertThat(policy.rangeBytes(false)).isEqualTo(FolioPolicy.LARGE_RANGE);
    }

    @Test
    void neverWithAForcePerCommitASmallUnforcedBoundOrBlocksSmallerThanAFolio()
    {
        for (final StreamConfig config : new StreamConfig[] {
            config(SyncMode.ALWAYS, BLOCK_SIZE, StreamConfig.UNBOUNDED),
            config(SyncMode.INTERVAL, BLOCK_SIZE, 2 * FolioPolicy.LARGE_RANGE - 4096),
            config(SyncMode.NONE, FolioPolicy.LARGE_RANGE - 4096, StreamConfig.UNBOUNDED) })
        {
            final FolioPolicy policy = FolioPolicy.of(config);
            policy.onRoll(0, 0);
            policy.onRoll(MS, config.blockSize());
            assertThat(policy.rangeBytes(false)).as("%s", config).isEqualTo(FolioPolicy.SMALL_RANGE);
        }
        final FolioPolicy bounded = FolioPolicy.of(config(SyncMode.INTERVAL, BLOCK_SIZE, 2 * FolioPolicy.LARGE_RANGE));
        bounded.onRoll(0, 0);
        bounded.onRoll(MS, BLOCK_SIZE);
        assertThat(bounded.rangeBytes(false)).as("forced 2 MiB at a time at least").isEqualTo(FolioPolicy.LARGE_RANGE);
        assertThat(FolioPolicy.small().rangeBytes(false)).isEqualTo(FolioPolicy.SMALL_RANGE);
    }

    @Test
    void aStreamThatForcesEveryCommitWritesItsZerosAPageAtATime()
    {
        final FolioPolicy always = FolioPolicy.of(config(SyncMode.ALWAYS, BLOCK_SIZE, StreamConfig.UNBOUNDED));
        assertThat(always.writeBytes(always.rangeBytes(false))).isEqualTo(FolioPolicy.PAGE_FOLIO);
        final FolioPolicy interval = FolioPolicy.of(config(SyncMode.INTERVAL, BLOCK_SIZE, StreamConfig.UNBOUNDED));
        assertThat(interval.writeBytes(FolioPolicy.SMALL_RANGE)).as("one write per step")
            .isEqualTo(FolioPolicy.SMALL_RANGE);
        assertThat(interval.writeBytes(FolioPolicy.LARGE_RANGE)).isEqualTo(FolioPolicy.LARGE_RANGE);
    }

    private static StreamConfig config(final SyncMode mode, final int blockSize, final long maxUnforcedBytes)
    {
        return StreamConfig.builder("folios").syncMode(mode).syncInterval(Duration.ofMillis(100)).blockSize(blockSize)
            .maxUnforcedBytes(maxUnforcedBytes).build();
    }
}
