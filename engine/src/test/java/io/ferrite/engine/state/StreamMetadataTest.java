package io.ferrite.engine.state;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.Discard;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code stream.json} is read strictly: a cut, garbled or altered file is a {@link CorruptFileException} naming the
 * file and the field, never a configuration and never a raw runtime exception; what the store writes reads back the
 * same.
 */
class StreamMetadataTest
{
    private static final long SEED = 0x57_12EAL;
    private static final StreamConfig CONFIG = StreamConfig.builder("orders").blockSize(64 * 1024).maxMsgSize(4096)
        .maxMsgs(1_000).maxAge(Duration.ofMinutes(5)).discard(Discard.NEW).build();

    @TempDir
    Path dir;

    /** The fields of {@link #CONFIG} as raw JSON values, in the order the store writes them. */
    private static Map<String, String> rawFields()
    {
        final Map<String, String> raw = new LinkedHashMap<>();
        raw.put("format", "1");
        raw.put("name", "\"orders\"");
        raw.put("blockSize", "65536");
        raw.put("maxMsgSize", "4096");
        raw.put("encrypted", "false");
        raw.put("maxMsgs", "1000");
        raw.put("maxBytes", "-1");
        raw.put("maxAgeMillis", "300000");
        raw.put("maxMsgsPerSubject", "-1");
        raw.put("discard", "\"NEW\"");
        return raw;
    }

    private static String json(final Map<String, String> raw)
    {
        final StringBuilder json = new StringBuilder("{");
        raw.forEach((name, value) -> json.append(json.length() == 1 ? "" : ", ").append('"').append(name)
            .append("\": ").append(value));
        return json.append("}\n").toString();
    }

    private static String with(final String field, final String rawValue)
    {
        final Map<String, String> raw = rawFields();
        raw.put(field, rawValue);
        return json(raw);
    }

    private static String without(final String field)
    {
        final Map<String, String> raw = rawFields();
        raw.remove(field);
        return json(raw);
    }

    private Path file(final byte[] bytes) throws IOException
    {
        final Path file = dir.resolve("stream.json");
        Files.write(file, bytes);
        return file;
    }

    private Path file(final String text) throws IOException
    {
        return file(text.getBytes(StandardCharsets.UTF_8));
    }

    private void assertCorrupt(final String text, final String... fragments) throws IOException
    {
        assertCorrupt(text.getBytes(StandardCharsets.UTF_8), fragments);
    }

    private void assertCorrupt(final byte[] bytes, final String... fragments) throws IOException
    {
        final Path file = file(bytes);
        assertThatThrownBy(() -> StreamMetadata.read(file))
            .as("%s", new String(bytes, StandardCharsets.UTF_8))
            .isInstanceOf(CorruptFileException.class)
            .hasMessageContaining("stream metadata")
            .hasMessageContaining("[file=" + file)
            .satisfies((ex) ->
            {
                for (final String fragment : fragments)
                {
                    assertThat(ex.getMessage()).contains(fragment);
                }
            });
    }

    @Test
    void whatTheStoreWritesReadsBackTheSame() throws IOException
    {
        final Path file = dir.resolve("stream.json");
        final StreamMetadata written = StreamMetadata.of(CONFIG);
        written.write(StreamDirectory.readOnly(dir), file);
        final String text = Files.readString(file);
        assertThat(text).startsWith("{\n  \"format\": 1,\n  \"name\": \"orders\",\n")
            .endsWith("\"discard\": \"NEW\"\n}\n");
        final StreamMetadata read = StreamMetadata.read(file);
        assertThat(read.sameAs(written)).isTrue();
        assertThat(read.name()).isEqualTo("orders");
        assertThat(read.blockSize()).isEqualTo(64 * 1024);
        assertThat(read.maxMsgSize()).isEqualTo(4096);
        assertThat(read.encrypted()).isFalse();
        assertThat(read.fields()).containsEntry("maxAgeMillis", "300000").containsEntry("discard", "NEW");
        assertThat(StreamMetadata.read(dir.resolve("absent.json"))).as("no file: a new stream").isNull();
    }

    @Test
    void aNameThatLooksLikeANumberOrABooleanIsWrittenAsAString() throws IOException
    {
        for (final String name : new String[] {"123", "true", "-1", "null"})
        {
            final Path file = dir.resolve("stream.json");
            final StreamMetadata written = StreamMetadata.of(StreamConfig.builder(name).build());
            written.write(StreamDirectory.readOnly(dir), file);
            assertThat(Files.readString(file)).contains("\"name\": \"" + name + "\"");
            assertThat(StreamMetadata.read(file).name()).isEqualTo(name);
        }
    }

    @Test
    void aFileCutAtAnyByteIsCorruptUntilItsObjectIsWhole() throws IOException
    {
        final byte[] whole = json(rawFields()).getBytes(StandardCharsets.UTF_8);
        final int closingBrace = new String(whole, StandardCharsets.UTF_8).lastIndexOf('}');
        for (int length = 0; length < whole.length; length++)
        {
            final byte[] cut = Arrays.copyOf(whole, length);
            if (length > closingBrace)
            {
                assertThat(StreamMetadata.read(file(cut)).fields()).as("cut at %d", length)
                    .containsEntry("name", "orders").hasSize(rawFields().size());
            }
            else
            {
                assertCorrupt(cut);
            }
        }
    }

    @Test
    void garbageIsCorrupt() throws IOException
    {
        final Random random = new Random(SEED);
        for (final int length : new int[] {1, 2, 7, 64, 300, 4096})
        {
            for (int i = 0; i < 20; i++)
            {
                final byte[] garbage = new byte[length];
                random.nextBytes(garbage);
                assertCorrupt(garbage);
            }
        }
        assertCorrupt(new byte[] {(byte)0xFF});
        assertCorrupt(new byte[0], "is empty");
        assertCorrupt(new byte[StreamMetadataReader.MAX_LENGTH + 1], "more than any stream.json");
        // Invalid UTF-8 inside a value, and a stray byte between fields.
        final byte[] badValue = with("name", "\"orXXders\"").getBytes(StandardCharsets.UTF_8);
        final int bad = new String(badValue, StandardCharsets.US_ASCII).indexOf("XX");
        badValue[bad] = (byte)0xC3;
        badValue[bad + 1] = (byte)0x28;
        assertCorrupt(badValue, "not valid JSON", "\"name\"");
        assertCorrupt(json(rawFields()).replace(", \"blockSize\"", ", \u0001 \"blockSize\""), "not valid JSON");
        assertCorrupt("[1, 2]", "is not a JSON object");
        assertCorrupt("\"orders\"", "is not a JSON object");
        assertCorrupt(json(rawFields()) + "{}", "more after its object");
        assertCorrupt(json(rawFields()).replace("}", "}}"), "not valid JSON");
        assertCorrupt(json(rawFields()).replace("\"NEW\"", "\"NEW\","), "not valid JSON");
    }

    @Test
    void oversizedNumbersAreCorruptNamingTheField() throws IOException
    {
        assertCorrupt(with("blockSize", "99999999999999999999"), "\"blockSize\"", "beyond any integer of 64 bits");
        assertCorrupt(with("blockSize", "4294967296"), "\"blockSize\"", "outside [-2147483648, 2147483647]");
        assertCorrupt(with("maxMsgSize", "-2147483649"), "\"maxMsgSize\"", "outside");
        assertCorrupt(with("maxMsgs", "9223372036854775808"), "\"maxMsgs\"", "beyond any integer of 64 bits");
        assertCorrupt(with("format", "18446744073709551617"), "\"format\"");
        assertCorrupt(with("maxBytes", "9".repeat(5_000)), "\"maxBytes\"");
    }

    @Test
    void wrongTypesAreCorruptNamingTheField() throws IOException
    {
        final Map<String, String[]> wrong = new LinkedHashMap<>();
        wrong.put("format", new String[] {"\"1\"", "1.0", "true", "null", "[1]", "{\"v\": 1}"});
        wrong.put("name", new String[] {"42", "true", "null", "[\"orders\"]", "{}"});
        wrong.put("blockSize", new String[] {"\"65536\"", "65536.0", "6.5536e4", "false", "null", "[]"});
        wrong.put("maxMsgSize", new String[] {"\"4096\"", "4096.5", "null"});
        wrong.put("encrypted", new String[] {"\"false\"", "0", "1", "null", "{}"});
        wrong.put("maxMsgs", new String[] {"\"1000\"", "1e3", "null"});
        wrong.put("maxAgeMillis", new String[] {"\"300000\"", "true"});
        wrong.put("discard", new String[] {"1", "false", "null", "[\"NEW\"]"});
        for (final Map.Entry<String, String[]> field : wrong.entrySet())
        {
            for (final String value : field.getValue())
            {
                assertCorrupt(with(field.getKey(), value), "field \"" + field.getKey() + "\" must be ");
            }
        }
    }

    @Test
    void missingRequiredFieldsAreCorruptAndMissingLimitsAreNot() throws IOException
    {
        for (final String required : new String[] {"format", "name", "blockSize", "maxMsgSize", "encrypted"})
        {
            assertCorrupt(without(required), "lacks the required field \"" + required + "\"");
        }
        for (final String optional : new String[] {"maxMsgs", "maxBytes", "maxAgeMillis", "maxMsgsPerSubject",
            "discard"})
        {
            assertThat(StreamMetadata.read(file(without(optional))).fields()).doesNotContainKey(optional);
        }
        assertCorrupt("{}\n", "lacks the required field \"format\"");
    }

    @Test
    void valuesOutOfRangeAndUnknownOrRepeatedFieldsAreCorrupt() throws IOException
    {
        assertCorrupt(with("format", "2"), "unsupported stream format 2");
        assertCorrupt(with("name", "\"\""), "\"name\"", "out of range");
        assertCorrupt(with("name", "\"or ders\""), "\"name\"", "out of range");
        assertCorrupt(with("name", "\"orders\\u0000\""), "\"name\"", "out of range");
        assertCorrupt(with("name", "\"" + "x".repeat(256) + "\""), "\"name\"", "out of range");
        assertCorrupt(with("blockSize", "5000"), "\"blockSize\"", "multiple of 4096");
        assertCorrupt(with("blockSize", "0"), "\"blockSize\"");
        assertCorrupt(with("maxMsgSize", "-1"), "\"maxMsgSize\"", "must be >= 0");
        assertCorrupt(with("maxMsgSize", "65536"), "\"maxMsgSize\"", "does not fit a block of 65536");
        assertCorrupt(with("maxMsgs", "0"), "\"maxMsgs\"", "-1 (no limit) or >= 1");
        assertCorrupt(with("maxBytes", "-2"), "\"maxBytes\"");
        assertCorrupt(with("maxMsgsPerSubject", "0"), "\"maxMsgsPerSubject\"");
        assertCorrupt(with("maxAgeMillis", "-1"), "\"maxAgeMillis\"", "outside [0, ");
        assertCorrupt(with("discard", "\"MAYBE\""), "\"discard\"", "out of range");
        assertCorrupt(with("discard", "\"new\""), "\"discard\"");
        assertCorrupt(with("compression", "\"lz4\""), "unknown field \"compression\"", "blockSize");
        assertCorrupt(json(rawFields()).replace("{", "{\"name\": \"orders\", "), "the field \"name\" twice");
    }

    @Test
    void openingADirectoryWhoseStreamJsonIsDamagedFailsNamingItAndLeavesItAlone() throws IOException
    {
        final Path stream = dir.resolve("stream");
        FileStreamStore.open(stream, CONFIG).close();
        final Path file = stream.resolve("stream.json");
        final byte[] whole = Files.readAllBytes(file);
        for (final byte[] damaged : new byte[][] {
            Arrays.copyOf(whole, whole.length / 2),
            with("blockSize", "99999999999999999999").getBytes(StandardCharsets.UTF_8),
            with("name", "\"or ders\"").getBytes(StandardCharsets.UTF_8),
            {(byte)0x80, 'x', 0}})
        {
            Files.write(file, damaged);
            assertThatThrownBy(() -> FileStreamStore.open(stream, CONFIG))
                .isInstanceOf(CorruptFileException.class)
                .satisfies((ex) -> assertThat(((StoreException)ex).file()).isEqualTo(file));
            assertThat(Files.readAllBytes(file)).as("a failed open rewrites nothing").isEqualTo(damaged);
        }
        Files.write(file, whole);
        FileStreamStore.open(stream, CONFIG).close();
    }

    @Test
    void aDirectoryHoldingAnotherStreamIsStillRefusedAsSuch() throws IOException
    {
        final Path stream = dir.resolve("stream");
        FileStreamStore.open(stream, CONFIG).close();
        final Path file = stream.resolve("stream.json");
        Files.writeString(file, Files.readString(file).replace("\"orders\"", "\"trades\""));
        assertThatThrownBy(() -> FileStreamStore.open(stream, CONFIG))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("directory " + stream + " holds stream 'trades', not 'orders'");
    }
}
