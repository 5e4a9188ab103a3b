package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.AckingChild;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A consumer's ack floor across SIGKILL: a child JVM ({@link ConsumerCrashChild}) delivers and acknowledges out of
 * order and is killed at seeded random moments; the next child (and finally this test) reopens the consumer. The
 * recovered floor is never above the highest floor an acknowledgement the child set out to make would produce — never
 * forward past what was acknowledged — and in {@code ALWAYS} mode never below the floor of the last acknowledgement
 * that returned. In {@code INTERVAL} mode an acknowledgement may be lost with up to an interval of updates, so only the
 * upper bound holds. A few kills per mode; {@code -Dferrite.soak=true} runs many more.
 */
class ConsumerCrashTest
{
    private static final long SEED = 0xC0_45_E7_0A11L;
    private static final int CHILD_MAX_ROUNDS = 100_000;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = SyncMode.class, names = {"ALWAYS", "INTERVAL"})
    void theRecoveredAckFloorIsBetweenTheAcksThatReturnedAndTheAcksBegun(final SyncMode mode) throws Exception
    {
        final int cycles = CampaignSeeds.soak() ? 25 : mode == SyncMode.ALWAYS ? 3 : 2;
        final Random random = new Random(SEED + mode.ordinal());
        final AckingChild children = new AckingChild(tmp);
        final Path dir = tmp.resolve("stream");
        for (int cycle = 1; cycle <= cycles; cycle++)
        {
            final int acksBeforeKill = 2 + random.nextInt(40);
            final String plan = mode + ", seed " + SEED + ", cycle " + cycle + "/" + cycles + ", kill after " +
                acksBeforeKill + " acknowledgements";
            children.runAndKill(ConsumerCrashChild.class, dir, List.of(dir.toString(), mode.name(),
                Integer.toString(CHILD_MAX_ROUNDS), Long.toString(random.nextLong())), 1, acksBeforeKill, plan,
                (opened, reopen) ->
                {
                    checkRecovered(children, mode, opened[0], reopen);
                    return opened[0];
                });
        }
        try (StreamStore store = FileStreamStore.open(dir, ConsumerCrashChild.config(mode)))
        {
            final ConsumerState state = store.consumer(ConsumerCrashChild.CONSUMER, ConsumerCrashChild.CONFIG).state();
            checkRecovered(children, mode, state.ackFloor().stream(), mode + ": this test's reopen");
            assertThat(state.delivered().stream()).isLessThanOrEqualTo(store.lastSeq());
        }
        assertThat(children.ackedHigh()).as("the children acknowledged something").isPositive();
    }

    private static void checkRecovered(
        final AckingChild children, final SyncMode mode, final long floor, final String plan)
    {
        final long willHigh = children.willHigh();
        final long ackedHigh = children.ackedHigh();
        assertThat(floor).as("%s: the recovered ack floor is not above what an acknowledgement begun would make it " +
            "(%d)", plan, willHigh).isLessThanOrEqualTo(willHigh);
        if (mode == SyncMode.ALWAYS)
        {
            assertThat(floor).as("%s: the floor of an acknowledgement that returned in ALWAYS mode (%d) is durable",
                plan, ackedHigh).isGreaterThanOrEqualTo(ackedHigh);
        }
    }
}
