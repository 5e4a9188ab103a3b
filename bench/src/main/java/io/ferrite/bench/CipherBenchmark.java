package io.ferrite.bench;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;

/**
 * Chooses the AES-256-GCM implementation for the data path: the JDK's {@code AES/GCM/NoPadding} (SunJCE,
 * AES-NI and CLMUL intrinsics) against BouncyCastle's {@link GCMBlockCipher} over its pure-Java
 * {@link AESEngine} (lightweight API, no JCE provider).
 * <p>
 * Each op seals or opens one frame of {@code length} bytes with a 128-bit tag, as Ferrite seals bounded
 * frames of a block: a fresh cipher initialisation per frame with a unique 96-bit nonce (a counter in its
 * last 8 bytes), because both the JDK and BouncyCastle refuse to encrypt twice under one (key, nonce).
 * Decryption reuses one nonce over one ciphertext, which both allow, and verifies the tag every time.
 * The key is set once: the JDK caches the expanded key when it does not change, and BouncyCastle is given
 * a null key on re-initialisation so it keeps its own, so neither pays key expansion per frame.
 * <p>
 * Both sides run over heap arrays because BouncyCastle's lightweight API takes nothing else. Per-op
 * allocation is limited to what each API forces for a new nonce (a {@link GCMParameterSpec} or
 * {@link AEADParameters}, 12-byte copies included).
 * <p>
 * Warm-up is longer than the module default: the JDK's AES-GCM intrinsics only run from C2-compiled code,
 * and at 64 KiB per op too few ops happen per second for C2 to compile the path within 2 s — a first run
 * with {@code -wi 2 -w 1s} measured 64 KiB at 0.08 GB/s in one iteration and 3 GB/s in the next
 * ({@code bench/results/2026-11-26-run1/cipher.txt}). Command-line {@code -wi}/{@code -w} override this.
 * <p>
 * Scores are ops/s, one op = one frame of {@code length} bytes: bytes/s = score × length. JMH subclasses
 * benchmark classes, so this one cannot be final.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class CipherBenchmark extends BenchmarkDefaults
{
    /** AES-256. */
    public static final int KEY_LENGTH = 32;

    /** 96-bit nonce: the length GCM handles without an extra GHASH pass. */
    public static final int NONCE_LENGTH = 12;

    /** Full 128-bit tag; shorter tags weaken GCM's forgery bound and Ferrite does not use them. */
    public static final int TAG_BITS = 128;

    /** Where the per-op counter sits in the nonce: its last 8 bytes. */
    public static final int NONCE_COUNTER_OFFSET = NONCE_LENGTH - Long.BYTES;

    /** Frame bytes per op. */
    @Param({ "1024", "16384", "65536" })
    public int length;

    private final byte[] nonce = new byte[NONCE_LENGTH];
    private long nonceCounter;
    private byte[] plaintext;
    private byte[] ciphertext;
    private byte[] sealed;
    private byte[] opened;
    private GCMParameterSpec fixedJdkNonce;
    private AEADParameters fixedBcNonce;

    private SecretKeySpec jdkKey;
    private Cipher jdkEncrypt;
    private Cipher jdkDecrypt;

    private GCMModeCipher bcEncrypt;
    private GCMModeCipher bcDecrypt;

    /**
     * Builds ciphers, a key and one ciphertext to open.
     *
     * @throws GeneralSecurityException if the JDK lacks AES/GCM, which would be a broken JDK.
     * @throws InvalidCipherTextException never, BouncyCastle declares it on every doFinal.
     */
    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException, InvalidCipherTextException
    {
        final byte[] key = Payloads.random(KEY_LENGTH);
        plaintext = Payloads.random(length);
        sealed = new byte[length + TAG_BITS / Byte.SIZE];
        opened = new byte[length];

        jdkKey = new SecretKeySpec(key, "AES");
        jdkEncrypt = Cipher.getInstance("AES/GCM/NoPadding");
        jdkDecrypt = Cipher.getInstance("AES/GCM/NoPadding");
        fixedJdkNonce = new GCMParameterSpec(TAG_BITS, new byte[NONCE_LENGTH]);
        jdkEncrypt.init(Cipher.ENCRYPT_MODE, jdkKey, fixedJdkNonce);
        ciphertext = jdkEncrypt.doFinal(plaintext);

        final KeyParameter bcKey = new KeyParameter(key);
        fixedBcNonce = new AEADParameters(null, TAG_BITS, new byte[NONCE_LENGTH]);
        bcEncrypt = GCMBlockCipher.newInstance(AESEngine.newInstance());
        bcEncrypt.init(true, new AEADParameters(bcKey, TAG_BITS, nextNonce()));
        bcDecrypt = GCMBlockCipher.newInstance(AESEngine.newInstance());
        bcDecrypt.init(false, new AEADParameters(bcKey, TAG_BITS, new byte[NONCE_LENGTH]));

        // Fail the trial, not the report, if the two implementations ever disagree on the format.
        final int bcLength = bcDecrypt.processBytes(ciphertext, 0, ciphertext.length, opened, 0);
        bcDecrypt.doFinal(opened, bcLength);
    }

    /**
     * @return the sealed frame: ciphertext and tag.
     * @throws GeneralSecurityException never with these parameters.
     */
    @Benchmark
    public byte[] jdkEncrypt() throws GeneralSecurityException
    {
        jdkEncrypt.init(Cipher.ENCRYPT_MODE, jdkKey, new GCMParameterSpec(TAG_BITS, nextNonce()));
        jdkEncrypt.doFinal(plaintext, 0, length, sealed, 0);
        return sealed;
    }

    /**
     * @return the opened plaintext, released only after the tag verified.
     * @throws GeneralSecurityException if the tag does not verify, which would be a bug.
     */
    @Benchmark
    public byte[] jdkDecrypt() throws GeneralSecurityException
    {
        jdkDecrypt.init(Cipher.DECRYPT_MODE, jdkKey, fixedJdkNonce);
        jdkDecrypt.doFinal(ciphertext, 0, ciphertext.length, opened, 0);
        return opened;
    }

    /**
     * @return the sealed frame: ciphertext and tag.
     * @throws InvalidCipherTextException never when encrypting.
     */
    @Benchmark
    public byte[] bcEncrypt() throws InvalidCipherTextException
    {
        bcEncrypt.init(true, new AEADParameters(null, TAG_BITS, nextNonce()));
        final int written = bcEncrypt.processBytes(plaintext, 0, length, sealed, 0);
        bcEncrypt.doFinal(sealed, written);
        return sealed;
    }

    /**
     * @return the opened plaintext, after the tag verified.
     * @throws InvalidCipherTextException if the tag does not verify, which would be a bug.
     */
    @Benchmark
    public byte[] bcDecrypt() throws InvalidCipherTextException
    {
        bcDecrypt.init(false, fixedBcNonce);
        final int written = bcDecrypt.processBytes(ciphertext, 0, ciphertext.length, opened, 0);
        bcDecrypt.doFinal(opened, written);
        return opened;
    }

    /**
     * Advances the nonce counter. The returned array is the shared one: both APIs copy the nonce at init.
     */
    private byte[] nextNonce()
    {
        long counter = ++nonceCounter;
        for (int i = NONCE_LENGTH - 1; i >= NONCE_COUNTER_OFFSET; i--)
        {
            nonce[i] = (byte)counter;
            counter >>>= Byte.SIZE;
        }

        return nonce;
    }
}
