package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Damage inside one record costs that record and nothing else: a flipped byte in its header, body or trailing
 * checksum, or a run of garbage over most of it, in the middle of a block. The damaged record is never returned, the
 * recovery report names it with its sequence whenever recovery scanned the block, and every other record of the block
 * — those after the damage included — still loads byte for byte. (JetStream's file store truncates a block at the first
 * bad record; nats-server issue 7549 lost 20,350 acknowledged messages to single-bit errors that way.)
 * <p>
 * Three ways in: {@code state.db} deleted (recovery rebuilds by scanning every block), {@code state.db} kept with the
 * damage in a sealed block (the block is scanned lazily on its first read), and {@code state.db} kept with the damage
 * in the last block (recovery scans the tail, finds damage inside what the state covers, and rebuilds).
 * <p>
 * Every case runs against a plaintext and an encrypted stream. Single-byte damage is caught by the record checksums in
 * both; an encrypted stream appends into a new block after a reopen.
 */
class RecordDamageTest
{
    private static final long SEED = 0xDA_4A9EL;
    private static final TestMessages GOLDEN = new TestMessages(160);
    private static final TestMessages AFTER = new TestMessages(30);

    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, Golden> GOLDENS = new EnumMap<>(StreamMode.class);

    /**
     * The pristine store every case of one stream mode starts from.
     */
    private record Golden(StreamMode streamMode, StreamConfig config, Path dir, long last, List<Path> blocks)
    {
    }

    private static final AtomicInteger CASES = new AtomicInteger();

    @TempDir
    Path work;

    private enum Mode
    {
        REBUILD("state.db deleted, sealed block", true),
        LAZY("state.db kept, sealed block read lazily", false),
        TAIL("state.db kept, last block", true);

        final String description;
        final boolean scanned;

        Mode(final String description, final boolean scanned)
        {
            this.description = description;
            this.scanned = scanned;
        }
    }

    @BeforeAll
    static void writeGoldenStores()
    {
        for (final StreamMode streamMode : StreamMode.values())
        {
            final StreamConfig config =
                streamMode.config(StreamConfig.builder("damage").blockSize(16 * 1024).maxMsgSize(512));
            final Path golden = goldenRoot.resolve("golden-" + streamMode);
            long goldenLast = 0;
            try (FileStreamStore store = FileStreamStore.open(golden, config))
            {
                while (goldenLast < 400 || BlockFiles.frames(last(BlockFiles.blocks(golden))).size() < 40)
                {
                    goldenLast = GOLDEN.appendNext(store);
                }
            }
            final List<Path> goldenBlocks = BlockFiles.blocks(golden);
            assertThat(goldenBlocks).hasSizeGreaterThanOrEqualTo(3);
            GOLDENS.put(streamMode, new Golden(streamMode, config, golden, goldenLast, goldenBlocks));
        }
    }

    private static Path last(final List<Path> blocks)
    {
        return blocks.get(blocks.size() - 1);
    }

    @TestFactory
    Stream<DynamicTest> oneDamagedRecordCostsOnlyThatRecord()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Golden golden : GOLDENS.values())
        {
            final List<Path> goldenBlocks = golden.blocks();
            for (final Mode mode : Mode.values())
            {
                final int position = mode == Mode.TAIL ? goldenBlocks.size() - 1 : goldenBlocks.size() / 2;
                final BlockFiles.Frame victim = victimIn(goldenBlocks.get(position));
                final Map<String, Damage> damages = damagesOf(victim);
                damages.forEach((what, damage) -> tests.add(dynamicTest(
                    golden.streamMode() + ": " + what + ", " + mode.description,
                    () -> damageAndRecover(golden, mode, position, List.of(victim), damage))));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> damageToTheLastRecordOfASealedBlockIsNotMistakenForATornTail()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Golden golden : GOLDENS.values())
        {
            final List<Path> goldenBlocks = golden.blocks();
            final int position = goldenBlocks.size() / 2;
            final List<BlockFiles.Frame> frames = BlockFiles.frames(goldenBlocks.get(position));
            final BlockFiles.Frame victim = frames.get(frames.size() - 1);
            final Map<String, Damage> damages = damagesOf(victim);
            for (final Mode mode : new Mode[] {Mode.REBUILD, Mode.LAZY})
            {
                for (final String what : List.of("flip header byte 8", "flip first payload byte",
                    "flip last checksum byte", "garbage over most of the record"))
                {
                    tests.add(dynamicTest(golden.streamMode() + ": " + what + ", " + mode.description,
                        () -> damageAndRecover(golden, mode, position, List.of(victim), damages.get(what))));
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> aGarbageRunOverSeveralRecordsCostsExactlyThose()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Golden golden : GOLDENS.values())
        {
            final List<Path> goldenBlocks = golden.blocks();
            for (final Mode mode : Mode.values())
            {
                final int position = mode == Mode.TAIL ? goldenBlocks.size() - 1 : goldenBlocks.size() / 2;
                final List<BlockFiles.Frame> frames = BlockFiles.frames(goldenBlocks.get(position));
                final int first = frames.size() / 2;
                final List<BlockFiles.Frame> victims = frames.subList(first, first + 3);
                final int from = victims.get(0).offset() + 4;
                final int to = victims.get(2).end() - 8;
                tests.add(dynamicTest(golden.streamMode() + ": garbage over three records, " + mode.description,
                    () -> damageAndRecover(golden, mode, position, victims, (file) -> garbage(file, from, to))));
            }
        }
        return tests.stream();
    }

    @FunctionalInterface
    private interface Damage extends Consumer<Path>
    {
    }

    /**
     * A record in the middle of the block with headers and a payload of a few bytes at least, so every part exists.
     */
    private static BlockFiles.Frame victimIn(final Path block)
    {
        final List<BlockFiles.Frame> frames = BlockFiles.frames(block);
        for (int i = frames.size() / 2; i < frames.size() - 1; i++)
        {
            final long seq = frames.get(i).seq();
            if (GOLDEN.headers(seq).length > 0 && GOLDEN.payload(seq).length >= 8)
            {
                return frames.get(i);
            }
        }
        throw new AssertionError("no suitable record in " + block);
    }

    private static Map<String, Damage> damagesOf(final BlockFiles.Frame victim)
    {
        final long seq = victim.seq();
        final int subjectLength = GOLDEN.subject(seq).length();
        final int headersLength = GOLDEN.headers(seq).length;
        final int payloadLength = GOLDEN.payload(seq).length;
        final int offset = victim.offset();
        final Map<String, Damage> damages = new LinkedHashMap<>();
        final int[][] headerBytes = {
            {RecordDescriptor.FRAME_LENGTH_OFFSET, 0}, {RecordDescriptor.TYPE_OFFSET, 0},
            {RecordDescriptor.FLAGS_OFFSET, 0}, {RecordDescriptor.SUBJECT_LENGTH_OFFSET, 0},
            {RecordDescriptor.SEQUENCE_OFFSET, 0}, {RecordDescriptor.SEQUENCE_OFFSET, 7},
            {RecordDescriptor.TIMESTAMP_OFFSET, 3}, {RecordDescriptor.HEADERS_LENGTH_OFFSET, 0},
            {RecordDescriptor.PAYLOAD_LENGTH_OFFSET, 1}, {RecordDescriptor.RESERVED_OFFSET, 2},
            {RecordDescriptor.HEADER_CHECKSUM_OFFSET, 0}, {RecordDescriptor.HEADER_CHECKSUM_OFFSET, 3}};
        for (final int[] at : headerBytes)
        {
            final int position = at[0] + at[1];
            damages.put("flip header byte " + position, (file) -> BlockFiles.flip(file, offset + position));
        }
        final int subject = RecordDescriptor.subjectOffset(offset);
        final int headers = RecordDescriptor.headersOffset(offset, subjectLength);
        final int payload = RecordDescriptor.payloadOffset(offset, subjectLength, headersLength);
        damages.put("flip subject byte", (file) -> BlockFiles.flip(file, subject));
        damages.put("flip headers byte", (file) -> BlockFiles.flip(file, headers + headersLength - 1));
        damages.put("flip first payload byte", (file) -> BlockFiles.flip(file, payload));
        damages.put("flip middle payload byte", (file) -> BlockFiles.flip(file, payload + payloadLength / 2));
        damages.put("flip last payload byte", (file) -> BlockFiles.flip(file, payload + payloadLength - 1));
        damages.put("flip one bit of the payload", (file) ->
        {
            final byte original = BlockFiles.readByte(file, payload + 3);
            BlockFiles.write(file, payload + 3, new byte[] {(byte)(original ^ 0x10)});
        });
        damages.put("flip first checksum byte", (file) -> BlockFiles.flip(file, victim.end() - 4));
        damages.put("flip last checksum byte", (file) -> BlockFiles.flip(file, victim.end() - 1));
        damages.put("garbage over most of the record", (file) -> garbage(file, offset + 4, victim.end() - 4));
        damages.put("garbage over the whole record", (file) -> garbage(file, offset, victim.end()));
        damages.put("zeros over the body", (file) ->
            BlockFiles.write(file, subject, new byte[victim.end() - subject]));
        return damages;
    }

    private static void garbage(final Path file, final int from, final int to)
    {
        final byte[] bytes = new byte[to - from];
        new Random(SEED ^ from).nextBytes(bytes);
        BlockFiles.write(file, from, bytes);
    }

    private void damageAndRecover(final Golden golden, final Mode mode, final int position,
        final List<BlockFiles.Frame> victims, final Consumer<Path> damage)
    {
        final StreamConfig config = golden.config();
        final long goldenLast = golden.last();
        final List<Path> goldenBlocks = golden.blocks();
        final Path dir = work.resolve("case-" + CASES.incrementAndGet());
        BlockFiles.copyTree(golden.dir(), dir);
        final Path block = dir.resolve("blocks").resolve(goldenBlocks.get(position).getFileName());
        final Set<Long> damaged = new TreeSet<>();
        victims.forEach((victim) -> damaged.add(victim.seq()));
        damage.accept(block);
        if (mode == Mode.REBUILD)
        {
            deleteState(dir);
        }

        final String context;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            context = golden.streamMode() + ", " + mode.description + ", damaged " + damaged + " in " +
                block.getFileName() + "\nreport " + report;
            assertThat(store.state().lastSeq()).as(context).isEqualTo(goldenLast);
            assertEveryRecordButTheDamagedLoads(store, goldenLast, damaged, context);

            if (mode.scanned)
            {
                assertThat(report.outcome()).as(context).isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
                assertThat(report.lost()).as("the report lists the damage and nothing else: %s", context).hasSize(1);
                final LostRange range = report.lost().get(0);
                assertThat(range.file()).as(context).isEqualTo(block);
                assertThat(range.kind()).as(context).isIn(Kind.DAMAGED_RECORD, Kind.DAMAGED_REGION);
                assertThat(range.firstSeq()).as("first lost seq: %s", context).isEqualTo(victims.get(0).seq());
                assertThat(range.lastSeq()).as("last lost seq: %s", context)
                    .isEqualTo(victims.get(victims.size() - 1).seq());
                assertThat(range.fromOffset()).as(context).isLessThanOrEqualTo(victims.get(0).offset() + 4L)
                    .isGreaterThanOrEqualTo(victims.get(0).offset());
                assertThat(range.toOffset()).as(context).isEqualTo(victims.get(victims.size() - 1).end());
                assertThat(store.state().msgs()).as(context).isEqualTo(goldenLast - damaged.size());
            }
            else
            {
                assertThat(report.outcome()).as(context).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            }
            final long next = victims.get(victims.size() - 1).seq() + 1;
            try
            {
                final StoredMessage after = store.loadNext(">", victims.get(0).seq());
                assertThat(after).as("loadNext steps over the damage: %s", context).isNotNull();
                assertThat(after.seq()).as(context).isEqualTo(next);
            }
            catch (final CorruptRecordException found)
            {
                assertThat(mode.scanned).as("damage recovery listed reads as absent: %s", context).isFalse();
                assertThat(damaged).as("loadNext names a damaged seq: %s", context).contains(found.seq());
                final StoredMessage after = store.loadNext(">", victims.get(victims.size() - 1).seq() + 1);
                assertThat(after).as(context).isNotNull();
                assertThat(after.seq()).as(context).isEqualTo(next);
            }
            for (int i = 1; i <= 3; i++)
            {
                final long seq = goldenLast + i;
                assertThat(store.append(AFTER.subject(seq), AFTER.headers(seq), AFTER.payload(seq))).as(context)
                    .isEqualTo(seq);
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final String again = context + "\nsecond open " + store.recoveryReport();
            assertThat(store.state().lastSeq()).as(again).isEqualTo(goldenLast + 3);
            assertEveryRecordButTheDamagedLoads(store, goldenLast, damaged, again);
            for (long seq = goldenLast + 1; seq <= goldenLast + 3; seq++)
            {
                assertThat(AFTER.mismatch(store.load(seq), seq)).as(again).isNull();
            }
        }
    }

    /**
     * A stale {@code state.db}, damage inside the part of the last block it covers, and a torn record after it (a crash
     * on top of bit rot): recovery gives up on the state and rebuilds, and the report still names both losses.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void damageInsideTheStateAndATornTailAfterItAreBothReported(final StreamMode streamMode) throws IOException
    {
        final Golden golden = GOLDENS.get(streamMode);
        final StreamConfig config = golden.config();
        final long goldenLast = golden.last();
        final Path dir = work.resolve("stale-damaged-torn");
        BlockFiles.copyTree(golden.dir(), dir);
        final Path oldState = work.resolve("state.db.old");
        Files.copy(dir.resolve("state.db"), oldState);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < 3; i++)
            {
                GOLDEN.appendNext(store);
            }
        }
        Files.copy(oldState, dir.resolve("state.db"), StandardCopyOption.REPLACE_EXISTING);
        final List<Path> blocks = BlockFiles.blocks(dir);
        final Path block = last(blocks);
        final List<BlockFiles.Frame> frames = BlockFiles.frames(block);
        // Encrypted, the appends after the state went to a new block: the damage goes into the state's last block.
        final Path stateTail = streamMode.encrypted() ? blocks.get(blocks.size() - 2) : block;
        final BlockFiles.Frame damaged = victimIn(stateTail);
        final BlockFiles.Frame torn = frames.get(frames.size() - 1);
        assertThat(torn.seq()).isEqualTo(goldenLast + 3);
        BlockFiles.flip(stateTail, damaged.end() - 2);
        BlockFiles.flip(block, torn.end() - 2);

        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = "damaged " + damaged.seq() + ", torn " + torn.seq() + "\nreport " + report;
            assertThat(report.outcome()).as(context).isEqualTo(RecoveryReport.Outcome.REBUILT_FROM_BLOCKS);
            assertThat(report.lost()).as(context).anyMatch((range) -> range.kind() == Kind.DAMAGED_RECORD &&
                range.firstSeq() == damaged.seq() && range.lastSeq() == damaged.seq());
            assertThat(report.lost()).as(context).anyMatch((range) -> range.kind() == Kind.TORN_TAIL &&
                range.firstSeq() == torn.seq());
            assertThat(store.state().lastSeq()).as("the torn record's header verifies: its sequence stays taken: %s",
                context).isEqualTo(torn.seq());
            assertNeverReturned(store, damaged.seq(), context);
            assertThat(store.load(torn.seq())).as(context).isNull();
            for (long seq = 1; seq < torn.seq(); seq++)
            {
                if (seq != damaged.seq())
                {
                    assertThat(GOLDEN.mismatch(store.load(seq), seq)).as(context).isNull();
                }
            }
        }
    }

    private static void assertEveryRecordButTheDamagedLoads(
        final StreamStore store, final long goldenLast, final Set<Long> damaged, final String context)
    {
        for (long seq = 1; seq <= goldenLast; seq++)
        {
            if (damaged.contains(seq))
            {
                assertNeverReturned(store, seq, context);
            }
            else
            {
                assertThat(GOLDEN.mismatch(store.load(seq), seq)).as(context).isNull();
                final long expected = seq;
                final String[] mismatch = {"not read"};
                assertThat(store.read(seq, (view) -> mismatch[0] = GOLDEN.mismatch(view, expected))).as(context)
                    .isTrue();
                assertThat(mismatch[0]).as(context).isNull();
            }
        }
    }

    /**
     * The API allows two answers for a damaged record: absent (null / false) or {@link CorruptRecordException}.
     */
    static void assertNeverReturned(final StreamStore store, final long seq, final String context)
    {
        try
        {
            assertThat(store.load(seq)).as("damaged seq %d must not load: %s", seq, context).isNull();
        }
        catch (final CorruptRecordException expected)
        {
            assertThat(expected.seq()).as(context).isEqualTo(seq);
        }
        try
        {
            assertThat(store.read(seq, (view) ->
            {
                throw new AssertionError("damaged seq " + seq + " was handed to a reader: " + context);
            })).as(context).isFalse();
        }
        catch (final CorruptRecordException expected)
        {
            assertThat(expected.seq()).as(context).isEqualTo(seq);
        }
    }

    private static void deleteState(final Path dir)
    {
        try
        {
            Files.delete(dir.resolve("state.db"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
