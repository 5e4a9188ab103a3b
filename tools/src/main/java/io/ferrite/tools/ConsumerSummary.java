package io.ferrite.tools;

import io.ferrite.engine.consumer.ConsumerStateFile;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.CorruptFileException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One consumer's state file as {@code inspect} shows it, read through {@link ConsumerStateFile} as the engine reads
 * it. A sealed file without the stream's key is checked (its checksum) but not opened.
 *
 * @param name    the consumer's name.
 * @param file    its state file.
 * @param sealed  whether the body is sealed (an encrypted stream).
 * @param state   the state, or null when the file is damaged or sealed and no key was given.
 * @param problem what is wrong with the file, or null.
 */
record ConsumerSummary(String name, Path file, boolean sealed, ConsumerState state, String problem)
{
    /**
     * @param cipher the stream's state cipher, or null: sealed files are then only checked.
     * @return the consumers under {@code root}'s {@code consumers/}, by name; none when the directory is absent.
     */
    static List<ConsumerSummary> list(final Path root, final StateCipher cipher) throws IOException
    {
        final Path dir = root.resolve(ConsumerStateDescriptor.DIRECTORY);
        final List<ConsumerSummary> consumers = new ArrayList<>();
        if (!Files.isDirectory(dir))
        {
            return consumers;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir))
        {
            for (final Path file : stream)
            {
                final String name = ConsumerStateDescriptor.nameOf(file.getFileName().toString());
                if (null != name)
                {
                    consumers.add(of(name, file, cipher));
                }
            }
        }
        consumers.sort(Comparator.comparing(ConsumerSummary::name));
        return consumers;
    }

    private static ConsumerSummary of(final String name, final Path file, final StateCipher cipher)
        throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final int problem = ConsumerStateDescriptor.checkFile(bytes);
        if (problem != ConsumerStateDescriptor.OK)
        {
            return new ConsumerSummary(name, file, false, null, ConsumerStateDescriptor.describe(problem));
        }
        final boolean sealed = ConsumerStateDescriptor.sealed(bytes);
        if (sealed && null == cipher)
        {
            return new ConsumerSummary(name, file, true, null, null);
        }
        try
        {
            return new ConsumerSummary(name, file, sealed, ConsumerStateFile.read(file, name, cipher), null);
        }
        catch (final CorruptFileException ex)
        {
            // The finding is the report: inspect lists it as a problem naming the file and exits 1.
            return new ConsumerSummary(name, file, sealed, null, ex.getMessage());
        }
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("name", name);
        json.put("file", file.toString());
        json.put("sealed", sealed);
        if (null != state)
        {
            json.put("ackFloorConsumerSeq", state.ackFloor().consumer());
            json.put("ackFloorStreamSeq", state.ackFloor().stream());
            json.put("deliveredConsumerSeq", state.delivered().consumer());
            json.put("deliveredStreamSeq", state.delivered().stream());
            json.put("pending", state.pending().size());
            json.put("redelivered", state.redelivered().size());
        }
        json.put("problem", problem);
        return json;
    }
}
