package io.ferrite.engine;

import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.KeyMismatchException;
import io.ferrite.engine.testing.ReferenceSubjects;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.EncryptedBlocks;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * An encrypted stream behaves like a plaintext one through the whole API — across block rolls, close and reopen, and
 * a rebuild from the blocks — and refuses, at open and before reading any data, a wrong key, a missing key, or a key
 * for a plaintext stream. Its key file is owner-only, and writing its state never touches a block.
 */
class EncryptedStreamTest
{
    private static final String NAME = "enc";
    private static final StreamConfig CONFIG = StreamMode.ENCRYPTED.config(
        StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024));
    private static final String[] SUBJECTS = {"orders.eu.new", "orders.eu.fill", "orders.us.new", "trades.x", "a"};

    @TempDir
    Path dir;

    /** What the store must hold: every stored message by sequence (skips and gaps are absent). */
    private final TreeMap<Long, StoredMessage> model = new TreeMap<>();
    private final SplittableRandom random = new SplittableRandom(0xE5C_0DEL);
    private long lastSeq;

    @Test
    void everyOperationRoundTripsAcrossRollsReopenAndRebuild()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.NEW_STREAM);
            writeSome(store, 60);
            verifyAll(store, "first session");
            assertThat(BlockFiles.blocks(dir)).as("the writes rolled blocks").hasSizeGreaterThan(4);
        }
        final StreamState closed;
        final int blocksBefore = BlockFiles.blocks(dir).size();
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.outcome()).as("%s", report).isEqualTo(Outcome.LOADED_STATE);
            assertThat(report.isClean()).as("%s", report).isTrue();
            verifyAll(store, "after reopen");
            closed = store.state();

            appendOne(store);
            assertThat(BlockFiles.blocks(dir)).as("an encrypted stream never appends to a block it found on open")
                .hasSize(blocksBefore + 1);
            writeSome(store, 60);
            verifyAll(store, "second session");
        }
        assertThat(closed.lastSeq()).isLessThan(lastSeq);
        assertSealedBlocksHaveAuthenticFootersAndDistinctKeys();

        delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.outcome()).as("%s", report).isEqualTo(Outcome.REBUILT_FROM_BLOCKS);
            assertThat(report.isClean()).as("%s", report).isTrue();
            verifyAll(store, "after a rebuild from the blocks");
        }
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.LOADED_STATE);
            verifyAll(store, "after the rebuilt state was written");
        }
    }

    private void writeSome(final FileStreamStore store, final int operations)
    {
        for (int i = 0; i < operations; i++)
        {
            final int kind = random.nextInt(10);
            if (kind == 0)
            {
                lastSeq = store.skip();
            }
            else if (kind == 1)
            {
                final long seq = lastSeq + 1 + random.nextInt(4);
                final long timestamp = store.state().lastTime() + 1 + random.nextInt(1000);
                final String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
                final byte[] headers = bytes(random.nextInt(3) == 0 ? 0 : random.nextInt(40));
                final byte[] payload = bytes(random.nextInt(700));
                store.appendAt(seq, timestamp, subject, headers, payload);
                model.put(seq, new StoredMessage(seq, timestamp, subject, headers, payload));
                lastSeq = seq;
            }
            else
            {
                appendOne(store);
            }
        }
    }

    private void appendOne(final FileStreamStore store)
    {
        final String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
        final boolean noHeaders = random.nextInt(3) == 0;
        final byte[] headers = noHeaders ? null : bytes(random.nextInt(40));
        final byte[] payload = bytes(random.nextInt(900));
        final long seq = store.append(subject, headers, payload);
        assertThat(seq).isEqualTo(lastSeq + 1);
        final StoredMessage stored = store.load(seq);
        assertThat(stored).isNotNull();
        model.put(seq, new StoredMessage(seq, stored.timestamp(), subject, noHeaders ? new byte[0] : headers, payload));
        lastSeq = seq;
    }

    private byte[] bytes(final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)random.nextInt(256);
        }
        return bytes;
    }

    private void verifyAll(final FileStreamStore store, final String context)
    {
        for (long seq = 1; seq <= lastSeq + 2; seq++)
        {
            final StoredMessage expected = model.get(seq);
            assertThat(store.load(seq)).as("load(%d), %s", seq, context).isEqualTo(expected);
            final StoredMessage[] seen = new StoredMessage[1];
            final boolean found = store.read(seq, (view) -> seen[0] = view.toStoredMessage());
            assertThat(found).as("read(%d), %s", seq, context).isEqualTo(null != expected);
            assertThat(seen[0]).as("read(%d), %s", seq, context).isEqualTo(expected);
        }

        for (final String filter : List.of(">", "orders.>", "orders.*.new", "orders.eu.fill", "a", "*", "none.such"))
        {
            final List<StoredMessage> expected = model.values().stream()
                .filter((message) -> ReferenceSubjects.matches(filter, message.subject())).toList();
            final List<StoredMessage> actual = new ArrayList<>();
            for (StoredMessage next = store.loadNext(filter, 1); null != next;
                next = store.loadNext(filter, next.seq() + 1))
            {
                actual.add(next);
            }
            assertThat(actual).as("loadNext(%s) chain, %s", filter, context).isEqualTo(expected);
            final StoredMessage last = expected.isEmpty() ? null : expected.get(expected.size() - 1);
            assertThat(store.loadLast(filter)).as("loadLast(%s), %s", filter, context).isEqualTo(last);
        }

        final StreamState state = store.state();
        final long bytes = model.values().stream()
            .mapToLong((m) -> m.subject().length() + m.headers().length + m.payload().length).sum();
        final Set<String> subjects = new HashSet<>();
        model.values().forEach((m) -> subjects.add(m.subject()));
        assertThat(state.msgs()).as(context).isEqualTo(model.size());
        assertThat(state.bytes()).as(context).isEqualTo(bytes);
        assertThat(state.lastSeq()).as(context).isEqualTo(lastSeq);
        assertThat(state.firstSeq()).as(context).isEqualTo(model.firstKey());
        assertThat(state.lastTime()).as(context).isEqualTo(model.lastEntry().getValue().timestamp());
        assertThat(state.firstTime()).as(context).isEqualTo(model.firstEntry().getValue().timestamp());
        assertThat(state.numSubjects()).as(context).isEqualTo(subjects.size());
        assertThat(state.numDeleted()).as(context).isEqualTo(state.lastSeq() - state.firstSeq() + 1 - state.msgs());
    }

    /**
     * Every block but the tail was sealed with a footer that authenticates under its own key and describes it; no two
     * blocks share a key.
     */
    private void assertSealedBlocksHaveAuthenticFootersAndDistinctKeys()
    {
        final byte[] streamKey = EncryptedBlocks.streamKey(dir, StreamMode.KEY, NAME);
        final List<Path> blocks = BlockFiles.blocks(dir);
        final Set<Long> keyIds = new HashSet<>();
        for (int i = 0; i < blocks.size(); i++)
        {
            final byte[] block = BlockFiles.readAll(blocks.get(i));
            assertThat(EncryptedBlocks.blockKey(block, streamKey).keyId())
                .as("key id in the header of %s", blocks.get(i))
                .isEqualTo(EncryptedBlocks.headerKeyId(block));
            assertThat(keyIds.add(EncryptedBlocks.headerKeyId(block))).as("key of %s is fresh", blocks.get(i)).isTrue();
            if (i < blocks.size() - 1)
            {
                final BlockFooter footer = EncryptedBlocks.footer(block, streamKey);
                final List<BlockFiles.Frame> frames = BlockFiles.frames(blocks.get(i));
                final long messages = frames.stream().filter((f) -> f.type() == 1).count();
                assertThat(footer.messageCount()).as("footer of %s", blocks.get(i)).isEqualTo(messages);
                if (!frames.isEmpty())
                {
                    assertThat(footer.dataEndOffset()).as("footer of %s", blocks.get(i))
                        .isEqualTo(frames.get(frames.size() - 1).end());
                    assertThat(footer.lastSeq()).as("footer of %s", blocks.get(i))
                        .isEqualTo(frames.get(frames.size() - 1).seq());
                }
            }
        }
    }

    @Test
    void aWrongKeyFailsAtOpenBeforeAnyDataIsRead()
    {
        writeAndClose();
        final Map<String, byte[]> before = snapshot(dir);
        final StreamConfig wrong = StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024)
            .encryptionKey(StreamMode.WRONG_KEY).build();

        final StoreException failure =
            catchThrowableOfType(StoreException.class, () -> FileStreamStore.open(dir, wrong));
        assertThat(failure).as("a wrong key is a StoreException").isNotNull();
        assertThat(failure.getMessage()).startsWith("key does not match stream " + NAME);
        assertThat(failure.getCause()).isInstanceOf(KeyMismatchException.class)
            .hasMessage("key does not match stream " + NAME);
        assertThat(failure.file()).isEqualTo(dir.resolve("stream.key"));
        assertThat(snapshot(dir)).as("a failed open changes no file").containsExactlyInAnyOrderEntriesOf(before);

        // Before any data: with the tail block's header destroyed, the wrong key is still what open reports.
        final List<Path> blocks = BlockFiles.blocks(dir);
        final Path tail = blocks.get(blocks.size() - 1);
        BlockFiles.write(tail, 0, new byte[64]);
        final StoreException again = catchThrowableOfType(StoreException.class, () -> FileStreamStore.open(dir, wrong));
        assertThat(again).isNotNull();
        assertThat(again.getMessage()).startsWith("key does not match stream " + NAME);
        assertThat(catchThrowableOfType(CorruptFileException.class, () -> FileStreamStore.open(dir, CONFIG)))
            .as("the right key gets as far as the damaged block").isNotNull();

        BlockFiles.write(tail, 0, Arrays.copyOf(before.get(dir.relativize(tail).toString()), 64));
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            verifyAll(store, "the right key after failed opens");
        }
    }

    @Test
    void aMissingKeyOrAKeyForAPlaintextStreamIsAClearErrorAtOpen()
    {
        writeAndClose();
        final Map<String, byte[]> before = snapshot(dir);
        final StreamConfig noKey = StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(1024).build();
        final StoreException missing =
            catchThrowableOfType(StoreException.class, () -> FileStreamStore.open(dir, noKey));
        assertThat(missing).isNotNull();
        assertThat(missing.getMessage()).contains("stream " + NAME + " is encrypted")
            .contains("open it with its encryption key");
        assertThat(snapshot(dir)).as("a failed open changes no file").containsExactlyInAnyOrderEntriesOf(before);

        final Path plainDir = dir.resolveSibling(dir.getFileName() + "-plain");
        try (FileStreamStore store = FileStreamStore.open(plainDir, noKey))
        {
            store.append("a", null, new byte[] {1, 2, 3});
        }
        final Map<String, byte[]> plainBefore = snapshot(plainDir);
        final StoreException extra =
            catchThrowableOfType(StoreException.class, () -> FileStreamStore.open(plainDir, CONFIG));
        assertThat(extra).isNotNull();
        assertThat(extra.getMessage()).contains("stream " + NAME + " is not encrypted")
            .contains("open it without an encryption key");
        assertThat(snapshot(plainDir)).as("no key file is created for a plaintext stream")
            .containsExactlyInAnyOrderEntriesOf(plainBefore);
        try (FileStreamStore store = FileStreamStore.open(plainDir, noKey))
        {
            assertThat(store.load(1).payload()).containsExactly(1, 2, 3);
        }

        delete(dir.resolve("stream.key"));
        final StoreException noKeyFile =
            catchThrowableOfType(StoreException.class, () -> FileStreamStore.open(dir, CONFIG));
        assertThat(noKeyFile).as("an encrypted stream whose key file is gone").isNotNull();
        assertThat(noKeyFile.file()).isEqualTo(dir.resolve("stream.key"));
    }

    @Test
    void theKeyFileIsOwnerOnlyAndNoTemporaryIsLeft() throws IOException
    {
        writeAndClose();
        final Path keyFile = dir.resolve("stream.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(dir))
        {
            assertThat(files.map((p) -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("stream.json", "stream.key", "state.db", "LOCK", "blocks",
                    "positions");
        }
        final byte[] original = Files.readAllBytes(keyFile);
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            appendOne(store);
        }
        assertThat(Files.readAllBytes(keyFile)).as("reopening never rewrites the key file").isEqualTo(original);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
    }

    /**
     * The incident, encrypted: with over a thousand encrypted blocks, writing the state opens and reads no block file,
     * and reopening reads the tail block only. (Forces are skipped: they are not the subject, and a thousand rolls'
     * fsyncs took two minutes on a slow disk.)
     */
    @Test
    void writeFullStateTouchesNoBlockOfAThousandEncryptedBlocks()
    {
        final int blocks = 1_000;
        final byte[] payload = new byte[900];
        long appended = 0;
        try (StreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            while (store.counters().blocksCreated() < blocks + 1)
            {
                payload[0] = (byte)appended;
                store.append("sensor." + (appended % 13), null, payload);
                appended++;
            }
            final StoreStats before = store.stats();
            store.writeFullState();
            final StoreStats after = store.stats();
            assertThat(after.blockFileOpens()).as("writeFullState opens no block").isEqualTo(before.blockFileOpens());
            assertThat(after.blockBytesRead()).as("writeFullState reads no block").isEqualTo(before.blockBytesRead());
        }
        assertThat(BlockFiles.blocks(dir)).hasSizeGreaterThan(blocks);

        try (StreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.outcome()).as("%s", report).isEqualTo(Outcome.LOADED_STATE);
            assertThat(report.blocksScanned()).isEqualTo(1);
            final StoreStats afterOpen = store.stats();
            assertThat(afterOpen.blockFileOpens()).as("only the tail block is opened").isEqualTo(1);
            assertThat(afterOpen.blockBytesRead()).as("only the tail block is read").isLessThanOrEqualTo(4096);

            store.writeFullState();
            store.writeFullState();
            final StoreStats afterWrite = store.stats();
            assertThat(afterWrite.blockFileOpens()).isEqualTo(afterOpen.blockFileOpens());
            assertThat(afterWrite.blockBytesRead()).isEqualTo(afterOpen.blockBytesRead());
            assertThat(afterWrite.fullStateWrites()).isEqualTo(2);
            assertThat(store.state().msgs()).isEqualTo(appended);

            assertThat(store.load(1).payload()[0]).isEqualTo((byte)0);
            assertThat(store.load(appended).subject()).isEqualTo("sensor." + ((appended - 1) % 13));
            assertThat(store.stats().blockFileOpens()).as("a read maps its block on demand").isEqualTo(2);
        }
    }

    private void writeAndClose()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
        {
            writeSome(store, 30);
        }
    }

    /**
     * @return every regular file under {@code root} by relative path, with its bytes.
     */
    static Map<String, byte[]> snapshot(final Path root)
    {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : paths.filter(Files::isRegularFile).sorted().toList())
            {
                files.put(root.relativize(path).toString(), Files.readAllBytes(path));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return files;
    }

    private static void delete(final Path file)
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
