package io.ferrite.engine.metrics;

import io.ferrite.store.StoreMetricNames;
import io.ferrite.store.StoreOperation;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The metric names the API publishes are the ones the engine records under, and the engine's phase numbers point at
 * the phase names the API lists: tools and dashboards read histograms by these names.
 */
final class StoreOperationNamesTest
{
    @Test
    void everyPublishedNameIsAHistogramTheEngineKeeps()
    {
        final StoreMetrics metrics = new StoreMetrics(Long.MAX_VALUE, LoggerFactory.getLogger(getClass()));
        final var stats = metrics.snapshot();
        for (final StoreOperation operation : StoreOperation.values())
        {
            assertThat(stats.histogram(operation.metricName())).as(operation.metricName()).isNotNull();
            for (int phase = 0; phase < operation.phases().size(); phase++)
            {
                assertThat(stats.histogram(operation.phaseMetricName(phase))).isNotNull();
            }
        }
        for (final String name : new String[]{ StoreMetricNames.APPEND, StoreMetricNames.APPEND_TO_DURABLE,
            StoreMetricNames.GROUP_COMMIT, StoreMetricNames.BACK_PRESSURE })
        {
            assertThat(stats.histogram(name)).as(name).isNotNull();
        }
    }

    @Test
    void theEnginesPhaseNumbersNameTheApisPhases()
    {
        assertThat(StoreOperation.WRITE_FULL_STATE.phaseMetricName(StoreMetrics.STATE_SERIALIZE))
            .isEqualTo("writeFullState.serialize");
        assertThat(StoreOperation.WRITE_FULL_STATE.phaseMetricName(StoreMetrics.STATE_WRITE))
            .isEqualTo("writeFullState.write");
        assertThat(StoreOperation.WRITE_FULL_STATE.phaseMetricName(StoreMetrics.STATE_FSYNC))
            .isEqualTo("writeFullState.fsync");
        assertThat(StoreOperation.WRITE_FULL_STATE.phaseMetricName(StoreMetrics.STATE_RENAME))
            .isEqualTo("writeFullState.rename");
        assertThat(StoreOperation.WRITE_FULL_STATE.phaseMetricName(StoreMetrics.STATE_BLOCKS))
            .isEqualTo("writeFullState.blocks");
        assertThat(StoreOperation.RECOVERY.phaseMetricName(StoreMetrics.RECOVERY_STATE)).isEqualTo("recovery.state");
        assertThat(StoreOperation.RECOVERY.phaseMetricName(StoreMetrics.RECOVERY_SCAN)).isEqualTo("recovery.scan");
        assertThat(StoreOperation.FLUSH.phaseMetricName(StoreMetrics.FLUSH_CAPTURE)).isEqualTo("flush.capture");
        assertThat(StoreOperation.FLUSH.phaseMetricName(StoreMetrics.FLUSH_FORCE)).isEqualTo("flush.force");
        assertThat(StoreOperation.FLUSH.phaseMetricName(StoreMetrics.FLUSH_DIRECTORY)).isEqualTo("flush.directory");
    }

    @Test
    void anOperationIsFoundByNameAndAnUnknownOneIsNamedInTheError()
    {
        assertThat(StoreOperation.of("blockRoll")).isEqualTo(StoreOperation.BLOCK_ROLL);
        assertThat(StreamConfig.TIMED_OPERATIONS).containsExactlyInAnyOrder(
            "writeFullState", "recovery", "flush", "blockRoll");
        assertThatThrownBy(() -> StoreOperation.of("fsync"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'fsync'").hasMessageContaining("writeFullState, recovery, flush, blockRoll");
        final StreamConfig config = StreamConfig.builder("orders")
            .slowOperationThreshold(StoreOperation.FLUSH, Duration.ofMillis(7)).build();
        assertThat(config.slowOperationThreshold("flush")).isEqualTo(Duration.ofMillis(7));
    }
}
