package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code remove(seq)} and {@code erase(seq)}: what they return, that a removed message is gone from every read path and
 * from the totals, that the removal outlives a close, a crash and the loss of {@code state.db}, and that an erased
 * payload cannot be found in any file of the stream directory once {@code erase} returns.
 */
class RemoveEraseTest
{
    private static final String NAME = "removals";

    /**
     * How a session ends before the stream is opened again. Shared with the other stream-semantics suites of this
     * package, which must hold across the same three kinds of restart.
     */
    enum Restart
    {
        /** close() and open the same directory. */
        REOPEN,
        /** Copy the directory while the store is open (what a killed process leaves) and open the copy. */
        CRASH,
        /** close(), delete state.db, open: the state is rebuilt from the blocks alone. */
        LOST_STATE;

        /**
         * End {@code store}'s session this way and open what it left.
         *
         * @param image where {@link #CRASH} puts its copy; must not exist yet.
         */
        FileStreamStore restart(final FileStreamStore store, final StreamConfig config, final Path image)
        {
            final Path dir = store.directory();
            if (this == CRASH)
            {
                // Under whileQuiescent no block file is reclaimed mid-copy: a file-by-file copy across a reclaim is no
                // state a crash could leave.
                store.whileQuiescent(() -> copyWhileOpen(dir, image));
                store.close();
                return FileStreamStore.open(image, config);
            }
            store.close();
            if (this == LOST_STATE)
            {
                delete(dir.resolve("state.db"));
            }
            final FileStreamStore reopened = FileStreamStore.open(dir, config);
            if (this == LOST_STATE)
            {
                assertThat(reopened.recoveryReport().outcome()).isEqualTo(Outcome.REBUILT_FROM_BLOCKS);
            }
            return reopened;
        }

        /** Every {@link StreamMode} with every restart, for {@code @MethodSource}. */
        static Stream<Arguments> withModes()
        {
            return Stream.of(StreamMode.values()).flatMap((m) -> Stream.of(values()).map((r) -> Arguments.of(m, r)));
        }

        /**
         * Copy a live stream directory. A file deleted while the copy runs is absent from the copy, as from the disk of
         * a process killed at that moment; callers hold {@link FileStreamStore#whileQuiescent} when no block file may
         * be reclaimed mid-copy.
         */
        static void copyWhileOpen(final Path from, final Path to)
        {
            try (Stream<Path> paths = Files.walk(from))
            {
                for (final Path source : paths.toList())
                {
                    final Path target = to.resolve(from.relativize(source).toString());
                    try
                    {
                        if (Files.isDirectory(source))
                        {
                            Files.createDirectories(target);
                        }
                        else
                        {
                            Files.copy(source, target);
                        }
                    }
                    catch (final NoSuchFileException vanished)
                    {
                        // reclaimed between the listing and the copy
                    }
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        static void delete(final Path file)
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

    @TempDir
    Path root;

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(512));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void removeAndEraseReturnWhetherAMessageWasStored(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode)))
        {
            store.append("a", null, bytes("1"));
            assertThat(store.skip()).isEqualTo(2);
            store.append("b", null, bytes("3"));
            store.append("c", null, bytes("4"));
            store.appendAt(10, store.load(4).timestamp() + 1, "d", null, bytes("10"));

            assertThat(store.remove(3)).as("a stored message").isTrue();
            assertThat(store.remove(3)).as("already removed").isFalse();
            assertThat(store.erase(3)).as("already removed, erase").isFalse();
            assertThat(store.remove(2)).as("a skipped sequence").isFalse();
            assertThat(store.erase(2)).as("a skipped sequence, erase").isFalse();
            assertThat(store.remove(7)).as("a gap left by appendAt").isFalse();
            assertThat(store.remove(11)).as("past lastSeq").isFalse();
            assertThat(store.erase(11)).as("past lastSeq, erase").isFalse();
            assertThat(store.remove(Long.MAX_VALUE)).as("far past lastSeq").isFalse();

            assertThat(store.erase(4)).as("a stored message, erase").isTrue();
            assertThat(store.erase(4)).as("already erased").isFalse();
            assertThat(store.remove(4)).as("already erased, remove").isFalse();

            for (final long bad : new long[] {0, -1, Long.MIN_VALUE})
            {
                assertThatThrownBy(() -> store.remove(bad)).as("remove(%d)", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq");
                assertThatThrownBy(() -> store.erase(bad)).as("erase(%d)", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq");
            }
            final StreamState state = store.state();
            assertThat(state.msgs()).isEqualTo(2);
            assertThat(state.firstSeq()).isEqualTo(1);
            assertThat(state.lastSeq()).isEqualTo(10);
            assertThat(state.numDeleted()).isEqualTo(8);
            assertThat(state.numSubjects()).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aRemovedMessageIsInvisibleToEveryRead(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode)))
        {
            store.append("orders.eu", null, bytes("1"));
            store.append("orders.us", null, bytes("2"));
            store.append("orders.eu", null, bytes("3"));
            store.append("orders.eu", null, bytes("4"));
            store.append("trades", null, bytes("5"));
            store.append("orders.eu", null, bytes("6"));

            assertThat(store.remove(3)).isTrue();
            assertThat(store.erase(4)).isTrue();

            for (final long seq : new long[] {3, 4})
            {
                assertThat(store.load(seq)).as("load(%d)", seq).isNull();
                final List<Long> handed = new ArrayList<>();
                assertThat(store.read(seq, (view) -> handed.add(view.seq()))).as("read(%d)", seq).isFalse();
                assertThat(handed).isEmpty();
            }
            assertThat(store.loadNext("orders.eu", 2).seq()).isEqualTo(6);
            assertThat(store.loadNext("orders.*", 3).seq()).isEqualTo(6);
            assertThat(store.loadNext(">", 3).seq()).isEqualTo(5);

            assertThat(store.remove(6)).isTrue();
            assertThat(store.loadLast("orders.eu").seq()).isEqualTo(1);
            assertThat(store.loadLast("orders.>").seq()).isEqualTo(2);
            assertThat(store.loadLast(">").seq()).isEqualTo(5);
            assertThat(store.loadNext("orders.eu", 2)).isNull();

            assertThat(store.remove(1)).isTrue();
            assertThat(store.loadLast("orders.eu")).as("the subject holds nothing any more").isNull();
            assertThat(store.loadNext("orders.eu", 1)).isNull();
            assertThat(store.load(2).payload()).isEqualTo(bytes("2"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void theTotalsCountOnlyWhatRemains(final StreamMode mode)
    {
        final long t0 = 1_700_000_000_000_000_000L;
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode)))
        {
            store.appendAt(1, t0, "a.one", bytes("hh"), bytes("payload-1"));      // 5 + 2 + 9 = 16
            store.appendAt(2, t0 + 10, "b", null, bytes("p2"));                   // 1 + 0 + 2 = 3
            store.appendAt(3, t0 + 20, "a.one", null, new byte[100]);             // 5 + 0 + 100 = 105
            store.appendAt(4, t0 + 30, "c.x.y", bytes("header"), bytes("four"));  // 5 + 6 + 4 = 15
            assertThat(store.state()).isEqualTo(new StreamState(4, 139, 1, 4, t0, t0 + 30, 0, 3));

            assertThat(store.remove(3)).isTrue();
            assertThat(store.state()).isEqualTo(new StreamState(3, 34, 1, 4, t0, t0 + 30, 1, 3));

            assertThat(store.erase(1)).isTrue();
            assertThat(store.state()).as("the first message gone: firstSeq and firstTime move to seq 2")
                .isEqualTo(new StreamState(2, 18, 2, 4, t0 + 10, t0 + 30, 1, 2));

            assertThat(store.remove(2)).isTrue();
            assertThat(store.state()).isEqualTo(new StreamState(1, 15, 4, 4, t0 + 30, t0 + 30, 0, 1));

            assertThat(store.remove(4)).isTrue();
            assertThat(store.state()).as("empty: firstSeq is lastSeq + 1, firstTime 0")
                .isEqualTo(new StreamState(0, 0, 5, 4, 0, t0 + 30, 0, 0));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void removingTheFirstMessageAdvancesFirstSeqPastGaps(final StreamMode mode)
    {
        final Path dir = root.resolve("s");
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            store.append("a", null, bytes("1"));
            store.skip();
            store.skip();
            store.append("a", null, bytes("4"));
            store.appendAt(8, store.load(4).timestamp(), "b", null, bytes("8"));
            store.append("b", null, bytes("9"));
            assertThat(store.state().numDeleted()).isEqualTo(5);

            assertThat(store.remove(1)).isTrue();
            assertThat(store.state().firstSeq()).as("past the skips 2 and 3").isEqualTo(4);
            assertThat(store.state().numDeleted()).isEqualTo(3);
            assertThat(store.remove(4)).isTrue();
            assertThat(store.state().firstSeq()).as("past the gap 5..7").isEqualTo(8);
            assertThat(store.state().numDeleted()).isZero();
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            assertThat(store.state().firstSeq()).isEqualTo(8);
            assertThat(store.state().msgs()).isEqualTo(2);
            assertThat(store.remove(8)).isTrue();
            assertThat(store.remove(9)).isTrue();
            assertThat(store.state().firstSeq()).isEqualTo(10);
            assertThat(store.state().msgs()).isZero();
            assertThat(store.append("c", null, bytes("10"))).isEqualTo(10);
            assertThat(store.state().firstSeq()).isEqualTo(10);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.ferrite.engine.RemoveEraseTest$Restart#withModes")
    void removingTheLastMessageKeepsTheSequence(final StreamMode mode, final Restart restart)
    {
        FileStreamStore store = FileStreamStore.open(root.resolve("s"), config(mode));
        try
        {
            for (int i = 1; i <= 3; i++)
            {
                store.append("a", null, bytes("m" + i));
            }
            store.writeFullState();
            assertThat(store.remove(3)).isTrue();
            assertThat(store.state().lastSeq()).isEqualTo(3);
            assertThat(store.remove(2)).isTrue();
            assertThat(store.remove(1)).isTrue();
            assertThat(store.state().firstSeq()).isEqualTo(4);

            store = restart.restart(store, config(mode), root.resolve("image"));
            assertThat(store.state().msgs()).isZero();
            assertThat(store.state().lastSeq()).as("%s keeps lastSeq of a stream emptied by removes", restart)
                .isEqualTo(3);
            assertThat(store.state().firstSeq()).isEqualTo(4);
            for (long seq = 1; seq <= 3; seq++)
            {
                assertThat(store.load(seq)).as("load(%d)", seq).isNull();
            }
            assertThat(store.append("a", null, bytes("m4"))).isEqualTo(4);
            assertThat(store.load(4).payload()).isEqualTo(bytes("m4"));
        }
        finally
        {
            store.close();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.ferrite.engine.RemoveEraseTest$Restart#withModes")
    void removalsSurviveARestart(final StreamMode mode, final Restart restart)
    {
        final StreamConfig config = config(mode);
        final SplittableRandom random = new SplittableRandom(0x5EED_0001L);
        final TreeMap<Long, StoredMessage> model = new TreeMap<>();
        FileStreamStore store = FileStreamStore.open(root.resolve("s"), config);
        try
        {
            for (int i = 0; i < 200; i++)
            {
                final long seq = store.append("s." + (i % 5), null, new byte[20 + random.nextInt(200)]);
                model.put(seq, store.load(seq));
            }
            assertThat(BlockFiles.blocks(store.directory())).as("the workload spans blocks").hasSizeGreaterThan(5);
            store.writeFullState();   // state.db now lists every message: the removals come after it
            for (final long seq : new long[] {1, 2, 57, 100, 101, 150, 199, 200})
            {
                final boolean removed = seq % 3 == 0 ? store.erase(seq) : store.remove(seq);
                assertThat(removed).as("remove or erase %d", seq).isTrue();
                model.remove(seq);
            }
            for (int i = 0; i < 20; i++)
            {
                final long seq = 3 + random.nextInt(196);
                assertThat(store.remove(seq)).as("remove %d", seq).isEqualTo(null != model.remove(seq));
            }
            final StreamState before = store.state();
            assertMatches(store, model, 200, "before " + restart);

            store = restart.restart(store, config, root.resolve("image"));
            assertMatches(store, model, 200, "after " + restart);
            assertThat(withoutLastTime(store.state())).isEqualTo(withoutLastTime(before));
            assertThat(store.remove(1)).as("still removed after %s", restart).isFalse();
            assertThat(store.remove(200)).isFalse();
            assertThat(store.append("s.0", null, bytes("next"))).isEqualTo(201);
        }
        finally
        {
            store.close();
        }
    }

    /**
     * Plaintext only: the scan looks for the payload's own bytes, which an encrypted stream never writes.
     */
    @Test
    void anErasedPayloadIsInNoFileOnceEraseReturns()
    {
        final Path dir = root.resolve("s");
        final int count = 80;
        final long[] erased = {1, 40, 80, 2};
        final List<Integer> expected = new ArrayList<>();
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT)))
        {
            for (int i = 1; i <= count; i++)
            {
                assertThat(store.append("erase.s" + (i % 3), null, marker(i))).isEqualTo(i);
            }
            assertThat(BlockFiles.blocks(dir)).as("the workload spans blocks").hasSizeGreaterThan(2);
            store.writeFullState();
            assertThat(markersOnDisk(dir, count)).as("the control: every marker is on disk").hasSize(count);

            for (int i = 1; i <= count; i++)
            {
                expected.add(i);
            }
            for (final long seq : erased)
            {
                assertThat(store.erase(seq)).isTrue();
                expected.remove(Integer.valueOf((int)seq));
                assertThat(markersOnDisk(dir, count)).as("markers on disk right after erase(%d)", seq)
                    .containsExactlyElementsOf(expected);
                assertThat(store.load(seq)).isNull();
            }
            store.remove(3);   // a plain remove may leave its bytes: only erase promises otherwise
            expected.remove(Integer.valueOf(3));
            assertThat(store.load(41).payload()).isEqualTo(marker(41));
        }
        final List<Integer> afterClose = markersOnDisk(dir, count);
        for (final long seq : erased)
        {
            assertThat(afterClose).as("after close").doesNotContain((int)seq);
        }
        assertThat(afterClose).containsAll(expected);
        Restart.delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT)))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.REBUILT_FROM_BLOCKS);
            for (final long seq : erased)
            {
                assertThat(store.load(seq)).as("load(%d) after a rebuild", seq).isNull();
            }
            assertThat(store.state().msgs()).isEqualTo(count - erased.length - 1);
            assertThat(store.load(79).payload()).isEqualTo(marker(79));
        }
    }

    /** 64 bytes unlike anything else on disk: the sequence in ASCII, padded with a letter chosen by it. */
    private static byte[] marker(final int i)
    {
        final StringBuilder text = new StringBuilder(String.format("ERASE-MARKER-%04d-", i));
        while (text.length() < 64)
        {
            text.append((char)('A' + i % 26));
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @return the ascending i in [1, count] whose marker occurs somewhere in a file under {@code dir}.
     */
    private static List<Integer> markersOnDisk(final Path dir, final int count)
    {
        final StringBuilder all = new StringBuilder();
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.filter(Files::isRegularFile).toList())
            {
                all.append(new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1)).append('\n');
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return IntStream.rangeClosed(1, count)
            .filter((i) -> all.indexOf(new String(marker(i), StandardCharsets.ISO_8859_1)) >= 0).boxed().toList();
    }

    private static void assertMatches(
        final StreamStore store, final TreeMap<Long, StoredMessage> model, final long lastSeq, final String when)
    {
        for (long seq = 1; seq <= lastSeq + 1; seq++)
        {
            assertThat(store.load(seq)).as("load(%d) %s", seq, when).isEqualTo(model.get(seq));
        }
        final StreamState state = store.state();
        assertThat(state.msgs()).as("msgs %s", when).isEqualTo(model.size());
        assertThat(state.firstSeq()).as("firstSeq %s", when).isEqualTo(model.firstKey());
        assertThat(state.lastSeq()).as("lastSeq %s", when).isEqualTo(lastSeq);
        assertThat(state.bytes()).as("bytes %s", when).isEqualTo(model.values().stream()
            .mapToLong((m) -> m.subject().length() + m.headers().length + m.payload().length).sum());
        assertThat(state.numDeleted()).as("numDeleted %s", when)
            .isEqualTo(lastSeq - model.firstKey() + 1 - model.size());
    }

    static StreamState withoutLastTime(final StreamState s)
    {
        return new StreamState(s.msgs(), s.bytes(), s.firstSeq(), s.lastSeq(), s.firstTime(), 0, s.numDeleted(),
            s.numSubjects());
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
