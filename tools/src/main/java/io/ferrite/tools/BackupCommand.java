package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.UnaryOperator;

/**
 * {@code ferrite backup DIR FILE}: a snapshot of a stream no process has open, in the format
 * {@code store.snapshot(out)} writes and {@code ferrite restore} reads.
 */
@Command(
    name = "backup",
    header = "Write a snapshot of a stream to a file.",
    description = {
        "Write a snapshot of the stream in DIR to FILE (created; an existing FILE is refused): its blocks, state, " +
            "stream.json, stream.key, named tailers' cursors and consumers' states, with checksums. " +
            "`ferrite restore` reads it back.",
        "Opens the stream the way an application does (it takes the directory's LOCK, so it fails while an " +
            "application has the stream open: a running application calls store.snapshot(out) itself, while it " +
            "appends). An encrypted stream needs --key-file to open; its snapshot stays encrypted."
    })
public final class BackupCommand extends ToolCommand
{
    @Parameters(index = "0", paramLabel = "DIR", description = "The stream directory (holding stream.json).")
    Path dir;

    @Parameters(index = "1", paramLabel = "FILE", description = "The snapshot file to create.")
    Path file;

    @Mixin
    KeyFileOption keyFile;

    @Override
    protected int execute() throws IOException
    {
        final StreamFolder folder = StreamFolder.open(dir);
        final StreamKey key = keyFile.require(folder, "backup opens the stream");
        final StreamConfig config;
        try
        {
            config = StreamSettings.of(folder.metadata(), folder.metadataFile(),
                null == key ? UnaryOperator.identity() : key::applyTo, "backup");
        }
        finally
        {
            if (null != key)
            {
                key.wipe();
            }
        }
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            final long bytes;
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
            {
                bytes = store.snapshot(out);
                out.force(true);
            }
            catch (final FileAlreadyExistsException ex)
            {
                throw ToolException.error("snapshot file " + file + " exists already: backup creates a new file");
            }
            catch (final RuntimeException ex)
            {
                Files.deleteIfExists(file);
                throw ex;
            }
            out().println("stream " + config.name() + ": " + bytes + " bytes up to seq " + store.lastSeq() +
                " written to " + file);
        }
        return ExitCode.OK;
    }
}
