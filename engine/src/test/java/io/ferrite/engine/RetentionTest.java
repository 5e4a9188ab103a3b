package io.ferrite.engine;

import io.ferrite.engine.RemoveEraseTest.Restart;
import io.ferrite.engine.testing.StoreVariant;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.Discard;
import io.ferrite.store.LimitExceededException.Limit;
import io.ferrite.store.LimitExceededException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.ferrite.engine.PurgeCompactTruncateTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Retention limits, in every store ({@link StoreVariant}) but for the restarts, which are the file store's: with
 * discard OLD the oldest messages (of the subject, for {@code maxMsgsPerSubject}) leave as each append arrives, and the
 * counts are exact after every append; with discard NEW the append that would exceed a limit is refused, names the
 * setting and changes nothing. {@code maxAge} removes expired messages without any append (the file store on a timer,
 * the memory store at its next call). Limits hold across restarts and are applied again at open.
 */
class RetentionTest
{
    private static final String NAME = "retained";

    @TempDir
    Path root;

    /** What the store must hold, by sequence. */
    private final TreeMap<Long, StoredMessage> model = new TreeMap<>();

    private static StreamConfig.Builder builder(final StreamMode mode)
    {
        return mode.apply(StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024));
    }

    private static StreamConfig.Builder builder(final StoreVariant variant)
    {
        return variant.apply(StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void maxMsgsWithDiscardOldKeepsTheNewest(final StoreVariant variant)
    {
        try (StreamStore store = variant.open(root.resolve("s"), builder(variant).maxMsgs(5).build()))
        {
            for (int i = 1; i <= 12; i++)
            {
                assertThat(store.append("a", null, new byte[10])).isEqualTo(i);
                assertThat(store.state().msgs()).as("msgs after append %d", i).isEqualTo(Math.min(i, 5));
                assertThat(store.state().bytes()).as("bytes after append %d", i).isEqualTo(11L * Math.min(i, 5));
                assertThat(store.state().firstSeq()).as("firstSeq after append %d", i).isEqualTo(Math.max(1, i - 4));
                assertThat(store.state().numDeleted()).isZero();
            }
            assertThat(store.load(7)).isNull();
            assertThat(store.load(8)).isNotNull();
            assertThat(store.subjects("a")).containsEntry("a", new SubjectState(5, 8, 12));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void maxBytesWithDiscardOldRemovesTheOldestUntilTheBytesFit(final StoreVariant variant)
    {
        final StreamConfig config = builder(variant).maxBytes(1000).build();
        final SplittableRandom random = new SplittableRandom(0xB17E5L);
        try (StreamStore store = variant.open(root.resolve("s"), config))
        {
            for (int i = 1; i <= 60; i++)
            {
                final int length = i == 30 ? 990 : random.nextInt(300);
                appendAndApply(store, "s." + random.nextInt(3), length, config.limits());
                verify(store, i, "after append " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void maxMsgsPerSubjectWithDiscardOldRemovesTheSubjectsOldest(final StoreVariant variant)
    {
        final StreamConfig config = builder(variant).maxMsgsPerSubject(2).build();
        final SplittableRandom random = new SplittableRandom(0x5B7EC7L);
        final String[] subjects = {"a", "b.x", "b.y", "c"};
        try (StreamStore store = variant.open(root.resolve("s"), config))
        {
            for (int i = 1; i <= 40; i++)
            {
                appendAndApply(store, subjects[random.nextInt(subjects.length)], 8, config.limits());
                verify(store, i, "after append " + i);
            }
            assertThat(store.subjects(">").values()).allMatch((s) -> s.msgs() <= 2);
        }
    }

    static Stream<Arguments> variantsAndLimits()
    {
        return Stream.of(StoreVariant.values())
            .flatMap((v) -> Stream.of(Limit.values()).map((l) -> Arguments.of(v, l)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndLimits")
    void discardNewRefusesTheAppendAndChangesNothing(final StoreVariant variant, final Limit limit)
    {
        final StreamConfig.Builder builder = builder(variant).discard(Discard.NEW);
        final long value = switch (limit)
        {
            case MAX_MSGS -> 3;
            case MAX_BYTES -> 300;
            case MAX_MSGS_PER_SUBJECT -> 3;
        };
        final StreamConfig config = switch (limit)
        {
            case MAX_MSGS -> builder.maxMsgs(value).build();
            case MAX_BYTES -> builder.maxBytes(value).build();
            case MAX_MSGS_PER_SUBJECT -> builder.maxMsgsPerSubject(value).build();
        };
        try (StreamStore store = variant.open(root.resolve("s"), config))
        {
            for (int i = 1; i <= 3; i++)
            {
                assertThat(store.append("a", null, new byte[99])).as("100 bytes each: 3 fit").isEqualTo(i);
            }
            final StreamState full = store.state();

            final LimitExceededException refused = catchThrowableOfType(LimitExceededException.class,
                () -> store.append("a", null, new byte[99]));
            assertThat(refused).as("the fourth append is refused").isNotNull();
            assertThat(refused.limit()).isEqualTo(limit);
            assertThat(refused.value()).isEqualTo(value);
            assertThat(refused.getMessage()).contains(limit.configName()).contains(NAME);
            final long later = store.load(3).timestamp() + 1_000;
            assertThatThrownBy(() -> store.appendAt(10, later, "a", null, new byte[99])).as("appendAt too")
                .isInstanceOf(LimitExceededException.class);
            assertThat(store.state()).as("nothing stored, no sequence used").isEqualTo(full);
            assertThat(store.load(4)).isNull();
            assertThat(store.load(10)).isNull();
            assertThat(store.load(1)).as("what is stored stays").isNotNull();

            if (limit == Limit.MAX_MSGS_PER_SUBJECT)
            {
                assertThat(store.append("b", null, new byte[99])).as("another subject has room").isEqualTo(4);
            }
            else
            {
                assertThat(store.remove(1)).isTrue();
                assertThat(store.append("a", null, new byte[99])).as("room again after a remove").isEqualTo(4);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void maxAgeRemovesExpiredMessagesWithoutAnyFurtherAppend(final StoreVariant variant)
    {
        final long now = System.currentTimeMillis() * 1_000_000L;
        final long old = now - TimeUnit.MINUTES.toNanos(2);
        try (StreamStore store = variant.open(root.resolve("s"),
            builder(variant).maxAge(Duration.ofMinutes(1)).build()))
        {
            for (int i = 1; i <= 5; i++)
            {
                store.appendAt(i, old + i, "old." + i, null, new byte[5]);
            }
            for (int i = 6; i <= 8; i++)
            {
                store.appendAt(i, now + i, "fresh", null, new byte[5]);
            }
            await("the 5 expired messages leave", () -> store.state().msgs() == 3);
            assertThat(store.state().firstSeq()).isEqualTo(6);
            assertThat(store.state().lastSeq()).isEqualTo(8);
            assertThat(store.state().numSubjects()).isEqualTo(1);
            assertThat(store.load(5)).isNull();
            assertThat(store.load(6)).isNotNull();
            assertThat(store.subjects("old.*")).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void aShortMaxAgeEmptiesAnIdleStream(final StoreVariant variant)
    {
        try (StreamStore store = variant.open(root.resolve("s"),
            builder(variant).maxAge(Duration.ofMillis(200)).build()))
        {
            for (int i = 0; i < 5; i++)
            {
                store.append("tick", null, new byte[5]);
            }
            await("every message expires", () -> store.state().msgs() == 0);
            assertThat(store.state().firstSeq()).isEqualTo(6);
            assertThat(store.state().lastSeq()).isEqualTo(5);
            assertThat(store.loadLast("tick")).isNull();
            assertThat(store.append("tick", null, new byte[5])).isEqualTo(6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void reopeningWithTighterLimitsRemovesMessagesAtOpen(final StreamMode mode)
    {
        final Path dir = root.resolve("s");
        try (FileStreamStore store = FileStreamStore.open(dir, builder(mode).build()))
        {
            for (int i = 1; i <= 20; i++)
            {
                store.append(String.valueOf((char)('a' + i % 4)), null, new byte[49]);   // 50 bytes each
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, builder(mode).maxMsgs(10).build()))
        {
            assertThat(store.state().msgs()).isEqualTo(10);
            assertThat(store.state().firstSeq()).isEqualTo(11);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, builder(mode).maxMsgsPerSubject(1).build()))
        {
            assertThat(store.state().msgs()).as("one per subject: 17..20").isEqualTo(4);
            assertThat(store.state().firstSeq()).isEqualTo(17);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, builder(mode).maxBytes(120).build()))
        {
            assertThat(store.state().msgs()).as("120 bytes hold two messages of 50").isEqualTo(2);
            assertThat(store.state().firstSeq()).isEqualTo(19);
            assertThat(store.state().bytes()).isEqualTo(100);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, builder(mode).maxAge(Duration.ofMinutes(1)).build()))
        {
            assertThat(store.state().msgs()).as("the removals at open were permanent").isEqualTo(2);
            assertThat(store.load(18)).isNull();
        }
    }

    /**
     * Limits removed messages before the restart; after it the store holds exactly what the limits left (nothing comes
     * back, even from a rebuild out of the blocks), and further appends are still limited.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("io.ferrite.engine.RemoveEraseTest$Restart#withModes")
    void limitsHoldAcrossARestart(final StreamMode mode, final Restart restart)
    {
        final StreamConfig config = builder(mode).maxMsgs(30).maxBytes(4000).build();
        final SplittableRandom random = new SplittableRandom(0x4E5_7A27L);
        FileStreamStore store = FileStreamStore.open(root.resolve("s"), config);
        try
        {
            for (int i = 1; i <= 100; i++)
            {
                appendAndApply(store, "r." + random.nextInt(4), random.nextInt(250), config.limits());
                if (i == 50)
                {
                    store.writeFullState();
                }
            }
            verify(store, 100, "before " + restart);
            store = restart.restart(store, config, root.resolve("image"));
            verify(store, 100, "after " + restart);
            for (int i = 101; i <= 130; i++)
            {
                appendAndApply(store, "r." + random.nextInt(4), random.nextInt(250), config.limits());
                verify(store, i, "after " + restart + " and append " + i);
            }
        }
        finally
        {
            store.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreVariant.class)
    void aMessageOverMaxMsgSizeIsRefused(final StoreVariant variant)
    {
        try (StreamStore store = variant.open(root.resolve("s"), builder(variant).maxMsgSize(256).build()))
        {
            assertThat(store.append("a", null, new byte[256])).as("exactly maxMsgSize").isEqualTo(1);
            assertThat(store.append("a", new byte[6], new byte[250])).as("headers count too").isEqualTo(2);
            final StreamState before = store.state();
            assertThatThrownBy(() -> store.append("a", null, new byte[257]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize");
            assertThatThrownBy(() -> store.append("a", new byte[7], new byte[250]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize");
            final long later = store.load(2).timestamp() + 1_000;
            assertThatThrownBy(() -> store.appendAt(9, later, "a", null, new byte[257]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgSize");
            assertThat(store.state()).isEqualTo(before);
            assertThat(store.append("a", null, new byte[1])).isEqualTo(3);
        }
    }

    /**
     * In {@code NONE}, where nobody may ever call {@code flush()}, the blocks that {@code maxMsgs} empties are still
     * deleted: each was forced at its roll, so the reclaim pass finds it settled.
     */
    @Test
    void noneBlocksEmptiedByRetentionAreDeletedWithoutAnyFlush() throws IOException
    {
        final Path dir = root.resolve("none");
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder(NAME).blockSize(4096)
            .maxMsgSize(1024).syncMode(SyncMode.NONE).maxMsgs(20).build()))
        {
            for (int i = 0; i < 400; i++)
            {
                store.append("a", null, new byte[200]);
            }
            assertThat(store.stats().blocksCreated()).isGreaterThan(15);
            await("the emptied blocks' files are deleted", () -> blockFiles(dir) <= 3);
            assertThat(store.state().msgs()).isEqualTo(20);
            assertThat(store.load(381).payload()).hasSize(200);
        }
    }

    private static long blockFiles(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((file) -> file.getFileName().toString().endsWith(".blk")).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Test
    void limitSettingsOutOfRangeAreRefusedNamingTheSetting()
    {
        assertThatThrownBy(() -> StreamConfig.builder(NAME).maxMsgs(0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgs");
        assertThatThrownBy(() -> StreamConfig.builder(NAME).maxBytes(-2))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBytes");
        assertThatThrownBy(() -> StreamConfig.builder(NAME).maxMsgsPerSubject(0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMsgsPerSubject");
        assertThatThrownBy(() -> StreamConfig.builder(NAME).maxAge(Duration.ofSeconds(-1)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAge");
        final StreamLimits limits = StreamConfig.builder(NAME).maxMsgs(7).discard(Discard.NEW).build().limits();
        assertThat(limits).isEqualTo(new StreamLimits(7, -1, Duration.ZERO, -1, Discard.NEW));
    }

    /** Append to the store and to the model, then apply discard OLD to the model as the store must. */
    private void appendAndApply(final StreamStore store, final String subject, final int length, final StreamLimits l)
    {
        final long seq = store.append(subject, null, new byte[length]);
        model.put(seq, store.load(seq));
        if (l.maxMsgsPerSubject() != StreamLimits.UNLIMITED)
        {
            while (model.values().stream().filter((m) -> m.subject().equals(subject)).count() > l.maxMsgsPerSubject())
            {
                model.values().stream().filter((m) -> m.subject().equals(subject)).findFirst()
                    .ifPresent((m) -> model.remove(m.seq()));
            }
        }
        while (l.maxMsgs() != StreamLimits.UNLIMITED && model.size() > l.maxMsgs())
        {
            model.pollFirstEntry();
        }
        while (l.maxBytes() != StreamLimits.UNLIMITED && bytes() > l.maxBytes())
        {
            model.pollFirstEntry();
        }
    }

    private long bytes()
    {
        return model.values().stream().mapToLong((m) -> m.subject().length() + m.headers().length + m.payload().length)
            .sum();
    }

    private void verify(final StreamStore store, final long lastSeq, final String when)
    {
        final StreamState state = store.state();
        assertThat(state.msgs()).as("msgs %s", when).isEqualTo(model.size());
        assertThat(state.bytes()).as("bytes %s", when).isEqualTo(bytes());
        assertThat(state.firstSeq()).as("firstSeq %s", when).isEqualTo(model.firstKey());
        assertThat(state.lastSeq()).as("lastSeq %s", when).isEqualTo(lastSeq);
        for (long seq = Math.max(1, lastSeq - 80); seq <= lastSeq; seq++)
        {
            assertThat(store.load(seq)).as("load(%d) %s", seq, when).isEqualTo(model.get(seq));
        }
    }
}
