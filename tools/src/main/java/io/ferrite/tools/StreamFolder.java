package io.ferrite.tools;

import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.format.BlockDescriptor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream directory as the tools see it: checked to be one, its {@code stream.json} read, and its files located —
 * without taking its {@code LOCK} or creating anything (unlike {@link StreamDirectory#open}).
 */
final class StreamFolder
{
    private final Path root;
    private final StreamMetadata metadata;
    private final StreamDirectory directory;

    private StreamFolder(final Path root, final StreamMetadata metadata)
    {
        this.root = root;
        this.metadata = metadata;
        this.directory = StreamDirectory.readOnly(root);
    }

    /**
     * @throws ToolException when {@code dir} is missing or holds no stream; the message says what to pass instead.
     */
    static StreamFolder open(final Path dir)
    {
        if (!Files.exists(dir))
        {
            throw ToolException.error("no such directory: " + dir + " — pass a stream directory (the one holding " +
                "stream.json and blocks/)");
        }
        if (!Files.isDirectory(dir))
        {
            throw ToolException.error("not a directory: " + dir + " — pass a stream directory (the one holding " +
                "stream.json and blocks/), not a file in it");
        }
        final Path metadataFile = dir.resolve(StreamDirectory.METADATA_FILE);
        if (!Files.isRegularFile(metadataFile))
        {
            throw ToolException.error("not a Ferrite stream directory: " + dir + " has no " +
                StreamDirectory.METADATA_FILE + suggestion(dir));
        }
        return new StreamFolder(dir, StreamMetadata.read(metadataFile));
    }

    /**
     * @return " — did you mean ..." naming sub-directories that hold streams (as {@code ferrite demo} creates), or a
     * plain hint.
     */
    private static String suggestion(final Path dir)
    {
        final List<String> streams = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory))
        {
            for (final Path child : children)
            {
                if (Files.isRegularFile(child.resolve(StreamDirectory.METADATA_FILE)))
                {
                    streams.add(child.toString());
                }
            }
        }
        catch (final IOException ex)
        {
            return " — pass the directory that holds stream.json and blocks/";
        }
        streams.sort(null);
        return streams.isEmpty() ? " — pass the directory that holds stream.json and blocks/" :
            " — it holds streams in sub-directories; did you mean " + String.join(" or ", streams) + "?";
    }

    Path root()
    {
        return root;
    }

    StreamMetadata metadata()
    {
        return metadata;
    }

    String name()
    {
        return metadata.name();
    }

    boolean encrypted()
    {
        return metadata.encrypted();
    }

    Path metadataFile()
    {
        return directory.metadataFile();
    }

    /**
     * @return where an encrypted stream keeps its stream key, wrapped by the caller's key.
     */
    Path keyFile()
    {
        return root.resolve(StreamMetadata.KEY_FILE);
    }

    Path stateFile()
    {
        return directory.stateFile();
    }

    Path blocksDir()
    {
        return directory.blocksDir();
    }

    Path blockFile(final long blockId)
    {
        return directory.blockFile(blockId);
    }

    /**
     * @return the ids of the block files present, ascending; empty when there is no blocks directory. Lists the
     * directory only.
     */
    long[] blockIds()
    {
        if (!Files.isDirectory(directory.blocksDir()))
        {
            return new long[0];
        }
        return directory.listBlockIds();
    }

    static String blockFileName(final long blockId)
    {
        return BlockDescriptor.fileName(blockId);
    }
}
