package io.ferrite.engine.environment;

import io.ferrite.engine.consumer.ConsumerStateFile;
import io.ferrite.engine.state.FullStateReader;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.store.ConsumerNames;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The catalog entry of a stream not open, read once at the environment's open from what its last close wrote: its
 * totals from {@code state.db} (verified whole) and, when it is not encrypted, each consumer's state file. No block
 * file is opened and nothing is locked; the stream's own open reads everything again, verified.
 * <p>
 * What it cannot vouch for it leaves out rather than guess: a stream without a readable {@code state.db} (it was never
 * closed cleanly, or the file is damaged) has no entry (the catalog lists it with zero totals until it is opened); the
 * consumers of an encrypted stream (their files need its key) and a consumer whose file is damaged are not listed.
 */
public final class StoredStreamEntry
{
    private static final Logger LOG = LoggerFactory.getLogger(StoredStreamEntry.class);

    private StoredStreamEntry()
    {
    }

    /**
     * @return stream {@code name}'s entry as stored in {@code dir}, closed, or null when its state is not known.
     */
    public static EnvironmentSnapshot.Stream read(final Path dir, final String name)
    {
        final StateSnapshot state;
        final StreamMetadata metadata;
        try
        {
            metadata = StreamMetadata.read(dir.resolve(StreamDirectory.METADATA_FILE));
            state = FullStateReader.read(dir.resolve(StreamDirectory.STATE_FILE));
        }
        catch (final StoreException ex)
        {
            LOG.warn("stream {}: its stored state cannot be read ({}); the catalog lists it with zero totals until " +
                "it is opened", name, ex.getMessage());
            return null;
        }
        if (null == state || null == metadata)
        {
            return null;
        }
        final List<EnvironmentSnapshot.Consumer> consumers =
            metadata.encrypted() ? List.of() : consumers(dir.resolve(ConsumerStateDescriptor.DIRECTORY), name);
        // A state.db only ever describes durable data (written at a close after everything was forced, or by a state
        // write as of a durable image): durable up to its last sequence. After a crash the stream may hold more.
        return new EnvironmentSnapshot.Stream(name, false, state.firstSeq(), state.lastSeq(), state.msgs(),
            state.bytes(), state.lastSeq(), consumers);
    }

    private static List<EnvironmentSnapshot.Consumer> consumers(final Path dir, final String stream)
    {
        final List<EnvironmentSnapshot.Consumer> consumers = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir))
        {
            for (final Path file : files)
            {
                final String name = ConsumerStateDescriptor.nameOf(file.getFileName().toString());
                if (null == name || !ConsumerNames.isValid(name))
                {
                    continue;
                }
                try
                {
                    consumers.add(new EnvironmentSnapshot.Consumer(name, ConsumerStateFile.read(file, name, null)));
                }
                catch (final StoreException ex)
                {
                    LOG.warn("stream {}: consumer '{}' is left out of the catalog until the stream is opened: {}",
                        stream, name, ex.getMessage());
                }
            }
        }
        catch (final NoSuchFileException ex)
        {
            return List.of();
        }
        catch (final IOException ex)
        {
            LOG.warn("stream {}: its consumers are left out of the catalog until the stream is opened: {}", stream,
                new StoreIOException("list consumers", dir, ex).getMessage());
            return List.of();
        }
        consumers.sort(Comparator.comparing(EnvironmentSnapshot.Consumer::name));
        return consumers;
    }
}
