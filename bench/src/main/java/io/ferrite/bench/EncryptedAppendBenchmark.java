package io.ferrite.bench;

import io.ferrite.crypto.BlockKey;
import io.ferrite.crypto.BlockKeys;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
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

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Encrypted append against raw AES-256-GCM over the same bytes, in the same run: {@code rawSeal} seals exactly what
 * an encrypted record's body holds (16-byte authenticated prefix, subject, payload) with the JDK cipher and a fresh
 * counter nonce, into a direct buffer. The target is {@code append} ≥ 70 % of {@code rawSeal}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EncryptedAppendBenchmark extends BenchmarkDefaults
{
    /** Prefix sealed with every record body: authenticated copies of timestamp, lengths and type. */
    private static final int RECORD_PREFIX = 16;

    /** Payload bytes per append. */
    @Param({ "128", "1024", "16384" })
    public int payloadLength;

    /** As in {@link FerriteAppendBenchmark}: INTERVAL is bounded by the disk, NONE isolates the CPU cost. */
    @Param({ "INTERVAL", "NONE" })
    public SyncMode syncMode;

    private Path directory;
    private StreamStore store;
    private byte[] payload;
    private final FrameCipher cipher = new FrameCipher();
    private BlockKey key;
    private ByteBuffer plain;
    private ByteBuffer sealed;
    private int plainLength;
    private long counter;

    /**
     * Opens an empty encrypted store for the iteration and prepares the raw cipher's buffers.
     */
    @Setup(Level.Iteration)
    public void setUp()
    {
        directory = BenchDirectory.create("ferrite-encrypted-append");
        store = FileStreamStore.open(directory, StreamConfig.builder("bench")
            .maxMsgSize(64 * 1024).syncMode(syncMode).encryptionKey(Payloads.random(32)).build());
        payload = Payloads.random(payloadLength);
        key = BlockKeys.derive(Payloads.random(32), BlockKeys.newSalt());
        plainLength = RECORD_PREFIX + FerriteAppender.SUBJECT.length() + payloadLength;
        plain = ByteBuffer.allocateDirect(plainLength);
        sealed = ByteBuffer.allocateDirect(FrameCipher.sealedLength(plainLength));
    }

    /**
     * Closes and deletes the iteration's store.
     */
    @TearDown(Level.Iteration)
    public void tearDown()
    {
        try
        {
            store.close();
        }
        finally
        {
            BenchDirectory.delete(directory);
        }
    }

    /**
     * One encrypted append: record sealed with its block's key, written, checksummed and published.
     */
    @Benchmark
    public long append()
    {
        return store.append(FerriteAppender.SUBJECT, null, payload);
    }

    /**
     * The ceiling: AES-256-GCM alone over the same bytes.
     */
    @Benchmark
    public int rawSeal()
    {
        return cipher.seal(key, counter++, 0, plain, 0, plainLength, sealed, 0);
    }
}
