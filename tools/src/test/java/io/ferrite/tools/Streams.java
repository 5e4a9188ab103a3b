package io.ferrite.tools;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.FullStateReader;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Stream directories for the tools' tests, built with the real engine, and the checksum rewrites a forger would do.
 * Byte-level damage and block-format fixtures come from the engine's shared test fixtures
 * ({@code io.ferrite.engine.testing.BlockFiles}, in the engine's test-jar).
 * <p>
 * Every message has a 3-character subject and a 100-byte payload, so every record has the same frame length and a
 * test can compute where sequence N lives: block 1 holds sequences 1..k at {@code DATA_OFFSET + (seq - 1) * FRAME}.
 */
final class Streams
{
    static final String NAME = "orders";
    /** Small blocks so a few thousand messages make several. */
    static final int BLOCK_SIZE = 64 * 1024;
    static final int MAX_MSG_SIZE = 4096;
    static final String[] SUBJECTS = { "o.a", "o.b", "o.c" };
    static final int PAYLOAD_SIZE = 100;
    static final int FRAME = RecordDescriptor.frameLength(3, 0, PAYLOAD_SIZE);
    /** The frame of the same message in an encrypted stream: the sealed body adds a timestamp copy and a tag. */
    static final int ENCRYPTED_FRAME = (int)RecordDescriptor.frameLengthForContent(3 + PAYLOAD_SIZE, true);
    /** The caller's key of the encrypted test streams: fixed, so the tests are repeatable. */
    static final byte[] KEY = key(1);

    private Streams()
    {
    }

    static StreamConfig config()
    {
        return StreamConfig.builder(NAME).blockSize(BLOCK_SIZE).maxMsgSize(MAX_MSG_SIZE).build();
    }

    static StreamConfig encryptedConfig()
    {
        return config().toBuilder().encryptionKey(KEY).build();
    }

    /** A 32-byte key: {@code seed, seed + 1, ...}. */
    static byte[] key(final int seed)
    {
        final byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++)
        {
            key[i] = (byte)(seed + i);
        }
        return key;
    }

    /** {@code key} written to {@code file} as 64 hex characters and a newline, as {@code openssl rand -hex 32}. */
    static Path hexKeyFile(final Path file, final byte[] key)
    {
        try
        {
            return Files.writeString(file, HexFormat.of().formatHex(key) + "\n");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Like {@link #healthy}, encrypted under {@link #KEY}: messages seal in {@link #ENCRYPTED_FRAME}-byte frames, and
     * every block but the last ends with a footer.
     */
    static Path encrypted(final Path dir, final int messages)
    {
        try (StreamStore store = FileStreamStore.open(dir, encryptedConfig()))
        {
            append(store, 1, messages);
        }
        return dir;
    }

    /** Offset of sequence {@code seq}'s record in block 1 of an encrypted stream. */
    static int encryptedRecordOffsetInFirstBlock(final long seq)
    {
        return BlockDescriptor.DATA_OFFSET + (int)(seq - 1) * ENCRYPTED_FRAME;
    }

    /** Rewrite the header checksum of the record at {@code offset} to match its header bytes. */
    static void recomputeHeaderChecksum(final Path file, final int offset)
    {
        rewriteChecksum(file, offset, RecordDescriptor.HEADER_CHECKSUM_OFFSET);
    }

    /**
     * Rewrite the record checksum of the {@code frameLength}-byte record at {@code offset} to match its bytes, as an
     * attacker who alters a record would: only an authentication tag can then tell.
     */
    static void recomputeRecordChecksum(final Path file, final int offset, final int frameLength)
    {
        rewriteChecksum(file, offset, frameLength - RecordDescriptor.CHECKSUM_LENGTH);
    }

    /** Write the CRC32C of the {@code length} bytes at {@code offset} right after them, little-endian. */
    private static void rewriteChecksum(final Path file, final int offset, final int length)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer bytes = ByteBuffer.allocate(length);
            channel.read(bytes, offset);
            final CRC32C crc = new CRC32C();
            crc.update(bytes.array());
            final ByteBuffer checksum = ByteBuffer.allocate(RecordDescriptor.CHECKSUM_LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int)crc.getValue());
            channel.write(checksum, offset + length);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * A closed stream holding {@code messages} messages: sequence i has subject {@code SUBJECTS[(i - 1) % 3]} and a
     * payload starting {@code "message i"}.
     */
    static Path healthy(final Path dir, final int messages)
    {
        try (StreamStore store = FileStreamStore.open(dir, config()))
        {
            append(store, 1, messages);
        }
        return dir;
    }

    static void append(final StreamStore store, final int fromSeq, final int toSeq)
    {
        for (int seq = fromSeq; seq <= toSeq; seq++)
        {
            store.append(SUBJECTS[(seq - 1) % SUBJECTS.length], null, payload(seq));
        }
    }

    static byte[] payload(final int seq)
    {
        final byte[] payload = new byte[PAYLOAD_SIZE];
        final byte[] text = ("message " + seq + " ").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < PAYLOAD_SIZE; i++)
        {
            payload[i] = i < text.length ? text[i] : (byte)('a' + i % 26);
        }
        return payload;
    }

    /** A stream that was created and closed without a message. */
    static Path empty(final Path dir)
    {
        FileStreamStore.open(dir, config()).close();
        return dir;
    }

    static Path blockFile(final Path dir, final long id)
    {
        return dir.resolve("blocks").resolve(BlockDescriptor.fileName(id));
    }

    /** Offset of sequence {@code seq}'s record in block 1. */
    static int recordOffsetInFirstBlock(final long seq)
    {
        return BlockDescriptor.DATA_OFFSET + (int)(seq - 1) * FRAME;
    }

    static StateSnapshot state(final Path dir)
    {
        return FullStateReader.read(dir.resolve("state.db"));
    }

    /**
     * @return every file under {@code dir} with its size, modification time and content hash: equal before and after
     * means nothing was changed, created or deleted.
     */
    static Map<String, String> fingerprint(final Path dir)
    {
        final Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                if (Files.isRegularFile(path))
                {
                    final MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    files.put(dir.relativize(path).toString(), Files.size(path) + " " +
                        Files.getLastModifiedTime(path).toMillis() + " " +
                        HexFormat.of().formatHex(sha.digest(Files.readAllBytes(path))));
                }
                else
                {
                    files.put(dir.relativize(path) + "/", "dir");
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
        return files;
    }
}
