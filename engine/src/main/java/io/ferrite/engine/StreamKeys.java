package io.ferrite.engine;

import io.ferrite.crypto.CryptoException;
import io.ferrite.crypto.KeyMismatchException;
import io.ferrite.crypto.StreamKeyFile;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The stream key of an encrypted stream: created with the stream (wrapped by the caller's key in an owner-only
 * {@code stream.key}) and unwrapped on every open, before any data is read — a wrong key fails here.
 */
final class StreamKeys
{
    private StreamKeys()
    {
    }

    static BlockCrypto open(final StreamDirectory directory, final StreamConfig config, final boolean newStream)
    {
        final Path file = directory.root().resolve(StreamMetadata.KEY_FILE);
        final byte[] callerKey = config.encryptionKey();
        byte[] streamKey = null;
        try
        {
            if (newStream && !Files.exists(file))
            {
                streamKey = StreamKeyFile.create(file, callerKey, config.name());
                directory.forceWrittenFile(file);
            }
            else
            {
                streamKey = StreamKeyFile.open(file, callerKey, config.name());
            }
            return new BlockCrypto(streamKey);
        }
        catch (final KeyMismatchException ex)
        {
            throw new StoreException("key does not match stream " + config.name(), file, StoreException.UNKNOWN,
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
            Arrays.fill(callerKey, (byte)0);
            if (null != streamKey)
            {
                Arrays.fill(streamKey, (byte)0);
            }
        }
    }
}
