package io.ferrite.engine.flush;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The back-pressure warning: it names the bound and the disk's force rate, and a sustained overload logs it once per
 * period, not once per waiting append.
 */
class BackPressureWarningTest
{
    private final List<String> warnings = new ArrayList<>();
    private final Logger log = (Logger)Proxy.newProxyInstance(Logger.class.getClassLoader(),
        new Class<?>[] { Logger.class }, (proxy, method, args) ->
        {
            if (method.getName().equals("warn") && null != args && args.length == 2 && args[1] instanceof Object[] all)
            {
                warnings.add(MessageFormatter.arrayFormat((String)args[0], all).getMessage());
            }
            return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });

    @Test
    void namesTheBoundAndTheForceRateAndLogsOncePerPeriod()
    {
        final BackPressureWarning warning = new BackPressureWarning("orders", log);
        final long start = 1_000_000_000L;

        assertThat(warning.maybeWarn(start, 64L << 20, 186_300_000L, 1)).isTrue();
        assertThat(warnings).singleElement().asString()
            .contains("stream orders").contains("67108864 bytes (maxUnforcedBytes)")
            .contains("186.3 MB/s").contains("about 360 ms of forcing").contains("1 appends have waited");

        // Every append of a sustained overload waits: they must not each log.
        for (long at = start; at < start + BackPressureWarning.PERIOD_NANOS; at += 1_000_000L)
        {
            assertThat(warning.maybeWarn(at, 64L << 20, 186_300_000L, 2)).isFalse();
        }
        assertThat(warnings).hasSize(1);

        assertThat(warning.maybeWarn(start + BackPressureWarning.PERIOD_NANOS, 64L << 20, -1, 10_002)).isTrue();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(1)).contains("unknown").contains("10002 appends");
    }
}
