package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.ProcessIdentity;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.BlockFiles.Frame;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.MessageView;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A damaged record header in a sealed block — one the writer has moved past — does not hide the records after it from
 * a read-only view: the view looks past the damage for the next record whose header verifies, as the writer's own
 * scan does, and the sequences the damaged bytes held fail reads with {@link CorruptRecordException} naming the file
 * and offset — never read as absent, and never passed over by a tailer in silence.
 */
class ViewDamagedHeaderTest
{
    private static final int MESSAGES = 400;

    @TempDir
    Path dir;

    private final List<Long> seen = new ArrayList<>();

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void theRecordsAfterADamagedHeaderStayReadable(final StreamMode mode) throws IOException
    {
        writeAndClose(mode);
        final long victim = victimInsideSecondBlock();
        final Frame frame = zeroHeader(block(2), victim);

        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null))
        {
            assertThat(view.load(victim + 1).payload()).as("the record after the damage")
                .isEqualTo(payload((int)victim + 1));
            assertDamaged(view, victim, frame.offset());
            assertEveryOtherLoads(view, victim);
            assertTailerStopsOnlyAt(view, victim);
        }
    }

    /**
     * Damage to the last record of a sealed block: nothing valid follows it there, but the next block's header says
     * which sequence the block ended with, so it is damage, not the end of the block's data.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aDamagedLastRecordOfASealedBlockIsDamageNotItsEnd(final StreamMode mode) throws IOException
    {
        writeAndClose(mode);
        final List<Frame> frames = messages(block(2));
        final long victim = frames.get(frames.size() - 1).seq();
        final Frame frame = zeroHeader(block(2), victim);

        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null))
        {
            assertDamaged(view, victim, frame.offset());
            assertEveryOtherLoads(view, victim);
            assertTailerStopsOnlyAt(view, victim);
        }
    }

    /**
     * A tombstone right after the damaged record does not end what the damage is known to hold: the sequences are
     * known at the next message.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTombstoneAfterTheDamageDoesNotHideIt(final StreamMode mode) throws IOException
    {
        final long victim;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            long seq = 0;
            while (seq < 3 + firstOf(2))
            {
                seq = store.append("damage." + (seq % 3), null, payload((int)seq + 1));
            }
            victim = seq;
            // The removal's tombstone goes right after the victim's record, in block 2.
            assertThat(store.remove(3)).isTrue();
            for (long next = seq + 1; next <= MESSAGES; next++)
            {
                assertThat(store.append("damage." + (next % 3), null, payload((int)next))).isEqualTo(next);
            }
            assertThat(store.stats().blocksCreated()).isGreaterThan(3);
        }
        final Frame frame = zeroHeader(block(2), victim);

        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null))
        {
            assertDamaged(view, victim, frame.offset());
            assertThat(view.load(3)).isNull();
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                if (seq != victim && seq != 3)
                {
                    assertThat(view.load(seq).payload()).as("seq %d", seq).isEqualTo(payload((int)seq));
                }
            }
        }
    }

    /**
     * A view beside the open writer: damage in the block the writer appends to, below the last sequence it published,
     * is passed at once — every record up to that sequence was written whole before it was published, so a header
     * there that does not verify is damage, not the end of the data. The records after it are read, a tailer stops on
     * the damaged sequence (it used to pass over it, and over everything after it in the block, in silence), and the
     * view follows the writer on, in the same block and after the roll.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aViewBesideTheOpenWriterPassesDamageInTheBlockItAppendsTo(final StreamMode mode) throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final long seq = appendIntoBlock2(store);
            final long victim = seq - 3;
            final Frame frame = zeroHeader(block(2), victim);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
                StreamTailer tailer = view.createTailer(1))
            {
                assertThat(view.load(victim + 1).payload()).as("in the writer's block, past the damage")
                    .isEqualTo(payload((int)victim + 1));
                assertDamaged(view, victim, frame.offset());
                drain(tailer, victim - 1);
                assertThatThrownBy(() -> tailer.poll(this::record, 64)).isInstanceOf(CorruptRecordException.class);
                assertThat(tailer.nextSeq()).as("the tailer stays on the damaged record").isEqualTo(victim);
                tailer.seek(victim + 1);
                drain(tailer, seq - victim);

                long next = seq;
                while (!Files.exists(block(4)))
                {
                    next = store.append("damage." + (next % 3), null, payload((int)next + 1));
                }
                drain(tailer, next - seq);
                assertThat(tailer.poll(this::record, 64)).isZero();
                assertDamaged(view, victim, frame.offset());
                for (long s = 1; s <= next; s++)
                {
                    if (s != victim)
                    {
                        assertThat(view.load(s).payload()).as("seq %d", s).isEqualTo(payload((int)s));
                    }
                }
                assertThat(seen).hasSize((int)next - 1).doesNotContain(victim).last().isEqualTo(next);
            }
        }
    }

    /**
     * Damage to the last published record of the writer's block: nothing valid follows it yet, and the published last
     * sequence says it is there, so it is damage at once; the records the writer puts after it are read as they come.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void damageToTheLastRecordTheWriterPublishedIsDamageNotItsEnd(final StreamMode mode) throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final long victim = appendIntoBlock2(store);
            final Frame frame = zeroHeader(block(2), victim);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
                StreamTailer tailer = view.createTailer(1))
            {
                drain(tailer, victim - 1);
                assertThatThrownBy(() -> tailer.poll(this::record, 64)).isInstanceOf(CorruptRecordException.class);
                assertDamaged(view, victim, frame.offset());

                for (int i = 1; i <= 3; i++)
                {
                    assertThat(store.append("damage." + i, null, payload((int)victim + i))).isEqualTo(victim + i);
                }
                assertThat(block(3)).as("still the writer's block").doesNotExist();
                assertThat(view.load(victim + 1).payload()).isEqualTo(payload((int)victim + 1));
                assertDamaged(view, victim, frame.offset());
                tailer.seek(victim + 1);
                drain(tailer, 3);
                assertThat(seen).hasSize((int)victim + 2).doesNotContain(victim).last().isEqualTo(victim + 3);
            }
        }
    }

    /**
     * The last block's rule needs a writer that keeps the truncation-begun count: one from before the count existed
     * (its field names another epoch) cannot show its truncation's zeros for what they are, so the look ends at such
     * damage in its block, as it always did.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void damageInTheBlockOfAnOlderWriterEndsTheLook(final StreamMode mode) throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            final long victim = appendIntoBlock2(store) - 3;
            zeroHeader(block(2), victim);
            BlockFiles.putLong(positionsFile(), PositionsDescriptor.BEGUN_KEPT_BY_OFFSET, 0);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null))
            {
                assertThat(view.load(victim - 1).payload()).isEqualTo(payload((int)victim - 1));
                assertThat(view.load(victim)).isNull();
                assertThat(view.load(victim + 1)).as("past the damage is not looked at").isNull();
            }
        }
    }

    /**
     * A writer that no longer runs (killed, or gone in a power cut, which can leave its unforced positions ahead of
     * the disk) vouches only for what a completed force covers: damage in its block above its durable sequence ends
     * the look, as it always did; once a force covers it, it is passed.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aDeadWritersBlockIsKnownWholeOnlyUpToItsDurableSequence(final StreamMode mode) throws Throwable
    {
        assertKnownWholeOnlyUpToDurableAfter(mode, this::markWriterDead);
    }

    /**
     * The same when the writer's process id names another process now (an id reused, after a reboot say): its start,
     * which the writer stored beside the id, tells the view the writer is gone.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aWriterWhoseIdNamesAnotherProcessVouchesOnlyForItsDurableSequence(final StreamMode mode) throws Throwable
    {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")),
            "needs /proc/<pid>/stat (Linux): elsewhere the writer is known by its process id alone");
        assertKnownWholeOnlyUpToDurableAfter(mode, () -> BlockFiles.putLong(positionsFile(),
            PositionsDescriptor.WRITER_START_OFFSET, ProcessIdentity.startTicks(ProcessHandle.current().pid()) - 1));
    }

    private void assertKnownWholeOnlyUpToDurableAfter(final StreamMode mode, final Executable writerGone)
        throws Throwable
    {
        try (FileStreamStore store = FileStreamStore.open(dir, mode.config(
            StreamConfig.builder("damage").blockSize(4096).maxMsgSize(512).syncMode(SyncMode.NONE))))
        {
            final long last = appendIntoBlock2(store);
            final long victim = last - 3;
            final Frame frame = zeroHeader(block(2), victim);
            writerGone.execute();
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null))
            {
                assertThat(view.durableSeq()).as("block 2 not forced").isLessThan(victim);
                assertThat(view.load(victim + 1)).as("not known whole").isNull();

                store.flush().join();
                assertThat(view.durableSeq()).isEqualTo(last);
                assertThat(view.load(victim + 1).payload()).isEqualTo(payload((int)victim + 1));
                assertDamaged(view, victim, frame.offset());
            }
        }
    }

    /**
     * A writer that closed forced everything it published: damage in its last block is passed.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void theLastBlockOfAClosedStreamIsKnownWhole(final StreamMode mode) throws Exception
    {
        final long victim;
        final Frame frame;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            victim = appendIntoBlock2(store) - 3;
            frame = zeroHeader(block(2), victim);
        }
        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
            StreamTailer tailer = view.createTailer(1))
        {
            assertThat(view.writerOpen()).isFalse();
            assertThat(view.load(victim + 1).payload()).isEqualTo(payload((int)victim + 1));
            assertDamaged(view, victim, frame.offset());
            drain(tailer, victim - 1);
            assertThatThrownBy(() -> tailer.poll(this::record, 64)).as("not passed over in silence")
                .isInstanceOf(CorruptRecordException.class);
        }
    }

    /**
     * A writer killed inside a truncation leaves its begun count above its count: no truncation is under way then, so
     * a view does not wait for one — a seek by time, which waits out a writer that moves, gets through.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationWhoseWriterDiedIsNotUnderWay(final StreamMode mode) throws Exception
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            appendAll(store);
            BlockFiles.putLong(positionsFile(), PositionsDescriptor.TRUNCATION_BEGUN_OFFSET, 1);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
                StreamTailer tailer = view.createTailer(1))
            {
                assertThat(view.writerMoved()).as("a truncation under way, the writer running").isTrue();
                markWriterDead();
                // A call refreshes: the writer's liveness is asked again after it.
                assertThat(view.load(1).payload()).isEqualTo(payload(1));
                assertThat(view.writerMoved()).as("its writer died").isFalse();
                tailer.seek(Instant.EPOCH);
                drain(tailer, MESSAGES);
                assertThat(seen).hasSize(MESSAGES).last().isEqualTo((long)MESSAGES);
            }
        }
    }

    /**
     * @return the last sequence appended, a few past the first in block 2, which stays the writer's.
     */
    private long appendIntoBlock2(final FileStreamStore store) throws IOException
    {
        long seq = 0;
        while (seq < 6 + firstOf(2))
        {
            seq = store.append("damage." + (seq % 3), null, payload((int)seq + 1));
        }
        assertThat(block(3)).as("block 2 is the writer's").doesNotExist();
        return seq;
    }

    /**
     * Point the positions file at a process that exited: the writer no longer runs, as far as a reader can tell.
     */
    private void markWriterDead() throws Exception
    {
        final Process exited = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(exited.waitFor(60, TimeUnit.SECONDS)).isTrue();
        BlockFiles.putLong(positionsFile(), PositionsDescriptor.WRITER_PID_OFFSET, exited.pid());
    }

    private Path positionsFile()
    {
        return dir.resolve(PositionsDescriptor.FILE_NAME);
    }

    /**
     * A truncation that fails after it began (here the force of the zeroed tail) stores its begun count back: a view
     * does not take the writer for one truncating for good — it reads the zeros the failure left as what they are,
     * damage below the last sequence, and its reads and tailers go on.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationThatFailsIsNotUnderWayForever(final StreamMode mode) throws Exception
    {
        final AtomicReference<Path> failForce = new AtomicReference<>();
        final StorageIO io = beforeFileForce((file) ->
        {
            if (file.equals(failForce.get()))
            {
                throw new IOException("injected EIO forcing " + file);
            }
        });
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode), io))
        {
            appendAll(store);
            store.flush().join();
            final Path writers = writersBlock();
            final List<Frame> frames = messages(writers);
            final long cut = frames.get(frames.size() / 2).seq();
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null))
            {
                assertThat(view.load(cut + 1).payload()).isEqualTo(payload((int)cut + 1));
                failForce.set(writers);
                assertThatThrownBy(() -> store.truncate(cut)).isInstanceOf(StoreIOException.class);
                failForce.set(null);

                assertThat(view.writerMoved()).as("no truncation under way").isFalse();
                assertThat(view.lastSeq()).as("nothing published").isEqualTo(MESSAGES);
                assertThat(view.load(cut).payload()).isEqualTo(payload((int)cut));
                assertThatThrownBy(() -> view.load(cut + 1)).as("the zeros the failure left")
                    .isInstanceOf(CorruptRecordException.class)
                    .hasMessageContaining(writers.getFileName().toString());
            }
        }
    }

    /**
     * A removal that names the damaged sequence explains it: reads find nothing there and a tailer passes over it.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aRemovedSequenceInDamagedBytesIsPassedOver(final StreamMode mode) throws IOException
    {
        final long victim;
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            appendAll(store);
            victim = victimInsideSecondBlock();
            assertThat(store.remove(victim)).isTrue();
        }
        zeroHeader(block(2), victim);
        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
            StreamTailer tailer = view.createTailer(1))
        {
            assertThat(view.load(victim)).isNull();
            drain(tailer, MESSAGES - 1);
            assertThat(tailer.poll(this::record, 64)).isZero();
        }
        assertThat(seen).hasSize(MESSAGES - 1).doesNotContain(victim).last().isEqualTo((long)MESSAGES);
    }

    /**
     * A truncation cutting into block 2 deletes the blocks after it and zeroes block 2's tail before it publishes its
     * count: a view that listed the blocks before the cut and looks at block 2 in that window sees zeros below the last
     * sequence block 3's header names. That is no damage: catching up finds the blocks gone, drops the index, and the
     * read looks again. Whether the view had indexed block 2 before or meets it first in the window.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationUnderWayIsNoDamage(final StreamMode mode) throws Exception
    {
        truncationRace(mode, false);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationUnderWayIsNoDamageToAnIndexedBlock(final StreamMode mode) throws Exception
    {
        truncationRace(mode, true);
    }

    /**
     * A truncation cutting into the block the writer appends to deletes no block, so nothing a view lists changes
     * before it publishes its count; it stores its begun count before it zeroes the tail, and a view that meets the
     * zeros below the last sequence it read takes them for the truncation under way, not for damage — whether it meets
     * them first in the window (they would be damage in the writer's block) or had indexed the record they replaced.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationUnderWayInTheWritersBlockIsNoDamage(final StreamMode mode) throws Exception
    {
        truncationRace(mode, false, true, false);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationUnderWayInTheWritersBlockIsNoDamageToAnIndexedRecord(final StreamMode mode) throws Exception
    {
        truncationRace(mode, true, true, false);
    }

    /**
     * A writer from before the truncation-begun count: a cut that deletes blocks is told apart as it was before the
     * count existed (catching up finds a block gone and looks again), the writer's block being taken for no more than
     * the end of the data.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationUnderWayOfAnOlderWriterIsNoDamageAsBefore(final StreamMode mode) throws Exception
    {
        truncationRace(mode, false, false, true);
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationUnderWayOfAnOlderWriterIsNoDamageToAnIndexedBlockAsBefore(final StreamMode mode) throws Exception
    {
        truncationRace(mode, true, false, true);
    }

    private void truncationRace(final StreamMode mode, final boolean indexFirst) throws Exception
    {
        truncationRace(mode, indexFirst, false, false);
    }

    /**
     * @param inWritersBlock whether the cut falls in the block the writer appends to (else in block 2, with blocks
     *                       after it).
     * @param olderWriter    whether the writer's positions say it keeps no truncation-begun count.
     */
    private void truncationRace(
        final StreamMode mode, final boolean indexFirst, final boolean inWritersBlock, final boolean olderWriter)
        throws Exception
    {
        final AtomicReference<Runnable> onForce = new AtomicReference<>();
        final AtomicReference<Path> cutBlock = new AtomicReference<>(block(2));
        // The zeros are written before the force of the cut block's tail: a hook there runs after them.
        final StorageIO io = beforeFileForce((file) ->
        {
            final Runnable hook = file.equals(cutBlock.get()) ? onForce.getAndSet(null) : null;
            if (null != hook)
            {
                hook.run();
            }
        });
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode), io))
        {
            appendAll(store);
            store.flush().join();
            if (inWritersBlock)
            {
                cutBlock.set(writersBlock());
            }
            if (olderWriter)
            {
                BlockFiles.putLong(dir.resolve(PositionsDescriptor.FILE_NAME), PositionsDescriptor.BEGUN_KEPT_BY_OFFSET,
                    0);
            }
            final List<Frame> frames = messages(cutBlock.get());
            assertThat(frames.size()).isGreaterThan(2);
            final long cut = frames.get(frames.size() / 2).seq();
            // The truncation stops in its force of the cut block's zeroed tail, before it publishes its count, until
            // the view has read.
            final CountDownLatch zeroed = new CountDownLatch(1);
            final CountDownLatch viewRead = new CountDownLatch(1);
            onForce.set(() ->
            {
                zeroed.countDown();
                await(viewRead);
            });
            final Thread truncation = new Thread(() -> store.truncate(cut), "truncation");
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null))
            {
                if (indexFirst)
                {
                    assertThat(view.load(cut + 1).payload()).isEqualTo(payload((int)cut + 1));
                }
                view.pauseAfterRefresh(() ->
                {
                    view.pauseAfterRefresh(null);
                    truncation.start();
                    await(zeroed);
                });
                try
                {
                    assertThat(view.load(cut + 1)).as("cut, not damaged").isNull();
                }
                finally
                {
                    viewRead.countDown();
                    truncation.join();
                }
                assertThat(view.lastSeq()).isEqualTo(cut);
                assertThat(view.load(cut).payload()).isEqualTo(payload((int)cut));
            }
        }
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            assertThat(latch.await(30, TimeUnit.SECONDS)).as("latch").isTrue();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    private static void appendAll(final FileStreamStore store)
    {
        for (int i = 1; i <= MESSAGES; i++)
        {
            assertThat(store.append("damage." + (i % 3), null, payload(i))).isEqualTo(i);
        }
    }

    /**
     * @return the standard I/O, with {@code hook} run before every file force (a throw there fails the force).
     */
    private static StorageIO beforeFileForce(final FileForceHook hook)
    {
        return new StorageIO()
        {
            @Override
            public void forceBlock(final Path file, final FileChannel channel, final MappedByteBuffer mapped,
                final int from, final int to, final boolean metadata) throws IOException
            {
                StorageIO.standard().forceBlock(file, channel, mapped, from, to, metadata);
            }

            @Override
            public void forceFile(final Path file, final FileChannel channel) throws IOException
            {
                hook.beforeForce(file);
                StorageIO.standard().forceFile(file, channel);
            }

            @Override
            public void syncDirectory(final Path directory) throws IOException
            {
                StorageIO.standard().syncDirectory(directory);
            }
        };
    }

    @FunctionalInterface
    private interface FileForceHook
    {
        void beforeForce(Path file) throws IOException;
    }

    private void writeAndClose(final StreamMode mode)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config(mode)))
        {
            appendAll(store);
            assertThat(store.stats().blocksCreated()).isGreaterThan(3);
        }
    }

    private void assertDamaged(final ReadOnlyStream view, final long victim, final long offset)
    {
        assertThatThrownBy(() -> view.load(victim)).isInstanceOf(CorruptRecordException.class)
            .hasMessageContaining(block(2).getFileName().toString())
            .satisfies((ex) -> assertThat(((StoreException)ex).seq()).isEqualTo(victim))
            .satisfies((ex) -> assertThat(((StoreException)ex).offset()).isEqualTo(offset));
    }

    private static void assertEveryOtherLoads(final ReadOnlyStream view, final long victim)
    {
        for (long seq = 1; seq <= MESSAGES; seq++)
        {
            if (seq != victim)
            {
                assertThat(view.load(seq).payload()).as("seq %d", seq).isEqualTo(payload((int)seq));
            }
        }
    }

    private void assertTailerStopsOnlyAt(final ReadOnlyStream view, final long victim)
    {
        try (StreamTailer tailer = view.createTailer(1))
        {
            drain(tailer, victim - 1);
            assertThat(seen).hasSize((int)victim - 1).last().isEqualTo(victim - 1);
            assertThatThrownBy(() -> tailer.poll(this::record, 64)).isInstanceOf(CorruptRecordException.class);
            assertThat(tailer.nextSeq()).as("the tailer stays on the damaged record").isEqualTo(victim);
            tailer.seek(victim + 1);
            drain(tailer, MESSAGES - victim);
        }
        assertThat(seen).hasSize(MESSAGES - 1).doesNotContain(victim).last().isEqualTo((long)MESSAGES);
    }

    /**
     * @return the first message sequence in block {@code id}; a huge number while it does not exist.
     */
    private long firstOf(final long id) throws IOException
    {
        if (!Files.exists(block(id)))
        {
            return Long.MAX_VALUE / 2;
        }
        final List<Frame> frames = messages(block(id));
        return frames.isEmpty() ? Long.MAX_VALUE / 2 : frames.get(0).seq();
    }

    private void drain(final StreamTailer tailer, final long count)
    {
        final int before = seen.size();
        while (seen.size() - before < count)
        {
            assertThat(tailer.poll(this::record, (int)Math.min(64, count - (seen.size() - before))))
                .as("poll after %d of %d", seen.size() - before, count).isPositive();
        }
    }

    private void record(final MessageView message)
    {
        seen.add(message.seq());
    }

    /**
     * @return the block the writer appends to: the last holding messages (a block prepared ahead holds none),
     * checked to hold the last of {@link #MESSAGES}.
     */
    private Path writersBlock()
    {
        final Path last = BlockFiles.blocks(dir).stream().filter((b) -> !messages(b).isEmpty()).reduce((a, b) -> b)
            .orElseThrow();
        final List<Frame> frames = messages(last);
        assertThat(frames.get(frames.size() - 1).seq()).as("the writer's block").isEqualTo(MESSAGES);
        return last;
    }

    /**
     * @return a sequence in the middle of block 2, neither its first nor its last record.
     */
    private long victimInsideSecondBlock() throws IOException
    {
        final List<Frame> frames = messages(block(2));
        assertThat(frames.size()).isGreaterThan(4);
        return frames.get(frames.size() / 2).seq();
    }

    /**
     * Zero the first 16 bytes of the record holding {@code seq}: its frame length, type, flags and sequence.
     *
     * @return its frame.
     */
    private static Frame zeroHeader(final Path file, final long seq)
    {
        final Frame frame = messages(file).stream().filter((f) -> f.seq() == seq).findFirst()
            .orElseThrow(() -> new AssertionError("no record holds " + seq));
        BlockFiles.putLong(file, frame.offset(), 0);
        BlockFiles.putLong(file, frame.offset() + Long.BYTES, 0);
        return frame;
    }

    /**
     * @return the message records of {@code file}, walking its frames.
     */
    private static List<Frame> messages(final Path file)
    {
        return BlockFiles.frames(file).stream().filter((f) -> f.type() == RecordDescriptor.TYPE_MESSAGE).toList();
    }

    private Path block(final long id)
    {
        return dir.resolve("blocks").resolve(BlockDescriptor.fileName(id));
    }

    private static StreamConfig config(final StreamMode mode)
    {
        return mode.config(StreamConfig.builder("damage").blockSize(4096).maxMsgSize(512).syncMode(SyncMode.INTERVAL));
    }

    private static byte[] payload(final int i)
    {
        return ("payload-" + i).getBytes(StandardCharsets.UTF_8);
    }
}
