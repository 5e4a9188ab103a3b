package io.ferrite.engine.flush;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.TruncationRemovalsFile;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A removal made before a truncation stays removed whatever moment of the truncation the power fails at, though its
 * tombstone lay in the region the truncation cuts: messages 1 to 10, 3 removed (its tombstone after 10), truncated to
 * 5. The power is cut before every force and directory sync the truncation makes, and once it has returned, each time
 * as the worst case (every unforced page, size and name lost) and as seeded random cases; every image must open with
 * 3 absent, 1, 2, 4 and 5 present, and the last sequence at 5 or above (the truncation done or not yet).
 */
class TruncationRemovalCrashTest
{
    private static final int MESSAGES = 10;
    private static final long REMOVED = 3;
    private static final long CUT = 5;
    private static final int RANDOM_CUTS = 3;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aRemovalBelowTheCutSurvivesAPowerCutAtEveryStepOfTheTruncation(final StreamMode mode) throws IOException
    {
        final Path dir = tmp.resolve("s");
        final StreamConfig config = mode.config(StreamConfig.builder("t").syncMode(SyncMode.ALWAYS)
            .blockSize(16 * 1024).maxMsgSize(256));
        FileStreamStore.open(dir, config).close();
        final CutBeforeEachForce io = new CutBeforeEachForce(new PowerLossIO(dir), tmp);
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            for (int i = 1; i <= MESSAGES; i++)
            {
                store.append("a", null, payload(i));
            }
            assertThat(store.remove(REMOVED)).isTrue();
            io.armed = true;
            store.truncate(CUT);
            io.armed = false;
            assertThat(dir.resolve(TruncationRemovalsFile.FILE_NAME)).as("gone once the tombstones are durable")
                .doesNotExist();
            io.cutNow("after-truncate");
        }
        assertThat(io.images).as("a power cut at each of the truncation's forces").hasSizeGreaterThan(2);
        final List<String> failures = new ArrayList<>();
        for (final Path image : io.images)
        {
            try (FileStreamStore store = FileStreamStore.open(image, config))
            {
                final String where = image.getFileName() + " (" + mode + ", " + store.recoveryReport() + ")";
                if (null != store.load(REMOVED))
                {
                    failures.add("removed message " + REMOVED + " is back in " + where);
                }
                for (long seq = 1; seq <= CUT; seq++)
                {
                    final StoredMessage message = store.load(seq);
                    if (seq != REMOVED && (null == message || !Arrays.equals(message.payload(), payload((int)seq))))
                    {
                        failures.add("message " + seq + " is not as appended in " + where);
                    }
                }
                if (Files.exists(image.resolve(TruncationRemovalsFile.FILE_NAME)))
                {
                    failures.add(TruncationRemovalsFile.FILE_NAME + " left after the open in " + where);
                }
                if (store.lastSeq() < CUT)
                {
                    failures.add("last sequence " + store.lastSeq() + " in " + where);
                }
            }
        }
        assertThat(failures).as("of %d images", io.images.size()).isEmpty();
    }

    private static byte[] payload(final int i)
    {
        return ("message-" + i).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * While {@link #armed}, cuts the power before each force and directory sync it passes on, worst case first.
     */
    private static final class CutBeforeEachForce implements StorageIO
    {
        private final PowerLossIO disk;
        private final Path root;
        private final List<Path> images = new ArrayList<>();
        private volatile boolean armed;
        private int step;

        CutBeforeEachForce(final PowerLossIO disk, final Path root)
        {
            this.disk = disk;
            this.root = root;
        }

        synchronized void cutNow(final String what)
        {
            step++;
            final Path worst = root.resolve("cut-" + step + "-" + what + "-worst");
            disk.cut(PowerLossIO.worstCase(), worst);
            images.add(worst);
            for (int seed = 0; seed < RANDOM_CUTS; seed++)
            {
                final Path random = root.resolve("cut-" + step + "-" + what + "-seed-" + seed);
                disk.cut(new Random(step * 31L + seed), random);
                images.add(random);
            }
        }

        private void beforeForce(final String what)
        {
            if (armed)
            {
                cutNow(what);
            }
        }

        @Override
        public void forceBlock(
            final Path file, final FileChannel channel, final MappedByteBuffer mapped, final int from, final int to,
            final boolean metadata) throws IOException
        {
            beforeForce("force-" + file.getFileName());
            disk.forceBlock(file, channel, mapped, from, to, metadata);
        }

        @Override
        public void forceFile(final Path file, final FileChannel channel) throws IOException
        {
            beforeForce("force-" + file.getFileName());
            disk.forceFile(file, channel);
        }

        @Override
        public void syncDirectory(final Path dir) throws IOException
        {
            beforeForce("sync-" + dir.getFileName());
            disk.syncDirectory(dir);
        }
    }
}
