package io.ferrite.engine;

import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.view.ReadOnlyStream;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.Discard;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamLimits;
import io.ferrite.store.StreamLockedException;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamTruncatedException;
import io.ferrite.store.StreamView;
import io.ferrite.store.SyncMode;
import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link FileStreamStore#openReadOnly}: a view opened beside a writer (in this JVM, as another process would) follows
 * appends, rolls, removals, reclaim, truncation and writer restarts, in both modes; bad input is refused by name with
 * nothing written. {@link CrossProcessViewTest} follows a writer in another JVM that is killed and restarted.
 */
class ReadOnlyViewTest
{
    @TempDir
    Path dir;

    private final List<Long> seen = new ArrayList<>();
    private final List<String> payloads = new ArrayList<>();

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void followsAppendsAcrossRollsAndAgreesWithTheWriter(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            StreamView view = openView(mode);
            StreamTailer tailer = view.createTailer(1))
        {
            assertThat(tailer.poll(this::record, 10)).isZero();
            for (int i = 1; i <= 600; i++)
            {
                assertThat(store.append("v." + (i % 3), null, payload(i))).isEqualTo(i);
                if (i % 37 == 0)
                {
                    drain(tailer);
                }
            }
            drain(tailer);
            assertThat(store.index().blockCount()).isGreaterThan(5);
            assertThat(seen).hasSize(600);
            for (int i = 0; i < 600; i++)
            {
                assertThat(seen.get(i)).isEqualTo(i + 1);
                assertThat(payloads.get(i)).isEqualTo("payload-" + (i + 1));
            }
            assertThat(view.lastSeq()).isEqualTo(600);
            assertThat(view.load(123).payload()).isEqualTo(payload(123));
            assertThat(view.load(601)).isNull();
            assertThat(view.loadNext("v.2", 100).seq()).isEqualTo(101);
            assertThat(view.loadLast("v.1").seq()).isEqualTo(598);
            assertSameState(store, view);
            assertThat(view.subjects(">")).isEqualTo(store.subjects(">"));
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void passesOverRemovalsAndFollowsReclaimedBlocks(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            StreamView view = openView(mode);
            StreamTailer tailer = view.createTailer(1))
        {
            for (int i = 1; i <= 400; i++)
            {
                store.append("r." + (i % 2), null, payload(i));
            }
            for (long seq = 7; seq <= 400; seq += 7)
            {
                store.remove(seq);
            }
            drain(tailer);
            assertThat(seen).hasSize(400 - 400 / 7).doesNotContain(7L, 14L, 399L);
            assertThat(view.load(14)).isNull();
            assertSameState(store, view);

            // Reclaim deletes the blocks emptied below 250 under the view.
            store.compact(250);
            store.purge("r.1", 0, 0);
            awaitBlocksBelow(store, 250);
            assertThat(view.load(100)).isNull();
            assertThat(view.load(254).seq()).isEqualTo(254);
            assertThat(view.load(251)).isNull();
            assertThat(view.firstSeq()).isEqualTo(store.firstSeq());
            assertSameState(store, view);

            seen.clear();
            for (int i = 401; i <= 700; i++)
            {
                store.append("r.0", null, payload(i));
            }
            drain(tailer);
            assertThat(seen).hasSize(300).startsWith(401L).endsWith(700L);
            assertSameState(store, view);
        }
    }

    /**
     * Every kind of removal is invisible to a view as soon as the writer's call returns (retention by age, which no
     * caller waits for, as soon as the writer no longer holds the message): to an open view, to its tailer, and to a
     * view opened afterwards, which indexes the stream again from its blocks.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void everyKindOfRemovalIsInvisibleOnceItReturns(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            StreamView view = openView(mode);
            StreamTailer tailer = view.createTailer(1))
        {
            for (int i = 1; i <= 300; i++)
            {
                store.append("k." + (i % 3), null, payload(i));
            }
            assertThat(view.load(120).seq()).isEqualTo(120);
            assertThat(view.load(200).seq()).isEqualTo(200);

            assertThat(store.remove(200)).isTrue();
            assertRemoved(store, view, mode, 200);
            assertThat(store.erase(201)).isTrue();
            assertRemoved(store, view, mode, 200, 201);
            assertThat(store.purge("k.1", 150, 0)).isEqualTo(50);
            assertRemoved(store, view, mode, 1, 4, 100, 148);
            assertThat(store.compact(60)).isPositive();
            assertRemoved(store, view, mode, 2, 3, 59);
            drain(tailer);
            assertThat(seen).doesNotContain(2L, 59L, 148L, 200L, 201L).contains(60L, 150L, 202L, 300L);

            final long oldest = store.firstSeq();
            final long second = store.loadNext(">", oldest + 1).seq();
            store.updateLimits(new StreamLimits(store.state().msgs() - 1, -1, Duration.ZERO, -1, Discard.OLD));
            assertRemoved(store, view, mode, oldest);
            assertThat(view.load(second).seq()).isEqualTo(second);
            store.append("k.0", null, payload(301));
            assertRemoved(store, view, mode, second);

            final long firstBefore = store.firstSeq();
            store.updateLimits(new StreamLimits(-1, -1, Duration.ofMillis(1), -1, Discard.OLD));
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (store.firstSeq() <= 301 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            assertThat(store.firstSeq()).as("maxAge removed everything").isGreaterThan(301);
            assertRemoved(store, view, mode, firstBefore, 250, 301);

            // No age limit any more, so the next message stays until the purge.
            store.updateLimits(new StreamLimits(-1, -1, Duration.ZERO, -1, Discard.OLD));
            store.append("k.0", null, payload(302));
            assertThat(view.load(302).seq()).isEqualTo(302);
            assertThat(store.purge()).isEqualTo(1);
            assertRemoved(store, view, mode, 302);
        }
    }

    /**
     * A removal whose tombstone is gone (damage cut it out of its block) is known to the writer only from
     * {@code state.db}: the writer that recovers writes its tombstone again before it announces itself open, so a
     * view, which reads no {@code state.db}, does not show the message again.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aRemovalOnlyStateDbRemembersIsNotShownAfterTheWriterRecovers(final StreamMode mode) throws IOException
    {
        final long tombstoneAt;
        final Path tail;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL)))
        {
            for (int i = 1; i <= 20; i++)
            {
                store.append("d", null, payload(i));
            }
            tail = store.index().lastBlock().file();
            tombstoneAt = store.index().lastBlock().writeOffset();
            assertThat(store.remove(5)).isTrue();
        }
        // The tombstone and what follows it are lost: the blocks no longer say 5 was removed, state.db does.
        try (FileChannel channel = FileChannel.open(tail, StandardOpenOption.WRITE))
        {
            final long size = channel.size();
            channel.write(ByteBuffer.allocate((int)(size - tombstoneAt)), tombstoneAt);
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            StreamView view = openView(mode))
        {
            assertThat(store.load(5)).isNull();
            assertThat(view.load(5)).isNull();
            assertThat(view.load(6).seq()).isEqualTo(6);
            assertSameState(store, view);
        }
        try (StreamView view = openView(mode))
        {
            assertThat(view.load(5)).isNull();
        }
    }

    /**
     * A last record torn by a power cut keeps its verified header (its sequence stays taken) and is reported lost and
     * marked removed by the writer's recovery: the writer tombstones it, so a view neither shows it nor fails on it.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTornLastRecordTheWriterReportedLostIsNeitherShownNorDamageToTheView(final StreamMode mode)
        throws IOException
    {
        final long lastAt;
        final Path tail;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL)))
        {
            for (int i = 1; i <= 19; i++)
            {
                store.append("t", null, payload(i));
            }
            tail = store.index().lastBlock().file();
            lastAt = store.index().lastBlock().writeOffset();
            store.append("t", null, payload(20));
        }
        try (FileChannel channel = FileChannel.open(tail, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            final long at = lastAt + RecordDescriptor.HEADER_LENGTH + 2;
            channel.read(one, at);
            one.put(0, (byte)~one.get(0)).rewind();
            channel.write(one, at);
        }
        Files.delete(dir.resolve(StreamDirectory.STATE_FILE));
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            StreamView view = openView(mode))
        {
            assertThat(store.recoveryReport().lost()).extracting(RecoveryReport.LostRange::lastSeq).contains(20L);
            assertThat(store.load(20)).isNull();
            assertThat(view.load(20)).isNull();
            assertThat(view.load(19).seq()).isEqualTo(19);
            assertSameState(store, view);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void reportsATruncationOnceAndFollowsTheNewTimeline(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            StreamView view = openView(mode);
            StreamTailer tailer = view.createTailer(1))
        {
            for (int i = 1; i <= 300; i++)
            {
                store.append("t", null, payload(i));
            }
            drain(tailer);
            store.truncate(120);
            for (int i = 121; i <= 200; i++)
            {
                store.append("t", null, ("again-" + i).getBytes(StandardCharsets.UTF_8));
            }
            assertThatThrownBy(() -> tailer.poll(this::record, 10))
                .isInstanceOfSatisfying(StreamTruncatedException.class, (ex) ->
                {
                    assertThat(ex.truncatedTo()).isEqualTo(120);
                    assertThat(ex.tailerSeq()).isEqualTo(301);
                });
            assertThat(tailer.nextSeq()).isEqualTo(121);
            seen.clear();
            payloads.clear();
            drain(tailer);
            assertThat(seen).hasSize(80).startsWith(121L).endsWith(200L);
            assertThat(payloads).allMatch((p) -> p.startsWith("again-"));
            assertThat(view.load(150).payload()).isEqualTo("again-150".getBytes(StandardCharsets.UTF_8));
            assertThat(view.load(250)).isNull();
            assertSameState(store, view);
        }
    }

    /**
     * A handler that reads again (a load, a read, a lookup) finds the view it was handed still on its own message: in a
     * view's read, in a view tailer's poll, and in the writer's read, whose encrypted records are decrypted into a
     * buffer of the reading thread's.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aReadInsideAHandlerLeavesTheHandlersViewOnItsOwnMessage(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            StreamView view = openView(mode))
        {
            for (int i = 1; i <= 10; i++)
            {
                store.append("n." + i, null, payload(i));
            }
            for (final StreamView reader : List.of(store, view))
            {
                final List<String> handed = new ArrayList<>();
                assertThat(reader.read(3, (outer) ->
                {
                    handed.add(describe(outer));
                    assertThat(reader.load(7).payload()).isEqualTo(payload(7));
                    assertThat(reader.read(8, (inner) ->
                    {
                        assertThat(reader.read(9, (innermost) -> handed.add(describe(innermost)))).isTrue();
                        handed.add(describe(inner));
                    })).isTrue();
                    assertThat(reader.loadNext("n.5", 1).seq()).isEqualTo(5);
                    assertThat(reader.loadLast("n.6").seq()).isEqualTo(6);
                    handed.add(describe(outer));
                })).isTrue();
                assertThat(handed).as("%s", reader).containsExactly("3 n.3 payload-3", "9 n.9 payload-9",
                    "8 n.8 payload-8", "3 n.3 payload-3");
            }
            final List<String> polled = new ArrayList<>();
            try (StreamTailer tailer = view.createTailer(3))
            {
                assertThat(tailer.poll((message) ->
                {
                    final String before = describe(message);
                    assertThat(view.load(message.seq() + 1)).isNotNull();
                    assertThat(view.read(1, (first) -> assertThat(first.seq()).isEqualTo(1))).isTrue();
                    polled.add(before + (describe(message).equals(before) ? "" : " became " + describe(message)));
                }, 2)).isEqualTo(2);
            }
            assertThat(polled).containsExactly("3 n.3 payload-3", "4 n.4 payload-4");
        }
    }

    private static String describe(final MessageView message)
    {
        return message.seq() + " " + message.subject() + " " + new String(message.payload(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void survivesTheWriterClosingAndANewWriterOpening(final StreamMode mode)
    {
        FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
        for (int i = 1; i <= 150; i++)
        {
            store.append("w", null, payload(i));
        }
        try (ReadOnlyStream view = (ReadOnlyStream)openView(mode);
            StreamTailer tailer = view.createTailer(1))
        {
            final long epoch = view.writerEpoch();
            assertThat(view.writerOpen()).isTrue();
            assertThat(view.writerPid()).isEqualTo(ProcessHandle.current().pid());
            store.close();
            assertThat(view.writerOpen()).isFalse();
            drain(tailer);
            assertThat(seen).hasSize(150);

            store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            assertThat(view.writerEpoch()).isEqualTo(epoch + 1);
            for (int i = 151; i <= 300; i++)
            {
                store.append("w", null, payload(i));
            }
            drain(tailer);
            assertThat(seen).hasSize(300);
            for (int i = 0; i < 300; i++)
            {
                assertThat(payloads.get(i)).isEqualTo("payload-" + (i + 1));
            }
            assertSameState(store, view);
        }
        finally
        {
            store.close();
        }
    }

    /**
     * The writer truncates, appends and closes, and a new writer opens, all before the tailer looks again: the new
     * writer's epoch alone would say nothing about the sequences below its last one, so the tailer must still be told
     * how far back the stream went and deliver the new timeline from there — whether the new writer's last sequence
     * is past what the tailer had delivered ({@code appendedAfter} 120) or not (80).
     */
    @ParameterizedTest
    @CsvSource({"PLAINTEXT, 120", "PLAINTEXT, 80", "ENCRYPTED, 120", "ENCRYPTED, 80"})
    void aTruncationBeforeTheWriterRestartedIsReportedAndTheNewTimelineDelivered(
        final StreamMode mode, final int appendedAfter)
    {
        FileStreamStore store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
        for (int i = 1; i <= 100; i++)
        {
            store.append("t", null, payload(i));
        }
        try (StreamView view = openView(mode);
            StreamTailer tailer = view.createTailer(1))
        {
            drain(tailer);
            assertThat(seen).hasSize(100);
            store.truncate(50);
            for (int i = 51; i <= appendedAfter; i++)
            {
                store.append("t", null, ("again-" + i).getBytes(StandardCharsets.UTF_8));
            }
            store.close();
            store = FileStreamStore.open(dir, config(mode, SyncMode.INTERVAL));
            for (int i = appendedAfter + 1; i <= appendedAfter + 10; i++)
            {
                store.append("t", null, ("again-" + i).getBytes(StandardCharsets.UTF_8));
            }

            assertThatThrownBy(() -> tailer.poll(this::record, 10))
                .isInstanceOfSatisfying(StreamTruncatedException.class,
                    (ex) -> assertThat(ex.truncatedTo()).isEqualTo(50));
            seen.clear();
            payloads.clear();
            drain(tailer);
            assertThat(seen).hasSize(appendedAfter + 10 - 50).startsWith(51L).endsWith(appendedAfter + 10L);
            assertThat(payloads).allMatch((p) -> p.startsWith("again-"));
            assertSameState(store, view);
        }
        finally
        {
            store.close();
        }
    }

    @Test
    void aDurableOnlyTailerSeesNothingBeyondTheDurableSequence()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT, SyncMode.NONE));
            StreamView view = FileStreamStore.openReadOnly(dir);
            StreamTailer durable = view.createTailer(1, true))
        {
            for (int i = 1; i <= 20; i++)
            {
                store.append("d", null, payload(i));
            }
            assertThat(durable.isDurableOnly()).isTrue();
            assertThat(durable.poll(this::record, 100)).isZero();
            assertThat(store.flush().join()).isEqualTo(20);
            assertThat(view.durableSeq()).isEqualTo(20);
            assertThat(durable.poll(this::record, 100)).isEqualTo(20);
        }
    }

    @Test
    void aPollAllocatesNothingPerMessage()
    {
        final ThreadMXBean threads = (ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("view").blockSize(256 * 1024)
            .maxMsgSize(1024).build()))
        {
            final int messages = 100_000;
            final byte[] payload = new byte[128];
            for (int i = 0; i < messages; i++)
            {
                store.append("v.j", null, payload);
            }
            final long[] sum = new long[1];
            final MessageHandler handler = (m) -> sum[0] += m.payloadLength();
            try (StreamView view = FileStreamStore.openReadOnly(dir);
                StreamTailer tailer = view.createTailer(1))
            {
                for (int round = 0; round < 5; round++)
                {
                    tailer.seek(1);
                    while (tailer.poll(handler, 64) > 0)
                    {
                        // warm up
                    }
                }
                tailer.seek(1);
                final long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
                long delivered = 0;
                int n;
                while ((n = tailer.poll(handler, 64)) > 0)
                {
                    delivered += n;
                }
                int emptyPolls = 0;
                for (int i = 0; i < 1_000; i++)
                {
                    emptyPolls += tailer.poll(handler, 64) == 0 ? 1 : 0;
                }
                final long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
                assertThat(delivered).isEqualTo(messages);
                assertThat(emptyPolls).isEqualTo(1_000);
                // Entering a block costs the checksum's view of its mapping (Crc32c), so the bound is per block.
                final long blocks = store.index().blockCount();
                assertThat(allocated).as("bytes allocated over %d messages in %d blocks", messages, blocks)
                    .isLessThan(1_024 + 128 * blocks).isLessThan(messages / 10);
            }
            assertThat(sum[0]).isEqualTo(6L * messages * 128);
        }
    }

    @Test
    void neverTakesTheLockSoASecondWriterIsStillRefused() throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(StreamMode.PLAINTEXT, SyncMode.INTERVAL)))
        {
            store.append("l", null, payload(1));
            try (StreamView view = FileStreamStore.openReadOnly(dir))
            {
                assertThat(view.load(1)).isNotNull();
            }
            assertThatThrownBy(() -> FileStreamStore.open(dir, config(StreamMode.PLAINTEXT, SyncMode.INTERVAL)))
                .isInstanceOf(StreamLockedException.class);
            store.append("l", null, payload(2));
        }
        final Map<Path, String> before = image(dir);
        try (StreamView view = FileStreamStore.openReadOnly(dir))
        {
            assertThat(view.load(2).payload()).isEqualTo(payload(2));
            assertThat(view.state().msgs()).isEqualTo(2);
            final StreamTailer tailer = view.createTailer(1);
            drain(tailer);
        }
        assertThat(image(dir)).isEqualTo(before);
    }

    @Test
    void refusesAMissingDirectoryByName() throws IOException
    {
        final Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> FileStreamStore.openReadOnly(missing))
            .isInstanceOf(StoreException.class).hasMessageContaining(missing.toString());
        assertThat(Files.exists(missing)).isFalse();
    }

    @Test
    void refusesADirectoryHoldingNoStream() throws IOException
    {
        Files.writeString(dir.resolve("notes.txt"), "not a stream");
        final Map<Path, String> before = image(dir);
        assertThatThrownBy(() -> FileStreamStore.openReadOnly(dir))
            .isInstanceOf(StoreException.class).hasMessageContaining("stream.json")
            .hasMessageContaining(dir.toString());
        assertThat(image(dir)).isEqualTo(before);
    }

    @Test
    void refusesAWrongOrMissingKeyAndAKeyForAPlaintextStream() throws IOException
    {
        final Path plain = dir.resolve("plain");
        final Path secret = dir.resolve("secret");
        FileStreamStore.open(plain, config(StreamMode.PLAINTEXT, SyncMode.INTERVAL)).close();
        try (FileStreamStore store = FileStreamStore.open(secret, config(StreamMode.ENCRYPTED, SyncMode.INTERVAL)))
        {
            store.append("k", null, payload(1));
        }
        final Map<Path, String> before = image(dir);
        assertThatThrownBy(() -> FileStreamStore.openReadOnly(secret, StreamMode.WRONG_KEY))
            .isInstanceOf(StoreException.class).hasMessageContaining("key does not match")
            .hasMessageContaining("stream.key");
        assertThatThrownBy(() -> FileStreamStore.openReadOnly(secret))
            .isInstanceOf(StoreException.class).hasMessageContaining("encrypted")
            .hasMessageContaining(secret.toString());
        assertThatThrownBy(() -> FileStreamStore.openReadOnly(plain, StreamMode.KEY))
            .isInstanceOf(StoreException.class).hasMessageContaining("not encrypted")
            .hasMessageContaining(plain.toString());
        try (StreamView view = FileStreamStore.openReadOnly(secret, StreamMode.KEY))
        {
            assertThat(view.load(1).payload()).isEqualTo(payload(1));
        }
        assertThat(image(dir)).isEqualTo(before);
    }

    @Test
    void refusesAStreamWithoutPublishedPositionsOrWhoseWriterIsRecovering() throws IOException
    {
        FileStreamStore.open(dir, config(StreamMode.PLAINTEXT, SyncMode.INTERVAL)).close();
        final Path positions = dir.resolve(PositionsDescriptor.FILE_NAME);
        // What a writer that died inside recovery leaves behind.
        try (FileChannel channel = FileChannel.open(positions, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MappedByteBuffer area = channel.map(FileChannel.MapMode.READ_WRITE, 0, PositionsDescriptor.LENGTH);
            area.order(ByteOrder.LITTLE_ENDIAN).putInt(PositionsDescriptor.WRITER_STATE_OFFSET,
                PositionsDescriptor.STATE_RECOVERING);
            area.force();
        }
        Map<Path, String> before = image(dir);
        assertThatThrownBy(() -> FileStreamStore.openReadOnly(dir))
            .isInstanceOf(StoreException.class).hasMessageContaining("recovering")
            .hasMessageContaining(positions.toString());
        assertThat(image(dir)).isEqualTo(before);

        Files.delete(positions);
        before = image(dir);
        assertThatThrownBy(() -> FileStreamStore.openReadOnly(dir))
            .isInstanceOf(StoreException.class).hasMessageContaining("no positions file")
            .hasMessageContaining(positions.toString());
        assertThat(image(dir)).isEqualTo(before);

        // A writer opening again publishes them.
        FileStreamStore.open(dir, config(StreamMode.PLAINTEXT, SyncMode.INTERVAL)).close();
        try (StreamView view = FileStreamStore.openReadOnly(dir))
        {
            assertThat(view.lastSeq()).isZero();
        }
    }

    /**
     * {@code seqs} are gone from the writer, from {@code view} and from a view opened now; the state agrees.
     */
    private void assertRemoved(final FileStreamStore store, final StreamView view, final StreamMode mode,
        final long... seqs)
    {
        try (StreamView fresh = openView(mode))
        {
            for (final long seq : seqs)
            {
                assertThat(store.load(seq)).as("writer load(%d)", seq).isNull();
                assertThat(view.load(seq)).as("view load(%d)", seq).isNull();
                assertThat(fresh.load(seq)).as("fresh view load(%d)", seq).isNull();
            }
            assertSameState(store, view);
            assertSameState(store, fresh);
        }
    }

    private StreamView openView(final StreamMode mode)
    {
        return mode.encrypted() ? FileStreamStore.openReadOnly(dir, StreamMode.KEY) : FileStreamStore.openReadOnly(dir);
    }

    private static void assertSameState(final FileStreamStore store, final StreamView view)
    {
        final StreamState expected = store.state();
        final StreamState actual = view.state();
        assertThat(actual.msgs()).as("msgs").isEqualTo(expected.msgs());
        assertThat(actual.bytes()).as("bytes").isEqualTo(expected.bytes());
        assertThat(actual.firstSeq()).as("firstSeq").isEqualTo(expected.firstSeq());
        assertThat(actual.lastSeq()).as("lastSeq").isEqualTo(expected.lastSeq());
        assertThat(actual.firstTime()).as("firstTime").isEqualTo(expected.firstTime());
        assertThat(actual.numSubjects()).as("numSubjects").isEqualTo(expected.numSubjects());
    }

    /**
     * Waits (with a deadline) until the reclaimer deleted the files of the blocks wholly below {@code seq}.
     */
    private void awaitBlocksBelow(final FileStreamStore store, final long seq)
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (firstBlockBase(store) < seq - 80 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertThat(firstBlockBase(store)).isGreaterThanOrEqualTo(seq - 80);
    }

    private static long firstBlockBase(final FileStreamStore store)
    {
        return store.index().blocks()[0].baseSeq();
    }

    private void drain(final StreamTailer tailer)
    {
        while (tailer.poll(this::record, 64) > 0)
        {
            // until nothing is new
        }
    }

    private void record(final MessageView message)
    {
        seen.add(message.seq());
        payloads.add(new String(message.payload(), StandardCharsets.UTF_8));
    }

    /**
     * @return every file under {@code root} with its size, modification time and content hash.
     */
    static Map<Path, String> image(final Path root) throws IOException
    {
        final Map<Path, String> image = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                // LOCK is only looked at: closing a descriptor of it in this process drops a holder's lock.
                final boolean lock = "LOCK".equals(file.getFileName().toString());
                final String kind = Files.isDirectory(file) ? "dir" :
                    Files.size(file) + "@" + Files.getLastModifiedTime(file) +
                        (lock ? "" : "#" + Arrays.hashCode(Files.readAllBytes(file)));
                image.put(root.relativize(file), kind);
            }
        }
        return image;
    }

    private static StreamConfig config(final StreamMode mode, final SyncMode syncMode)
    {
        return mode.config(StreamConfig.builder("view").blockSize(4096).maxMsgSize(512).syncMode(syncMode));
    }

    private static byte[] payload(final int i)
    {
        return ("payload-" + i).getBytes(StandardCharsets.UTF_8);
    }
}
