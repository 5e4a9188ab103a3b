package io.ferrite.engine.view;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StreamConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer killed between the two checksum stores of its last record, made by hand in one JVM: the record's checksum
 * zeroed, as it stood in the mapping when the writer died, and the {@code state.db} from before it put back, as a
 * killed writer leaves no newer one. Messages are {@link ViewWriterChild}'s, a function of their sequence.
 */
final class KilledWriter
{
    private static final String STATE = "state.db";

    private KilledWriter()
    {
    }

    /**
     * The writer before the one that is killed: append messages {@code 1 .. count} and close.
     *
     * @return a copy of the {@code state.db} it left, for {@link #tearLastRecord}.
     */
    static Path writeAndSaveState(final Path dir, final StreamConfig config, final long count) throws IOException
    {
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            append(store, 1, count);
        }
        return saveState(dir);
    }

    /**
     * @return a copy of the stream's {@code state.db} as it is now, beside the stream's directory.
     */
    private static Path saveState(final Path dir) throws IOException
    {
        final Path saved = dir.resolveSibling("state-before.db");
        Files.copy(dir.resolve(STATE), saved, StandardCopyOption.REPLACE_EXISTING);
        return saved;
    }

    /**
     * Tear the last record of the last block, which must hold {@code seq}, and put {@code savedState} back.
     *
     * @return the block file torn.
     */
    static Path tearLastRecord(final Path dir, final long seq, final Path savedState) throws IOException
    {
        final List<Path> blocks = BlockFiles.blocks(dir);
        final List<BlockFiles.Frame> frames = BlockFiles.frames(blocks.get(blocks.size() - 1));
        final BlockFiles.Frame frame = frames.get(frames.size() - 1);
        assertThat(frame.seq()).as("the last record written").isEqualTo(seq);
        BlockFiles.write(frame.file(), frame.end() - RecordDescriptor.CHECKSUM_LENGTH,
            new byte[RecordDescriptor.CHECKSUM_LENGTH]);
        Files.copy(savedState, dir.resolve(STATE), StandardCopyOption.REPLACE_EXISTING);
        return frame.file();
    }

    /**
     * Append {@code from .. to}, each at the sequence it expects.
     */
    static void append(final FileStreamStore store, final long from, final long to)
    {
        for (long seq = from; seq <= to; seq++)
        {
            assertThat(store.append(ViewWriterChild.subject(seq), null, ViewWriterChild.payload(seq))).isEqualTo(seq);
        }
    }
}
