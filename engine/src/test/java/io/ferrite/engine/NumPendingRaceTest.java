package io.ferrite.engine;

import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code numPending} reads the blocks it scans after releasing the append lock: it must still count exactly the
 * stream as it stood at one moment of the call while a writer appends, removes and makes the reclaimer delete emptied
 * blocks and rewrite sparse ones under it. One sequence in four ({@code seq % 4 == 1}) is subject {@code keep.<n>} and
 * never removed; the others are {@code drop.<n>}, removed soon after, so sealed blocks thin out and are rewritten
 * under the reader. A reader counts {@code keep.*} from a sequence in the older part or in the blocks being rewritten
 * that moment: the answer must lie
 * between the count of kept sequences up to the last sequence seen before the call and the one seen after it.
 */
class NumPendingRaceTest
{
    private static final long RACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1_500);
    private static final int MIN_APPENDS = 20_000;
    private static final int MIN_QUERIES = 200;
    /** How far behind the last sequence the writer removes the even messages. */
    private static final int REMOVE_LAG = 50;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aCountRacingAppendsRemovalsAndReclaimIsTheStreamAtOneMomentOfTheCall(final StreamMode mode) throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder("pending").blockSize(16 * 1024).maxMsgSize(256));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final AtomicBoolean writing = new AtomicBoolean(true);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    final long deadline = System.nanoTime() + RACE_NANOS;
                    for (long seq = 1; seq <= MIN_APPENDS || System.nanoTime() < deadline; seq++)
                    {
                        final String subject = (seq % 4 == 1 ? "keep." : "drop.") + (seq % 7);
                        assertThat(store.append(subject, null, new byte[40 + (int)(seq % 50)])).isEqualTo(seq);
                        final long old = seq - REMOVE_LAG;
                        if (old > 0 && old % 4 != 1)
                        {
                            assertThat(store.remove(old)).isTrue();
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
                finally
                {
                    writing.set(false);
                }
            }, "num-pending-writer");
            writer.start();
            long queries = 0;
            while (writing.get() || queries < MIN_QUERIES)
            {
                final long before = store.lastSeq();
                // Alternately deep in the stream and in the blocks sealed a moment ago, which the removals are
                // thinning out and the reclaimer rewrites while the count reads them.
                final long from = Math.max(1, queries % 2 == 0 ? before / 3 : before - 150 - queries % 200);
                final long counted = store.numPending(from, "keep.*");
                final long after = store.lastSeq();
                assertThat(counted).as("keep.* from %d between last sequences %d and %d", from, before, after)
                    .isBetween(kept(from, before), kept(from, after));
                queries++;
            }
            writer.join();
            assertThat(failure.get()).isNull();
            assertThat(queries).isGreaterThanOrEqualTo(MIN_QUERIES);
            final long last = store.lastSeq();
            assertThat(store.numPending(1, "keep.*")).isEqualTo(kept(1, last));
            assertThat(store.numPending(1, "drop.*")).as("the last ones, not yet removed")
                .isEqualTo(REMOVE_LAG - kept(last - REMOVE_LAG + 1, last));
            assertThat(rewrittenBlocks(config.blockSize())).as("sealed blocks rewritten under the reader")
                .isPositive();
        }
    }

    /**
     * @return how many kept sequences ({@code seq % 4 == 1}) there are in {@code [from, to]}.
     */
    private static long kept(final long from, final long to)
    {
        return to < from ? 0 : (to + 3) / 4 - (from + 2) / 4;
    }

    private long rewrittenBlocks(final int blockSize) throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((file) -> file.toString().endsWith(BlockDescriptor.FILE_SUFFIX))
                .filter((file) -> size(file) <= blockSize / 2).count();
        }
    }

    private static long size(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
