package io.ferrite.engine.metrics;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A slow operation logs exactly one warning that names every phase; a fast one logs nothing.
 */
class SlowOperationWarningTest
{
    private final List<String> warnings = new ArrayList<>();
    private final Logger log = (Logger)Proxy.newProxyInstance(Logger.class.getClassLoader(),
        new Class<?>[] { Logger.class }, (proxy, method, args) ->
        {
            if (method.getName().equals("warn") && null != args && args.length == 2)
            {
                warnings.add(String.valueOf(args[1]));
            }
            return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });

    @Test
    void aForceCycleOverItsOwnThresholdNamesItsPhases()
    {
        final StoreMetrics metrics = new StoreMetrics(Long.MAX_VALUE, Map.of("flush", 0L), log);
        final OperationTimer.Run run = metrics.flush().start();
        run.endPhase(StoreMetrics.FLUSH_CAPTURE);
        run.endPhase(StoreMetrics.FLUSH_FORCE);
        run.endPhase(StoreMetrics.FLUSH_DIRECTORY);
        run.finish("2 blocks, 7 commits, durable seq 42");

        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).matches(
            "flush took [0-9.]+ ms \\(capture [0-9.]+, force [0-9.]+, directory [0-9.]+\\) " +
            "2 blocks, 7 commits, durable seq 42");
    }

    @Test
    void anOperationUnderItsThresholdLogsNothing()
    {
        final StoreMetrics metrics = new StoreMetrics(0, Map.of("writeFullState", Long.MAX_VALUE), log);
        final OperationTimer.Run run = metrics.writeFullState().start();
        run.endPhase(StoreMetrics.STATE_SERIALIZE);
        run.finish("");
        assertThat(warnings).isEmpty();
        assertThat(metrics.snapshot().histogram("writeFullState.blocks").getTotalCount()).isEqualTo(1);
    }
}
