package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deterministic power cuts with the worst outcome everywhere ({@link PowerLossIO#worstCase()}): every page not forced
 * is dropped, every directory entry not synced reverts. What the store acknowledged must be exactly what survives.
 */
class WorstCasePowerCutTest
{
    private static final int BLOCK_SIZE = 8 * 1024;
    private static final int MAX_PAYLOAD = 700;
    private static final int MESSAGES = 200;

    @TempDir
    Path tmp;

    private final TestMessages messages = new TestMessages(MAX_PAYLOAD);

    @Test
    void aFlushedSequenceSurvivesAndNothingUnflushedIsClaimed()
    {
        final Path dir = tmp.resolve("stream");
        final PowerLossIO io = new PowerLossIO(dir);
        final long flushed;
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.INTERVAL, Duration.ofHours(1)), io))
        {
            appendMessages(store, MESSAGES);
            flushed = store.flush().join();
            appendMessages(store, 3);
            io.cut(PowerLossIO.worstCase(), tmp.resolve("image"));
        }
        assertThat(flushed).isEqualTo(MESSAGES);
        assertSurvivors(tmp.resolve("image"), flushed, flushed);
    }

    @Test
    void everyAlwaysAppendThatReturnedSurvives()
    {
        final Path dir = tmp.resolve("stream");
        final PowerLossIO io = new PowerLossIO(dir);
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.ALWAYS, Duration.ofHours(1)), io))
        {
            appendMessages(store, MESSAGES);
            io.cut(PowerLossIO.worstCase(), tmp.resolve("image"));
        }
        assertSurvivors(tmp.resolve("image"), MESSAGES, MESSAGES);
    }

    /**
     * Recovery trusts the entries of sealed blocks in {@code state.db} without reading them, so {@code writeFullState}
     * writes only a state a completed force made durable — in {@code NONE} mode too, where it forces nothing on the
     * caller's thread: the appends after the last flush are the window a power cut may take.
     */
    @Test
    void aStateFileNeverDescribesBlockDataTheDiskDoesNotHold()
    {
        final Path dir = tmp.resolve("stream");
        final PowerLossIO io = new PowerLossIO(dir);
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE, Duration.ofHours(1)), io))
        {
            appendMessages(store, MESSAGES);
            store.flush().join();
            appendMessages(store, 3);
            store.writeFullState();
            io.cut(PowerLossIO.worstCase(), tmp.resolve("image"));
        }
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("image"),
            config(SyncMode.INTERVAL, Duration.ofMillis(100))))
        {
            final String context = store.state() + " " + store.recoveryReport();
            // The state write asked the flusher for a force in the background: it may have covered the last three.
            final long last = store.state().lastSeq();
            assertThat(last).as(context).isBetween((long)MESSAGES, MESSAGES + 3L);
            for (long seq = 1; seq <= last; seq++)
            {
                assertThat(messages.mismatch(store.load(seq), seq)).as("seq %d: %s", seq, context).isNull();
            }
            assertThat(store.recoveryReport().outcome()).as(context)
                .isNotEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            assertThat(store.recoveryReport().lost()).as(context)
                .allMatch((range) -> range.kind() == RecoveryReport.Kind.UNWRITTEN_BLOCK);
        }
    }

    /**
     * An idle store's state write is fresh: once everything appended is durable, the state written is the stream as
     * it is, and the next open reads nothing but the tail.
     */
    @Test
    void anIdleStoresStateWriteDescribesEverythingDurable()
    {
        final Path dir = tmp.resolve("stream");
        final PowerLossIO io = new PowerLossIO(dir);
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE, Duration.ofHours(1)), io))
        {
            appendMessages(store, MESSAGES);
            store.flush().join();
            store.writeFullState();
            io.cut(PowerLossIO.worstCase(), tmp.resolve("image"));
        }
        final RecoveryReport report = assertSurvivors(tmp.resolve("image"), MESSAGES, MESSAGES);
        assertThat(report.outcome()).as(report.toString()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
    }

    @Test
    void aCutRightAfterTheFirstBlockWasCreatedLeavesAStoreThatOpens()
    {
        final Path dir = tmp.resolve("stream");
        final PowerLossIO io = new PowerLossIO(dir);
        try (FileStreamStore store = FileStreamStore.open(dir, config(SyncMode.NONE, Duration.ofHours(1)), io))
        {
            messages.appendNext(store);
            io.cut(PowerLossIO.worstCase(), tmp.resolve("image"));
        }
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("image"), config(SyncMode.NONE,
            Duration.ofHours(1))))
        {
            // NONE forces nothing before flush() (its rolls only release blocks), so seq 1 is durable only if the
            // store's own close-time force ran before the cut, which it did not here; either outcome must open.
            assertThat(store.state().lastSeq()).isBetween(0L, 1L);
            final List<RecoveryReport.LostRange> lost = store.recoveryReport().lost();
            if (store.state().lastSeq() == 1)
            {
                assertThat(lost).isEmpty();
            }
            else
            {
                // The new stream's state.db (written at open) lists no block. Block 1's file may have reached the
                // disk without its header page: then it is a roll newer than the state, set aside and listed from
                // sequence 1 on, never silently gone.
                assertThat(lost).allSatisfy(range ->
                {
                    assertThat(range.kind()).isEqualTo(RecoveryReport.Kind.UNWRITTEN_BLOCK);
                    assertThat(range.firstSeq()).isEqualTo(1L);
                });
            }
        }
    }

    /**
     * Every mode forces each sealed block when it rolls, {@code NONE} included: without any tick or {@code flush()},
     * a worst-case cut once the rolls were handled keeps every message of every sealed block. A roll left unforced in
     * {@code NONE} let a later block's header reach the disk while an earlier one's did not, and recovery (which sets
     * aside everything from the first unwritten header on) then handed out again sequences the later file proved were
     * used; forcing at the roll keeps the headers in order.
     */
    @Test
    void noneRollsForceEverySealedBlock() throws IOException
    {
        assertRollsForceSealedBlocks(SyncMode.NONE);
    }

    @Test
    void intervalRollsForceEverySealedBlock() throws IOException
    {
        assertRollsForceSealedBlocks(SyncMode.INTERVAL);
    }

    @Test
    void alwaysRollsForceEverySealedBlock() throws IOException
    {
        assertRollsForceSealedBlocks(SyncMode.ALWAYS);
    }

    private void assertRollsForceSealedBlocks(final SyncMode mode) throws IOException
    {
        final Path dir = tmp.resolve("stream-" + mode);
        final PowerLossIO io = new PowerLossIO(dir);
        final long sealedUpTo;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, Duration.ofHours(1)), io))
        {
            sealedUpTo = appendAcrossRolls(store, 4);
            awaitOnlyTheTailOpen(dir);
            io.cut(PowerLossIO.worstCase(), tmp.resolve("image-" + mode));
        }
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("image-" + mode),
            config(SyncMode.INTERVAL, Duration.ofMillis(100))))
        {
            final String context = mode + ": " + store.state() + " " + store.recoveryReport();
            assertThat(store.state().lastSeq()).as(context).isGreaterThanOrEqualTo(sealedUpTo);
            for (long seq = 1; seq <= sealedUpTo; seq++)
            {
                assertThat(messages.mismatch(store.load(seq), seq)).as("seq %d: %s", seq, context).isNull();
            }
        }
    }

    /**
     * Append until {@code rolls} more blocks were created.
     *
     * @return the last sequence in a sealed block: the one before the append that made the last roll.
     */
    private long appendAcrossRolls(final FileStreamStore store, final int rolls)
    {
        final long target = store.stats().blocksCreated() + rolls;
        long sealedUpTo = -1;
        while (store.stats().blocksCreated() < target)
        {
            final long before = store.stats().blocksCreated();
            final long seq = messages.appendNext(store);
            if (store.stats().blocksCreated() != before)
            {
                sealedUpTo = seq - 1;
            }
        }
        return sealedUpTo;
    }

    /**
     * Wait until the flusher handled every roll: it releases a sealed block's descriptor in the roll's cycle, so only
     * the tail block keeps one (Linux: {@code /proc/self/fd}).
     */
    private static void awaitOnlyTheTailOpen(final Path dir) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (BlockFiles.openDescriptors(dir) > 1 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertThat(BlockFiles.openDescriptors(dir)).as("only the tail block keeps a descriptor").isEqualTo(1);
    }

    private void appendMessages(final FileStreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            messages.appendNext(store);
        }
    }

    private RecoveryReport assertSurvivors(final Path image, final long expectedLast, final long mustHave)
    {
        try (FileStreamStore store = FileStreamStore.open(image, config(SyncMode.INTERVAL, Duration.ofMillis(100))))
        {
            final String context = store.state() + " " + store.recoveryReport();
            assertThat(store.state().lastSeq()).as(context).isEqualTo(expectedLast);
            for (long seq = 1; seq <= mustHave; seq++)
            {
                assertThat(messages.mismatch(store.load(seq), seq)).as("seq %d: %s", seq, context).isNull();
            }
            return store.recoveryReport();
        }
    }

    private static StreamConfig config(final SyncMode mode, final Duration interval)
    {
        return StreamConfig.builder("worst").blockSize(BLOCK_SIZE).maxMsgSize(MAX_PAYLOAD + 64).syncMode(mode)
            .syncInterval(interval).build();
    }
}
