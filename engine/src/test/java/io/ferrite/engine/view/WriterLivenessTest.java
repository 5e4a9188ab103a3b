package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.ProcessIdentity;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Whether the writer a positions file names still runs, as a view and the tools ask it: its process id and, where the
 * writer stored them, its process's start (ticks since boot) and boot id — so a process that holds the dead writer's
 * id later (after a reboot, say) is not taken for the writer.
 */
class WriterLivenessTest
{
    private static final long PID = ProcessHandle.current().pid();
    private static final long START = ProcessIdentity.startTicks(PID);

    @TempDir
    Path dir;

    @BeforeEach
    void needsProc()
    {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")),
            "needs /proc/<pid>/stat (Linux): elsewhere the writer is known by its process id alone");
    }

    @Test
    void theWriterStoresItsIdentityUnderItsEpoch()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("live").build()))
        {
            store.append("s", null, new byte[8]);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, null))
            {
                assertThat(field(PositionsDescriptor.WRITER_PID_OFFSET)).isEqualTo(PID);
                assertThat(field(PositionsDescriptor.WRITER_START_OFFSET)).isEqualTo(START).isPositive();
                assertThat(field(PositionsDescriptor.BOOT_ID_HIGH_OFFSET)).isEqualTo(ProcessIdentity.bootHigh());
                assertThat(field(PositionsDescriptor.BOOT_ID_LOW_OFFSET)).isEqualTo(ProcessIdentity.bootLow());
                assertThat(field(PositionsDescriptor.IDENTITY_KEPT_BY_OFFSET)).isEqualTo(view.writerEpoch());
                assertThat(view.writerOpen()).isTrue();
                assertThat(WriterStatus.read(dir).live()).isTrue();
            }
        }
        assertThat(WriterStatus.read(dir).live()).as("closed").isFalse();
    }

    /**
     * The writer's id now names a process that started at another tick (here this very process, the id being ours):
     * the writer is gone, whatever runs under its id.
     */
    @Test
    void aProcessThatHoldsTheWritersIdLaterIsNotTheWriter()
    {
        assertGoneAfter(PositionsDescriptor.WRITER_START_OFFSET, START - 1);
    }

    /**
     * A writer of another boot of the machine is gone even if a process with its id started at the same tick of this
     * boot (a service started at the same point of every boot).
     */
    @Test
    void aWriterOfAnotherBootIsGone()
    {
        assertGoneAfter(PositionsDescriptor.BOOT_ID_LOW_OFFSET, ProcessIdentity.bootLow() ^ 1);
    }

    /**
     * A start and boot id that another epoch's writer stored (a writer from before the fields leaves the ones a newer
     * writer stored; 0 is what a file that never had them holds) say nothing about this epoch's writer: the id alone
     * decides, as before the fields existed; so does a start the writer's system did not tell.
     */
    @Test
    void anIdentityNotStoredByThisEpochsWriterIsNotUsed()
    {
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("older").build()))
        {
            store.append("s", null, new byte[8]);
            final long epoch = field(PositionsDescriptor.EPOCH_OFFSET);
            BlockFiles.putLong(positions(), PositionsDescriptor.WRITER_START_OFFSET, START - 1);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, null))
            {
                for (final long keptBy : new long[] {epoch - 1, 0})
                {
                    BlockFiles.putLong(positions(), PositionsDescriptor.IDENTITY_KEPT_BY_OFFSET, keptBy);
                    assertThat(view.writerOpen()).as("kept by %d", keptBy).isTrue();
                    assertThat(WriterStatus.read(dir).live()).as("kept by %d", keptBy).isTrue();
                }

                BlockFiles.putLong(positions(), PositionsDescriptor.IDENTITY_KEPT_BY_OFFSET, epoch);
                assertThat(view.writerOpen()).as("this epoch's, and not this process's start").isFalse();
                BlockFiles.putLong(positions(), PositionsDescriptor.WRITER_START_OFFSET, ProcessIdentity.UNKNOWN);
                assertThat(view.writerOpen()).as("unknown").isTrue();
                assertThat(WriterStatus.read(dir).live()).isTrue();
            }
        }
    }

    private void assertGoneAfter(final int offset, final long value)
    {
        try (FileStreamStore store = FileStreamStore.open(dir, StreamConfig.builder("reused").build()))
        {
            store.append("s", null, new byte[8]);
            BlockFiles.putLong(positions(), offset, value);
            try (ReadOnlyStream view = ReadOnlyStream.open(dir, null))
            {
                assertThat(view.writerPid()).isEqualTo(PID);
                assertThat(view.writerOpen()).isFalse();
                final WriterStatus status = WriterStatus.read(dir);
                assertThat(status.alive()).isFalse();
                assertThat(status.live()).isFalse();
            }
        }
    }

    private long field(final int offset)
    {
        return BlockFiles.getLong(positions(), offset);
    }

    private Path positions()
    {
        return dir.resolve(PositionsDescriptor.FILE_NAME);
    }
}
