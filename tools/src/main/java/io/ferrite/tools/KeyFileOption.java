package io.ferrite.tools;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --key-file}, shared by the commands that read message bytes ({@code verify}, {@code dump}).
 * <p>
 * This build has no encryption (the crypto module is being built under its own issue), so today every key file, and
 * every stream whose {@code stream.json} says it is encrypted, is a clear error naming the file. When encryption
 * lands, {@link #check(StreamFolder)} is the one place that turns into "unwrap {@code stream.key} with this key file
 * and hand the key to the scanner or the store"; the commands already call it before touching any block.
 */
final class KeyFileOption
{
    static final String NOT_SUPPORTED = "encrypted streams are not supported by this build";

    @Option(names = "--key-file", paramLabel = "FILE",
        description = "Key file of an encrypted stream. Not supported yet: this build has no encryption, so the " +
            "option is refused with an error naming the file.")
    Path keyFile;

    /**
     * @throws ToolException when a key file was given, or the stream is encrypted: neither can be honoured yet.
     */
    void check(final StreamFolder folder)
    {
        if (null != keyFile)
        {
            throw ToolException.error(NOT_SUPPORTED + ": cannot use key file " + keyFile + " (encryption is not " +
                "implemented yet). Stream " + folder.name() + (folder.encrypted() ? " is encrypted and cannot be read." :
                " is plaintext: run again without --key-file."));
        }
        if (folder.encrypted())
        {
            throw ToolException.error(NOT_SUPPORTED + ": " + folder.metadataFile() + " says stream " + folder.name() +
                " is encrypted, and its records cannot be read without the encryption module. `ferrite inspect " +
                folder.root() + "` still works without a key.");
        }
    }
}
