package io.ferrite.tools;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * {@code --key-file}, shared by the commands that may look at an encrypted stream ({@code inspect}, {@code verify},
 * {@code dump}): reads the caller's 32-byte key from a file and unlocks the stream with it ({@link StreamKey}).
 * <p>
 * A key file holds exactly 32 raw bytes, or 64 hex characters (either case) optionally followed by one newline —
 * what {@code head -c 32 /dev/urandom} and {@code openssl rand -hex 32} write. Anything else is refused before the
 * stream is touched, naming the file and the accepted formats.
 */
final class KeyFileOption
{
    static final String FORMATS = "exactly 32 raw bytes, or 64 hex characters (a trailing newline is allowed)";
    /** Bytes of the caller's key. */
    static final int KEY_LENGTH = 32;
    private static final int HEX_LENGTH = 2 * KEY_LENGTH;
    /** The longest valid key file: hex plus CR LF. Larger files are refused without being read. */
    private static final int MAX_FILE_LENGTH = HEX_LENGTH + 2;

    @Option(names = "--key-file", paramLabel = "FILE",
        description = "The key of an encrypted stream (the 32-byte key the application passes as " +
            "StreamConfig.encryptionKey): a file holding " + FORMATS + ". Unlocks the stream's stream.key; a key " +
            "that does not match is an error (exit 2). Not accepted for a plaintext stream.")
    Path keyFile;

    /**
     * @return the unlocked stream, or null when the stream is encrypted and no key file was given, or is plaintext.
     * @throws ToolException (exit 2) when a key file was given for a plaintext stream, cannot be read, is not in an
     *                       accepted format, or does not match the stream.
     */
    StreamKey unlock(final StreamFolder folder)
    {
        if (null == keyFile)
        {
            return null;
        }
        if (!folder.encrypted())
        {
            throw ToolException.error("stream " + folder.name() + " is not encrypted (" + folder.metadataFile() +
                " says \"encrypted\": false), so it has no key: run again without --key-file " + keyFile);
        }
        final byte[] callerKey = read(keyFile);
        try
        {
            return StreamKey.unlock(folder, keyFile, callerKey);
        }
        finally
        {
            Arrays.fill(callerKey, (byte)0);
        }
    }

    /**
     * Like {@link #unlock}, for a command that cannot work on an encrypted stream without its key.
     *
     * @param what what the key is needed for, e.g. "dump decrypts messages".
     */
    StreamKey require(final StreamFolder folder, final String what)
    {
        if (folder.encrypted() && null == keyFile)
        {
            throw ToolException.error("stream " + folder.name() + " is encrypted (" + folder.metadataFile() +
                "): " + what + ", so it needs the stream's key — pass --key-file FILE, a file holding " + FORMATS +
                ". `ferrite inspect " + folder.root() + "` works without a key.");
        }
        return unlock(folder);
    }

    /**
     * @return the 32-byte key in {@code file}; the caller wipes it.
     * @throws ToolException naming the file and the accepted formats.
     */
    static byte[] read(final Path file)
    {
        final byte[] content;
        try
        {
            if (Files.isDirectory(file))
            {
                throw ToolException.error("--key-file " + file + " is a directory; pass the file holding the " +
                    "stream's key: " + FORMATS);
            }
            final long size = Files.size(file);
            if (size > MAX_FILE_LENGTH)
            {
                throw malformed(file, size + " bytes");
            }
            content = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw ToolException.error("no such key file: " + file + " — pass the file holding the stream's key: " +
                FORMATS);
        }
        catch (final IOException ex)
        {
            throw ToolException.error("cannot read key file " + file + ": " + ToolCommand.describe(ex));
        }
        try
        {
            return parse(file, content);
        }
        finally
        {
            Arrays.fill(content, (byte)0);
        }
    }

    /**
     * @return the key {@code content} holds: 32 raw bytes as they are, 64 hex characters (plus one optional
     * {@code \n} or {@code \r\n}) decoded.
     */
    static byte[] parse(final Path file, final byte[] content)
    {
        if (content.length == KEY_LENGTH)
        {
            return content.clone();
        }
        int length = content.length;
        if (length > 0 && content[length - 1] == '\n')
        {
            length--;
            if (length > 0 && content[length - 1] == '\r')
            {
                length--;
            }
        }
        if (length != HEX_LENGTH)
        {
            throw malformed(file, content.length + " bytes");
        }
        for (int i = 0; i < HEX_LENGTH; i++)
        {
            if (Character.digit(content[i], 16) < 0)
            {
                throw malformed(file, "64 characters, but the one at offset " + i + " is not a hex digit");
            }
        }
        final byte[] key = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++)
        {
            key[i] = (byte)(Character.digit(content[2 * i], 16) << 4 | Character.digit(content[2 * i + 1], 16));
        }
        return key;
    }

    /**
     * @return {@code key} as the hex text {@link #parse} reads back, with a trailing newline.
     */
    static String toHex(final byte[] key)
    {
        return HexFormat.of().formatHex(key) + "\n";
    }

    private static ToolException malformed(final Path file, final String found)
    {
        return ToolException.error("key file " + file + " is not in a format ferrite reads: it holds " + found +
            "; a key file holds " + FORMATS);
    }
}
