package io.ferrite.engine;

import io.ferrite.engine.testing.CampaignSeeds;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.format.SnapshotDescriptor;
import io.ferrite.memory.MemoryStreamStore;
import io.ferrite.store.ConsumerConfig;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.ConsumerStore;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.CorruptSnapshotException;
import io.ferrite.store.CursorPosition;
import io.ferrite.store.NamedTailer;
import io.ferrite.store.Pending;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.SequencePair;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@code snapshot(out)} and {@code FileStreamStore.restore}: an online backup taken while a writer appends and removes
 * restores to exactly the stream at the snapshot's last sequence, encrypted streams stay encrypted, and a snapshot
 * that is damaged anywhere, cut short, or names a path outside a stream directory is refused with nothing published.
 */
final class StreamSnapshotTest
{
    private static final String NAME = "backup";
    /** Every 7th sequence is removed three appends later, every 1001st erased: removals keep coming during the copy. */
    private static final int REMOVE_EVERY = 7;
    private static final int ERASE_EVERY = 1001;
    private static final int REMOVE_LAG = 3;
    private static final int COMPACTED_BELOW = 100;

    @TempDir
    Path dir;

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder(NAME).blockSize(64 << 10).maxMsgSize(1024));
    }

    /** What the writer appends at {@code seq}: a function of the sequence, so the test knows it without a log. */
    private static String subject(final long seq)
    {
        return "orders." + (seq % 5);
    }

    private static byte[] headers(final long seq)
    {
        return seq % 3 == 0 ? ("h" + seq).getBytes(StandardCharsets.US_ASCII) : null;
    }

    private static byte[] payload(final long seq)
    {
        final byte[] payload = new byte[24 + (int)(seq % 17)];
        new SplittableRandom(seq).nextBytes(payload);
        final byte[] marker = ("PLAINTEXT-" + seq).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(marker, 0, payload, 0, Math.min(marker.length, payload.length));
        return payload;
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void snapshotTakenDuringAppendsAndRemovalsRestoresTheStreamAtItsLastSequence(final StreamMode mode)
        throws Exception
    {
        final int total = CampaignSeeds.soak() ? 1_000_000 : mode.encrypted() ? 100_000 : 200_000;
        final Path source = dir.resolve("source");
        final Path snapshot = dir.resolve("stream.snapshot");
        final StreamConfig config = config(mode);
        final long snapshotLastSeq;
        final long bytes;
        try (FileStreamStore store = FileStreamStore.open(source, config))
        {
            for (long seq = 1; seq < COMPACTED_BELOW + 10; seq++)
            {
                assertThat(store.append(subject(seq), headers(seq), payload(seq))).isEqualTo(seq);
                removeLagging(store, seq);
            }
            store.compact(COMPACTED_BELOW);
            try (NamedTailer early = store.createTailer("early"))
            {
                early.seek(COMPACTED_BELOW + 3);
                early.ack(COMPACTED_BELOW + 2);
            }
            final CountDownLatch halfway = new CountDownLatch(1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    for (long seq = COMPACTED_BELOW + 10; seq <= total; seq++)
                    {
                        store.append(subject(seq), headers(seq), payload(seq));
                        removeLagging(store, seq);
                        if (seq == total / 2)
                        {
                            halfway.countDown();
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                    halfway.countDown();
                }
            }, "snapshot-test-writer");
            writer.start();
            assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
            try (NamedTailer late = store.createTailer("late"))
            {
                late.seek(total / 4 + 1);
                late.ack(total / 4);
            }
            try (FileChannel out = FileChannel.open(snapshot, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
            {
                bytes = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> store.snapshot(out));
            }
            writer.join(TimeUnit.SECONDS.toMillis(120));
            assertThat(writer.isAlive()).as("writer finished").isFalse();
            assertThat(failure.get()).isNull();
            assertThat(Files.size(snapshot)).isEqualTo(bytes);
            snapshotLastSeq = readLastSeq(snapshot);
            assertThat(snapshotLastSeq).isGreaterThanOrEqualTo(total / 2);

            final Path restoredDir = dir.resolve("restored");
            try (FileChannel in = FileChannel.open(snapshot, StandardOpenOption.READ);
                FileStreamStore restored = FileStreamStore.restore(restoredDir, in, config))
            {
                assertThat(restored.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
                assertThat(restored.recoveryReport().isClean()).isTrue();
                assertThat(restored.lastSeq()).isEqualTo(snapshotLastSeq);
                assertSameUpTo(store, restored, snapshotLastSeq);
                assertThat(restored.tailers()).extracting(CursorPosition::name, CursorPosition::ackedSeq)
                    .containsExactly(
                        tuple("early", (long)COMPACTED_BELOW + 2), tuple("late", (long)total / 4));
                assertThat(restored.append("after.restore", null, new byte[]{1})).isEqualTo(snapshotLastSeq + 1);
            }
            try (FileStreamStore reopened = FileStreamStore.open(restoredDir, config))
            {
                assertThat(reopened.recoveryReport().isClean()).isTrue();
                assertThat(reopened.load(snapshotLastSeq + 1).subject()).isEqualTo("after.restore");
                assertSameUpTo(store, reopened, snapshotLastSeq);
            }
        }
        final byte[] content = Files.readAllBytes(snapshot);
        final boolean plaintextFound = indexOf(content, "PLAINTEXT-".getBytes(StandardCharsets.US_ASCII)) >= 0;
        assertThat(plaintextFound).as("payload plaintext in the snapshot").isEqualTo(!mode.encrypted());
    }

    private static void removeLagging(final StreamStore store, final long seq)
    {
        final long target = seq - REMOVE_LAG;
        if (target < 1)
        {
            return;
        }
        if (target % ERASE_EVERY == 0)
        {
            assertThat(store.erase(target)).isTrue();
        }
        else if (target % REMOVE_EVERY == 0)
        {
            assertThat(store.remove(target)).isTrue();
        }
    }

    private static boolean removedBy(final long seq, final long lastSeq)
    {
        return seq < COMPACTED_BELOW || seq + REMOVE_LAG < lastSeq && removable(seq);
    }

    private static boolean removable(final long seq)
    {
        return seq % REMOVE_EVERY == 0 || seq % ERASE_EVERY == 0;
    }

    /**
     * Every sequence up to {@code lastSeq}: removed ones stay removed; the others are the message appended, as the
     * source holds it (the source removed only sequences above {@code lastSeq - REMOVE_LAG - 1} since the cut). The
     * removal of {@code lastSeq - REMOVE_LAG} may have come just before or just after the cut.
     */
    private static void assertSameUpTo(final StreamStore source, final StreamStore restored, final long lastSeq)
    {
        assertThat(restored.lastSeq()).isGreaterThanOrEqualTo(lastSeq);
        long present = 0;
        for (long seq = 1; seq <= lastSeq; seq++)
        {
            final StoredMessage message = restored.load(seq);
            final boolean ambiguous = seq + REMOVE_LAG == lastSeq && removable(seq);
            if (removedBy(seq, lastSeq) || ambiguous && null == message)
            {
                assertThat(message).as("seq %d is removed", seq).isNull();
                continue;
            }
            assertThat(message).as("seq %d", seq).isNotNull();
            present++;
            assertThat(message.seq()).isEqualTo(seq);
            assertThat(message.subject()).isEqualTo(subject(seq));
            assertThat(message.headers()).as("headers of %d", seq).isEqualTo(orEmpty(headers(seq)));
            assertThat(message.payload()).as("payload of %d", seq).isEqualTo(payload(seq));
            if (seq + REMOVE_LAG < lastSeq)
            {
                assertThat(message.timestamp()).isEqualTo(source.load(seq).timestamp());
            }
        }
        assertThat(restored.state().msgs()).isEqualTo(present + restored.lastSeq() - lastSeq);
    }

    private static byte[] orEmpty(final byte[] bytes)
    {
        return null == bytes ? new byte[0] : bytes;
    }

    /**
     * While the snapshot writes its files (its channel blocked on another thread's work), appends, removals and state
     * writes go through; what they do is after the cut, so the restored stream holds the removed message and not the
     * new one.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void appendsRemovalsAndStateWritesProceedWhileTheSnapshotWrites(final StreamMode mode) throws Exception
    {
        final StreamConfig config = mode.config(StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024));
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ExecutorService other = Executors.newSingleThreadExecutor();
        try (FileStreamStore store = FileStreamStore.open(dir.resolve("source"), config))
        {
            for (long seq = 1; seq <= 100; seq++)
            {
                store.append(subject(seq), headers(seq), payload(seq));
            }
            final WritableByteChannel sink = Channels.newChannel(bytes);
            final WritableByteChannel during = new WritableByteChannel()
            {
                private boolean done;

                @Override
                public int write(final ByteBuffer src) throws IOException
                {
                    if (!done && bytes.size() > 0)
                    {
                        done = true;
                        final Future<?> work = other.submit(() ->
                        {
                            assertThat(store.append("during.snapshot", null, new byte[]{7})).isEqualTo(101);
                            assertThat(store.remove(10)).isTrue();
                            store.writeFullState();
                        });
                        try
                        {
                            work.get(30, TimeUnit.SECONDS);
                        }
                        catch (final Exception ex)
                        {
                            throw new AssertionError("appends, removals and state writes wait for the snapshot", ex);
                        }
                    }
                    return sink.write(src);
                }

                @Override
                public boolean isOpen()
                {
                    return true;
                }

                @Override
                public void close()
                {
                }
            };
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> store.snapshot(during));
            assertThat(store.load(10)).isNull();
        }
        finally
        {
            other.shutdownNow();
        }
        try (FileStreamStore restored = restore(dir.resolve("restored"), bytes.toByteArray(), config))
        {
            assertThat(restored.lastSeq()).isEqualTo(100);
            assertThat(restored.load(10).payload()).isEqualTo(payload(10));
            assertThat(restored.append("after", null, new byte[]{1})).isEqualTo(101);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void emptyStreamRoundTrips(final StreamMode mode) throws IOException
    {
        final byte[] snapshot;
        try (FileStreamStore store = FileStreamStore.open(dir.resolve("source"), config(mode)))
        {
            snapshot = snapshotOf(store);
        }
        try (FileStreamStore restored = restore(dir.resolve("restored"), snapshot, config(mode)))
        {
            assertThat(restored.lastSeq()).isZero();
            assertThat(restored.append("a", null, new byte[]{1})).isEqualTo(1);
        }
    }

    @Test
    void encryptedSnapshotNeedsItsKeyAndRefusesAnotherBeforePublishing() throws IOException
    {
        final byte[] snapshot = smallSnapshot(StreamMode.ENCRYPTED);
        final Path target = dir.resolve("restored");
        final StreamConfig wrongKey =
            StreamConfig.builder(NAME).blockSize(64 << 10).maxMsgSize(1024).encryptionKey(StreamMode.WRONG_KEY).build();
        assertThatThrownBy(() -> restore(target, snapshot, wrongKey)).isInstanceOf(StoreException.class)
            .hasMessageContaining("key does not match stream " + NAME);
        assertNothingPublished(target);
        assertThatThrownBy(() -> restore(target, snapshot, config(StreamMode.PLAINTEXT)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("encrypted");
        try (FileStreamStore restored = restore(target, snapshot, config(StreamMode.ENCRYPTED)))
        {
            assertThat(restored.load(3).payload()).isEqualTo(payload(3));
        }
        assertThat(Files.getPosixFilePermissions(target.resolve("stream.key")))
            .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void snapshotOfAnotherStreamIsRefused() throws IOException
    {
        final byte[] snapshot = smallSnapshot(StreamMode.PLAINTEXT);
        final Path target = dir.resolve("restored");
        assertThatThrownBy(() -> restore(target, snapshot, StreamConfig.builder("other").build()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds stream 'backup', not 'other'");
        assertNothingPublished(target);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aFlippedByteAnywhereIsRefused(final StreamMode mode) throws IOException
    {
        final byte[] snapshot = smallSnapshot(mode);
        final int headerLength = SnapshotDescriptor.headerLength(NAME.length());
        final int firstEntryHeader = SnapshotDescriptor.entryHeaderLength("stream.json".length());
        final List<Integer> positions = new ArrayList<>();
        // Every byte of the header, of the first entry's header and of the trailer; then a stride through the rest.
        for (int i = 0; i < headerLength + firstEntryHeader; i++)
        {
            positions.add(i);
        }
        for (int i = snapshot.length - SnapshotDescriptor.TRAILER_LENGTH; i < snapshot.length; i++)
        {
            positions.add(i);
        }
        for (int i = headerLength + firstEntryHeader; i < snapshot.length; i += 331)
        {
            positions.add(i);
        }
        int n = 0;
        for (final int position : positions)
        {
            final byte[] damaged = snapshot.clone();
            damaged[position] ^= (byte)(1 << (position % 8));
            final Path target = dir.resolve("damaged-" + n++);
            assertThatThrownBy(() -> restore(target, damaged, config(mode)).close()).as("flip at %d", position)
                .isInstanceOf(CorruptSnapshotException.class);
            assertNothingPublished(target);
        }
    }

    @Test
    void refusalsNameTheEntryTheOffsetAndBothChecksums() throws IOException
    {
        final byte[] snapshot = smallSnapshot(StreamMode.PLAINTEXT);
        // The state entry follows stream.json: its content starts after its header.
        final int stateContent = SnapshotDescriptor.headerLength(NAME.length()) +
            SnapshotDescriptor.entryHeaderLength("stream.json".length()) + readInt(snapshot,
            SnapshotDescriptor.headerLength(NAME.length()) + SnapshotDescriptor.CONTENT_LENGTH_OFFSET) +
            SnapshotDescriptor.CHECKSUM_LENGTH + SnapshotDescriptor.entryHeaderLength("state.db".length());
        final byte[] damaged = snapshot.clone();
        damaged[stateContent + 10] ^= 1;
        assertThatThrownBy(() -> restore(dir.resolve("r1"), damaged, config(StreamMode.PLAINTEXT)))
            .isInstanceOfSatisfying(CorruptSnapshotException.class, (ex) ->
            {
                assertThat(ex.entry()).isEqualTo("state.db");
                assertThat(ex.getMessage()).contains("entry state.db: content checksum mismatch")
                    .contains("expected").contains("found").contains("snapshot offset " + stateContent);
            });
        final byte[] trailer = snapshot.clone();
        trailer[trailer.length - 1] ^= 1;
        assertThatThrownBy(() -> restore(dir.resolve("r2"), trailer, config(StreamMode.PLAINTEXT)))
            .isInstanceOfSatisfying(CorruptSnapshotException.class, (ex) ->
            {
                assertThat(ex.entry()).isNull();
                assertThat(ex.snapshotOffset()).isEqualTo(snapshot.length - SnapshotDescriptor.CHECKSUM_LENGTH);
                assertThat(ex.getMessage()).contains("snapshot checksum mismatch");
            });
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 8, 31, 40, 60, 200, 4000, -29, -28, -1})
    void aTruncatedSnapshotIsRefused(final int cut) throws IOException
    {
        final byte[] snapshot = smallSnapshot(StreamMode.PLAINTEXT);
        final int length = cut >= 0 ? cut : snapshot.length + cut;
        final byte[] truncated = Arrays.copyOf(snapshot, length);
        final Path target = dir.resolve("restored");
        assertThatThrownBy(() -> restore(target, truncated, config(StreamMode.PLAINTEXT)))
            .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("cut short")
            .hasMessageContaining("snapshot offset " + length);
        assertNothingPublished(target);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escaped", "/tmp/escaped", "blocks/../../escaped", "blocks/../state.db",
        "cursors/../../escaped.cursor", "cursors/.hidden.cursor", "blocks\\..\\escaped", "LOCK", "blocks/1.blk",
        "state.db/", "./state.db", "cursors/a/b.cursor", "consumers/../../escaped.state", "consumers/.hidden.state",
        "consumers/a/b.state", "consumers/c.cursor"})
    void pathsOutsideAStreamDirectoryAreRefused(final String path) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final SnapshotOutput output = new SnapshotOutput(Channels.newChannel(bytes));
        output.write(SnapshotDescriptor.encodeHeader(NAME, false, 0, 1));
        output.beginEntry(path, 5, 5);
        output.content(ByteBuffer.wrap("owned".getBytes(StandardCharsets.US_ASCII)));
        output.endContent();
        output.trailer(1);
        final Path target = dir.resolve("nested").resolve("restored");
        assertThatThrownBy(() -> restore(target, bytes.toByteArray(), config(StreamMode.PLAINTEXT)))
            .isInstanceOfSatisfying(CorruptSnapshotException.class, (ex) ->
            {
                assertThat(ex.entry()).isEqualTo(path);
                assertThat(ex.getMessage()).contains("path refused");
            });
        assertNothingPublished(target);
        try (Stream<Path> everything = Files.walk(dir))
        {
            assertThat(everything.filter(Files::isRegularFile)).isEmpty();
        }
    }

    /**
     * Checksums prove the bytes are the writer's, not that the files belong together: a snapshot re-encoded without
     * one of its blocks, or with a cursor file that is not one, is refused by the trial open, before publishing.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aWellFormedSnapshotWhoseFilesDoNotAgreeIsRefusedBeforePublishing(final StreamMode mode) throws IOException
    {
        final List<Entry> entries = parse(smallSnapshot(mode));
        final List<Entry> withoutBlock = new ArrayList<>(entries);
        final int middleBlock = withoutBlock.indexOf(withoutBlock.stream()
            .filter((entry) -> entry.path().startsWith("blocks/")).skip(2).findFirst().orElseThrow());
        withoutBlock.remove(middleBlock);
        final Path target = dir.resolve("restored");
        assertThatThrownBy(() -> restore(target, encode(withoutBlock), config(mode)))
            .isInstanceOf(StoreException.class).hasMessageContaining("did not open cleanly");
        assertNothingPublished(target);

        final List<Entry> badCursor = new ArrayList<>(entries);
        badCursor.replaceAll((entry) -> entry.path().endsWith(".cursor") ?
            new Entry(entry.path(), entry.fileLength(), new byte[(int)entry.fileLength()]) : entry);
        assertThatThrownBy(() -> restore(target, encode(badCursor), config(mode)))
            .isInstanceOf(StoreException.class).hasMessageContaining("cursor");
        assertNothingPublished(target);

        final List<Entry> badConsumer = new ArrayList<>(entries);
        badConsumer.replaceAll((entry) -> entry.path().endsWith(ConsumerStateDescriptor.SUFFIX) ?
            new Entry(entry.path(), entry.fileLength(), new byte[(int)entry.fileLength()]) : entry);
        assertThat(badConsumer).isNotEqualTo(entries);
        assertThatThrownBy(() -> restore(target, encode(badConsumer), config(mode)))
            .isInstanceOf(CorruptFileException.class).hasMessageContaining("consumer state file is damaged")
            .hasMessageContaining("billing");
        assertNothingPublished(target);

        try (FileStreamStore restored = restore(target, encode(entries), config(mode)))
        {
            assertThat(restored.lastSeq()).isEqualTo(151);
            assertThat(restored.consumer("billing", ConsumerConfig.builder().build()).state())
                .isEqualTo(threeDelivered());
        }
    }

    /**
     * A cursor or consumer state file is read whole when the stream opens it: an entry declaring it longer than such a
     * file can be (here 2 GiB, sparse past a few real bytes) is refused naming the entry, before a file is read into
     * memory, and the temporary directory is gone.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aConsumerOrCursorEntryWithAHostileLengthIsRefusedNamingIt(final StreamMode mode) throws IOException
    {
        final List<Entry> entries = parse(smallSnapshot(mode));
        final Path target = dir.resolve("restored");
        for (final String suffix : new String[]{ConsumerStateDescriptor.SUFFIX, ".cursor"})
        {
            final List<Entry> hostile = new ArrayList<>(entries);
            hostile.replaceAll((entry) -> entry.path().endsWith(suffix) ?
                new Entry(entry.path(), SnapshotDescriptor.MAX_FILE_LENGTH, entry.content()) : entry);
            final String path = hostile.stream().map(Entry::path).filter((p) -> p.endsWith(suffix)).findFirst()
                .orElseThrow();
            assertThatThrownBy(() -> restore(target, encode(hostile), config(mode)))
                .isInstanceOfSatisfying(CorruptSnapshotException.class, (ex) ->
                    assertThat(ex.entry()).isEqualTo(path))
                .hasMessageContaining("impossible lengths");
            assertNothingPublished(target);
        }
        // Shorter than declared but small: the content must be the whole file (no sparse tail for a small file).
        final List<Entry> sparse = new ArrayList<>(entries);
        sparse.replaceAll((entry) -> entry.path().endsWith(ConsumerStateDescriptor.SUFFIX) ?
            new Entry(entry.path(), entry.content().length + 1, entry.content()) : entry);
        assertThatThrownBy(() -> restore(target, encode(sparse), config(mode)))
            .isInstanceOf(CorruptSnapshotException.class).hasMessageContaining("content == file");
        assertNothingPublished(target);
    }

    /**
     * Consumers travel with the stream: one open (its state in memory, written fresh, never the file of an interval
     * not yet written) and one not opened since the store opened (its file); the restored stream opens both.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void consumersOpenOrNotAreInTheSnapshot(final StreamMode mode) throws IOException
    {
        final Path source = dir.resolve("consumers-" + mode);
        final StreamConfig config = mode.config(StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024)
            .syncMode(SyncMode.NONE));
        final ConsumerConfig explicit = ConsumerConfig.builder().build();
        try (FileStreamStore store = FileStreamStore.open(source, config))
        {
            for (long seq = 1; seq <= 20; seq++)
            {
                store.append(subject(seq), headers(seq), payload(seq));
            }
            deliverThree(store.consumer("idle", explicit));
        }
        final byte[] snapshot;
        try (FileStreamStore store = FileStreamStore.open(source, config))
        {
            final ConsumerStore open = store.consumer("open", explicit);
            deliverThree(open);
            open.updateAcks(2, 2);
            snapshot = snapshotOf(store);
        }
        assertThat(parse(snapshot)).extracting(Entry::path).contains("consumers/idle.state", "consumers/open.state");
        try (FileStreamStore restored = restore(dir.resolve("restored-" + mode), snapshot, config))
        {
            assertThat(restored.consumerNames()).containsExactly("idle", "open");
            assertThat(restored.consumer("idle", explicit).state()).isEqualTo(threeDelivered());
            final ConsumerState open = restored.consumer("open", explicit).state();
            assertThat(open.ackFloor()).as("the open consumer's ack made in NONE mode, from memory")
                .isEqualTo(new SequencePair(2, 2));
            assertThat(open.pending()).containsOnlyKeys(3L);
        }
    }

    private static void deliverThree(final ConsumerStore consumer)
    {
        consumer.updateDelivered(1, 1, 1, 1_000);
        consumer.updateDelivered(2, 2, 1, 2_000);
        consumer.updateDelivered(3, 3, 1, 3_000);
        consumer.updateAcks(1, 1);
    }

    private static ConsumerState threeDelivered()
    {
        return new ConsumerState(new SequencePair(3, 3), new SequencePair(1, 1),
            new TreeMap<>(Map.of(2L, new Pending(2, 2_000), 3L, new Pending(3, 3_000))), new TreeMap<>());
    }

    private record Entry(String path, long fileLength, byte[] content)
    {
    }

    private static List<Entry> parse(final byte[] snapshot)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(snapshot).order(ByteOrder.LITTLE_ENDIAN);
        final int count = buffer.getInt(SnapshotDescriptor.ENTRY_COUNT_OFFSET);
        int at = SnapshotDescriptor.headerLength(Short.toUnsignedInt(buffer.getShort(
            SnapshotDescriptor.NAME_LENGTH_OFFSET)));
        final List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final int pathLength = Short.toUnsignedInt(buffer.getShort(at + SnapshotDescriptor.PATH_LENGTH_OFFSET));
            final long fileLength = buffer.getLong(at + SnapshotDescriptor.FILE_LENGTH_OFFSET);
            final int contentLength = (int)buffer.getLong(at + SnapshotDescriptor.CONTENT_LENGTH_OFFSET);
            final String path = new String(snapshot, at + SnapshotDescriptor.PATH_OFFSET, pathLength,
                StandardCharsets.US_ASCII);
            final int contentAt = at + SnapshotDescriptor.entryHeaderLength(pathLength);
            final byte[] content = Arrays.copyOfRange(snapshot, contentAt, contentAt + contentLength);
            entries.add(new Entry(path, fileLength, content));
            at = contentAt + contentLength + SnapshotDescriptor.CHECKSUM_LENGTH;
        }
        return entries;
    }

    private static byte[] encode(final List<Entry> entries) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final SnapshotOutput output = new SnapshotOutput(Channels.newChannel(bytes));
        output.write(SnapshotDescriptor.encodeHeader(NAME, entries.stream().anyMatch(
            (entry) -> entry.path().equals(SnapshotDescriptor.KEY_PATH)), 151, entries.size()));
        for (final Entry entry : entries)
        {
            output.beginEntry(entry.path(), entry.fileLength(), entry.content().length);
            output.content(ByteBuffer.wrap(entry.content()));
            output.endContent();
        }
        output.trailer(entries.size());
        return bytes.toByteArray();
    }

    @Test
    void aNonEmptyTargetIsRefusedAndLeftAlone() throws IOException
    {
        final byte[] snapshot = smallSnapshot(StreamMode.PLAINTEXT);
        final Path target = dir.resolve("restored");
        Files.createDirectories(target);
        Files.writeString(target.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> restore(target, snapshot, config(StreamMode.PLAINTEXT)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not empty")
            .hasMessageContaining("keep.txt");
        assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("mine");
        try (Stream<Path> files = Files.list(target))
        {
            assertThat(files).hasSize(1);
        }
        final Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        try (FileStreamStore restored = restore(empty, snapshot, config(StreamMode.PLAINTEXT)))
        {
            assertThat(restored.lastSeq()).isEqualTo(readLastSeq(snapshot));
        }
    }

    @Test
    void theMemoryStoreTakesNoSnapshots()
    {
        try (StreamStore memory = MemoryStreamStore.create(StreamConfig.builder(NAME).build()))
        {
            assertThatThrownBy(() -> memory.snapshot(Channels.newChannel(new ByteArrayOutputStream())))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("takes no snapshots");
        }
    }

    /**
     * A stream of a few blocks with removals, a skip and a named tailer.
     */
    private byte[] smallSnapshot(final StreamMode mode) throws IOException
    {
        final Path source = dir.resolve("small-" + mode);
        try (FileStreamStore store = FileStreamStore.open(source, mode.config(
            StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024))))
        {
            for (long seq = 1; seq <= 150; seq++)
            {
                store.append(subject(seq), headers(seq), payload(seq));
            }
            store.remove(5);
            store.erase(6);
            store.skip();
            try (NamedTailer tailer = store.createTailer("reader"))
            {
                tailer.seek(41);
                tailer.ack(40);
            }
            deliverThree(store.consumer("billing", ConsumerConfig.builder().build()));
            final byte[] snapshot = snapshotOf(store);
            assertThat(readLastSeq(snapshot)).isEqualTo(151);
            return snapshot;
        }
    }

    private static byte[] snapshotOf(final StreamStore store) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final long written = store.snapshot(Channels.newChannel(bytes));
        assertThat(written).isEqualTo(bytes.size());
        return bytes.toByteArray();
    }

    private static FileStreamStore restore(final Path target, final byte[] snapshot, final StreamConfig config)
    {
        return FileStreamStore.restore(target, Channels.newChannel(new ByteArrayInputStream(snapshot)),
            config);
    }

    private void assertNothingPublished(final Path target) throws IOException
    {
        assertThat(target).doesNotExist();
        try (Stream<Path> siblings = Files.list(target.getParent()))
        {
            assertThat(siblings.map((path) -> path.getFileName().toString()))
                .noneMatch((name) -> name.contains(".restore-"));
        }
    }

    private static long readLastSeq(final Path snapshot) throws IOException
    {
        try (FileChannel channel = FileChannel.open(snapshot, StandardOpenOption.READ))
        {
            final ByteBuffer header = ByteBuffer.allocate(SnapshotDescriptor.NAME_OFFSET);
            channel.read(header, 0);
            return readLastSeq(header.array());
        }
    }

    private static long readLastSeq(final byte[] snapshot)
    {
        return SnapshotDescriptor.view(snapshot, SnapshotDescriptor.NAME_OFFSET)
            .getLong(SnapshotDescriptor.LAST_SEQ_OFFSET);
    }

    private static int readInt(final byte[] bytes, final int offset)
    {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(offset);
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
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
