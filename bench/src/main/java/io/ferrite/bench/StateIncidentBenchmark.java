package io.ferrite.bench;

import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.crypto.StreamKeyFile;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StoreCounters;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * The incident, side by side on the same encrypted stream: Ferrite's {@code writeFullState} (a copy of the off-heap
 * block index, one small file, no block file touched) against the design that caused it — for every block, reopen the
 * file, read it whole, decrypt it whole to find its last record checksum, then write the state. Ferrite's plaintext
 * {@code writeFullState} over the same number of blocks is measured too: the encrypted one must cost the same.
 * <p>
 * Shape: {@code BLOCKSxSIZE}. The naive cost grows with block size (DESIGN measured 2.0–2.8 ms per 2 MiB block);
 * Ferrite's does not, so the ratio is reported for the block size actually measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StateIncidentBenchmark extends BenchmarkDefaults
{
    private static final byte[] CALLER_KEY = Payloads.random(32);

    /** Number of blocks x block size. */
    @Param({ "1000x65536", "10000x65536", "200x2097152" })
    public String shape;

    private Path plainDir;
    private Path encryptedDir;
    private StreamStore plain;
    private StreamStore encrypted;
    private final FrameCipher cipher = new FrameCipher();
    private byte[] streamKey;

    /**
     * Fills a plaintext and an encrypted stream with the same number of blocks, then reopens both.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final int blocks = SmokeScale.scale(Integer.parseInt(shape.substring(0, shape.indexOf('x'))));
        final int blockSize = Integer.parseInt(shape.substring(shape.indexOf('x') + 1));
        plainDir = BenchDirectory.create("incident-plain");
        encryptedDir = BenchDirectory.create("incident-encrypted");
        final StreamConfig plainConfig = StreamConfig.builder("incident").blockSize(blockSize).maxMsgSize(1024).build();
        final StreamConfig encryptedConfig = plainConfig.toBuilder().encryptionKey(CALLER_KEY).build();
        fill(plainDir, plainConfig, blocks);
        fill(encryptedDir, encryptedConfig, blocks);
        plain = FileStreamStore.open(plainDir, plainConfig);
        encrypted = FileStreamStore.open(encryptedDir, encryptedConfig);
        streamKey = StreamKeyFile.open(encryptedDir.resolve("stream.key"), CALLER_KEY, "incident");
    }

    private static void fill(final Path dir, final StreamConfig config, final int blocks)
    {
        final byte[] payload = Payloads.random(900);
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            // counters() copies nothing: a check per batch costs a LongAdder sum (stats() copied every histogram).
            final StoreCounters counters = store.counters();
            while (counters.blocksCreated() < blocks)
            {
                for (int i = 0; i < FerriteFullStateBenchmark.FILL_BATCH; i++)
                {
                    store.append(FerriteAppender.SUBJECT, null, payload);
                }
            }
        }
    }

    /**
     * Closes and deletes both streams.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            plain.close();
            encrypted.close();
        }
        finally
        {
            BenchDirectory.delete(plainDir);
            BenchDirectory.delete(encryptedDir);
        }
    }

    /**
     * Ferrite, plaintext stream.
     */
    @Benchmark
    public void ferritePlaintext()
    {
        plain.writeFullState();
    }

    /**
     * Ferrite, encrypted stream: the same memory copy, plus sealing the subject section.
     */
    @Benchmark
    public void ferriteEncrypted()
    {
        encrypted.writeFullState();
    }

    /**
     * The incident's design: reopen, read and decrypt every block for its last checksum, then write and fsync the
     * state.
     */
    @Benchmark
    public long naiveReopenAndDecrypt() throws IOException
    {
        final Path blocksDir = encryptedDir.resolve("blocks");
        final ByteBuffer checksums = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long xor = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(blocksDir, "*" + BlockDescriptor.FILE_SUFFIX))
        {
            for (final Path file : files)
            {
                final long lastChecksum = lastChecksumByDecrypting(file);
                xor ^= lastChecksum;
                if (checksums.remaining() >= Long.BYTES)
                {
                    checksums.putLong(lastChecksum);
                }
            }
        }
        final Path state = encryptedDir.resolve("naive-state.db");
        try (FileChannel channel = FileChannel.open(state, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            checksums.flip();
            channel.write(checksums);
            channel.force(true);
        }
        return xor;
    }

    private long lastChecksumByDecrypting(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer block = ByteBuffer.allocateDirect((int)channel.size()).order(ByteOrder.LITTLE_ENDIAN);
            while (block.hasRemaining())
            {
                if (channel.read(block) < 0)
                {
                    throw new IOException("block file shrank while being read: " + file);
                }
            }
            final byte[] salt = new byte[BlockDescriptor.SALT_LENGTH];
            block.get(BlockDescriptor.SALT_OFFSET, salt);
            final BlockKey key = BlockKeys.derive(streamKey, salt);
            final ByteBuffer plainText = ByteBuffer.allocateDirect(block.capacity());
            int offset = BlockDescriptor.DATA_OFFSET;
            long lastChecksum = 0;
            while (offset + RecordDescriptor.HEADER_LENGTH <= block.capacity() && block.getInt(offset) != 0)
            {
                final int frameLength = block.getInt(offset + RecordDescriptor.FRAME_LENGTH_OFFSET);
                final long seq = block.getLong(offset + RecordDescriptor.SEQUENCE_OFFSET);
                cipher.open(key, seq, offset, block, offset + RecordDescriptor.HEADER_LENGTH, sealedLengthOf(block,
                    offset),
                    plainText, 0);
                lastChecksum = block.getInt(offset + frameLength - RecordDescriptor.CHECKSUM_LENGTH) & 0xFFFFFFFFL;
                offset += frameLength;
            }
            return lastChecksum;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static int sealedLengthOf(final ByteBuffer block, final int offset)
    {
        final int content = (block.getShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET) & 0xFFFF) +
            block.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET) +
            block.getInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET);
        return content + RecordCipher.OVERHEAD;
    }
}
