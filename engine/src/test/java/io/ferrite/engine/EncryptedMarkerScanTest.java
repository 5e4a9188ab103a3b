package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No plaintext of an encrypted stream reaches the disk: messages whose subject, headers and payload carry a marker are
 * written, flushed, snapshotted into {@code state.db} and closed — also through a crash image with a torn tail that is
 * recovered and appended to — and then every byte of every file in the stream directory is searched for the marker
 * and for every subject token. The same workload on a plaintext stream proves the search finds what is there.
 */
class EncryptedMarkerScanTest
{
    private static final String MARKER = "FERRITE-MARKER-7f3a";
    private static final String[] WORDS = {"alpha", "bravo", "charlie", "delta"};
    private static final String NAME = "markers";

    @TempDir
    Path root;

    private final SplittableRandom random = new SplittableRandom(0x3A7_4E5L);

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder(NAME).blockSize(64 * 1024).maxMsgSize(16 * 1024));
    }

    private static String subject(final long i)
    {
        return MARKER + ".tok-" + WORDS[(int)(i % WORDS.length)] + "-7f3a.sub-" + WORDS[(int)(i / 4 % WORDS.length)] +
            "-9c1e";
    }

    /**
     * @return the strings that must not appear: the marker, every subject and every subject token of 8+ characters.
     */
    private static Set<String> needles(final long messages)
    {
        final Set<String> needles = new LinkedHashSet<>();
        needles.add(MARKER);
        for (long i = 0; i < messages; i++)
        {
            final String subject = subject(i);
            needles.add(subject);
            for (final String token : subject.split("\\."))
            {
                if (token.length() >= 8)
                {
                    needles.add(token);
                }
            }
        }
        return needles;
    }

    private long writeMarked(final StreamStore store, final int count)
    {
        long last = 0;
        for (int i = 0; i < count; i++)
        {
            final long n = store.state().lastSeq();
            final byte[] headers = ("X-Trace: " + MARKER + "\r\nX-Note: " + WORDS[i % WORDS.length] + "-" + MARKER)
                .getBytes(StandardCharsets.US_ASCII);
            final int length = i % 10 == 0 ? 8000 + random.nextInt(6000) : 40 + random.nextInt(400);
            final byte[] payload = new byte[length];
            random.nextBytes(payload);
            final byte[] marker = MARKER.getBytes(StandardCharsets.US_ASCII);
            for (int at = random.nextInt(16); at + marker.length <= length; at += marker.length + random.nextInt(200))
            {
                System.arraycopy(marker, 0, payload, at, marker.length);
            }
            last = store.append(subject(n), headers, payload);
        }
        return last;
    }

    @Test
    void noMarkerReachesTheDiskOfAnEncryptedStream()
    {
        final Path dir = root.resolve("encrypted");
        final long last;
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.ENCRYPTED)))
        {
            writeMarked(store, 200);
            store.flush().join();
            store.writeFullState();
            last = writeMarked(store, 20);
            store.flush().join();
            assertThat(BlockFiles.blocks(dir)).as("the workload spans blocks").hasSizeGreaterThan(3);
        }
        assertThat(hits(dir, needles(last))).as("plaintext found on disk").isEmpty();

        // The data is all there, readable with the key.
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.ENCRYPTED)))
        {
            assertThat(store.state().msgs()).isEqualTo(last);
            assertThat(new String(store.load(last).headers(), StandardCharsets.US_ASCII)).contains(MARKER);
            assertThat(store.loadLast(subject(last - 1)).seq()).isEqualTo(last);
        }
        assertThat(hits(dir, needles(last))).as("plaintext found on disk after a reopen").isEmpty();
    }

    /**
     * A crash image (the directory as it stands while the store is open), its tail record torn, reopened: recovery
     * reports the torn tail, rebuilds or replays the state, and the next session appends into a new block. Still no
     * plaintext anywhere.
     */
    @Test
    void noMarkerReachesTheDiskThroughATornTailAndReopen()
    {
        final Path dir = root.resolve("live");
        final Path image = root.resolve("crash-image");
        long last;
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.ENCRYPTED)))
        {
            writeMarked(store, 120);
            store.flush().join();
            store.writeFullState();
            writeMarked(store, 30);
            store.flush().join();
            BlockFiles.copyTree(dir, image);
        }
        final List<Path> blocks = BlockFiles.blocks(image);
        final Path tail = blocks.get(blocks.size() - 1);
        final List<BlockFiles.Frame> frames = BlockFiles.frames(tail);
        final BlockFiles.Frame torn = frames.get(frames.size() - 1);
        final int cut = torn.offset() + torn.length() / 2;
        BlockFiles.truncate(tail, cut);
        // A header the cut left whole verifies: its sequence stays taken (reported lost, never handed out again).
        final long recoveredLast = cut >= torn.offset() + RecordDescriptor.HEADER_LENGTH ? torn.seq() : torn.seq() - 1;

        for (int session = 0; session < 3; session++)
        {
            try (FileStreamStore store = FileStreamStore.open(image, config(StreamMode.ENCRYPTED)))
            {
                if (session == 0)
                {
                    assertThat(store.recoveryReport().isClean()).as("%s", store.recoveryReport()).isFalse();
                    assertThat(store.state().lastSeq()).isEqualTo(recoveredLast);
                }
                writeMarked(store, 25);
                store.flush().join();
                store.writeFullState();
                last = store.state().lastSeq();
            }
            assertThat(hits(image, needles(last))).as("plaintext on disk after session %d", session).isEmpty();
        }
        assertThat(hits(dir, needles(torn.seq()))).as("plaintext on disk of the original").isEmpty();
    }

    /**
     * The control: the same workload on a plaintext stream puts the marker and the subjects on disk, in blocks and in
     * {@code state.db}, so the search above would have found them.
     */
    @Test
    void theSearchFindsThePlaintextOfAPlaintextStream()
    {
        final Path dir = root.resolve("plaintext");
        final long last;
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT)))
        {
            last = writeMarked(store, 40);
        }
        final List<String> found = hits(dir, needles(last));
        assertThat(found).anyMatch((hit) -> hit.startsWith(MARKER + " in blocks/"));
        assertThat(found).anyMatch((hit) -> hit.startsWith(subject(0) + " in state.db"));
    }

    /**
     * @return "needle in file at offset" for every occurrence of any needle in any file under {@code dir}.
     */
    private static List<String> hits(final Path dir, final Set<String> needles)
    {
        final List<String> hits = new ArrayList<>();
        final Map<String, byte[]> files = EncryptedStreamTest.snapshot(dir);
        assertThat(files.keySet()).contains("stream.json", "state.db");
        for (final Map.Entry<String, byte[]> file : files.entrySet())
        {
            final byte[] bytes = file.getValue();
            for (final String needle : needles)
            {
                final byte[] pattern = needle.getBytes(StandardCharsets.US_ASCII);
                for (int at = indexOf(bytes, pattern, 0); at >= 0; at = indexOf(bytes, pattern, at + 1))
                {
                    hits.add(needle + " in " + file.getKey() + " at " + at);
                }
            }
        }
        return hits;
    }

    private static int indexOf(final byte[] haystack, final byte[] needle, final int from)
    {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
