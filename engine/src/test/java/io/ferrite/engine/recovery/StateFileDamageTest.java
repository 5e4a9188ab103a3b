package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * {@code state.db} is a cache of what the blocks hold: damaged, truncated, replaced by garbage or missing, the store
 * rebuilds from the blocks and says why; older than the blocks, it replays only what came after it. Either way every
 * message loads and the totals are those of the blocks. For a plaintext and an encrypted stream alike (encrypted, the
 * state's subjects are sealed and its totals and block entries bound to them by a digest; appends after a reopen go to
 * a new block).
 */
class StateFileDamageTest
{
    private static final long SEED = 0x57A7EL;
    private static final TestMessages MESSAGES = new TestMessages(200);
    private static final AtomicInteger CASES = new AtomicInteger();

    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, Golden> GOLDENS = new EnumMap<>(StreamMode.class);

    /**
     * The pristine store every case of one stream mode starts from.
     */
    private record Golden(
        StreamMode streamMode, StreamConfig config, Path dir, long last, StreamState state, int stateLength)
    {
    }

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldenStores() throws IOException
    {
        for (final StreamMode streamMode : StreamMode.values())
        {
            final StreamConfig config =
                streamMode.config(StreamConfig.builder("state").blockSize(8192).maxMsgSize(512));
            final Path golden = goldenRoot.resolve("golden-" + streamMode);
            long goldenLast = 0;
            final StreamState goldenState;
            try (FileStreamStore store = FileStreamStore.open(golden, config))
            {
                for (int i = 0; i < 300; i++)
                {
                    goldenLast = MESSAGES.appendNext(store);
                }
                goldenState = store.state();
            }
            final int stateLength = (int)Files.size(golden.resolve("state.db"));
            assertThat(BlockFiles.blocks(golden)).hasSizeGreaterThan(4);
            GOLDENS.put(streamMode, new Golden(streamMode, config, golden, goldenLast, goldenState, stateLength));
        }
    }

    @TestFactory
    Stream<DynamicTest> aDamagedStateFileIsRebuiltFromTheBlocks()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Golden golden : GOLDENS.values())
        {
            addDamageCases(golden, tests);
        }
        return tests.stream();
    }

    private void addDamageCases(final Golden golden, final List<DynamicTest> tests)
    {
        final int stateLength = golden.stateLength();
        final String mode = golden.streamMode() + ": ";
        final int body = StateDescriptor.HEADER_LENGTH;
        final int[] flips = {StateDescriptor.MAGIC_OFFSET, StateDescriptor.VERSION_OFFSET,
            StateDescriptor.BODY_LENGTH_OFFSET, StateDescriptor.BODY_CHECKSUM_OFFSET,
                StateDescriptor.HEADER_CHECKSUM_OFFSET,
            body + StateDescriptor.MSGS_OFFSET, body + StateDescriptor.LAST_SEQ_OFFSET,
            body + StateDescriptor.BLOCK_COUNT_OFFSET, body + StateDescriptor.BLOCKS_OFFSET + 60, stateLength - 1};
        for (final int offset : flips)
        {
            tests.add(dynamicTest(mode + "flip byte " + offset + " of " + stateLength,
                () -> damageAndRebuild(golden, (state) -> BlockFiles.flip(state, offset))));
        }
        final int[] sizes = {0, 10, StateDescriptor.HEADER_LENGTH - 1, StateDescriptor.HEADER_LENGTH, stateLength / 2,
            stateLength - 1};
        for (final int size : sizes)
        {
            tests.add(dynamicTest(mode + "truncate to " + size + " bytes", () -> damageAndRebuild(golden, (state) ->
                BlockFiles.truncate(state, size))));
        }
        tests.add(dynamicTest(mode + "append a trailing byte", () -> damageAndRebuild(golden, (state) ->
            BlockFiles.write(state, stateLength, new byte[] {1}))));
        for (final int length : new int[] {stateLength, 17, 4096})
        {
            tests.add(dynamicTest(mode + "replace with " + length + " bytes of garbage", () -> damageAndRebuild(golden,
                (state) ->
            {
                final byte[] garbage = new byte[length];
                new Random(SEED + length).nextBytes(garbage);
                write(state, garbage);
            })));
        }
        tests.add(dynamicTest(mode + "replace with zeros", () -> damageAndRebuild(golden, (state) -> write(state,
            new byte[stateLength]))));
        tests.add(dynamicTest(mode + "delete it", () -> damageAndRebuild(golden, (state) -> delete(state))));
    }

    private void damageAndRebuild(final Golden golden, final Consumer<Path> damage)
    {
        final StreamConfig config = golden.config();
        final long goldenLast = golden.last();
        final StreamState goldenState = golden.state();
        final Path dir = work.resolve("case-" + CASES.incrementAndGet());
        BlockFiles.copyTree(golden.dir(), dir);
        damage.accept(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
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
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.LOADED_STATE);
            assertAllLoad(store, goldenLast + 1, store.recoveryReport().toString());
        }
    }

    /**
     * Encrypted, the appends after the state went to a new block (never into the state's tail): it is that block that
     * is replayed.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aStaleStateFileReplaysOnlyWhatTheTailBlockGainedAfterIt(final StreamMode streamMode)
    {
        staleState(GOLDENS.get(streamMode), 3, false);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aStaleStateFileReplaysTheBlocksCreatedAfterIt(final StreamMode streamMode)
    {
        staleState(GOLDENS.get(streamMode), 150, false);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aStaleStateFileWithATornTailReplaysUpToTheTear(final StreamMode streamMode)
    {
        staleState(GOLDENS.get(streamMode), 150, true);
    }

    private void staleState(final Golden golden, final int appendsAfter, final boolean tearTail)
    {
        final StreamConfig config = golden.config();
        final Path dir = work.resolve("stale");
        BlockFiles.copyTree(golden.dir(), dir);
        final Path saved = work.resolve("state.db.old");
        copy(dir.resolve("state.db"), saved);
        final int blocksBefore = BlockFiles.blocks(dir).size();
        final StreamState expected;
        long last = golden.last();
        try (FileStreamStore store = FileStreamStore.open(dir, config))
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
        else if (golden.streamMode().encrypted())
        {
            assertThat(newBlocks).as("an encrypted stream appends after a reopen into one new block").isOne();
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
            final int cut = lastFrame.offset() + lastFrame.length() / 2;
            BlockFiles.truncate(lastFrame.file(), cut);
            // A header that survived the cut whole verifies: the sequence it names stays taken, though lost.
            last = cut >= lastFrame.offset() + RecordDescriptor.HEADER_LENGTH ? torn : torn - 1;
        }
        copy(saved, dir.resolve("state.db"));

        try (FileStreamStore store = FileStreamStore.open(dir, config))
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
            assertAllLoad(store, last, torn, report.toString());
            assertThat(store.load(last + 1)).isNull();
            if (tearTail)
            {
                assertThat(store.load(torn)).as("the torn record is never returned").isNull();
            }
            assertThat(MESSAGES.appendNext(store)).isEqualTo(last + 1);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.LOADED_STATE);
            assertAllLoad(store, last + 1, torn, store.recoveryReport().toString());
        }
    }

    /**
     * Every sequence up to {@code last} loads, but {@code lost} (0: none), which must not.
     */
    private static void assertAllLoad(final FileStreamStore store, final long last, final long lost,
        final String context)
    {
        for (long seq = 1; seq <= last; seq++)
        {
            if (seq == lost)
            {
                assertThat(store.load(seq)).as(context).isNull();
            }
            else
            {
                assertThat(MESSAGES.mismatch(store.load(seq), seq)).as(context).isNull();
            }
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
