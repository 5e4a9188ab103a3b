package io.ferrite.engine.environment;

import io.ferrite.format.CatalogDescriptor;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.EnvironmentSnapshot;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static io.ferrite.format.CatalogDescriptor.*;

/**
 * Writes an {@link EnvironmentSnapshot} to {@code catalog.snapshot} in the layout {@link CatalogDescriptor} draws,
 * and reads one back, verified: nothing is returned from a file whose checksum, length or any entry's lengths do not
 * hold. The snapshot is copied from memory before this is called; the I/O here holds no lock of any stream.
 */
public final class CatalogFile
{
    private static final String TEMP_SUFFIX = ".tmp";

    private CatalogFile()
    {
    }

    /**
     * Replace {@code <root>/catalog.snapshot} with {@code snapshot}: temp file, force, rename, root sync.
     */
    public static void write(final Path root, final StorageIO io, final EnvironmentSnapshot snapshot)
    {
        final ByteBuffer content = encode(snapshot);
        final Path target = root.resolve(FILE_NAME);
        final Path temp = root.resolve(FILE_NAME + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            while (content.hasRemaining())
            {
                channel.write(content);
            }
            io.forceFile(temp, channel);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("write " + temp.getFileName(), temp, ex);
        }
        try
        {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            io.syncDirectory(root);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("publish " + FILE_NAME, target, ex);
        }
    }

    /**
     * @return the snapshot in {@code <root>/catalog.snapshot}, verified; null when there is no such file.
     * @throws CorruptFileException naming the file and the offset of what does not verify.
     */
    public static EnvironmentSnapshot read(final Path root)
    {
        final Path file = root.resolve(FILE_NAME);
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read " + FILE_NAME, file, ex);
        }
        return decode(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), file);
    }

    /**
     * @return the whole file's bytes, checksum included, positioned at 0.
     */
    public static ByteBuffer encode(final EnvironmentSnapshot snapshot)
    {
        int length = HEADER_LENGTH + CHECKSUM_LENGTH;
        final List<byte[]> names = new ArrayList<>();
        final List<byte[]> states = new ArrayList<>();
        for (final EnvironmentSnapshot.Stream stream : snapshot.streams())
        {
            final byte[] name = stream.name().getBytes(StandardCharsets.US_ASCII);
            names.add(name);
            length += streamEntryLength(name.length);
            for (final EnvironmentSnapshot.Consumer consumer : stream.consumers())
            {
                final byte[] consumerName = consumer.name().getBytes(StandardCharsets.US_ASCII);
                final byte[] state = consumer.state().encode();
                names.add(consumerName);
                states.add(state);
                length += consumerEntryLength(consumerName.length, state.length);
            }
        }
        final ByteBuffer file = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        putHeader(file, snapshot.takenAtNanos(), snapshot.streams().size(), length);
        file.position(HEADER_LENGTH);
        int nameIndex = 0;
        int stateIndex = 0;
        for (final EnvironmentSnapshot.Stream stream : snapshot.streams())
        {
            final byte[] name = names.get(nameIndex++);
            final int entry = file.position();
            file.putShort(entry + STREAM_NAME_LENGTH_OFFSET, (short)name.length)
                .put(entry + STREAM_FLAGS_OFFSET, (byte)(stream.open() ? STREAM_FLAG_OPEN : 0))
                .putInt(entry + STREAM_CONSUMER_COUNT_OFFSET, stream.consumers().size())
                .putLong(entry + STREAM_FIRST_SEQ_OFFSET, stream.firstSeq())
                .putLong(entry + STREAM_LAST_SEQ_OFFSET, stream.lastSeq())
                .putLong(entry + STREAM_MSGS_OFFSET, stream.msgs())
                .putLong(entry + STREAM_BYTES_OFFSET, stream.bytes())
                .putLong(entry + STREAM_DURABLE_SEQ_OFFSET, stream.durableSeq());
            file.position(entry + STREAM_FIXED_LENGTH).put(name);
            for (int i = 0; i < stream.consumers().size(); i++)
            {
                final byte[] consumerName = names.get(nameIndex++);
                final byte[] state = states.get(stateIndex++);
                final int consumer = file.position();
                file.putShort(consumer + CONSUMER_NAME_LENGTH_OFFSET, (short)consumerName.length)
                    .putInt(consumer + CONSUMER_STATE_LENGTH_OFFSET, state.length);
                file.position(consumer + CONSUMER_FIXED_LENGTH).put(consumerName).put(state);
            }
        }
        putChecksum(file);
        return file.position(0);
    }

    /**
     * @param file the whole file (little-endian), positions from 0.
     * @param path for messages.
     */
    public static EnvironmentSnapshot decode(final ByteBuffer file, final Path path)
    {
        final int check = checkFile(file);
        if (check != OK)
        {
            throw new CorruptFileException(FILE_NAME + ": " + describe(check), path, offsetOf(check, file.limit()));
        }
        final int end = file.limit() - CHECKSUM_LENGTH;
        final int streamCount = file.getInt(STREAM_COUNT_OFFSET);
        final List<EnvironmentSnapshot.Stream> streams = new ArrayList<>();
        int at = HEADER_LENGTH;
        for (int s = 0; s < streamCount; s++)
        {
            require(at + STREAM_FIXED_LENGTH <= end, "stream entry " + s + " runs past the end", path, at);
            final int nameLength = Short.toUnsignedInt(file.getShort(at + STREAM_NAME_LENGTH_OFFSET));
            final int consumerCount = file.getInt(at + STREAM_CONSUMER_COUNT_OFFSET);
            require(at + streamEntryLength(nameLength) <= end && consumerCount >= 0,
                "stream entry " + s + " has impossible lengths", path, at);
            final boolean open = (file.get(at + STREAM_FLAGS_OFFSET) & STREAM_FLAG_OPEN) != 0;
            final String name = ascii(file, at + STREAM_FIXED_LENGTH, nameLength);
            final long firstSeq = file.getLong(at + STREAM_FIRST_SEQ_OFFSET);
            final long lastSeq = file.getLong(at + STREAM_LAST_SEQ_OFFSET);
            final long msgs = file.getLong(at + STREAM_MSGS_OFFSET);
            final long bytes = file.getLong(at + STREAM_BYTES_OFFSET);
            final long durableSeq = file.getLong(at + STREAM_DURABLE_SEQ_OFFSET);
            at += streamEntryLength(nameLength);
            final List<EnvironmentSnapshot.Consumer> consumers = new ArrayList<>();
            for (int c = 0; c < consumerCount; c++)
            {
                require(at + CONSUMER_FIXED_LENGTH <= end, "consumer entry " + c + " of stream " + name +
                    " runs past the end", path, at);
                final int consumerNameLength = Short.toUnsignedInt(file.getShort(at + CONSUMER_NAME_LENGTH_OFFSET));
                final int stateLength = file.getInt(at + CONSUMER_STATE_LENGTH_OFFSET);
                require(stateLength >= 0 && at + (long)consumerEntryLength(consumerNameLength, stateLength) <= end,
                    "consumer entry " + c + " of stream " + name + " has impossible lengths", path, at);
                final String consumerName = ascii(file, at + CONSUMER_FIXED_LENGTH, consumerNameLength);
                final byte[] state = new byte[stateLength];
                file.get(at + CONSUMER_FIXED_LENGTH + consumerNameLength, state);
                consumers.add(new EnvironmentSnapshot.Consumer(consumerName, decodeState(state, path, at)));
                at += consumerEntryLength(consumerNameLength, stateLength);
            }
            streams.add(new EnvironmentSnapshot.Stream(name, open, firstSeq, lastSeq, msgs, bytes, durableSeq,
                consumers));
        }
        require(at == end, "entries end at " + at + ", the checksum is at " + end, path, at);
        return new EnvironmentSnapshot(file.getLong(TAKEN_AT_OFFSET), streams);
    }

    private static ConsumerState decodeState(final byte[] state, final Path path, final int offset)
    {
        try
        {
            return ConsumerState.decode(state);
        }
        catch (final RuntimeException ex)
        {
            throw new CorruptFileException(FILE_NAME + ": consumer state does not decode: " + ex.getMessage(), path,
                offset);
        }
    }

    private static String ascii(final ByteBuffer file, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        file.get(offset, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static void require(final boolean holds, final String what, final Path path, final long offset)
    {
        if (!holds)
        {
            throw new CorruptFileException(FILE_NAME + ": " + what, path, offset);
        }
    }
}
