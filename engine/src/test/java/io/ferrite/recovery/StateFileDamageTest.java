package io.ferrite.recovery;

import io.ferrite.state.StateDescriptor;
import io.ferrite.store.FileStreamStore;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * {@code state.db} is a cache of what the blocks hold: damaged, truncated, replaced by garbage or missing, the store
 * rebuilds from the blocks and says why; older than the blocks, it replays only what came after it. Either way every
 * message loads and the totals are those of the blocks.
 */
class StateFileDamageTest
{
    private static final long SEED = 0x57A7EL;
    private static final StreamConfig CONFIG = StreamConfig.builder("state").blockSize(8192).maxMsgSize(512).build();
    private static final TestMessages MESSAGES = new TestMessages(200);
    private static final AtomicInteger CASES = new AtomicInteger();

    @TempDir
    static Path goldenRoot;
    private static Path golden;
    private static long goldenLast;
    private static StreamState goldenState;
    private static int stateLength;

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldenStore() throws IOException
    {
        golden = goldenRoot.resolve("golden");
        try (FileStreamStore store = FileStreamStore.open(golden, CONFIG))
        {
            for (int i = 0; i < 300; i++)
            {
                goldenLast = MESSAGES.appendNext(store);
            }
            goldenState = store.state();
        }
        stateLength = (int)Files.size(golden.resolve("state.db"));
        assertThat(BlockFiles.blocks(golden)).hasSizeGreaterThan(4);
    }

    @TestFactory
    Stream<DynamicTest> aDamagedStateFileIsRebuiltFromTheBlocks()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        final int body = StateDescriptor.HEADER_LENGTH;
        final int[] flips = {StateDescriptor.MAGIC_OFFSET, StateDescriptor.VERSION_OFFSET,
            StateDescriptor.BODY_LENGTH_OFFSET, StateDescriptor.BODY_CHECKSUM_OFFSET, StateDescriptor.HEADER_CHECKSUM_OFFSET,
            body + StateDescriptor.MSGS_OFFSET, body + StateDescriptor.LAST_SEQ_OFFSET,
            body + StateDescriptor.BLOCK_COUNT_OFFSET, body + StateDescriptor.BLOCKS_OFFSET + 60, stateLength - 1};
        for (final int offset : flips)
        {
            tests.add(dynamicTest("flip byte " + offset + " of " + stateLength,
                () -> damageAndRebuild((state) -> BlockFiles.flip(state, offset))));
        }
        final int[] sizes = {0, 10, StateDescriptor.HEADER_LENGTH - 1, StateDescriptor.HEADER_LENGTH, stateLength / 2,
            stateLength - 1};
        for (final int size : sizes)
        {
            tests.add(dynamicTest("truncate to " + size + " bytes", () -> damageAndRebuild((state) ->
                BlockFiles.truncate(state, size))));
        }
        tests.add(dynamicTest("append a trailing byte", () -> damageAndRebuild((state) ->
            BlockFiles.write(state, stateLength, new byte[] {1}))));
        for (final int length : new int[] {stateLength, 17, 4096})
        {
            tests.add(dynamicTest("replace with " + length + " bytes of garbage", () -> damageAndRebuild((state) ->
            {
                final byte[] garbage = new byte[length];
                new Random(SEED + length).nextBytes(garbage);
                write(state, garbage);
            })));
        }
        tests.add(dynamicTest("replace with zeros", () -> damageAndRebuild((state) -> write(state,
            new byte[stateLength]))));
        tests.add(dynamicTest("delete it", () -> damageAndRebuild((state) -> delete(state))));
        return tests.stream();
    }

    private void damageAndRebuild(final Consumer<Path> damage)
    {
        final Path dir = work.resolve("case-" + CASES.incrementAndGet());
        BlockFiles.copyTree(golden, dir);
        damage.accept(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.outcome()).as("%s", report).isEqualTo(Outcome.REBUILT_FROM_BLOCKS);
            assertThat(report.reason()).as("%s", report).contains("state.db");
            assertThat(report.isClean()).as("%s", report).isTrue();
            assertThat(report.blocksScanned()).as("%s", report).isEqualTo(BlockFiles.blocks(dir).size());
            assertThat(store.state()).as("%s", report).isEqualTo(goldenState);
            assertAllLoad(store, goldenLast, report.toString());
            assertThat(MESSAGES.appendNext(store)).isEqualTo(goldenLast + 1);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.LOADED_STATE);
            assertAllLoad(store, goldenLast + 1, store.recoveryReport().toString());
        }
    }

    @Test
    void aStaleStateFileReplaysOnlyWhatTheTailBlockGainedAfterIt()
    {
        staleState(3, false);
    }

    @Test
    void aStaleStateFileReplaysTheBlocksCreatedAfterIt()
    {
        staleState(150, false);
    }

    @Test
    void aStaleStateFileWithATornTailReplaysUpToTheTear()
    {
        staleState(150, true);
    }

    private void staleState(final int appendsAfter, final boolean tearTail)
    {
        final Path dir = work.resolve("stale");
        BlockFiles.copyTree(golden, dir);
        final Path saved = work.resolve("state.db.old");
        copy(dir.resolve("state.db"), saved);
        final int blocksBefore = BlockFiles.blocks(dir).size();
        final StreamState expected;
        long last = goldenLast;
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            for (int i = 0; i < appendsAfter; i++)
            {
                last = MESSAGES.appendNext(store);
            }
            expected = store.state();
        }
        final List<Path> blocks = BlockFiles.blocks(dir);
        final int newBlocks = blocks.size() - blocksBefore;
        if (appendsAfter > 100)
        {
            assertThat(newBlocks).as("blocks created after the state").isPositive();
        }
        else
        {
            assertThat(newBlocks).as("the appends after the state stayed in its tail block").isZero();
        }
        long torn = 0;
        if (tearTail)
        {
            final BlockFiles.Frame lastFrame = BlockFiles.frames(blocks.get(blocks.size() - 1)).get(
                BlockFiles.frames(blocks.get(blocks.size() - 1)).size() - 1);
            torn = lastFrame.seq();
            BlockFiles.truncate(lastFrame.file(), lastFrame.offset() + lastFrame.length() / 2);
            last = torn - 1;
        }
        copy(saved, dir.resolve("state.db"));

        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.outcome()).as("%s", report).isEqualTo(Outcome.REPLAYED_AFTER_STATE);
            assertThat(report.blocksScanned()).as("only the state's tail block and newer ones: %s", report)
                .isEqualTo(1 + newBlocks);
            assertThat(store.state().lastSeq()).as("%s", report).isEqualTo(last);
            if (tearTail)
            {
                assertThat(report.lost()).as("%s", report).isNotEmpty()
                    .allMatch((range) -> range.kind() == Kind.TORN_TAIL || range.kind() == Kind.TRUNCATED_FILE);
                final long lostSeq = torn;
                assertThat(report.lost()).as("%s", report).anyMatch((range) -> range.covers(lostSeq))
                    .anyMatch((range) -> range.kind() == Kind.TORN_TAIL && range.firstSeq() == lostSeq);
                assertThat(store.state().msgs()).as("%s", report).isEqualTo(expected.msgs() - 1);
            }
            else
            {
                assertThat(report.isClean()).as("%s", report).isTrue();
                assertThat(store.state()).as("%s", report).isEqualTo(expected);
            }
            assertAllLoad(store, last, report.toString());
            assertThat(store.load(last + 1)).isNull();
            assertThat(MESSAGES.appendNext(store)).isEqualTo(last + 1);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.LOADED_STATE);
            assertAllLoad(store, last + 1, store.recoveryReport().toString());
        }
    }

    private static void assertAllLoad(final FileStreamStore store, final long last, final String context)
    {
        for (long seq = 1; seq <= last; seq++)
        {
            assertThat(MESSAGES.mismatch(store.load(seq), seq)).as(context).isNull();
        }
    }

    private static void write(final Path file, final byte[] bytes)
    {
        try
        {
            Files.write(file, bytes);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void copy(final Path from, final Path to)
    {
        try
        {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void delete(final Path file)
    {
        try
        {
            Files.delete(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
