package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.PositionsFile;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.store.MessageView;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamTailer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer that moves (restarts) while a view looks at the stream must not make the view pair positions of two writers,
 * nor let a look it cut short mark a block done or move a tailer past what it did not reach.
 * <p>
 * A reader descheduled inside {@link ReadOnlyStream#refresh()}, after it loaded the writer's epoch and before it loaded
 * the last sequence, while a whole new writer opens: recovers the stream, publishes, appends and rolls to a new block.
 * Paired with the epoch of the writer before, the new last sequence would index the old writer's blocks up to the new
 * horizon while every look counts as "the writer moved": the look at the block holding the record the killed writer
 * tore (its header verifies, its body does not; recovery keeps it, reports it lost and tombstones it, and appends
 * after it) stops there, the block was marked done since a later block exists, and the tailer's next look passed over
 * the live messages after the torn one in that block. The seam {@link ReadOnlyStream#pauseInRefresh} runs the new
 * writer at that point, in this JVM; the kill is made by hand as in {@link KilledMidRecordViewTest}.
 */
class WriterMovedMidLookViewTest
{
    private static final int BEFORE = 30;
    private static final int AFTER = 150;
    private static final int POLLS = 100;
    private static final int MESSAGES = 400;
    private static final long ERASED = 5;

    @TempDir
    Path dir;

    private final List<Long> seen = new ArrayList<>();

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aWriterThatOpensWhileTheReaderRefreshesIsNeitherPairedWithTheEpochBeforeNorPassedOver(final StreamMode mode)
        throws IOException
    {
        final StreamConfig config = mode.config(StreamConfig.builder("restart").blockSize(8 * 1024).maxMsgSize(512));
        final Path stateBefore = KilledWriter.writeAndSaveState(dir, config, BEFORE);

        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
            StreamTailer tailer = view.createTailer(1))
        {
            drain(tailer);
            assertThat(seen).as("%s: what the first writer published", mode).hasSize(BEFORE);

            // The writer that is killed: the reader sees its epoch, then it stores record 31 and dies before the
            // record checksum (zeroed by hand; the state.db from before put back, as a killed writer leaves no newer).
            final long torn = BEFORE + 1;
            final long epochBefore;
            try (FileStreamStore store = FileStreamStore.open(dir, config))
            {
                assertThat(tailer.poll(this::record, 64)).isZero();
                epochBefore = view.writerEpoch();
                KilledWriter.append(store, torn, torn);
            }
            final Path tornBlock = KilledWriter.tearLastRecord(dir, torn, stateBefore);

            // The next writer opens, whole, while the reader is between its epoch load and its last sequence load.
            final long[] flushed = new long[1];
            view.pauseInRefresh(() ->
            {
                view.pauseInRefresh(null);
                try (FileStreamStore store = FileStreamStore.open(dir, config))
                {
                    final RecoveryReport report = store.recoveryReport();
                    assertThat(report.lost()).as("%s: %s", mode, report).singleElement()
                        .satisfies((range) -> assertThat(range.firstSeq()).isEqualTo(torn));
                    assertThat(store.lastSeq()).as("%s: the torn sequence stays taken", mode).isEqualTo(torn);
                    KilledWriter.append(store, torn + 1, torn + AFTER);
                    flushed[0] = store.flush().join();
                }
            });

            for (int polls = 0; polls < POLLS && tailer.nextSeq() <= torn + AFTER; polls++)
            {
                tailer.poll(this::record, 64);
            }
            assertThat(flushed[0]).as("%s: the new writer ran inside the refresh", mode).isEqualTo(torn + AFTER);
            assertThat(view.writerEpoch()).isGreaterThan(epochBefore);
            if (!mode.encrypted())
            {
                // What made the look pass over messages: appends continued after the torn record, into its block,
                // and rolled to a later one (an encrypted writer reopening appends into a new block).
                assertThat(BlockFiles.frames(tornBlock)).as("records after the torn one in its block")
                    .anyMatch((f) -> f.seq() > torn + 1);
                assertThat(BlockFiles.blocks(dir)).as("a block after the torn one's").last().isNotEqualTo(tornBlock);
            }
            assertThat(seen).as("%s: flushed up to %d, %d never handed over", mode, flushed[0], torn)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, flushed[0]).filter((s) -> s != torn).boxed()
                    .toList());
            assertThat(view.load(torn)).as("%s: the view never shows the torn record", mode).isNull();
            assertThat(view.state().lastSeq()).isEqualTo(flushed[0]);
        }
    }

    /**
     * A new writer announced itself (recovering, next epoch) and has not published: a view's refresh keeps what it
     * holds, and a tailer indexing lazily meets an erased record in the first block with the writer moved. The look
     * used to stop there and mark the block done (a later block exists), and the tailer went on to the next block,
     * passing over the messages after the erased one in the first block for good. Indexing backward from the tail has
     * met the erase's tombstone by then, so the record is known removed: the look goes on past it, and every message
     * but the erased one is handed over while the writer recovers.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aLookDuringWhichTheWriterMovedNeitherMarksABlockDoneNorPassesOverWhatItDidNotReach(final StreamMode mode)
    {
        final StreamConfig config = mode.config(StreamConfig.builder("moved").blockSize(8 * 1024).maxMsgSize(512));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            KilledWriter.append(store, 1, MESSAGES);
            assertThat(store.erase(ERASED)).isTrue();
        }
        final Path firstBlock = BlockFiles.blocks(dir).get(0);
        assertThat(BlockFiles.frames(firstBlock)).as("messages after the erased one in its block")
            .anyMatch((f) -> f.seq() == ERASED + 1);
        assertThat(BlockFiles.blocks(dir)).as("blocks").hasSizeGreaterThan(2);

        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
            StreamTailer tailer = view.createTailer(1))
        {
            assertThat(view.blocksIndexed()).as("nothing indexed yet").isZero();
            // What a writer opening does before recovery touches a block: recovering, the next epoch.
            PositionsFile.openForWriter(dir);
            for (int polls = 0; polls < POLLS && tailer.poll(this::record, 64) > 0; polls++)
            {
                // what the view held before the writer moved stays visible
            }
            assertThat(view.blocksIndexed()).as("%s: every block looked at", mode).isGreaterThan(2);
            assertThat(seen).as("%s: handed over while the writer recovers", mode)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, MESSAGES).filter((s) -> s != ERASED).boxed()
                    .toList());

            try (FileStreamStore store = FileStreamStore.open(dir, config))
            {
                assertThat(store.lastSeq()).isEqualTo(MESSAGES);
            }
            for (int polls = 0; polls < POLLS && tailer.nextSeq() <= MESSAGES; polls++)
            {
                tailer.poll(this::record, 64);
            }
            assertThat(seen).as("%s: every message but the erased one, once", mode)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, MESSAGES).filter((s) -> s != ERASED).boxed()
                    .toList());
        }
    }

    /**
     * Only a look the writer's move actually cut short keeps a block open: a block looked at to its end while a new
     * writer recovers is done, even though a message of it (its last, removed by a tombstone in a later block) is not
     * listed, and the tailer goes on past it into the next blocks.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aBlockLookedAtToItsEndWhileAWriterRecoversIsDoneAndPassedOnce(final StreamMode mode)
    {
        final long removed = storeWithTheFirstBlocksLastMessageRemoved(mode);
        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
            StreamTailer tailer = view.createTailer(1))
        {
            PositionsFile.openForWriter(dir);
            for (int polls = 0; polls < POLLS && tailer.poll(this::record, 64) > 0; polls++)
            {
                // what the view held before the writer moved stays visible
            }
            assertThat(seen).as("%s: every message but the removed one, while the writer recovers", mode)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, MESSAGES).filter((s) -> s != removed).boxed()
                    .toList());
        }
    }

    /**
     * A seek by time whose walk the writer's move cuts short (a writer recovering) moves the tailer nowhere and hands
     * over nothing until a walk gets through; then it hands over from the first message at or after the time, never an
     * older one (it used to stop after the last message the cut walk passed).
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aSeekByTimeTheWritersMoveCutsShortWaitsAndNeverHandsOverAnOlderMessage(final StreamMode mode)
    {
        storeWithTheFirstBlocksLastMessageRemoved(mode);
        final StreamConfig config = mode.config(StreamConfig.builder("moved").blockSize(8 * 1024).maxMsgSize(512));
        final byte[] key = mode.encrypted() ? StreamMode.KEY : null;
        final long target = 300;
        final long nanos;
        try (ReadOnlyStream view = ReadOnlyStream.open(dir, key))
        {
            nanos = view.load(target).timestamp();
            assertThat(view.load(target - 1).timestamp()).as("an older message is older").isLessThan(nanos);
        }
        try (ReadOnlyStream view = ReadOnlyStream.open(dir, key);
            StreamTailer tailer = view.createTailer(1))
        {
            PositionsFile.openForWriter(dir);
            tailer.seek(Instant.ofEpochSecond(0, nanos));
            for (int polls = 0; polls < POLLS; polls++)
            {
                assertThat(tailer.poll(this::record, 64)).as("%s: nothing while the seek waits", mode).isZero();
            }
            try (FileStreamStore store = FileStreamStore.open(dir, config))
            {
                assertThat(store.lastSeq()).isEqualTo(MESSAGES);
            }
            for (int polls = 0; polls < POLLS && tailer.nextSeq() <= MESSAGES; polls++)
            {
                tailer.poll(this::record, 64);
            }
            assertThat(seen).as("%s: from the first message at or after the time", mode)
                .containsExactlyElementsOf(LongStream.rangeClosed(target, MESSAGES).boxed().toList());
        }
    }

    /**
     * A truncation between a reader's refresh and its look at the blocks: the look, lazy and backward from the tail,
     * meets the cut block's zeroed tail with the writer moved (its truncation count raised) and the blocks above still
     * mapped. It stops short of the last sequence the next block's header says the writer had put in the cut block, so
     * the block is not done and the tailer does not jump to the deleted blocks above: it hands over what was kept,
     * stays at the cut, and after the next refresh goes on with what the writer appends after it, told of no rewind
     * (nothing it was handed over went). It used to mark the block done and hand over the deleted blocks' messages,
     * then report the rewind.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aTruncationBetweenARefreshAndItsLookIsNotPassedOver(final StreamMode mode)
    {
        final StreamConfig config = mode.config(StreamConfig.builder("cut").blockSize(8 * 1024).maxMsgSize(512));
        final long cut;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            KilledWriter.append(store, 1, MESSAGES);
            final List<BlockFiles.Frame> frames = BlockFiles.frames(BlockFiles.blocks(dir).get(1));
            cut = frames.get(frames.size() / 2).seq();
        }
        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
            StreamTailer tailer = view.createTailer(1);
            FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(view.blocksIndexed()).as("nothing indexed yet").isZero();
            view.pauseAfterRefresh(() ->
            {
                view.pauseAfterRefresh(null);
                store.truncate(cut);
            });
            // One poll with room for the whole stream: its look is the one the truncation moved under.
            assertThat(tailer.poll(this::record, MESSAGES)).as("%s: handed over by that look", mode)
                .isEqualTo((int)cut);
            for (int polls = 0; polls < POLLS && tailer.poll(this::record, 64) > 0; polls++)
            {
                // nothing more until the writer appends
            }
            assertThat(seen).as("%s: what the truncation kept, nothing of the blocks it deleted", mode)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, cut).boxed().toList());
            assertThat(tailer.nextSeq()).isEqualTo(cut + 1);

            KilledWriter.append(store, cut + 1, cut + AFTER);
            for (int polls = 0; polls < POLLS && tailer.nextSeq() <= cut + AFTER; polls++)
            {
                tailer.poll(this::record, 64);
            }
            assertThat(seen).as("%s: then what the writer appended after the cut", mode)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, cut + AFTER).boxed().toList());
        }
    }

    /**
     * @return the sequence removed: the last message of the first of several blocks of {@link #MESSAGES} messages,
     * its record left intact, its tombstone in a later block.
     */
    private long storeWithTheFirstBlocksLastMessageRemoved(final StreamMode mode)
    {
        final StreamConfig config = mode.config(StreamConfig.builder("moved").blockSize(8 * 1024).maxMsgSize(512));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            KilledWriter.append(store, 1, MESSAGES);
            final List<BlockFiles.Frame> frames = BlockFiles.frames(BlockFiles.blocks(dir).get(0));
            final long removed = frames.get(frames.size() - 1).seq();
            assertThat(store.remove(removed)).isTrue();
            assertThat(BlockFiles.blocks(dir)).as("blocks").hasSizeGreaterThan(2);
            assertThat(removed).isLessThan(300);
            return removed;
        }
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
        assertThat(message.payload()).isEqualTo(ViewWriterChild.payload(message.seq()));
        seen.add(message.seq());
    }
}
