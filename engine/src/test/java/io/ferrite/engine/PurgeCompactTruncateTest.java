package io.ferrite.engine;

import io.ferrite.engine.RemoveEraseTest.Restart;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The bulk removals: {@code purge()}, {@code purge(filter, upToSeq, keep)}, {@code compact(seq)} and
 * {@code truncate(seq)} — what each removes and returns, where the sequence continues, that each outlives a close, a
 * crash and the loss of {@code state.db}, and that the disk space of emptied blocks is given back.
 */
class PurgeCompactTruncateTest
{
    /** Message i (from 1) has subject {@code SUBJECTS[(i - 1) % 4]}. */
    private static final String[] SUBJECTS = {"orders.eu.new", "orders.eu.fill", "orders.us.new", "trades.eu"};

    @TempDir
    Path root;

    /** What the store must hold, by sequence. */
    private final TreeMap<Long, StoredMessage> model = new TreeMap<>();
    private long lastSeq;

    private static StreamConfig config(final StreamMode mode, final int blockSize)
    {
        return mode.config(StreamConfig.builder("bulk").blockSize(blockSize).maxMsgSize(1024));
    }

    /** A bulk removal, applied to the store and to the model alike. */
    enum Op
    {
        PURGE_ALL, PURGE_FILTERED, COMPACT, COMPACT_PAST_END, TRUNCATE, TRUNCATE_ZERO;

        void apply(final PurgeCompactTruncateTest test, final StreamStore store)
        {
            switch (this)
            {
                case PURGE_ALL -> assertThat(store.purge()).isEqualTo(test.removeWhere((seq, m) -> true));
                case PURGE_FILTERED -> assertThat(store.purge("orders.*.new", 70, 3))
                    .isEqualTo(test.removeWhere((seq, m) -> m.subject().endsWith(".new") && seq < 70));
                case COMPACT -> assertThat(store.compact(37)).isEqualTo(test.removeWhere((seq, m) -> seq < 37));
                case COMPACT_PAST_END ->
                {
                    assertThat(store.compact(150)).isEqualTo(test.removeWhere((seq, m) -> true));
                    test.lastSeq = 149;
                }
                case TRUNCATE ->
                {
                    store.truncate(61);
                    test.removeWhere((seq, m) -> seq > 61);
                    test.lastSeq = 61;
                }
                default ->
                {
                    store.truncate(0);
                    test.removeWhere((seq, m) -> true);
                    test.lastSeq = 0;
                }
            }
        }
    }

    static Stream<Arguments> opsModesAndRestarts()
    {
        return Stream.of(Op.values()).flatMap((op) -> Restart.withModes().map((a) -> Arguments.of(op, a.get()[0],
            a.get()[1])));
    }

    /**
     * 100 messages over many blocks, {@code state.db} written, the removal, two more appends, then the restart: the
     * result is exactly the model, and the sequence continues. A truncated sequence appended again must come back as
     * the new message, never the old one.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("opsModesAndRestarts")
    void everyBulkRemovalSurvivesARestart(final Op op, final StreamMode mode, final Restart restart)
    {
        final StreamConfig config = config(mode, 4096);
        FileStreamStore store = FileStreamStore.open(root.resolve("s"), config);
        try
        {
            appendMessages(store, 100);
            assertThat(BlockFiles.blocks(store.directory())).as("the workload spans blocks").hasSizeGreaterThan(3);
            store.writeFullState();
            op.apply(this, store);
            verify(store, op + " before the appends");
            append(store, "after.op");
            append(store, "orders.eu.new");
            verify(store, op + " before " + restart);
            final Map<String, SubjectState> subjects = store.subjects(">");

            store = restart.restart(store, config, root.resolve("image"));
            verify(store, op + " after " + restart);
            assertThat(store.subjects(">")).isEqualTo(subjects);
            append(store, "after.restart");
            verify(store, op + " after " + restart + " and an append");
        }
        finally
        {
            store.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void purgeRemovesEverythingAndTheSequenceContinues(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode, 4096)))
        {
            assertThat(store.purge()).as("an empty stream").isZero();
            appendMessages(store, 40);
            store.skip();
            assertThat(store.purge()).isEqualTo(40);
            assertThat(store.state()).isEqualTo(new StreamState(0, 0, 42, 41, 0, store.state().lastTime(), 0, 0));
            assertThat(store.subjects(">")).isEmpty();
            assertThat(store.loadNext(">", 1)).isNull();
            assertThat(store.loadLast(">")).isNull();
            assertThat(store.purge()).isZero();
            assertThat(store.append("a", null, new byte[1])).isEqualTo(42);
            assertThat(store.state().firstSeq()).isEqualTo(42);
        }
    }

    /**
     * 40 messages: orders.eu.new at 1, 5, .. 37; orders.eu.fill at 2, 6, .. 38; orders.us.new at 3, 7, .. 39;
     * trades.eu at 4, 8, .. 40.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void purgeByFilterHonoursWildcardsTheExclusiveBoundAndKeep(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode, 4096)))
        {
            appendMessages(store, 40);
            assertThat(store.purge("orders.eu.new", 0, 0)).as("a literal subject").isEqualTo(10);
            removeWhere((seq, m) -> m.subject().equals("orders.eu.new"));
            verify(store, "literal");
            assertThat(store.state().firstSeq()).isEqualTo(2);

            assertThat(store.purge("orders.*.new", 0, 0)).as("'*' matches one token").isEqualTo(10);
            removeWhere((seq, m) -> m.subject().equals("orders.us.new"));
            verify(store, "wildcard *");

            assertThat(store.purge("orders.>", 22, 0)).as("below 22, exclusive: 2, 6, 10, 14, 18").isEqualTo(5);
            removeWhere((seq, m) -> m.subject().equals("orders.eu.fill") && seq < 22);
            verify(store, "wildcard > with upToSeq");
            assertThat(store.load(22).subject()).isEqualTo("orders.eu.fill");

            assertThat(store.purge("trades.eu", 0, 3)).as("keep the newest 3 of 10").isEqualTo(7);
            removeWhere((seq, m) -> m.subject().equals("trades.eu") && seq < 32);
            verify(store, "keep");
            assertThat(store.purge("trades.eu", 0, 3)).as("nothing beyond the kept").isZero();
            assertThat(store.purge("trades.eu", 0, 5)).as("keep more than there are").isZero();

            // Left: fill 22, 26, 30, 34, 38 and trades 32, 36, 40. The newest 4 of them are 34..40; below 40 the rest
            // go.
            assertThat(store.purge(">", 40, 4)).as("upToSeq and keep together").isEqualTo(4);
            removeWhere((seq, m) -> seq < 34);
            verify(store, "upToSeq and keep");
            assertThat(store.purge("orders.eu.fill", 39, 1)).as("fill 34 and 38, keep 38").isEqualTo(1);
            removeWhere((seq, m) -> seq == 34);
            verify(store, "literal with upToSeq and keep");
            assertThat(store.state()).isEqualTo(new StreamState(3, 9 + 14 + 9 + 3 * 100, 36, 40,
                store.load(36).timestamp(),
                store.load(40).timestamp(), 2, 2));

            assertThat(store.purge("no.such", 0, 0)).isZero();
            assertThatThrownBy(() -> store.purge("orders..eu", 0, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.purge("a.>.b", 0, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.purge(">", -1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("upToSeq");
            assertThatThrownBy(() -> store.purge(">", 0, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keep");
            verify(store, "after refused purges");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void compactRemovesEverythingBelowASequence(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode, 4096)))
        {
            appendMessages(store, 30);
            assertThat(store.compact(11)).isEqualTo(10);
            removeWhere((seq, m) -> seq < 11);
            verify(store, "compact(11)");
            assertThat(store.state().firstSeq()).isEqualTo(11);
            assertThat(store.compact(5)).as("already below firstSeq").isZero();
            assertThat(store.compact(11)).isZero();

            assertThat(store.remove(12)).isTrue();
            assertThat(store.compact(12)).as("only 11: 12 was removed").isEqualTo(1);
            assertThat(store.state().firstSeq()).as("past the removed 12").isEqualTo(13);

            assertThat(store.compact(31)).as("lastSeq + 1 empties the stream").isEqualTo(18);
            assertThat(store.state()).isEqualTo(new StreamState(0, 0, 31, 30, 0, store.state().lastTime(), 0, 0));
            assertThat(store.append("x", null, new byte[3])).isEqualTo(31);

            assertThat(store.compact(100)).isEqualTo(1);
            assertThat(store.state().msgs()).isZero();
            assertThat(store.state().firstSeq()).isEqualTo(100);
            assertThat(store.state().lastSeq()).as("past the end: lastSeq becomes seq - 1").isEqualTo(99);
            assertThat(store.append("x", null, new byte[3])).isEqualTo(100);
            assertThat(store.load(31)).isNull();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void truncateRemovesEverythingAboveASequenceAndRewindsIt(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode, 4096)))
        {
            appendMessages(store, 30);
            store.truncate(20);
            removeWhere((seq, m) -> seq > 20);
            lastSeq = 20;
            verify(store, "truncate(20)");
            assertThat(store.subjects("orders.eu.new")).isEqualTo(Map.of("orders.eu.new", new SubjectState(5, 1, 17)));
            assertThat(store.loadLast("trades.eu").seq()).isEqualTo(20);
            assertThat(store.numPending(1, ">")).isEqualTo(20);

            store.truncate(20);
            verify(store, "truncate(lastSeq) changes nothing");
            assertThatThrownBy(() -> store.truncate(21)).as("past lastSeq")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq");
            assertThatThrownBy(() -> store.truncate(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq");

            append(store, "orders.us.new");
            assertThat(store.load(21).subject()).as("21 is appended again").isEqualTo("orders.us.new");
            assertThat(store.skip()).isEqualTo(22);
            lastSeq = 22;
            append(store, "z");
            store.truncate(22);
            removeWhere((seq, m) -> seq > 22);
            lastSeq = 22;
            verify(store, "truncate onto a skipped sequence");
            append(store, "z");
            assertThat(store.load(23).subject()).isEqualTo("z");

            store.truncate(0);
            removeWhere((seq, m) -> true);
            lastSeq = 0;
            verify(store, "truncate(0)");
            assertThat(store.state().firstSeq()).isEqualTo(1);
            assertThat(store.append("a", null, new byte[1])).isEqualTo(1);
        }
    }

    static Stream<Arguments> modesAndBlockSizes()
    {
        return Stream.of(StreamMode.values())
            .flatMap((m) -> Stream.of(4096, 8192, 16384).map((size) -> Arguments.of(m, size)));
    }

    @ParameterizedTest(name = "{0} blockSize {1}")
    @MethodSource("modesAndBlockSizes")
    void purgeGivesBackTheDiskSpaceOfItsBlocks(final StreamMode mode, final int blockSize)
    {
        final Path dir = root.resolve("s");
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, blockSize)))
        {
            while (BlockFiles.blocks(dir).size() < 12)
            {
                store.append("fill." + (store.state().lastSeq() % 3), null, new byte[700]);
            }
            final long sizeBefore = totalSize(dir);
            final long last = store.state().lastSeq();
            assertThat(store.purge()).isEqualTo(last);

            await("block files drop to 1 or 2 after purge", () -> BlockFiles.blocks(dir).size() <= 2);
            assertThat(BlockFiles.blocks(dir)).isNotEmpty();
            assertThat(totalSize(dir)).isLessThan(sizeBefore).isLessThanOrEqualTo(2L * blockSize);
            assertThat(store.append("fill.0", null, new byte[700])).isEqualTo(last + 1);
            assertThat(store.load(last + 1).payload()).hasSize(700);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, blockSize)))
        {
            assertThat(store.state().msgs()).isEqualTo(1);
            assertThat(store.state().firstSeq()).isEqualTo(store.state().lastSeq());
        }
    }

    /**
     * The block files holding only messages 1..k are found from their frames; removing exactly those messages one by
     * one empties those files, which are then deleted (perhaps by a background reclaim: polled with a deadline).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void removingEveryMessageOfABlockDeletesItsFile(final StreamMode mode)
    {
        final Path dir = root.resolve("s");
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, 4096)))
        {
            appendMessages(store, 200);
            final List<Path> blocks = BlockFiles.blocks(dir);
            assertThat(blocks).hasSizeGreaterThan(6);
            final List<Path> emptied = blocks.subList(0, 3);
            for (final Path block : emptied)
            {
                for (final BlockFiles.Frame frame : BlockFiles.frames(block))
                {
                    if (frame.type() == RecordDescriptor.TYPE_MESSAGE)
                    {
                        assertThat(store.remove(frame.seq())).as("remove %d of %s", frame.seq(), block).isTrue();
                        model.remove(frame.seq());
                    }
                }
            }
            await("the three emptied block files are deleted", () -> emptied.stream().noneMatch(Files::exists));
            assertThat(BlockFiles.blocks(dir)).as("the blocks still holding messages stay")
                .containsAll(blocks.subList(3, blocks.size()));
            verify(store, "after the removals");
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, 4096)))
        {
            verify(store, "after reopen");
        }
    }

    private void appendMessages(final StreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            append(store, SUBJECTS[(int)(store.state().lastSeq() % SUBJECTS.length)]);
        }
    }

    /** Appends a 100-byte payload, so a message counts its subject's length + 100 bytes. */
    private void append(final StreamStore store, final String subject)
    {
        final byte[] payload = new byte[100];
        payload[0] = (byte)lastSeq;
        payload[99] = (byte)(lastSeq >> 8);
        final long seq = store.append(subject, null, payload);
        assertThat(seq).isEqualTo(lastSeq + 1);
        lastSeq = seq;
        model.put(seq, store.load(seq));
    }

    private interface Removal
    {
        boolean test(long seq, StoredMessage message);
    }

    private long removeWhere(final Removal removal)
    {
        final int before = model.size();
        model.entrySet().removeIf((e) -> removal.test(e.getKey(), e.getValue()));
        return before - model.size();
    }

    private void verify(final StreamStore store, final String when)
    {
        for (long seq = 1; seq <= lastSeq + 1; seq++)
        {
            assertThat(store.load(seq)).as("load(%d) %s", seq, when).isEqualTo(model.get(seq));
        }
        final StreamState state = store.state();
        final long firstSeq = model.isEmpty() ? lastSeq + 1 : model.firstKey();
        assertThat(state.msgs()).as("msgs %s", when).isEqualTo(model.size());
        assertThat(state.bytes()).as("bytes %s", when).isEqualTo(model.values().stream()
            .mapToLong((m) -> m.subject().length() + m.headers().length + m.payload().length).sum());
        assertThat(state.firstSeq()).as("firstSeq %s", when).isEqualTo(firstSeq);
        assertThat(state.lastSeq()).as("lastSeq %s", when).isEqualTo(lastSeq);
        assertThat(state.numDeleted()).as("numDeleted %s", when)
            .isEqualTo(model.isEmpty() ? 0 : lastSeq - firstSeq + 1 - model.size());
        assertThat(state.firstTime()).as("firstTime %s", when)
            .isEqualTo(model.isEmpty() ? 0 : model.firstEntry().getValue().timestamp());
        final Map<String, SubjectState> subjects = model.values().stream().collect(Collectors.toMap(
            StoredMessage::subject, (m) -> new SubjectState(1, m.seq(), m.seq()),
            (a, b) -> new SubjectState(a.msgs() + b.msgs(), a.firstSeq(), b.lastSeq())));
        assertThat(state.numSubjects()).as("numSubjects %s", when).isEqualTo(subjects.size());
        assertThat(store.subjects(">")).as("subjects %s", when).isEqualTo(subjects);
    }

    private static long totalSize(final Path dir)
    {
        long total = 0;
        for (final Path block : BlockFiles.blocks(dir))
        {
            try
            {
                total += Files.size(block);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);   // listed a moment ago: only a reclaim racing the scan
            }
        }
        return total;
    }

    /** Generous: reclaim runs in milliseconds, but a loaded CI machine must not make it a flaky failure. */
    private static final int AWAIT_SECONDS = 30;

    static void await(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(AWAIT_SECONDS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("not within " + AWAIT_SECONDS + " s: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
