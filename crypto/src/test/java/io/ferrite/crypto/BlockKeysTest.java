package io.ferrite.crypto;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.SplittableRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A block's keys are HKDF-SHA256 outputs of the stream key and the block salt under fixed,
 * versioned labels: deterministic, independent of each other, different for every salt.
 */
class BlockKeysTest
{
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void derivationMatchesAnIndependentRfc5869ImplementationWithTheDocumentedLabels() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(5869);
        final byte[] streamKey = bytes(random, 32);
        final byte[] salt = bytes(random, 16);

        final BlockKey key = BlockKeys.derive(streamKey, salt);

        assertThat(key.dataKey().getEncoded())
            .isEqualTo(referenceHkdf(salt, streamKey, "ferrite/v1/block-data", 32));
        assertThat(key.macKey().getEncoded())
            .isEqualTo(referenceHkdf(salt, streamKey, "ferrite/v1/block-mac", 32));
        assertThat(key.keyId())
            .isEqualTo(littleEndian(referenceHkdf(salt, streamKey, "ferrite/v1/block-key-id", 8)).getLong());
        assertThat(key.noncePrefix())
            .isEqualTo(littleEndian(referenceHkdf(salt, streamKey, "ferrite/v1/block-nonce-prefix", 4)).getInt());
        assertThat(key.dataKey().getAlgorithm()).isEqualTo("AES");
        assertThat(key.macKey().getAlgorithm()).isEqualTo("HmacSHA256");
    }

    @Test
    void theReferenceImplementationUsedAboveReproducesRfc5869TestCase1() throws Exception
    {
        final byte[] okm = referenceHkdf(
            HEX.parseHex("000102030405060708090a0b0c"),
            HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
            HEX.parseHex("f0f1f2f3f4f5f6f7f8f9"),
            42);

        assertThat(HEX.formatHex(okm))
            .isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void sameStreamKeyAndSaltDeriveTheSameKeys()
    {
        final SplittableRandom random = new SplittableRandom(1);
        final byte[] streamKey = bytes(random, 32);
        final byte[] salt = bytes(random, 16);

        final BlockKey first = BlockKeys.derive(streamKey, salt);
        final BlockKey second = BlockKeys.derive(streamKey.clone(), salt.clone());

        assertThat(second.keyId()).isEqualTo(first.keyId());
        assertThat(second.noncePrefix()).isEqualTo(first.noncePrefix());
        assertThat(second.dataKey().getEncoded()).isEqualTo(first.dataKey().getEncoded());
        assertThat(second.macKey().getEncoded()).isEqualTo(first.macKey().getEncoded());
        assertThat(second.salt()).isEqualTo(salt);
    }

    @Test
    void differentSaltsDeriveDifferentKeys()
    {
        final SplittableRandom random = new SplittableRandom(2);
        final byte[] streamKey = bytes(random, 32);
        final byte[] salt = bytes(random, 16);
        final byte[] otherSalt = salt.clone();
        otherSalt[15] ^= 1;

        final BlockKey key = BlockKeys.derive(streamKey, salt);
        final BlockKey other = BlockKeys.derive(streamKey, otherSalt);

        assertThat(other.keyId()).isNotEqualTo(key.keyId());
        assertThat(other.dataKey().getEncoded()).isNotEqualTo(key.dataKey().getEncoded());
        assertThat(other.macKey().getEncoded()).isNotEqualTo(key.macKey().getEncoded());
    }

    @Test
    void differentStreamKeysDeriveDifferentKeysFromTheSameSalt()
    {
        final SplittableRandom random = new SplittableRandom(3);
        final byte[] streamKey = bytes(random, 32);
        final byte[] otherStreamKey = bytes(random, 32);
        final byte[] salt = bytes(random, 16);

        assertThat(BlockKeys.derive(otherStreamKey, salt).dataKey().getEncoded())
            .isNotEqualTo(BlockKeys.derive(streamKey, salt).dataKey().getEncoded());
    }

    @Test
    void dataKeyAndMacKeyAreIndependentOutputs()
    {
        final SplittableRandom random = new SplittableRandom(4);
        final BlockKey key = BlockKeys.derive(bytes(random, 32), bytes(random, 16));

        assertThat(key.macKey().getEncoded()).isNotEqualTo(key.dataKey().getEncoded());
    }

    @Test
    void keyIdsAreUniqueAcross100000Salts()
    {
        final SplittableRandom random = new SplittableRandom(64);
        final byte[] streamKey = bytes(random, 32);
        final int blocks = 100_000;
        final Set<Long> keyIds = new HashSet<>(blocks * 2);

        for (int i = 0; i < blocks; i++)
        {
            keyIds.add(BlockKeys.derive(streamKey, bytes(random, 16)).keyId());
        }

        assertThat(keyIds).hasSize(blocks);
    }

    @Test
    void newSaltIsSixteenFreshBytes()
    {
        final Set<String> salts = new HashSet<>();
        for (int i = 0; i < 10_000; i++)
        {
            final byte[] salt = BlockKeys.newSalt();
            assertThat(salt).hasSize(BlockKeys.SALT_LENGTH);
            salts.add(HEX.formatHex(salt));
        }

        assertThat(salts).hasSize(10_000);
    }

    @Test
    void saltIsCopiedInAndOut()
    {
        final byte[] salt = new byte[16];
        final BlockKey key = BlockKeys.derive(new byte[32], salt);
        salt[0] = 9;
        key.salt()[1] = 9;

        assertThat(key.salt()).containsOnly(0);
    }

    @Test
    void toStringShowsOnlyTheKeyId()
    {
        final BlockKey key = BlockKeys.derive(new byte[32], new byte[16]);

        assertThat(key.toString()).isEqualTo("BlockKey{keyId=" + BlockKey.keyIdHex(key.keyId()) + "}");
        assertThat(BlockKey.keyIdHex(0x1fL)).isEqualTo("000000000000001f");
        assertThat(BlockKey.keyIdHex(-1L)).isEqualTo("ffffffffffffffff");
    }

    @Test
    void argumentsOfTheWrongLengthAreRejectedByName()
    {
        assertThatThrownBy(() -> BlockKeys.derive(new byte[31], new byte[16]))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("streamKey must be exactly 32 bytes, was 31");
        assertThatThrownBy(() -> BlockKeys.derive(new byte[32], new byte[12]))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("salt16 must be exactly 16 bytes, was 12");
        assertThatThrownBy(() -> BlockKeys.derive(null, new byte[16]))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("streamKey must not be null");
    }

    static byte[] bytes(final SplittableRandom random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static ByteBuffer littleEndian(final byte[] bytes)
    {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] referenceHkdf(final byte[] salt, final byte[] ikm, final String info, final int length)
        throws GeneralSecurityException
    {
        return referenceHkdf(salt, ikm, info.getBytes(StandardCharsets.US_ASCII), length);
    }

    /**
     * RFC 5869 written out over the JDK's HMAC, sharing no code with the production path.
     */
    private static byte[] referenceHkdf(final byte[] salt, final byte[] ikm, final byte[] info, final int length)
        throws GeneralSecurityException
    {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(salt, "HmacSHA256"));
        final byte[] prk = mac.doFinal(ikm);

        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        final ByteArrayOutputStream okm = new ByteArrayOutputStream();
        byte[] t = new byte[0];
        for (int i = 1; okm.size() < length; i++)
        {
            mac.update(t);
            mac.update(info);
            mac.update((byte)i);
            t = mac.doFinal();
            okm.write(t, 0, t.length);
        }
        return Arrays.copyOf(okm.toByteArray(), length);
    }
}
