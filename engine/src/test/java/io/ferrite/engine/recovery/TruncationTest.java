package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * A block file cut short — by a crash on a filesystem that lost its tail, or by an operator — at every record boundary
 * and inside every record of the last block, and inside a sealed block: the store opens, reports what was lost,
 * returns every record before the cut byte for byte and nothing after it, and carries on appending — after the last
 * sequence {@code state.db} recorded when it is there (a number once assigned is never assigned again), else after the
 * last record that survived, since nothing remembers more. For a plaintext and
 * for an encrypted stream alike (an encrypted one carries on in a new block, and its sealed blocks end in a footer that
 * a cut removes).
 */
class TruncationTest
{
    private static final long SEED = 0x7E_C0FFEEL;
    private static final Map<StreamMode, StreamConfig> CONFIGS = new EnumMap<>(StreamMode.class);
    private static final TestMessages GOLDEN = new TestMessages(160);
    /** Appends after recovery use other payloads, so stale bytes past the cut could never pass for them. */
    private static final TestMessages AFTER = new TestMessages(40);
    private static final int APPENDS_AFTER = 5;

    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, Golden> GOLDENS = new EnumMap<>(StreamMode.class);

    /**
     * The pristine store every case of one mode starts from.
     */
    private record Golden(Path dir, long last, List<Path> blocks)
    {
    }

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldenStores()
    {
        for (final StreamMode mode : StreamMode.values())
        {
            final StreamConfig config = mode.config(StreamConfig.builder("trunc").blockSize(8192).maxMsgSize(512));
            CONFIGS.put(mode, config);
            final Path golden = goldenRoot.resolve("golden-" + mode);
            long last = 0;
            try (FileStreamStore store = FileStreamStore.open(golden, config))
            {
                while (last < 300 || lastBlockFrames(store) < 25)
                {
                    last = GOLDEN.appendNext(store);
                }
            }
            final List<Path> blocks = BlockFiles.blocks(golden);
            assertThat(blocks).hasSizeGreaterThan(4);
            GOLDENS.put(mode, new Golden(golden, last, blocks));
        }
    }

    private static int lastBlockFrames(final FileStreamStore store)
    {
        final List<Path> blocks = BlockFiles.blocks(store.directory());
        return blocks.isEmpty() ? 0 : BlockFiles.frames(blocks.get(blocks.size() - 1)).size();
    }

    @TestFactory
    Stream<DynamicTest> lastBlockCutAtEveryRecordBoundaryAndInsideEveryRecord()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final StreamMode mode : StreamMode.values())
        {
            final List<Path> goldenBlocks = GOLDENS.get(mode).blocks();
            final Path lastBlock = goldenBlocks.get(goldenBlocks.size() - 1);
            final List<BlockFiles.Frame> frames = BlockFiles.frames(lastBlock);
            final Random random = new Random(SEED);
            final List<Integer> cuts = new ArrayList<>();
            for (final BlockFiles.Frame frame : frames)
            {
                cuts.add(frame.offset());
                cuts.add(frame.offset() + 1 + random.nextInt(frame.length() - 1));
            }
            cuts.add(frames.get(frames.size() - 1).end());
            for (final boolean keepState : new boolean[] {true, false})
            {
                for (final int cut : cuts)
                {
                    tests.add(dynamicTest(mode + ": cut last block at " + cut +
                        (keepState ? ", state.db kept" : ", state.db deleted"),
                        () -> cutAndRecover(mode, goldenBlocks.size() - 1, cut, keepState)));
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> sealedBlockCutAtABoundaryAndInsideARecord()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final StreamMode mode : StreamMode.values())
        {
            final List<Path> goldenBlocks = GOLDENS.get(mode).blocks();
            final int middle = goldenBlocks.size() / 2;
            final List<BlockFiles.Frame> frames = BlockFiles.frames(goldenBlocks.get(middle));
            final BlockFiles.Frame victim = frames.get(frames.size() / 2);
            final int[] cuts = {victim.offset(), victim.offset() + 3, victim.offset() + 17, victim.offset() + 45,
                victim.end() - 2, frames.get(0).offset()};
            for (final boolean keepState : new boolean[] {true, false})
            {
                for (final int cut : cuts)
                {
                    tests.add(dynamicTest(mode + ": cut sealed block " + middle + " at " + cut +
                        (keepState ? ", state.db kept" : ", state.db deleted"),
                        () -> cutAndRecover(mode, middle, cut, keepState)));
                }
            }
        }
        return tests.stream();
    }

    /**
     * @return the last sequence the cut last block still proves taken: that of the record the cut went through when
     * its header survived whole (the header verifies, so the sequence was handed out and is never handed out again),
     * else the one before it.
     */
    private static long lastTaken(final List<BlockFiles.Frame> frames, final int cut)
    {
        for (final BlockFiles.Frame frame : frames)
        {
            if (frame.end() > cut)
            {
                return cut >= frame.offset() + RecordDescriptor.HEADER_LENGTH ? frame.seq() : frame.seq() - 1;
            }
        }
        throw new IllegalArgumentException("no record at or after " + cut);
    }

    private void cutAndRecover(final StreamMode mode, final int blockPosition, final int cut, final boolean keepState)
        throws IOException
    {
        final StreamConfig config = CONFIGS.get(mode);
        final Golden golden = GOLDENS.get(mode);
        final List<Path> goldenBlocks = golden.blocks();
        final long goldenLast = golden.last();
        final Path dir = work.resolve("case-" + mode + "-" + blockPosition + "-" + cut + "-" + keepState);
        BlockFiles.copyTree(golden.dir(), dir);
        final Path block = dir.resolve("blocks").resolve(goldenBlocks.get(blockPosition).getFileName());
        final boolean isLast = blockPosition == goldenBlocks.size() - 1;
        final List<BlockFiles.Frame> frames = BlockFiles.frames(block);
        final Set<Long> lost = new TreeSet<>();
        for (final BlockFiles.Frame frame : frames)
        {
            if (frame.end() > cut)
            {
                lost.add(frame.seq());
            }
        }
        BlockFiles.truncate(block, cut);
        if (!keepState)
        {
            Files.delete(dir.resolve("state.db"));
        }
        // With state.db the stream's last sequence is proven and never goes back: appends continue after it. Without
        // it, the last sequence a surviving header proves (a torn last record's included) is the last.
        final long expectedLast = isLast && !lost.isEmpty() && !keepState ? lastTaken(frames, cut) : goldenLast;
        final boolean scanned = isLast || !keepState;

        final String context;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            context = mode + ": cut " + block.getFileName() + " at " + cut + ", state.db " +
                (keepState ? "kept" : "deleted") +
                ", lost " + lost + "\nreport " + report;
            assertThat(store.state().lastSeq()).as(context).isEqualTo(expectedLast);
            for (long seq = 1; seq <= goldenLast; seq++)
            {
                if (lost.contains(seq) && scanned)
                {
                    assertThat(store.load(seq)).as("seq %d was past the cut: %s", seq, context).isNull();
                    assertThat(store.read(seq, (view) -> { })).as(context).isFalse();
                }
                else if (lost.contains(seq))
                {
                    RecordDamageTest.assertNeverReturned(store, seq, "seq " + seq + " was past the cut: " + context);
                }
                else
                {
                    assertThat(GOLDEN.mismatch(store.load(seq), seq)).as(context).isNull();
                }
            }
            if (scanned)
            {
                assertThat(report.lost()).as("the report names the cut: %s", context)
                    .anyMatch((range) -> range.kind() == Kind.TRUNCATED_FILE && range.file().equals(block) &&
                        range.fromOffset() == cut);
                assertThat(report.lost()).as(context).allMatch((range) ->
                    range.kind() == Kind.TRUNCATED_FILE || range.kind() == Kind.TORN_TAIL ||
                    (!isLast && range.kind() == Kind.DAMAGED_REGION));
                for (final long seq : lost)
                {
                    assertThat(report.lost()).as("the report accounts for lost seq %d: %s", seq, context)
                        .anyMatch((range) -> range.covers(seq));
                }
                for (final LostRange range : report.lost())
                {
                    if (range.firstSeq() != StoreException.UNKNOWN)
                    {
                        assertThat(range.firstSeq()).as("nothing before the cut is reported lost: %s", context)
                            .isGreaterThanOrEqualTo(lost.isEmpty() ? expectedLast + 1 : lost.iterator().next());
                    }
                }
            }
            for (int i = 1; i <= APPENDS_AFTER; i++)
            {
                final long seq = expectedLast + i;
                assertThat(store.append(AFTER.subject(seq), AFTER.headers(seq), AFTER.payload(seq))).as(context)
                    .isEqualTo(seq);
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final String again = context + "\nsecond open " + store.recoveryReport();
            assertThat(store.recoveryReport().outcome()).as(again).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThat(store.recoveryReport().isClean()).as(again).isTrue();
            assertThat(store.state().lastSeq()).as(again).isEqualTo(expectedLast + APPENDS_AFTER);
            for (long seq = 1; seq <= expectedLast; seq++)
            {
                if (!lost.contains(seq))
                {
                    assertThat(GOLDEN.mismatch(store.load(seq), seq)).as(again).isNull();
                }
                else
                {
                    RecordDamageTest.assertNeverReturned(store, seq, again);
                }
            }
            for (long seq = expectedLast + 1; seq <= expectedLast + APPENDS_AFTER; seq++)
            {
                assertThat(AFTER.mismatch(store.load(seq), seq)).as(again).isNull();
            }
        }
    }
}
