package io.ferrite.state;

import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code stream.json}: the stream's name, format version and configuration, human-readable. A flat object of
 * strings, numbers and booleans — small enough that a dependency on a JSON library would cost more than it saves.
 */
public final class StreamMetadata
{
    public static final int FORMAT_VERSION = 1;
    public static final String KEY_FILE = "stream.key";

    private static final Pattern FIELD = Pattern.compile(
        "\"([A-Za-z]+)\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|-?[0-9]+|true|false)");

    private final Map<String, String> fields;

    private StreamMetadata(final Map<String, String> fields)
    {
        this.fields = fields;
    }

    public static StreamMetadata of(final StreamConfig config)
    {
        final Map<String, String> fields = new LinkedHashMap<>();
        fields.put("format", Integer.toString(FORMAT_VERSION));
        fields.put("name", config.name());
        fields.put("blockSize", Integer.toString(config.blockSize()));
        fields.put("maxMsgSize", Integer.toString(config.maxMsgSize()));
        fields.put("encrypted", Boolean.toString(config.encrypted()));
        // The limits the stream was last opened with, for people and tools: the config passed to open() rules.
        fields.put("maxMsgs", Long.toString(config.limits().maxMsgs()));
        fields.put("maxBytes", Long.toString(config.limits().maxBytes()));
        fields.put("maxAgeMillis", Long.toString(config.limits().maxAge().toMillis()));
        fields.put("maxMsgsPerSubject", Long.toString(config.limits().maxMsgsPerSubject()));
        fields.put("discard", config.limits().discard().name());
        return new StreamMetadata(fields);
    }

    /**
     * @return the metadata in {@code file}, or null when there is no such file (a new stream).
     */
    public static StreamMetadata read(final Path file)
    {
        final String text;
        try
        {
            text = Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read stream metadata", file, ex);
        }
        final Map<String, String> fields = new LinkedHashMap<>();
        final Matcher matcher = FIELD.matcher(text);
        while (matcher.find())
        {
            final String raw = matcher.group(2);
            fields.put(matcher.group(1), raw.startsWith("\"") ? unquote(raw) : raw);
        }
        final StreamMetadata metadata = new StreamMetadata(fields);
        final long format = metadata.number(file, "format");
        if (format != FORMAT_VERSION)
        {
            throw new CorruptFileException("unsupported stream format " + format + " (this build reads " +
                FORMAT_VERSION + ")", file, 0);
        }
        metadata.text(file, "name");
        metadata.number(file, "blockSize");
        return metadata;
    }

    public void write(final StreamDirectory directory, final Path file)
    {
        final StringBuilder json = new StringBuilder("{\n");
        int i = 0;
        for (final Map.Entry<String, String> field : fields.entrySet())
        {
            final String value = field.getValue();
            final boolean literal = value.matches("-?[0-9]+|true|false");
            json.append("  \"").append(field.getKey()).append("\": ")
                .append(literal ? value : '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"')
                .append(++i < fields.size() ? ",\n" : "\n");
        }
        json.append("}\n");
        directory.replaceAtomically(file, ByteBuffer.wrap(json.toString().getBytes(StandardCharsets.UTF_8)), null);
    }

    public String name()
    {
        return fields.get("name");
    }

    public int blockSize()
    {
        return Integer.parseInt(fields.get("blockSize"));
    }

    public boolean encrypted()
    {
        return Boolean.parseBoolean(fields.getOrDefault("encrypted", "false"));
    }

    /** All fields as text, for tools. */
    public Map<String, String> fields()
    {
        return Map.copyOf(fields);
    }

    public boolean sameAs(final StreamMetadata other)
    {
        return fields.equals(other.fields);
    }

    private long number(final Path file, final String key)
    {
        final String value = fields.get(key);
        if (null == value || !value.matches("-?[0-9]+"))
        {
            throw new CorruptFileException("stream metadata lacks a numeric \"" + key + "\"", file, 0);
        }
        return Long.parseLong(value);
    }

    private String text(final Path file, final String key)
    {
        final String value = fields.get(key);
        if (null == value || value.isEmpty())
        {
            throw new CorruptFileException("stream metadata lacks \"" + key + "\"", file, 0);
        }
        return value;
    }

    private static String unquote(final String quoted)
    {
        return quoted.substring(1, quoted.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
    }
}
