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

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;

/**
 * Encrypted append against raw AES-256-GCM over the same bytes, in the same run. Every raw variant seals exactly what
 * an encrypted record's body holds (16-byte authenticated prefix, subject, payload) with the same 24 bytes of
 * associated data:
 * <ul>
 *     <li>{@code rawSeal}: the fair floor — the JDK cipher with one {@code Cipher.init} per record (a fresh nonce,
 *     which GCM requires) over heap arrays, the cheapest way the JCE offers;</li>
 *     <li>{@code rawSealDirect}: the same over direct buffers, which is how {@code FrameCipher} called the provider
 *     before it copied into arrays of its own;</li>
 *     <li>{@code rawStream}: the best case no per-record design can reach — one GCM operation over a long stream,
 *     no init per record (re-initialised every GiB), so no record has a tag of its own;</li>
 *     <li>{@code frameSeal}: {@code FrameCipher} itself, direct buffer in and out, as the engine calls it.</li>
 * </ul>
 * {@code append} is the encrypted append, {@code plainAppend} the plaintext one on the same payload (what the store
 * costs without the cipher: the page-cache bound). The target is {@code append} ≥ 70 % of {@code rawSeal}.
 * The store benchmarks get their store from a state of their own, so the raw ones open none.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EncryptedAppendBenchmark extends BenchmarkDefaults
{
    /** Prefix sealed with every record body: authenticated copies of timestamp, lengths and type. */
    private static final int RECORD_PREFIX = 16;

    private static final int TAG_BITS = 128;
    private static final int NONCE_COUNTER_OFFSET = 4;
    private static final long STREAM_REINIT_BYTES = 1L << 30;

    /** Payload bytes per append. */
    @Param({ "128", "1024", "16384" })
    public int payloadLength;

    /** As in {@link FerriteAppendBenchmark}: INTERVAL is bounded by the disk, NONE isolates the CPU cost. */
    @Param({ "INTERVAL", "NONE" })
    public SyncMode syncMode;

    private final FrameCipher frameCipher = new FrameCipher();
    private final byte[] nonce = new byte[FrameCipher.NONCE_LENGTH];
    private final byte[] aad = new byte[FrameCipher.AAD_LENGTH];
    private byte[] payload;
    private BlockKey key;
    private SecretKeySpec jdkKey;
    private Cipher perRecord;
    private Cipher stream;
    private long streamed;
    private ByteBuffer plainDirect;
    private ByteBuffer sealedDirect;
    private byte[] plain;
    private byte[] sealed;
    private int plainLength;
    private long counter;

    /**
     * Prepares the raw ciphers and their buffers.
     *
     * @throws GeneralSecurityException if the JDK lacks AES/GCM, which would be a broken JDK.
     */
    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException
    {
        payload = Payloads.random(payloadLength);
        key = BlockKeys.derive(Payloads.random(32), BlockKeys.newSalt());
        jdkKey = new SecretKeySpec(Payloads.random(32), "AES");
        plainLength = RECORD_PREFIX + FerriteAppender.SUBJECT.length() + payloadLength;
        plain = Payloads.random(plainLength);
        sealed = new byte[FrameCipher.sealedLength(plainLength)];
        plainDirect = ByteBuffer.allocateDirect(plainLength).put(plain).clear();
        sealedDirect = ByteBuffer.allocateDirect(FrameCipher.sealedLength(plainLength));
        perRecord = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        stream = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        stream.init(Cipher.ENCRYPT_MODE, jdkKey, new GCMParameterSpec(TAG_BITS, nextNonce()));
    }

    /**
     * One encrypted append: record sealed with its block's key, written, checksummed and published.
     */
    @Benchmark
    public long append(final EncryptedStore store)
    {
        return store.store.append(FerriteAppender.SUBJECT, null, payload);
    }

    /**
     * The same append to a plaintext stream.
     */
    @Benchmark
    public long plainAppend(final PlainStore store)
    {
        return store.store.append(FerriteAppender.SUBJECT, null, payload);
    }

    /**
     * The fair floor: one JDK AES-GCM frame per record, init with a fresh nonce, over arrays.
     *
     * @throws GeneralSecurityException never with these parameters.
     */
    @Benchmark
    public int rawSeal() throws GeneralSecurityException
    {
        perRecord.init(Cipher.ENCRYPT_MODE, jdkKey, new GCMParameterSpec(TAG_BITS, nextNonce()));
        perRecord.updateAAD(aad, 0, aad.length);
        return perRecord.doFinal(plain, 0, plainLength, sealed, 0);
    }

    /**
     * The fair floor over direct buffers.
     *
     * @throws GeneralSecurityException never with these parameters.
     */
    @Benchmark
    public int rawSealDirect() throws GeneralSecurityException
    {
        perRecord.init(Cipher.ENCRYPT_MODE, jdkKey, new GCMParameterSpec(TAG_BITS, nextNonce()));
        perRecord.updateAAD(aad, 0, aad.length);
        plainDirect.clear();
        sealedDirect.clear();
        return perRecord.doFinal(plainDirect, sealedDirect);
    }

    /**
     * The streaming ceiling: the same bytes through one long GCM operation, no per-record init or tag.
     *
     * @throws GeneralSecurityException never with these parameters.
     */
    @Benchmark
    public int rawStream() throws GeneralSecurityException
    {
        if (streamed > STREAM_REINIT_BYTES)
        {
            stream.doFinal(sealed, 0);
            stream.init(Cipher.ENCRYPT_MODE, jdkKey, new GCMParameterSpec(TAG_BITS, nextNonce()));
            streamed = 0;
        }
        streamed += plainLength;
        return stream.update(plain, 0, plainLength, sealed, 0);
    }

    /**
     * {@code FrameCipher.seal} as the engine calls it, direct buffer to direct buffer.
     */
    @Benchmark
    public int frameSeal()
    {
        return frameCipher.seal(key, counter++, 0, plainDirect, 0, plainLength, sealedDirect, 0);
    }

    private byte[] nextNonce()
    {
        long value = ++counter;
        for (int i = NONCE_COUNTER_OFFSET; i < FrameCipher.NONCE_LENGTH; i++)
        {
            nonce[i] = (byte)value;
            value >>>= Byte.SIZE;
        }
        return nonce;
    }

    /**
     * An empty encrypted store per iteration.
     */
    @State(Scope.Thread)
    public static class EncryptedStore extends StoreState
    {
        @Override
        StreamConfig.Builder config(final StreamConfig.Builder builder)
        {
            return builder.encryptionKey(Payloads.random(32));
        }
    }

    /**
     * An empty plaintext store per iteration.
     */
    @State(Scope.Thread)
    public static class PlainStore extends StoreState
    {
        @Override
        StreamConfig.Builder config(final StreamConfig.Builder builder)
        {
            return builder;
        }
    }

    /**
     * Opens a store for the iteration in the benchmark's sync mode, and deletes it after.
     */
    public abstract static class StoreState
    {
        StreamStore store;
        private Path directory;

        abstract StreamConfig.Builder config(StreamConfig.Builder builder);

        /**
         * @param benchmark the benchmark, for its sync mode.
         */
        @Setup(Level.Iteration)
        public void setUp(final EncryptedAppendBenchmark benchmark)
        {
            directory = BenchDirectory.create("ferrite-encrypted-append");
            store = FileStreamStore.open(directory, config(StreamConfig.builder("bench")
                .maxMsgSize(64 * 1024).syncMode(benchmark.syncMode)).build());
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
    }
}
