package io.ferrite.crypto;

import static io.ferrite.crypto.BlockKeysTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key file gives back its stream key only to the caller's key and only for its own stream; every
 * other outcome is a specific, named failure, and the file is owner-only from birth.
 */
class StreamKeyFileTest
{
    private static final String STREAM = "orders";

    @TempDir
    Path dir;

    private final SplittableRandom random = new SplittableRandom(2024);
    private final byte[] callerKey = bytes(random, 32);

    @Test
    void createdKeyOpensUnderTheSameCallerKey() throws IOException
    {
        final Path file = dir.resolve("stream.key");

        final byte[] streamKey = StreamKeyFile.create(file, callerKey, STREAM);

        assertThat(streamKey).hasSize(32);
        assertThat(StreamKeyFile.open(file, callerKey, STREAM)).isEqualTo(streamKey);
    }

    @Test
    void everyCreateMakesANewRandomStreamKey() throws IOException
    {
        final byte[] first = StreamKeyFile.create(dir.resolve("a.key"), callerKey, STREAM);
        final byte[] second = StreamKeyFile.create(dir.resolve("b.key"), callerKey, STREAM);

        assertThat(second).isNotEqualTo(first);
        assertThat(Files.readAllBytes(dir.resolve("b.key"))).isNotEqualTo(Files.readAllBytes(dir.resolve("a.key")));
    }

    @Test
    void keyFileIsOwnerReadWriteOnly() throws IOException
    {
        final Path file = dir.resolve("stream.key");

        StreamKeyFile.create(file, callerKey, STREAM);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void createLeavesOnlyTheKeyFileBehind() throws IOException
    {
        StreamKeyFile.create(dir.resolve("stream.key"), callerKey, STREAM);

        try (Stream<Path> files = Files.list(dir))
        {
            assertThat(files).containsExactly(dir.resolve("stream.key"));
        }
    }

    @Test
    void createRefusesToReplaceAnExistingKeyFile() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        final byte[] streamKey = StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] image = Files.readAllBytes(file);

        assertThatThrownBy(() -> StreamKeyFile.create(file, callerKey, STREAM))
            .isInstanceOf(FileAlreadyExistsException.class)
            .hasMessageContaining("refusing to replace a stream key file");
        assertThat(Files.readAllBytes(file)).isEqualTo(image);
        assertThat(StreamKeyFile.open(file, callerKey, STREAM)).isEqualTo(streamKey);
    }

    @Test
    void createInAMissingDirectoryIsAnIOException()
    {
        assertThatThrownBy(() -> StreamKeyFile.create(dir.resolve("missing/stream.key"), callerKey, STREAM))
            .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void wrongCallerKeyIsAKeyMismatchWithTheExactMessage() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] wrongKey = callerKey.clone();
        wrongKey[31] ^= 1;

        assertThatThrownBy(() -> StreamKeyFile.open(file, wrongKey, STREAM))
            .isExactlyInstanceOf(KeyMismatchException.class)
            .hasMessage("key does not match stream orders")
            .satisfies(ex -> assertThat(((KeyMismatchException)ex).streamName()).isEqualTo(STREAM));
    }

    @Test
    void keyFileOfAnotherStreamIsRejectedNamingBothStreams() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        StreamKeyFile.create(file, callerKey, "payments");

        assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
            .isExactlyInstanceOf(KeyFileException.class)
            .hasMessage("key file " + file + ": belongs to stream 'payments', not 'orders' (offset 8)");
    }

    @Test
    void layoutIsAsDocumented() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        final String name = "télémétrie";
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        final byte[] streamKey = StreamKeyFile.create(file, callerKey, name);
        final byte[] image = Files.readAllBytes(file);
        final ByteBuffer le = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        final int n = nameBytes.length;

        assertThat(image).hasSize(104 + n);
        assertThat(new String(image, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("FRSK");
        assertThat(le.getShort(4)).isEqualTo((short)1);
        assertThat(le.getShort(6)).isEqualTo((short)n);
        assertThat(Arrays.copyOfRange(image, 8, 8 + n)).isEqualTo(nameBytes);
        final CRC32C crc = new CRC32C();
        crc.update(image, 0, 100 + n);
        assertThat(le.getInt(100 + n)).isEqualTo((int)crc.getValue());
        assertThat(FrameCipherTest.indexOf(image, streamKey)).isEqualTo(-1);
        assertThat(FrameCipherTest.indexOf(image, callerKey)).isEqualTo(-1);
    }

    @Test
    void flippingAnyBitOfAnyByteIsReportedAsDamageNamingTheFile() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        final byte[] streamKey = StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] image = Files.readAllBytes(file);

        for (int i = 0; i < image.length; i++)
        {
            for (final int mask : new int[] {0x01, 0x80, 0xFF})
            {
                final byte[] damaged = image.clone();
                damaged[i] ^= (byte)mask;
                Files.write(file, damaged);

                assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
                    .as("byte %d flipped with %02x", i, mask)
                    .isExactlyInstanceOf(KeyFileException.class)
                    .hasMessageStartingWith("key file " + file + ": ");
            }
        }
        Files.write(file, image);
        assertThat(StreamKeyFile.open(file, callerKey, STREAM)).isEqualTo(streamKey);
    }

    /**
     * An adversary who recomputes the CRC32C after each change: every field is still covered, and
     * each region fails the way its role predicts.
     */
    @Test
    void alteringAnyByteAndForgingTheChecksumIsStillDetected() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] image = Files.readAllBytes(file);
        final int n = STREAM.length();

        for (int i = 0; i < StreamKeyFile.crcOffset(n); i++)
        {
            final byte[] forged = image.clone();
            forged[i] ^= 0x01;
            final CRC32C crc = new CRC32C();
            crc.update(forged, 0, StreamKeyFile.crcOffset(n));
            ByteBuffer.wrap(forged).order(ByteOrder.LITTLE_ENDIAN).putInt(StreamKeyFile.crcOffset(n),
                (int)crc.getValue());
            Files.write(file, forged);

            final Class<? extends CryptoException> expected =
                i < StreamKeyFile.saltOffset(n) ? KeyFileException.class :
                i < StreamKeyFile.nonceOffset(n) ? KeyMismatchException.class :
                AuthenticationFailedException.class;
            assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
                .as("byte %d", i)
                .isExactlyInstanceOf(expected);
        }
    }

    @Test
    void transplantingAKeyFileToAnotherStreamByRewritingItsNameFails() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] forged = Files.readAllBytes(file);
        final int n = STREAM.length();
        System.arraycopy("trades".getBytes(StandardCharsets.US_ASCII), 0, forged, StreamKeyFile.NAME_OFFSET, n);
        final CRC32C crc = new CRC32C();
        crc.update(forged, 0, StreamKeyFile.crcOffset(n));
        ByteBuffer.wrap(forged).order(ByteOrder.LITTLE_ENDIAN).putInt(StreamKeyFile.crcOffset(n), (int)crc.getValue());
        Files.write(file, forged);

        // The name is associated data of the key wrap, so the forged header no longer verifies.
        assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, "trades"))
            .isExactlyInstanceOf(AuthenticationFailedException.class)
            .hasMessageContaining("wrapped stream key in " + file);
    }

    @Test
    void alteredCiphertextWithForgedChecksumNamesTheFileAndOffset() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] forged = Files.readAllBytes(file);
        final int n = STREAM.length();
        forged[StreamKeyFile.tagOffset(n)] ^= 0x40;
        final CRC32C crc = new CRC32C();
        crc.update(forged, 0, StreamKeyFile.crcOffset(n));
        ByteBuffer.wrap(forged).order(ByteOrder.LITTLE_ENDIAN).putInt(StreamKeyFile.crcOffset(n), (int)crc.getValue());
        Files.write(file, forged);

        assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
            .isExactlyInstanceOf(AuthenticationFailedException.class)
            .hasMessage("authentication failed for wrapped stream key in " + file + " at offset " +
                StreamKeyFile.wrappedKeyOffset(n));
    }

    @Test
    void everyTruncationIsReportedNamingTheFile() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] image = Files.readAllBytes(file);

        for (int length = 0; length < image.length; length++)
        {
            Files.write(file, Arrays.copyOf(image, length));

            assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
                .as("truncated to %d bytes", length)
                .isExactlyInstanceOf(KeyFileException.class)
                .hasMessageStartingWith("key file " + file + ": ")
                .hasMessageContaining("truncated");
        }
    }

    @Test
    void trailingBytesAreReported() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        StreamKeyFile.create(file, callerKey, STREAM);
        final byte[] image = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(image, image.length + 1));

        assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
            .isExactlyInstanceOf(KeyFileException.class)
            .hasMessageContaining("trailing bytes");
    }

    @Test
    void oversizedFileIsRejectedWithoutReadingIt() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        Files.write(file, new byte[1 << 20]);

        assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
            .isExactlyInstanceOf(KeyFileException.class)
            .hasMessageContaining("is 1048576 bytes, longer than any stream key file");
    }

    @Test
    void otherFilesAreNotMistakenForKeyFiles() throws IOException
    {
        final Path file = dir.resolve("stream.key");
        Files.writeString(file, "{\"name\":\"orders\",\"format\":1,\"padding\":\"" +
            "................................................................................................\"}");

        assertThatThrownBy(() -> StreamKeyFile.open(file, callerKey, STREAM))
            .isExactlyInstanceOf(KeyFileException.class)
            .hasMessageContaining("not a Ferrite stream key file");
    }

    @Test
    void keyArgumentsMustBeExactly32BytesAndSaySo() throws IOException
    {
        final Path file = dir.resolve("stream.key");

        assertThatThrownBy(() -> StreamKeyFile.create(file, new byte[16], STREAM))
            .isExactlyInstanceOf(IllegalArgumentException.class)
            .hasMessage("callerKey32 must be exactly 32 bytes, was 16");
        assertThatThrownBy(() -> StreamKeyFile.create(file, null, STREAM))
            .isExactlyInstanceOf(NullPointerException.class)
            .hasMessage("callerKey32 must not be null");
        assertThat(file).doesNotExist();

        StreamKeyFile.create(file, callerKey, STREAM);
        assertThatThrownBy(() -> StreamKeyFile.open(file, new byte[33], STREAM))
            .isExactlyInstanceOf(IllegalArgumentException.class)
            .hasMessage("callerKey32 must be exactly 32 bytes, was 33");
    }

    @Test
    void streamNamesMustBeOneTo1024BytesOfUtf8() throws IOException
    {
        assertThatThrownBy(() -> StreamKeyFile.create(dir.resolve("a.key"), callerKey, ""))
            .isExactlyInstanceOf(IllegalArgumentException.class)
            .hasMessage("streamName must be 1..1024 bytes of UTF-8, was 0");
        assertThatThrownBy(() -> StreamKeyFile.create(dir.resolve("b.key"), callerKey, "x".repeat(1025)))
            .isExactlyInstanceOf(IllegalArgumentException.class)
            .hasMessage("streamName must be 1..1024 bytes of UTF-8, was 1025");

        final String longest = "x".repeat(1024);
        final byte[] streamKey = StreamKeyFile.create(dir.resolve("c.key"), callerKey, longest);
        assertThat(StreamKeyFile.open(dir.resolve("c.key"), callerKey, longest)).isEqualTo(streamKey);
    }
}
