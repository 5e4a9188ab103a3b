package io.ferrite.engine.flush;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The power-loss model itself ({@link PowerLossIO}): what it writes on a cut must be what a disk could hold.
 */
class PowerLossIOTest
{
    private static final int BLOCK_SIZE = 8 * 1024;
    private static final int WRITTEN = 100;

    @TempDir
    Path tmp;

    /**
     * A block is prepared as the engine prepares one (extended to its length and forced: its size is
     * durable), renamed into place by the appender while the flusher's directory sync lists a directory, then forced
     * over a range only, and the directory synced again. No disk loses a forced size to a rename or a directory sync,
     * so even the worst-case cut holds the whole block. Tried with the rename in each listing the sync makes, in turn.
     * Before the fix a listing, which reads the names before the keys, found the file under neither name; when that
     * listing was the one telling which files are gone, the sync forgot the block's forced image, the range force
     * rebuilt it from nothing, and the cut wrote the block cut short at the range's end: the TRUNCATED_FILE that
     * {@code PowerLossRemovalTest} reported once in CI, timing-dependent.
     */
    @Test
    void aBlockRenamedWhileADirectorySyncListsItKeepsTheSizeItsPreparationForced() throws IOException
    {
        int listing = 0;
        while (renamedInListing(listing))
        {
            listing++;
        }
        assertThat(listing).as("listings the sync makes of the blocks directory and of the stream's").isEqualTo(3);
    }

    /**
     * @return whether the sync made a listing {@code skip} listings in, the one the rename fell in.
     */
    private boolean renamedInListing(final int skip) throws IOException
    {
        final Path stream = tmp.resolve("stream-" + skip);
        final Path blocks = Files.createDirectories(stream.resolve("blocks"));
        final PowerLossIO disk = new PowerLossIO(stream);
        final Path prepared = blocks.resolve("next-0.creating");
        final Path block = blocks.resolve("00000000000000000001.blk");
        final byte[] records = new byte[WRITTEN];
        Arrays.fill(records, (byte)0x5A);
        try (FileChannel channel = FileChannel.open(prepared, CREATE_NEW, READ, WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[1]), BLOCK_SIZE - 1);
            disk.forceFile(prepared, channel);
            channel.write(ByteBuffer.wrap(records), 0);
            disk.interleaveListing(skip, () -> rename(prepared, block));
            disk.syncDirectory(blocks);
            disk.interleaveListing(0, null);
            if (!Files.exists(block))
            {
                return false;
            }
            disk.forceBlock(block, channel, null, 0, WRITTEN, false);
            disk.syncDirectory(blocks);
        }
        final Path image = tmp.resolve("image-" + skip);
        disk.cut(PowerLossIO.worstCase(), image);
        final byte[] cut = Files.readAllBytes(image.resolve("blocks").resolve(block.getFileName()));
        assertThat(cut.length).as("size of the block after the worst-case cut, renamed in listing %s", skip)
            .isEqualTo(BLOCK_SIZE);
        assertThat(cut).as("every byte written was forced, renamed in listing %s", skip)
            .isEqualTo(Files.readAllBytes(block));
        return true;
    }

    private static void rename(final Path from, final Path to)
    {
        try
        {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
