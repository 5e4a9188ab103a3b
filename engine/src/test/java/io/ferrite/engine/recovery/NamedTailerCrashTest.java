package io.ferrite.engine.recovery;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.AckingChild;
import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.store.NamedTailer;
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
 * At-least-once across SIGKILL: a child JVM ({@link NamedTailerCrashChild}) appends, follows its own stream with a
 * named tailer and acknowledges, and is killed at seeded random moments; the next child (and finally this test)
 * reopens the stream and the tailer. The resumed position is never past the highest sequence the child set out to
 * acknowledge — no unacknowledged message is skipped — nor past the stream's end; in {@code ALWAYS} mode it is at least
 * one past the highest acknowledgement that returned, since {@code ack} forced it first. In {@code INTERVAL} mode an
 * acknowledgement may be lost with up to an interval of appends, so only the upper bounds hold.
 */
class NamedTailerCrashTest
{
    private static final long SEED = 0xC0_5E55_0A11L;
    private static final int CYCLES = CampaignSeeds.soak() ? 40 : 4;
    private static final int CHILD_MAX_ROUNDS = 100_000;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = SyncMode.class, names = {"ALWAYS", "INTERVAL"})
    void aNamedTailerResumesNoLaterThanItsLastAcknowledgementAfterSigkill(final SyncMode mode) throws Exception
    {
        final Random random = new Random(SEED);
        final AckingChild children = new AckingChild(tmp);
        final Path dir = tmp.resolve("stream");
        for (int cycle = 1; cycle <= CYCLES; cycle++)
        {
            final int acksBeforeKill = 2 + random.nextInt(12);
            final String plan = mode + ", seed " + SEED + ", cycle " + cycle + "/" + CYCLES + ", kill after " +
                acksBeforeKill + " acknowledgements";
            children.runAndKill(NamedTailerCrashChild.class, dir, List.of(dir.toString(), mode.name(),
                Integer.toString(CHILD_MAX_ROUNDS)), 2, acksBeforeKill, plan, (opened, reopen) ->
                {
                    checkResumed(children, mode, opened[0], opened[1], reopen);
                    return opened[1] - 1;
                });
        }
        try (StreamStore store = FileStreamStore.open(dir, NamedTailerCrashChild.config(mode));
            NamedTailer tailer = store.createTailer(NamedTailerCrashChild.TAILER))
        {
            checkResumed(children, mode, store.lastSeq(), tailer.nextSeq(), mode + ": this test's reopen");
        }
        assertThat(children.ackedHigh()).as("the children acknowledged something").isPositive();
    }

    private static void checkResumed(
        final AckingChild children, final SyncMode mode, final long lastSeq, final long next, final String plan)
    {
        final long willHigh = children.willHigh();
        final long ackedHigh = children.ackedHigh();
        assertThat(next).as("%s: resumed no later than the highest sequence the child set out to acknowledge (%d)",
            plan, willHigh).isLessThanOrEqualTo(willHigh + 1);
        assertThat(next).as("%s: resumed within the stream (lastSeq %d)", plan, lastSeq)
            .isLessThanOrEqualTo(lastSeq + 1);
        if (mode == SyncMode.ALWAYS)
        {
            assertThat(next).as("%s: an acknowledgement that returned in ALWAYS mode (%d) is durable", plan,
                ackedHigh).isGreaterThanOrEqualTo(ackedHigh + 1);
        }
    }
}
