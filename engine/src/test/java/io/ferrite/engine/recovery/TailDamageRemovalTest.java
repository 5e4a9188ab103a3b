package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.RemovalGolden;
import io.ferrite.engine.testing.StreamHistory;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Damage to the last block — where every tombstone of the golden stream sits — neither brings a removed message back
 * nor gives a number out twice (issue 12, item 3). {@code state.db} recorded the removals and the last sequence: the
 * removals stay removed though their tombstones are gone, the last sequence stays, appends continue after it, and every
 * sequence between the last record that survived and the state's last is reported lost, with a known last sequence.
 * <p>
 * What nothing can know: a removal made after the last {@code state.db} whose tombstone was lost. Such a message comes
 * back if it survived; if it was itself in the lost region it is reported lost like its neighbours.
 */
class TailDamageRemovalTest
{
    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, RemovalGolden> GOLDENS = new EnumMap<>(StreamMode.class);
    private static final AtomicInteger CASES = new AtomicInteger();
    private static final int APPENDS_AFTER = 5;

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldenStores()
    {
        GOLDENS.putAll(RemovalGolden.writeAll(goldenRoot));
    }

    /**
     * The damage, given the golden's last block's frames (in the copy): what it does, and the sequences it destroys.
     */
    private record Damage(String name, Function<List<BlockFiles.Frame>, List<Long>> apply)
    {
    }

    @TestFactory
    Stream<DynamicTest> damageToTheTailKeepsItsRemovalsAndItsNumbers()
    {
        final List<Damage> damages = List.of(
            new Damage("cut to 3,000 bytes (the case issue 12 reported)", (frames) -> cut(frames, 3_000)),
            new Damage("cut at the first tombstone", (frames) -> cut(frames, firstTombstone(frames).offset())),
            new Damage("cut inside the first tombstone", (frames) -> cut(frames, firstTombstone(frames).offset() + 20)),
            new Damage("cut right after the header", (frames) -> cut(frames, frames.get(0).offset())),
            new Damage("two records zeroed, records after them", (frames) -> zero(frames, frames.size() / 3, 2)),
            new Damage("zeroed from a record to the end of the data", (frames) -> zero(frames, frames.size() / 3,
                frames.size() - frames.size() / 3)));
        final List<DynamicTest> tests = new ArrayList<>();
        for (final RemovalGolden golden : GOLDENS.values())
        {
            for (final Damage damage : damages)
            {
                tests.add(dynamicTest(golden.mode() + ": " + damage.name(), () -> damageAndRecover(golden, damage)));
            }
        }
        return tests.stream();
    }

    private void damageAndRecover(final RemovalGolden golden, final Damage damage)
    {
        final Path dir = golden.copyTo(work.resolve("case-" + CASES.incrementAndGet()));
        final Path tail = golden.block(dir, golden.blocks().size() - 1);
        final List<BlockFiles.Frame> frames = BlockFiles.frames(tail).stream()
            .filter((frame) -> frame.end() <= BlockFiles.readAll(tail).length).toList();
        assertThat(frames).as("the tail block holds every tombstone")
            .filteredOn((frame) -> frame.type() == RecordDescriptor.TYPE_DELETE)
            .hasSize(golden.history().removed().size());
        final List<Long> destroyed = damage.apply().apply(frames);
        final StreamHistory history = golden.history().copy();
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final RecoveryReport report = store.recoveryReport();
            final String context = golden.mode() + ": " + damage.name() + ", destroyed " + destroyed + "\nreport " +
                report;
            assertThat(store.state().lastSeq()).as(context).isEqualTo(golden.last());
            history.check(store, context);
            for (final long seq : destroyed)
            {
                assertThat(store.load(seq)).as(context).isNull();
                assertThat(report.lost()).as("seq %d is reported: %s", seq, context)
                    .anyMatch((range) -> range.covers(seq) && range.lastSeq() != StoreException.UNKNOWN);
            }
            for (final LostRange range : report.lost())
            {
                assertThat(range.lastSeq()).as("no loss runs open past the state's last sequence: %s", context)
                    .isLessThanOrEqualTo(golden.last());
                if (range.firstSeq() != StoreException.UNKNOWN)
                {
                    assertThat(range.firstSeq()).as("only the damaged region is reported: %s", context)
                        .isGreaterThanOrEqualTo(destroyed.isEmpty() ? golden.last() + 1 : destroyed.get(0));
                }
            }
            for (int i = 0; i < APPENDS_AFTER; i++)
            {
                assertThat(history.append(store, context)).as(context).isEqualTo(golden.last() + 1 + i);
            }
            history.check(store, context);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final String again = golden.mode() + ": " + damage.name() + ", reopened\nreport " +
                store.recoveryReport();
            assertThat(store.recoveryReport().outcome()).as(again).isEqualTo(Outcome.LOADED_STATE);
            assertThat(store.recoveryReport().isClean()).as(again).isTrue();
            history.check(store, again);
        }
    }

    /**
     * {@code state.db} lags the tombstones written after it, and those are lost: the removals the state recorded stay
     * removed; the ones only the lost tombstones recorded are unknowable — a message that survived comes back, one that
     * was in the lost region is reported lost.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aRemovalOnlyALostTombstoneRecordedIsUnknowable(final StreamMode mode) throws IOException
    {
        final RemovalGolden golden = GOLDENS.get(mode);
        final Path dir = golden.copyTo(work.resolve("lagging-state"));
        final Path recorded = work.resolve("state.db.recorded");
        Files.copy(dir.resolve("state.db"), recorded);
        final long survivor = 5;
        final long last = golden.last();
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            assertThat(store.remove(survivor)).isTrue();
            assertThat(store.remove(last)).isTrue();
        }
        Files.copy(recorded, dir.resolve("state.db"), StandardCopyOption.REPLACE_EXISTING);
        // Cut the file holding the new tombstones where the last message starts if it holds that message (plaintext:
        // the same tail block), else at the first new tombstone (encrypted: a new block after the reopen).
        final List<Path> blocks = BlockFiles.blocks(dir);
        final Path tail = blocks.get(blocks.size() - 1);
        final List<BlockFiles.Frame> frames = BlockFiles.frames(tail);
        final BlockFiles.Frame lastMessage = frames.stream()
            .filter((frame) -> frame.type() == RecordDescriptor.TYPE_MESSAGE && frame.seq() == last).findFirst()
            .orElse(null);
        final BlockFiles.Frame firstNewTombstone = frames.stream()
            .filter((frame) -> frame.type() == RecordDescriptor.TYPE_DELETE).skip(
                mode.encrypted() ? 0 : golden.history().removed().size()).findFirst().orElseThrow();
        final boolean lastInCut = null != lastMessage;
        BlockFiles.truncate(tail, lastInCut ? lastMessage.offset() : firstNewTombstone.offset());
        final StreamHistory history = golden.history().copy();
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            final String context = mode + ": tombstones written after state.db lost\nreport " + store.recoveryReport();
            history.check(store, context);
            assertThat(RemovalGolden.MESSAGES.mismatch(store.load(survivor), survivor))
                .as("nothing remembers the removal of %d: %s", survivor, context).isNull();
            if (lastInCut)
            {
                assertThat(store.load(last)).as(context).isNull();
                assertThat(store.recoveryReport().lost()).as(context).anyMatch((range) -> range.covers(last));
            }
            else
            {
                assertThat(RemovalGolden.MESSAGES.mismatch(store.load(last), last))
                    .as("nothing remembers the removal of %d: %s", last, context).isNull();
            }
            assertThat(history.append(store, context)).as(context).isEqualTo(last + 1);
        }
    }

    /**
     * Truncate the block at {@code size}.
     *
     * @return the sequences of the messages it held past the cut.
     */
    private static List<Long> cut(final List<BlockFiles.Frame> frames, final int size)
    {
        BlockFiles.truncate(frames.get(0).file(), size);
        return messagesFrom(frames, size);
    }

    /**
     * Zero {@code count} records from the one at {@code from}: the first word of the first is zero, so the scan sees
     * the end of the data there unless something says it goes on.
     */
    private static List<Long> zero(final List<BlockFiles.Frame> frames, final int from, final int count)
    {
        final BlockFiles.Frame first = frames.get(from);
        final BlockFiles.Frame last = frames.get(from + count - 1);
        BlockFiles.write(first.file(), first.offset(), new byte[last.end() - first.offset()]);
        final List<Long> destroyed = new ArrayList<>();
        for (int i = from; i < from + count; i++)
        {
            if (frames.get(i).type() == RecordDescriptor.TYPE_MESSAGE)
            {
                destroyed.add(frames.get(i).seq());
            }
        }
        return destroyed;
    }

    private static List<Long> messagesFrom(final List<BlockFiles.Frame> frames, final int offset)
    {
        return frames.stream().filter((frame) -> frame.end() > offset && frame.type() == RecordDescriptor.TYPE_MESSAGE)
            .map(BlockFiles.Frame::seq).toList();
    }

    private static BlockFiles.Frame firstTombstone(final List<BlockFiles.Frame> frames)
    {
        return frames.stream().filter((frame) -> frame.type() == RecordDescriptor.TYPE_DELETE).findFirst()
            .orElseThrow();
    }
}
