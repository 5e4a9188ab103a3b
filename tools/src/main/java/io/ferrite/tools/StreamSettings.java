package io.ferrite.tools;

import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.store.StreamConfig;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * The configuration a command opens a stream with, taken from its {@code stream.json}: the store rewrites that file
 * from the configuration it is given, so a {@code stream.json} with settings this build does not express is refused
 * rather than rewritten.
 */
final class StreamSettings
{
    private StreamSettings()
    {
    }

    /**
     * @param source  where the metadata was read, for the error.
     * @param withKey adds the caller's key for an encrypted stream; the identity for a plaintext one.
     * @param command the command refusing, for the error.
     */
    static StreamConfig of(
        final StreamMetadata metadata, final Path source, final UnaryOperator<StreamConfig.Builder> withKey,
        final String command)
    {
        final String maxMsgSize = metadata.fields().get("maxMsgSize");
        final StreamConfig.Builder builder = StreamConfig.builder(metadata.name()).blockSize(metadata.blockSize());
        if (null != maxMsgSize)
        {
            builder.maxMsgSize(Integer.parseInt(maxMsgSize));
        }
        final StreamConfig config = withKey.apply(builder).build();
        if (!StreamMetadata.of(config).sameAs(metadata))
        {
            throw ToolException.error(source + " holds settings this build does not know " + metadata.fields() +
                "; opening the stream would rewrite them, so " + command + " refuses — use the ferrite build that " +
                "wrote the stream");
        }
        return config;
    }
}
