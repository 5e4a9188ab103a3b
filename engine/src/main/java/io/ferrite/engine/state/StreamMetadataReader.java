package io.ferrite.engine.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.Discard;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * Reads {@code stream.json} with a real JSON parser (Jackson's streaming {@link JsonParser}; no data binding) and
 * checks it strictly, because it decides how every other file of the stream is read: one JSON object and nothing after
 * it; every field of {@link MetadataField} known, present when required, once, of its type, and in its range (the
 * same rules {@link StreamConfig.Builder} applies). Fields this build does not know are refused, not dropped: the
 * store rewrites {@code stream.json} from its configuration, which would silently lose them.
 * <p>
 * Every failure is a {@link CorruptFileException} naming the file, the field when there is one, and the byte offset;
 * only an I/O failure is a {@link StoreIOException}. The regular expression this replaces accepted the first half of a
 * cut file and let oversized numbers and bad bytes escape as raw runtime exceptions.
 */
final class StreamMetadataReader
{
    /** Far more than any {@code stream.json} holds: a larger file is something else. */
    static final int MAX_LENGTH = 64 * 1024;

    private static final JsonFactory JSON = new JsonFactory();

    /** One field's value as parsed, before it is checked. */
    private record Parsed(JsonToken token, String text, long offset)
    {
    }

    private final Path file;
    /** Where the parser is, for a syntax error's message: "in field ..." or "after field ...", or null before any. */
    private String position;
    /** The last field name met, so a field the parser names but this reader never saw can be told apart. */
    private String lastName;

    private StreamMetadataReader(final Path file)
    {
        this.file = file;
    }

    /**
     * @return the fields in canonical text (numbers in decimal, booleans as {@code true}/{@code false}), in
     * {@link MetadataField} order, or null when there is no such file (a new stream).
     */
    static Map<String, String> read(final Path file)
    {
        final byte[] bytes;
        try
        {
            final long size = Files.size(file);
            if (size > MAX_LENGTH)
            {
                throw new CorruptFileException("stream metadata is " + size + " bytes, more than any stream.json (" +
                    MAX_LENGTH + ")", file, MAX_LENGTH);
            }
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read stream metadata", file, ex);
        }
        final StreamMetadataReader reader = new StreamMetadataReader(file);
        return reader.check(reader.parse(bytes));
    }

    private Map<MetadataField, Parsed> parse(final byte[] bytes)
    {
        if (bytes.length == 0)
        {
            throw new CorruptFileException("stream metadata is empty", file, 0);
        }
        try (JsonParser parser = JSON.createParser(bytes))
        {
            try
            {
                return parseObject(parser);
            }
            catch (final JsonProcessingException ex)
            {
                // The parser may fail on a value while still returning its field's name: then it names the field.
                final String current = parser.currentName();
                final String where = null != current && !current.equals(lastName) ?
                    "in field \"" + current + "\"" : position;
                throw new CorruptFileException("stream metadata is not valid JSON" +
                    (null == where ? "" : " (" + where + ")") + ": " + ex.getOriginalMessage(), file,
                    null == ex.getLocation() ? 0 : Math.max(0, ex.getLocation().getByteOffset()));
            }
        }
        catch (final IOException ex)
        {
            // A parser over a byte array does no I/O; this is a parse failure Jackson reported as plain IOException.
            throw new CorruptFileException("stream metadata is not valid JSON: " + ex.getMessage(), file, 0);
        }
    }

    private Map<MetadataField, Parsed> parseObject(final JsonParser parser) throws IOException
    {
        if (parser.nextToken() != JsonToken.START_OBJECT)
        {
            throw new CorruptFileException("stream metadata is not a JSON object", file, tokenOffset(parser));
        }
        final Map<MetadataField, Parsed> fields = new EnumMap<>(MetadataField.class);
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken())
        {
            final String name = parser.currentName();
            final long nameOffset = tokenOffset(parser);
            final MetadataField field = MetadataField.named(name);
            lastName = name;
            position = "in field \"" + name + "\"";
            final JsonToken value = parser.nextToken();
            final Parsed parsed = new Parsed(value, scalarText(parser, value), tokenOffset(parser));
            position = "after field \"" + name + "\"";
            if (null == field)
            {
                throw new CorruptFileException("stream metadata has the unknown field \"" + name + "\" (format " +
                    StreamMetadata.FORMAT_VERSION + " has " + MetadataField.names() + ")", file, nameOffset);
            }
            if (null != fields.put(field, parsed))
            {
                throw new CorruptFileException("stream metadata has the field \"" + name + "\" twice", file,
                    nameOffset);
            }
        }
        if (null != parser.nextToken())
        {
            throw new CorruptFileException("stream metadata has more after its object", file, tokenOffset(parser));
        }
        return fields;
    }

    /**
     * @return the value's text for a scalar, or null for an object or array (skipped; only its type is reported).
     */
    private static String scalarText(final JsonParser parser, final JsonToken value) throws IOException
    {
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY)
        {
            parser.skipChildren();
            return null;
        }
        return parser.getText();
    }

    private static long tokenOffset(final JsonParser parser)
    {
        return Math.max(0, parser.currentTokenLocation().getByteOffset());
    }

    private Map<String, String> check(final Map<MetadataField, Parsed> parsed)
    {
        // The format first: another format's fields are its own business.
        final long format = integer(parsed, MetadataField.FORMAT, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (format != StreamMetadata.FORMAT_VERSION)
        {
            throw new CorruptFileException("unsupported stream format " + format + " in stream metadata field " +
                "\"format\" (this build reads " + StreamMetadata.FORMAT_VERSION + ")", file,
                parsed.get(MetadataField.FORMAT).offset());
        }
        for (final MetadataField field : MetadataField.values())
        {
            if (field.required() && !parsed.containsKey(field))
            {
                throw new CorruptFileException("stream metadata lacks the required field \"" + field.jsonName() + "\"",
                    file, 0);
            }
        }
        final Map<String, String> fields = new LinkedHashMap<>();
        for (final Map.Entry<MetadataField, Parsed> entry : parsed.entrySet())
        {
            fields.put(entry.getKey().jsonName(), canonical(parsed, entry.getKey()));
        }
        final String name = fields.get(MetadataField.NAME.jsonName());
        final StreamConfig.Builder rules = inRange(parsed, MetadataField.NAME, () -> StreamConfig.builder(name));
        final int blockSize = (int)integer(parsed, MetadataField.BLOCK_SIZE, Integer.MIN_VALUE, Integer.MAX_VALUE);
        inRange(parsed, MetadataField.BLOCK_SIZE, () -> rules.blockSize(blockSize));
        final int maxMsgSize = (int)integer(parsed, MetadataField.MAX_MSG_SIZE, Integer.MIN_VALUE, Integer.MAX_VALUE);
        final boolean encrypted = Boolean.parseBoolean(fields.get(MetadataField.ENCRYPTED.jsonName()));
        inRange(parsed, MetadataField.MAX_MSG_SIZE, () ->
        {
            rules.maxMsgSize(maxMsgSize);
            StreamConfig.requireMaxMsgSizeFits(maxMsgSize, blockSize, encrypted);
            return rules;
        });
        checkLimit(parsed, MetadataField.MAX_MSGS, rules::maxMsgs);
        checkLimit(parsed, MetadataField.MAX_BYTES, rules::maxBytes);
        checkLimit(parsed, MetadataField.MAX_MSGS_PER_SUBJECT, rules::maxMsgsPerSubject);
        if (parsed.containsKey(MetadataField.MAX_AGE_MILLIS))
        {
            integer(parsed, MetadataField.MAX_AGE_MILLIS, 0, Long.MAX_VALUE);
        }
        if (parsed.containsKey(MetadataField.DISCARD))
        {
            final String discard = fields.get(MetadataField.DISCARD.jsonName());
            inRange(parsed, MetadataField.DISCARD, () -> Discard.valueOf(discard));
        }
        return fields;
    }

    private void checkLimit(
        final Map<MetadataField, Parsed> parsed, final MetadataField field,
        final LongFunction<StreamConfig.Builder> rule)
    {
        if (parsed.containsKey(field))
        {
            final long value = integer(parsed, field, Long.MIN_VALUE, Long.MAX_VALUE);
            inRange(parsed, field, () -> rule.apply(value));
        }
    }

    /**
     * @return the field's value in canonical text, once its JSON type is the field's.
     */
    private String canonical(final Map<MetadataField, Parsed> parsed, final MetadataField field)
    {
        final Parsed value = parsed.get(field);
        switch (field.kind())
        {
            case STRING:
                requireType(field, value, value.token() == JsonToken.VALUE_STRING);
                return value.text();
            case BOOLEAN:
                requireType(field, value, value.token() == JsonToken.VALUE_TRUE ||
                    value.token() == JsonToken.VALUE_FALSE);
                return value.token() == JsonToken.VALUE_TRUE ? "true" : "false";
            default:
                return Long.toString(field.kind() == MetadataField.Kind.INT ?
                    integer(parsed, field, Integer.MIN_VALUE, Integer.MAX_VALUE) :
                    integer(parsed, field, Long.MIN_VALUE, Long.MAX_VALUE));
        }
    }

    /**
     * @return the integer value of {@code field}, which must be present, a JSON integer, and in [min, max].
     */
    private long integer(final Map<MetadataField, Parsed> parsed, final MetadataField field, final long min,
        final long max)
    {
        final Parsed value = parsed.get(field);
        if (null == value)
        {
            throw new CorruptFileException("stream metadata lacks the required field \"" + field.jsonName() + "\"",
                file, 0);
        }
        requireType(field, value, value.token() == JsonToken.VALUE_NUMBER_INT);
        final long number;
        try
        {
            number = Long.parseLong(value.text());
        }
        catch (final NumberFormatException ex)
        {
            throw outOfRange(field, value, "holds " + value.text() + ", beyond any integer of 64 bits");
        }
        final long kindMin = field.kind() == MetadataField.Kind.INT ? Integer.MIN_VALUE : Long.MIN_VALUE;
        final long kindMax = field.kind() == MetadataField.Kind.INT ? Integer.MAX_VALUE : Long.MAX_VALUE;
        if (number < Math.max(min, kindMin) || number > Math.min(max, kindMax))
        {
            throw outOfRange(field, value, "holds " + number + ", outside [" + Math.max(min, kindMin) + ", " +
                Math.min(max, kindMax) + "]");
        }
        return number;
    }

    private void requireType(final MetadataField field, final Parsed value, final boolean ok)
    {
        if (!ok)
        {
            throw new CorruptFileException("stream metadata field \"" + field.jsonName() + "\" must be " +
                field.kind().description() + ", not " + describe(value), file, value.offset());
        }
    }

    /**
     * Apply a {@link StreamConfig.Builder} rule to a field's value; its complaint becomes the field's corruption.
     */
    private <T> T inRange(final Map<MetadataField, Parsed> parsed, final MetadataField field,
        final Supplier<T> rule)
    {
        try
        {
            return rule.get();
        }
        catch (final IllegalArgumentException ex)
        {
            throw outOfRange(field, parsed.get(field), "is out of range: " + ex.getMessage());
        }
    }

    private CorruptFileException outOfRange(final MetadataField field, final Parsed value, final String why)
    {
        return new CorruptFileException("stream metadata field \"" + field.jsonName() + "\" " + why, file,
            value.offset());
    }

    private static String describe(final Parsed value)
    {
        switch (value.token())
        {
            case VALUE_STRING:
                return "the string \"" + value.text() + "\"";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "the number " + value.text();
            case VALUE_TRUE:
            case VALUE_FALSE:
                return value.text();
            case VALUE_NULL:
                return "null";
            case START_OBJECT:
                return "an object";
            case START_ARRAY:
                return "an array";
            default:
                return String.valueOf(value.token());
        }
    }
}
