package io.ferrite.engine.view;

import io.ferrite.crypto.CryptoException;
import io.ferrite.crypto.KeyMismatchException;
import io.ferrite.crypto.StreamKeyFile;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * What a view opens before it reads a record: the stream's metadata, its key (an encrypted stream) and the writer's
 * mapped {@value PositionsDescriptor#FILE_NAME} file, each refused by name when missing or unusable. Reads only; never
 * opens {@code LOCK}.
 *
 * @param metadata  the stream's {@value StreamDirectory#METADATA_FILE}.
 * @param crypto    the stream's block crypto, null for a plaintext stream.
 * @param positions the writer's published positions, mapped read-only.
 */
record ViewFiles(StreamMetadata metadata, BlockCrypto crypto, StreamPositions positions)
{
    /**
     * @param key the caller's key of an encrypted stream, null for a plaintext one; not modified.
     * @throws StoreException naming the path when the directory is missing, holds no stream, has no published
     *                        positions, its writer is still recovering, or the key is missing or wrong.
     */
    static ViewFiles open(final Path dir, final byte[] key)
    {
        if (!Files.isDirectory(dir))
        {
            throw new StoreException("no stream directory (missing or not a directory)", dir, StoreException.UNKNOWN,
                StoreException.UNKNOWN);
        }
        final StreamMetadata metadata = StreamMetadata.read(dir.resolve(StreamDirectory.METADATA_FILE));
        if (null == metadata)
        {
            throw new StoreException("not a stream directory: it holds no " + StreamDirectory.METADATA_FILE, dir,
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        final BlockCrypto crypto = metadata.encrypted() ? crypto(dir, metadata.name(), key) : null;
        if (!metadata.encrypted() && null != key)
        {
            throw new StoreException("stream " + metadata.name() + " is not encrypted: open it without a key", dir,
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        final StreamPositions positions = new StreamPositions(mapPositions(dir.resolve(PositionsDescriptor.FILE_NAME)));
        if (positions.writerState() == PositionsDescriptor.STATE_RECOVERING)
        {
            throw new StoreException("the stream's writer (process " + positions.writerPid() + ", epoch " +
                positions.epoch() + ") is recovering it: its positions are not published yet; open again once it is " +
                "open", dir.resolve(PositionsDescriptor.FILE_NAME), StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        return new ViewFiles(metadata, crypto, positions);
    }

    private static BlockCrypto crypto(final Path dir, final String name, final byte[] key)
    {
        final Path file = dir.resolve(StreamMetadata.KEY_FILE);
        if (null == key)
        {
            throw new StoreException("stream " + name + " is encrypted: open it with its key", file,
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        byte[] streamKey = null;
        try
        {
            streamKey = StreamKeyFile.open(file, key.clone(), name);
            return new BlockCrypto(streamKey);
        }
        catch (final KeyMismatchException ex)
        {
            throw new StoreException("key does not match stream " + name, file, StoreException.UNKNOWN,
                StoreException.UNKNOWN, ex);
        }
        catch (final CryptoException ex)
        {
            throw new StoreException("stream key file is unusable: " + ex.getMessage(), file, StoreException.UNKNOWN,
                StoreException.UNKNOWN, ex);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read stream key", file, ex);
        }
        finally
        {
            if (null != streamKey)
            {
                Arrays.fill(streamKey, (byte)0);
            }
        }
    }

    private static UnsafeBuffer mapPositions(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < PositionsDescriptor.LENGTH)
            {
                throw new StoreException("positions file is shorter (" + size + " bytes) than its layout (" +
                    PositionsDescriptor.LENGTH + "): its writer is creating it, or it is damaged", file, size,
                    StoreException.UNKNOWN);
            }
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, PositionsDescriptor.LENGTH);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            final UnsafeBuffer area = new UnsafeBuffer(mapped);
            if (area.getInt(PositionsDescriptor.MAGIC_OFFSET) != PositionsDescriptor.MAGIC ||
                area.getInt(PositionsDescriptor.VERSION_OFFSET) != PositionsDescriptor.VERSION)
            {
                throw new StoreException("not a positions file of this version", file,
                    PositionsDescriptor.MAGIC_OFFSET, StoreException.UNKNOWN);
            }
            return area;
        }
        catch (final NoSuchFileException ex)
        {
            throw new StoreException("no positions file: no writer of this version has opened the stream yet (open " +
                "it for writing once)", file, StoreException.UNKNOWN, StoreException.UNKNOWN, ex);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("map positions file read-only", file, ex);
        }
    }
}
