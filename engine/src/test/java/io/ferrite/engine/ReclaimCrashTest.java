package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectState;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static io.ferrite.engine.PurgeCompactTruncateTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Space reclaim never loses a message, whatever step a crash interrupts: the disk is imaged after every step of a
 * block rewrite (the new file written and forced, the state deleted, the rename, the state written again) and of a
 * block deletion, and every image must open to exactly the messages that were live, with no loss reported.
 */
class ReclaimCrashTest
{
    private static final List<ReclaimStep> STEPS = List.of(
        ReclaimStep.DELETE_TOMBSTONES_REWRITTEN, ReclaimStep.DELETE_STATE_DELETED, ReclaimStep.DELETE_FILES_DELETED,
        ReclaimStep.DELETE_STATE_WRITTEN, ReclaimStep.REWRITE_WRITTEN, ReclaimStep.REWRITE_STATE_DELETED,
        ReclaimStep.REWRITE_RENAMED, ReclaimStep.REWRITE_STATE_WRITTEN);

    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aCrashAtAnyStepOfAReclaimLosesNothing(final StreamMode mode)
    {
        final StreamConfig config = mode.config(StreamConfig.builder("reclaim").blockSize(8192).maxMsgSize(1024));
        final TreeMap<Long, StoredMessage> live = new TreeMap<>();
        final List<Path> images = new ArrayList<>();
        final Set<ReclaimStep> seen = ConcurrentHashMap.newKeySet();
        final long before;
        try (FileStreamStore store = FileStreamStore.open(root.resolve("s"), config))
        {
            final SplittableRandom random = new SplittableRandom(0xC4A5_4L);
            for (int i = 0; i < 400; i++)
            {
                final long seq = store.append("c." + (i % 3), null, new byte[40 + random.nextInt(60)]);
                live.put(seq, store.load(seq));
            }
            before = blockBytes(store.directory());
            store.reclaimSteps((step) ->
            {
                final Path image = root.resolve("image-" + images.size() + "-" + step.label().replace(':', '-'));
                copy(store.directory(), image);
                images.add(image);
                seen.add(step);
            });
            // All removals while reclaiming waits, so every image is taken against this one set of live messages.
            store.whileQuiescent(() ->
            {
                for (long seq = 1; seq <= 220; seq++)
                {
                    // The first blocks (at most 70 messages each) lose every message and are deleted; the next ones
                    // lose two in three and are rewritten.
                    if (seq <= 140 || seq % 3 != 0)
                    {
                        assertThat(seq % 7 == 0 ? store.erase(seq) : store.remove(seq)).isTrue();
                        live.remove(seq);
                    }
                }
            });
            await("a block deleted and a block rewritten",
                () -> seen.contains(ReclaimStep.DELETE_STATE_WRITTEN) &&
                seen.contains(ReclaimStep.REWRITE_STATE_WRITTEN));
            store.reclaimSteps((step) -> {});
            assertThat(blockBytes(store.directory())).as("space given back").isLessThan(before);
            assertLive(store, live, "the live store");
        }
        assertThat(seen).as("steps imaged").containsAll(STEPS);
        for (final Path image : images)
        {
            try (FileStreamStore reopened = FileStreamStore.open(image, config))
            {
                assertThat(reopened.recoveryReport().lost()).as("lost in %s", image.getFileName()).isEmpty();
                assertLive(reopened, live, image.getFileName().toString());
            }
        }
    }

    private static void assertLive(final StreamStore store, final TreeMap<Long, StoredMessage> live, final String where)
    {
        assertThat(store.state().msgs()).as("msgs in %s", where).isEqualTo(live.size());
        for (long seq = 1; seq <= 400; seq++)
        {
            final StoredMessage expected = live.get(seq);
            final StoredMessage actual = store.load(seq);
            if (null == expected)
            {
                assertThat(actual).as("seq %d removed, in %s", seq, where).isNull();
            }
            else
            {
                assertThat(actual).as("seq %d in %s", seq, where).isEqualTo(expected);
            }
        }
        final long perSubject = store.subjects(">").values().stream().mapToLong(SubjectState::msgs).sum();
        assertThat(perSubject).as("per-subject counts in %s", where).isEqualTo(live.size());
    }

    private static long blockBytes(final Path dir)
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((f) -> f.toString().endsWith(".blk")).mapToLong((f) ->
            {
                try
                {
                    return Files.size(f);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            }).sum();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void copy(final Path from, final Path to)
    {
        RemoveEraseTest.Restart.copyWhileOpen(from, to);
    }
}
