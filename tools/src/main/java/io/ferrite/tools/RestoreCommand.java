package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.format.SnapshotDescriptor;
import io.ferrite.store.StreamConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * {@code ferrite restore FILE DIR}: a snapshot back into a new stream directory, through
 * {@code FileStreamStore.restore}, which verifies everything before it publishes the directory.
 */
@Command(
    name = "restore",
    header = "Restore a snapshot into a new stream directory.",
    description = {
        "Restore the snapshot in FILE (written by `ferrite backup` or store.snapshot(out)) into DIR, which must be " +
            "absent or empty. Every checksum, every path and the stream's recovery are checked in a temporary " +
            "directory beside DIR before DIR appears; a damaged or cut snapshot is refused (exit 2) and nothing is " +
            "left behind.",
        "The stream is configured from the stream.json the snapshot holds. An encrypted stream needs --key-file, " +
            "the key it was created with."
    })
public final class RestoreCommand extends ToolCommand
{
    @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file.")
    Path file;

    @Parameters(index = "1", paramLabel = "DIR", description = "The stream directory to create (absent or empty).")
    Path dir;

    @Option(names = "--key-file", paramLabel = "FILE",
        description = "The key of an encrypted stream: a file holding " + KeyFileOption.FORMATS + ".")
    Path keyFile;

    @Override
    protected int execute() throws IOException
    {
        final StreamMetadata metadata = metadataOf(file);
        if (metadata.encrypted() != (null != keyFile))
        {
            throw ToolException.error("the snapshot in " + file + " is of " + (metadata.encrypted() ?
                "an encrypted stream: pass --key-file with its key" : "a plaintext stream: run without --key-file"));
        }
        final byte[] callerKey = null == keyFile ? null : KeyFileOption.read(keyFile);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ))
        {
            final StreamConfig config = StreamSettings.of(metadata, file,
                null == callerKey ? UnaryOperator.identity() : (builder) -> builder.encryptionKey(callerKey),
                "restore");
            try (FileStreamStore store = FileStreamStore.restore(dir, in, config))
            {
                out().println("stream " + config.name() + " restored into " + dir + " up to seq " + store.lastSeq() +
                    " (" + store.state().msgs() + " messages)");
            }
        }
        finally
        {
            if (null != callerKey)
            {
                Arrays.fill(callerKey, (byte)0);
            }
        }
        return ExitCode.OK;
    }

    /**
     * The snapshot's {@code stream.json}, its first entry, read before restoring so the stream opens with its own
     * settings. Only the header's and the entry's framing are read here; restore checks every checksum.
     */
    private static StreamMetadata metadataOf(final Path file) throws IOException
    {
        final byte[] json;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer header = read(channel, 0, SnapshotDescriptor.NAME_OFFSET, file);
            if (header.getLong(SnapshotDescriptor.MAGIC_OFFSET) != SnapshotDescriptor.MAGIC)
            {
                throw ToolException.error(file + " is not a Ferrite stream snapshot (no snapshot magic at offset 0)");
            }
            final long entryAt = SnapshotDescriptor.headerLength(
                Short.toUnsignedInt(header.getShort(SnapshotDescriptor.NAME_LENGTH_OFFSET)));
            final ByteBuffer entry = read(channel, entryAt, SnapshotDescriptor.PATH_OFFSET, file);
            final int pathLength = Short.toUnsignedInt(entry.getShort(SnapshotDescriptor.PATH_LENGTH_OFFSET));
            final long contentLength = entry.getLong(SnapshotDescriptor.CONTENT_LENGTH_OFFSET);
            final ByteBuffer path = read(channel, entryAt + SnapshotDescriptor.PATH_OFFSET,
                Math.min(pathLength, SnapshotDescriptor.MAX_PATH_LENGTH), file);
            if (!SnapshotDescriptor.METADATA_PATH.equals(StandardCharsets.US_ASCII.decode(path).toString()) ||
                contentLength < 0 || contentLength > 64 * 1024)
            {
                throw ToolException.error(file + " does not start with the stream's " +
                    SnapshotDescriptor.METADATA_PATH + " (damaged, or not written by this build)");
            }
            json = read(channel, entryAt + SnapshotDescriptor.entryHeaderLength(pathLength), (int)contentLength, file)
                .array();
        }
        catch (final NoSuchFileException ex)
        {
            throw ToolException.error("no such snapshot file: " + file);
        }
        final Path temp = Files.createTempFile("ferrite-restore-", ".json");
        try
        {
            Files.write(temp, json);
            return StreamMetadata.read(temp);
        }
        finally
        {
            Files.deleteIfExists(temp);
        }
    }

    private static ByteBuffer read(final FileChannel channel, final long position, final int length, final Path file)
        throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.hasRemaining())
        {
            if (channel.read(bytes, position + bytes.position()) < 0)
            {
                throw ToolException.error(file + " ends at offset " + (position + bytes.position()) +
                    ", inside its header or first entry: not a whole snapshot");
            }
        }
        return bytes.flip();
    }
}
