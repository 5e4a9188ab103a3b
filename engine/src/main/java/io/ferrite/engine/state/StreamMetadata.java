package io.ferrite.engine.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.Discard;
import io.ferrite.store.StreamConfig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code stream.json}: the stream's name, format version and configuration, human-readable. A flat object of
 * strings, integers and booleans, whose fields, types and ranges {@link MetadataField} lists; read strictly by
 * {@link StreamMetadataReader}, written here, both with Jackson's streaming API.
 * <pre>
 * {
 *   "format": 1,
 *   "name": "orders",
 *   "blockSize": 8388608,
 *   "maxMsgSize": 1048576,
 *   "encrypted": false,
 *   "maxMsgs": -1,
 *   "maxBytes": -1,
 *   "maxAgeMillis": 0,
 *   "maxMsgsPerSubject": -1,
 *   "discard": "OLD"
 * }
 * </pre>
 */
public final class StreamMetadata
{
    public static final int FORMAT_VERSION = 1;
    public static final String KEY_FILE = "stream.key";

    private static final JsonFactory JSON = new JsonFactory();

    /** Canonical text of each field (decimal integers, {@code true}/{@code false}), in {@link MetadataField} order. */
    private final Map<String, String> fields;

    private StreamMetadata(final Map<String, String> fields)
    {
        this.fields = fields;
    }

    public static StreamMetadata of(final StreamConfig config)
    {
        final Map<String, String> fields = new LinkedHashMap<>();
        fields.put(MetadataField.FORMAT.jsonName(), Integer.toString(FORMAT_VERSION));
        fields.put(MetadataField.NAME.jsonName(), config.name());
        fields.put(MetadataField.BLOCK_SIZE.jsonName(), Integer.toString(config.blockSize()));
        fields.put(MetadataField.MAX_MSG_SIZE.jsonName(), Integer.toString(config.maxMsgSize()));
        fields.put(MetadataField.ENCRYPTED.jsonName(), Boolean.toString(config.encrypted()));
        // The limits the stream was last opened with, for people and tools: the config passed to open() rules.
        fields.put(MetadataField.MAX_MSGS.jsonName(), Long.toString(config.limits().maxMsgs()));
        fields.put(MetadataField.MAX_BYTES.jsonName(), Long.toString(config.limits().maxBytes()));
        fields.put(MetadataField.MAX_AGE_MILLIS.jsonName(), Long.toString(config.limits().maxAge().toMillis()));
        fields.put(MetadataField.MAX_MSGS_PER_SUBJECT.jsonName(), Long.toString(config.limits().maxMsgsPerSubject()));
        fields.put(MetadataField.DISCARD.jsonName(), config.limits().discard().name());
        return new StreamMetadata(fields);
    }

    /**
     * @return the metadata in {@code file}, or null when there is no such file (a new stream).
     * @throws CorruptFileException when the file is not a valid {@code stream.json}: the message names the field and
     *                              the offset.
     */
    public static StreamMetadata read(final Path file)
    {
        final Map<String, String> fields = StreamMetadataReader.read(file);
        return null == fields ? null : new StreamMetadata(fields);
    }

    /**
     * Replace {@code file} atomically with this metadata as JSON.
     */
    public void write(final StreamDirectory directory, final Path file)
    {
        directory.replaceAtomically(file, ByteBuffer.wrap(toJson()), null);
    }

    /**
     * @return the UTF-8 JSON text of this metadata, each field written as its {@link MetadataField.Kind}.
     */
    byte[] toJson()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator json = JSON.createGenerator(out))
        {
            json.setPrettyPrinter(new DefaultPrettyPrinter(
                Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));
            json.writeStartObject();
            for (final Map.Entry<String, String> field : fields.entrySet())
            {
                final String value = field.getValue();
                json.writeFieldName(field.getKey());
                switch (MetadataField.named(field.getKey()).kind())
                {
                    case STRING -> json.writeString(value);
                    case BOOLEAN -> json.writeBoolean(Boolean.parseBoolean(value));
                    default -> json.writeNumber(Long.parseLong(value));
                }
            }
            json.writeEndObject();
            json.writeRaw('\n');
        }
        catch (final IOException ex)
        {
            // Writing into memory does no I/O.
            throw new UncheckedIOException("encode stream metadata", ex);
        }
        return out.toByteArray();
    }

    public String name()
    {
        return fields.get(MetadataField.NAME.jsonName());
    }

    public int blockSize()
    {
        return Integer.parseInt(fields.get(MetadataField.BLOCK_SIZE.jsonName()));
    }

    public int maxMsgSize()
    {
        return Integer.parseInt(fields.get(MetadataField.MAX_MSG_SIZE.jsonName()));
    }

    public boolean encrypted()
    {
        return Boolean.parseBoolean(fields.get(MetadataField.ENCRYPTED.jsonName()));
    }

    /** All fields as canonical text, for tools. */
    public Map<String, String> fields()
    {
        return Map.copyOf(fields);
    }

    /**
     * @return a configuration builder holding what this metadata records: the name, block and message sizes and the
     *         limits the stream was last opened with. Neither the sync mode nor an encryption key is recorded.
     */
    public StreamConfig.Builder configBuilder()
    {
        final StreamConfig.Builder builder = StreamConfig.builder(name()).blockSize(blockSize())
            .maxMsgSize(maxMsgSize());
        final String maxMsgs = fields.get(MetadataField.MAX_MSGS.jsonName());
        if (null != maxMsgs)
        {
            builder.maxMsgs(Long.parseLong(maxMsgs));
        }
        final String maxBytes = fields.get(MetadataField.MAX_BYTES.jsonName());
        if (null != maxBytes)
        {
            builder.maxBytes(Long.parseLong(maxBytes));
        }
        final String maxAge = fields.get(MetadataField.MAX_AGE_MILLIS.jsonName());
        if (null != maxAge)
        {
            builder.maxAge(Duration.ofMillis(Long.parseLong(maxAge)));
        }
        final String perSubject = fields.get(MetadataField.MAX_MSGS_PER_SUBJECT.jsonName());
        if (null != perSubject)
        {
            builder.maxMsgsPerSubject(Long.parseLong(perSubject));
        }
        final String discard = fields.get(MetadataField.DISCARD.jsonName());
        if (null != discard)
        {
            builder.discard(Discard.valueOf(discard));
        }
        return builder;
    }

    public boolean sameAs(final StreamMetadata other)
    {
        return fields.equals(other.fields);
    }
}
