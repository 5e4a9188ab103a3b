package io.ferrite.tools;

import io.ferrite.crypto.AuthenticationFailedException;
import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.CryptoException;
import io.ferrite.crypto.KeyFileException;
import io.ferrite.crypto.KeyMismatchException;
import io.ferrite.crypto.StreamKeyFile;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamView;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * An encrypted stream unlocked with the caller's key: its {@code stream.key} unwrapped, so block keys can be derived
 * from the salts in block headers (to authenticate record bodies and footers) and {@code state.db}'s sealed subjects
 * opened — the same derivations the engine makes ({@link BlockCrypto}, {@link StateCipher}).
 * <p>
 * Holds the caller's key too, for {@code dump}, which opens the stream through {@code FileStreamStore} like an
 * application. The JDK's key objects cannot be wiped; the caller's key and the stream key copies this class makes
 * are.
 */
final class StreamKey
{
    private final Path keyFile;
    private final byte[] callerKey;
    private final BlockCrypto crypto;

    private StreamKey(final Path keyFile, final byte[] callerKey, final BlockCrypto crypto)
    {
        this.keyFile = keyFile;
        this.callerKey = callerKey.clone();
        this.crypto = crypto;
    }

    /**
     * Unwrap the stream key of {@code folder} with {@code callerKey}, as the engine does on open.
     *
     * @throws ToolException (exit 2) when the key does not match the stream, or {@code stream.key} is missing,
     *                       damaged or altered.
     */
    static StreamKey unlock(final StreamFolder folder, final Path keyFile, final byte[] callerKey)
    {
        final Path streamKeyFile = folder.keyFile();
        byte[] streamKey = null;
        try
        {
            streamKey = StreamKeyFile.open(streamKeyFile, callerKey, folder.name());
            return new StreamKey(keyFile, callerKey, new BlockCrypto(streamKey));
        }
        catch (final KeyMismatchException ex)
        {
            throw ToolException.error(ex.getMessage() + ": " + keyFile + " is not the key the stream in " +
                folder.root() + " was created with (checked against " + streamKeyFile + ") — pass that stream's key " +
                "file");
        }
        catch (final KeyFileException ex)
        {
            throw ToolException.error(ex.getMessage() + " — without a usable " + streamKeyFile.getFileName() +
                " no block of stream " + folder.name() + " can be read; restore it from a backup of " + folder.root());
        }
        catch (final AuthenticationFailedException ex)
        {
            throw ToolException.error("stream key file " + streamKeyFile + " was altered: " + ex.getMessage() +
                " — restore it from a backup of " + folder.root());
        }
        catch (final CryptoException ex)
        {
            throw ToolException.error("cannot unwrap the stream key in " + streamKeyFile + ": " + ex.getMessage());
        }
        catch (final NoSuchFileException ex)
        {
            throw ToolException.error("no stream key file: " + streamKeyFile + " is missing, and without it no " +
                "block of encrypted stream " + folder.name() + " can be read — restore it from a backup of " +
                folder.root());
        }
        catch (final IOException ex)
        {
            throw ToolException.error("cannot read the stream key file: " + ToolCommand.describe(ex));
        }
        finally
        {
            if (null != streamKey)
            {
                Arrays.fill(streamKey, (byte)0);
            }
        }
    }

    /** The file the caller's key came from. */
    Path keyFile()
    {
        return keyFile;
    }

    /**
     * @return the keys of the block whose header holds {@code salt}.
     */
    BlockKey blockKey(final byte[] salt)
    {
        return crypto.keyFor(salt);
    }

    /**
     * @return a cipher that opens the sealed subjects of the stream's {@code state.db}.
     */
    StateCipher stateCipher()
    {
        return new StateCipher(crypto);
    }

    /**
     * @return {@code builder} with the caller's key set, for opening the stream through {@code FileStreamStore}.
     */
    StreamConfig.Builder applyTo(final StreamConfig.Builder builder)
    {
        return builder.encryptionKey(callerKey);
    }

    /**
     * @return the stream in {@code dir} opened read-only with the caller's key (which the view does not keep).
     */
    StreamView openReadOnly(final Path dir)
    {
        return FileStreamStore.openReadOnly(dir, callerKey);
    }

    /**
     * Wipe the caller's key.
     */
    void wipe()
    {
        Arrays.fill(callerKey, (byte)0);
    }
}
