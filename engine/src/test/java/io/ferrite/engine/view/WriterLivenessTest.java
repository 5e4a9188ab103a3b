package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.ProcessIdentity;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whether the writer a positions file names still runs, as a view and the tools ask it: its process id and, where the
 * writer stored it, its process's start time — so a process that holds the dead writer's id later (after a reboot,
 * say) is not taken for the writer.
 */
class WriterLivenessTest
{
    private static final long STARTED = ProcessIdentity.startMillis(ProcessHandle.current());

    @TempDir
    Path dir;

    @Test
    void theWriterStoresItsStartTimeUnderItsEpoch()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("live").build()))
        {
            store.append("s", null, new byte[8]);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, null))
            {
                assertThat(BlockFiles.getLong(positions(), PositionsDescriptor.WRITER_STARTED_OFFSET))
                    .isEqualTo(STARTED);
                assertThat(BlockFiles.getLong(positions(), PositionsDescriptor.STARTED_KEPT_BY_OFFSET))
                    .isEqualTo(view.writerEpoch());
                assertThat(view.writerOpen()).isTrue();
                assertThat(WriterStatus.read(dir).live()).isTrue();
            }
        }
        assertThat(WriterStatus.read(dir).live()).as("closed").isFalse();
    }

    /**
     * The writer's id now names a process that started at another time (here this very process, the id being ours):
     * the writer is gone, whatever runs under its id.
     */
    @Test
    void aProcessThatHoldsTheWritersIdLaterIsNotTheWriter()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("reused").build()))
        {
            store.append("s", null, new byte[8]);
            BlockFiles.putLong(positions(), PositionsDescriptor.WRITER_STARTED_OFFSET, STARTED - 60_000);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, null))
            {
                assertThat(view.writerPid()).isEqualTo(ProcessHandle.current().pid());
                assertThat(view.writerOpen()).isFalse();
                final WriterStatus status = WriterStatus.read(dir);
                assertThat(status.alive()).isFalse();
                assertThat(status.live()).isFalse();
            }
        }
    }

    /**
     * A start time that another epoch's writer stored (a writer from before the field leaves the one a newer writer
     * stored) says nothing about this epoch's writer: the id alone decides, as before the field existed; so does a
     * start time the writer's system did not tell.
     */
    @Test
    void aStartTimeNotStoredByThisEpochsWriterIsNotUsed()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("older").build()))
        {
            store.append("s", null, new byte[8]);
            final long epoch = BlockFiles.getLong(positions(), PositionsDescriptor.EPOCH_OFFSET);
            BlockFiles.putLong(positions(), PositionsDescriptor.WRITER_STARTED_OFFSET, STARTED - 60_000);
            BlockFiles.putLong(positions(), PositionsDescriptor.STARTED_KEPT_BY_OFFSET, epoch - 1);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, null))
            {
                assertThat(view.writerOpen()).as("another epoch's start time").isTrue();
                assertThat(WriterStatus.read(dir).live()).isTrue();

                BlockFiles.putLong(positions(), PositionsDescriptor.STARTED_KEPT_BY_OFFSET, epoch);
                assertThat(view.writerOpen()).as("this epoch's, and not this process's start").isFalse();
                BlockFiles.putLong(positions(), PositionsDescriptor.WRITER_STARTED_OFFSET,
                    PositionsDescriptor.WRITER_START_UNKNOWN);
                assertThat(view.writerOpen()).as("unknown").isTrue();
                assertThat(WriterStatus.read(dir).live()).isTrue();
            }
        }
    }

    private Path positions()
    {
        return dir.resolve(PositionsDescriptor.FILE_NAME);
    }
}
