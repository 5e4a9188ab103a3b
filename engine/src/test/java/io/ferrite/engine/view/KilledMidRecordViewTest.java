package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer killed between the two checksum stores of a record ({@code RecordWriter} stores the header's, then computes
 * and stores the record's) leaves a record whose header verifies and whose body does not, one past the last sequence
 * it published. Recovery keeps that sequence taken, reports it lost and tombstones it, and the restarted writer's last
 * sequence counts it: a reader following across the restart passes over it, without a rewind or a damage report, and
 * hands over everything before and after it. This is the interleaving behind {@code CrossProcessViewTest}'s "flushed
 * message 3547 was never handed over" (encrypted, seed 25468804625, cycle 4): 3547 was the killed writer's torn last
 * record and the new writer's {@code OPEN 3547}, which the test took for a message flushed by the new writer's first
 * flushes. Here the kill is made by hand in one JVM: the record's checksum is zeroed, as it stood in the mapping when
 * the writer died, and the {@code state.db} from before it is put back, as a killed writer leaves no newer one.
 */
class KilledMidRecordViewTest
{
    private static final int BEFORE = 30;
    private static final int AFTER = 9;

    @TempDir
    Path dir;

    private final List<Long> seen = new ArrayList<>();

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aReaderPassesOverTheSequenceAWriterKilledMidRecordLeftTornAndTheNextWriterCounts(final StreamMode mode)
        throws IOException
    {
        final StreamConfig config = mode.config(StreamConfig.builder("killed").blockSize(8 * 1024).maxMsgSize(512));
        final Path stateBefore = KilledWriter.writeAndSaveState(dir, config, BEFORE);

        try (ReadOnlyStream view = ReadOnlyStream.open(dir, mode.encrypted() ? StreamMode.KEY : null);
            StreamTailer tailer = view.createTailer(1))
        {
            drain(tailer);
            assertThat(seen).as("%s: what the first writer published", mode).hasSize(BEFORE);

            // The writer that is killed: it stored record 31's header and header checksum, and died before the
            // record checksum; it never published 31, and the reader never looked while it ran.
            final long torn = BEFORE + 1;
            try (FileStreamStore store = FileStreamStore.open(dir, config))
            {
                KilledWriter.append(store, torn, torn);
            }
            KilledWriter.tearLastRecord(dir, torn, stateBefore);

            final long opened;
            final long flushed;
            try (FileStreamStore store = FileStreamStore.open(dir, config))
            {
                final RecoveryReport report = store.recoveryReport();
                assertThat(report.lost()).as("%s: %s", mode, report).singleElement().satisfies((range) ->
                {
                    assertThat(range.kind()).isEqualTo(RecoveryReport.Kind.TORN_TAIL);
                    assertThat(range.firstSeq()).isEqualTo(torn);
                    assertThat(range.lastSeq()).isEqualTo(torn);
                });
                opened = store.lastSeq();
                assertThat(opened).as("%s: the torn sequence stays taken (ViewWriterChild prints it as OPEN)", mode)
                    .isEqualTo(torn);
                KilledWriter.append(store, torn + 1, torn + AFTER);
                flushed = store.flush().join();
                assertThat(store.load(torn)).isNull();
            }

            while (tailer.nextSeq() <= flushed)
            {
                assertThat(tailer.poll(this::record, 64)).as("%s: the reader moves on", mode).isPositive();
            }
            assertThat(seen).as("%s: flushed up to %d, %d never handed over", mode, flushed, torn)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, flushed).filter((s) -> s != torn).boxed()
                    .toList());
            assertThat(view.load(torn)).as("%s: the view never shows the torn record", mode).isNull();
            assertThat(view.state().lastSeq()).isEqualTo(flushed);
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
