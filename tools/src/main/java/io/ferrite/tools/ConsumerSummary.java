package io.ferrite.tools;

import io.ferrite.engine.consumer.ConsumerStateFile;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.store.ConsumerNames;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.CorruptFileException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One consumer's state file as {@code inspect} shows it, read once and decoded through {@link ConsumerStateFile} as
 * the engine decodes it. A sealed file without the stream's key is checked (its checksum) but not opened; a sealed
 * file in a plaintext stream, or a plaintext one in an encrypted stream, is a problem even without the key (the engine
 * refuses both). A file deleted between the listing and the read (a consumer deleted while the stream runs) is
 * reported gone, not an error.
 *
 * @param name    the consumer's name.
 * @param file    its state file.
 * @param sealed  whether the body is sealed (an encrypted stream).
 * @param gone    whether the file was deleted after it was listed.
 * @param state   the state, or null when the file is damaged, gone, or sealed and no key was given.
 * @param problem what is wrong with the file, or null.
 */
record ConsumerSummary(String name, Path file, boolean sealed, boolean gone, ConsumerState state, String problem)
{
    /**
     * @param encrypted whether the stream is encrypted (stream.json): a file sealed or not the other way is a problem.
     * @param cipher    the stream's state cipher, or null: sealed files are then only checked.
     * @return the consumers under {@code root}'s {@code consumers/}, by name; none when the directory is absent. Only
     * names a consumer may have are listed, as the engine lists them: a stray file is not a consumer.
     */
    static List<ConsumerSummary> list(final Path root, final boolean encrypted, final StateCipher cipher)
        throws IOException
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
                if (null != name && ConsumerNames.isValid(name))
                {
                    consumers.add(of(name, file, encrypted, cipher));
                }
            }
        }
        consumers.sort(Comparator.comparing(ConsumerSummary::name));
        return consumers;
    }

    static ConsumerSummary of(final String name, final Path file, final boolean encrypted, final StateCipher cipher)
        throws IOException
    {
        final byte[] bytes;
        try
        {
            bytes = ConsumerStateFile.readBytes(file);
        }
        catch (final NoSuchFileException gone)
        {
            return new ConsumerSummary(name, file, false, true, null, null);
        }
        catch (final CorruptFileException ex)
        {
            return new ConsumerSummary(name, file, false, false, null, ex.getMessage());
        }
        final int problem = ConsumerStateDescriptor.checkFile(bytes);
        if (problem != ConsumerStateDescriptor.OK)
        {
            return new ConsumerSummary(name, file, false, false, null, ConsumerStateDescriptor.describe(problem));
        }
        final boolean sealed = ConsumerStateDescriptor.sealed(bytes);
        if (sealed != encrypted)
        {
            return new ConsumerSummary(name, file, sealed, false, null, sealed ?
                "the state is sealed, but the stream is plaintext (a file of another stream, or the stream was " +
                    "replaced)" :
                "the state is plaintext in an encrypted stream (replaced or downgraded)");
        }
        if (sealed && null == cipher)
        {
            return new ConsumerSummary(name, file, true, false, null, null);
        }
        try
        {
            return new ConsumerSummary(name, file, sealed, false, ConsumerStateFile.decode(file, name, bytes, cipher),
                null);
        }
        catch (final CorruptFileException ex)
        {
            // The finding is the report: inspect lists it as a problem naming the file and exits 1.
            return new ConsumerSummary(name, file, sealed, false, null, ex.getMessage());
        }
    }

    Map<String, Object> toJson()
    {
        final Map<String, Object> json = Json.object();
        json.put("name", name);
        json.put("file", file.toString());
        json.put("sealed", sealed);
        json.put("gone", gone);
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
