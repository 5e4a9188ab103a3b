package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.RemovalGolden;
import io.ferrite.engine.testing.StreamHistory;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.RecoveryReport;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * A block file that is gone — deleted by an operator, lost with a disk, or the whole {@code blocks/} directory with it
 * — is a loss the recovery report names ({@link Kind#MISSING_BLOCK}, with the file and its sequences), never a silent
 * gap, and never a reason to assign a number twice (issue 12, item 2). {@code state.db} proves which blocks existed and
 * how far the stream had got; a newer block's header proves how far it had got when that block was created. A removed
 * message stays removed, and the loss is reported once: the next open loads the state it left, clean.
 * <p>
 * Without {@code state.db} a block missing from the middle cannot be told from one the reclaimer deleted once all its
 * messages were removed, so nothing is claimed lost; the last sequence still holds, since the next block's header
 * proves it.
 */
class MissingBlockTest
{
    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, RemovalGolden> GOLDENS = new EnumMap<>(StreamMode.class);
    private static final int APPENDS_AFTER = 3;
    private static final AtomicInteger CASES = new AtomicInteger();

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldenStores()
    {
        GOLDENS.putAll(RemovalGolden.writeAll(goldenRoot));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aMissingBlocksDirectoryIsEveryListedBlockLostNotAnEmptyStream(final StreamMode mode)
    {
        final RemovalGolden golden = GOLDENS.get(mode);
        final Path dir = golden.copyTo(work.resolve("no-blocks-dir"));
        deleteTree(dir.resolve("blocks"));
        final StreamHistory history = golden.history().copy();
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = mode + ": blocks/ deleted\nreport " + report;
            assertThat(report.outcome()).as(context).isEqualTo(Outcome.REBUILT_FROM_BLOCKS);
            assertThat(report.lost()).as(context).hasSize(golden.blocks().size())
                .allMatch((range) -> range.kind() == Kind.MISSING_BLOCK);
            for (int i = 0; i < golden.blocks().size(); i++)
            {
                assertThat(report.lost().get(i).file().getFileName()).as(context)
                    .isEqualTo(golden.blocks().get(i).getFileName());
                assertCoversExactly(report.lost().get(i), golden.sequencesOf(i), context);
            }
            assertThat(store.state().msgs()).as(context).isZero();
            assertThat(store.state().lastSeq()).as(context).isEqualTo(golden.last());
            history.check(store, context);
            assertThat(history.append(store, context)).as(context).isEqualTo(golden.last() + 1);
        }
        reopenClean(golden, dir, history, mode + ": blocks/ deleted, reopened");
    }

    @TestFactory
    Stream<DynamicTest> aMissingBlockIsReportedByNameAndItsNumbersAreNeverReused()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final RemovalGolden golden : GOLDENS.values())
        {
            final int count = golden.blocks().size();
            final int[][] cases = {{0}, {count / 2}, {count - 1}, {count / 2, count / 2 + 1}, {0, count - 1},
                {1, count / 2, count - 2}};
            for (final int[] positions : cases)
            {
                tests.add(dynamicTest(golden.mode() + ": delete blocks at " + Arrays.toString(positions) + " of " +
                    count,
                    () -> deleteAndRecover(golden, positions)));
            }
        }
        return tests.stream();
    }

    private void deleteAndRecover(final RemovalGolden golden, final int[] positions) throws IOException
    {
        final Path dir = golden.copyTo(work.resolve("case-" + CASES.incrementAndGet()));
        final List<Path> deleted = new ArrayList<>();
        for (final int position : positions)
        {
            deleted.add(golden.block(dir, position));
            Files.delete(golden.block(dir, position));
        }
        final StreamHistory history = golden.history().copy();
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = golden.mode() + ": deleted " + deleted + "\nreport " + report;
            assertThat(report.lost()).as(context).hasSize(positions.length)
                .allMatch((range) -> range.kind() == Kind.MISSING_BLOCK);
            for (int i = 0; i < positions.length; i++)
            {
                final LostRange range = report.lost().get(i);
                assertThat(range.file()).as(context).isEqualTo(deleted.get(i));
                assertCoversExactly(range, golden.sequencesOf(positions[i]), context);
            }
            assertThat(store.state().lastSeq()).as(context).isEqualTo(golden.last());
            history.check(store, context);
            for (int i = 0; i < APPENDS_AFTER; i++)
            {
                history.append(store, context);
            }
            history.check(store, context);
        }
        reopenClean(golden, dir, history, golden.mode() + ": deleted " + deleted + ", reopened");
    }

    /**
     * The state is older than the blocks (a recovery point lagging the appends); a block created after it is gone,
     * with a newer one still there: that one's header proves what the lost block held.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aBlockCreatedAfterAnOlderStateIsProvenLostByTheNextHeader(final StreamMode mode) throws IOException
    {
        final RemovalGolden golden = GOLDENS.get(mode);
        final Path dir = golden.copyTo(work.resolve("stale-state"));
        final Path olderState = work.resolve("state.db.older");
        Files.copy(dir.resolve("state.db"), olderState);
        final StreamHistory history = golden.history().copy();
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            for (int i = 0; i < 300; i++)
            {
                history.append(store, "after the state");
            }
        }
        final List<Path> blocks = BlockFiles.blocks(dir);
        assertThat(blocks.size()).as("blocks created after the state").isGreaterThan(golden.blocks().size() + 3);
        final Path victim = blocks.get(golden.blocks().size() + 1);
        final long victimLast = RemovalGolden.baseSeq(blocks.get(golden.blocks().size() + 2)) - 1;
        final List<Long> victimSequences =
            LongStream.rangeClosed(RemovalGolden.baseSeq(victim), victimLast).boxed().toList();
        Files.delete(victim);
        Files.copy(olderState, dir.resolve("state.db"), StandardCopyOption.REPLACE_EXISTING);
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = mode + ": deleted " + victim.getFileName() + " created after state.db\nreport " +
                report;
            assertThat(report.outcome()).as(context).isEqualTo(Outcome.REPLAYED_AFTER_STATE);
            assertThat(report.lost()).as(context).hasSize(1);
            assertThat(report.lost().get(0).kind()).as(context).isEqualTo(Kind.MISSING_BLOCK);
            assertThat(report.lost().get(0).file()).as(context).isEqualTo(victim);
            assertCoversExactly(report.lost().get(0), victimSequences, context);
            history.check(store, context);
            history.append(store, context);
        }
        reopenClean(golden, dir, history, mode + ": deleted a block created after state.db, reopened");
    }

    /**
     * Without {@code state.db} nothing tells a lost middle block from a reclaimed one, so no loss is claimed (see
     * {@code MissingBlocks}); but the next block's header proves how far the stream had got, so the last sequence
     * stays and no number is assigned twice.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void withoutStateAMissingMiddleBlockStillNeverMakesANumberReused(final StreamMode mode) throws IOException
    {
        final RemovalGolden golden = GOLDENS.get(mode);
        final Path dir = golden.copyTo(work.resolve("no-state"));
        final int middle = golden.blocks().size() / 2;
        final List<Long> gone = golden.sequencesOf(middle);
        Files.delete(golden.block(dir, middle));
        Files.delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final String context = mode + ": state.db and block " + middle + " deleted\nreport " +
                store.recoveryReport();
            assertThat(store.state().lastSeq()).as(context).isEqualTo(golden.last());
            for (long seq = 1; seq <= golden.last(); seq++)
            {
                if (gone.contains(seq) || golden.history().removed().contains(seq))
                {
                    assertThat(store.load(seq)).as(context).isNull();
                }
                else
                {
                    assertThat(RemovalGolden.MESSAGES.mismatch(store.load(seq), seq)).as(context).isNull();
                }
            }
            assertThat(RemovalGolden.MESSAGES.appendNext(store)).as(context).isEqualTo(golden.last() + 1);
        }
    }

    private static void reopenClean(
        final RemovalGolden golden, final Path dir, final StreamHistory history, final String context)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final String again = context + "\nreport " + store.recoveryReport();
            assertThat(store.recoveryReport().outcome()).as(again).isEqualTo(Outcome.LOADED_STATE);
            assertThat(store.recoveryReport().isClean()).as("a loss is reported once: %s", again).isTrue();
            history.check(store, again);
            history.append(store, again);
        }
    }

    /**
     * The range names exactly the sequences the lost file held (they are consecutive in these streams).
     */
    private static void assertCoversExactly(final LostRange range, final List<Long> sequences, final String context)
    {
        assertThat(sequences).as(context).isNotEmpty();
        assertThat(range.firstSeq()).as("first sequence of %s: %s", range, context).isEqualTo(sequences.get(0));
        assertThat(range.lastSeq()).as("last sequence of %s: %s", range, context)
            .isEqualTo(sequences.get(sequences.size() - 1));
    }

    private static void deleteTree(final Path root)
    {
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
