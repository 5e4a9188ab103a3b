package io.ferrite.crypto;

import static io.ferrite.crypto.BlockKeysTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A frame opens only under the key, counter and offset it was sealed for, and a frame that fails
 * to open leaves the destination exactly as it was.
 */
class FrameCipherTest
{
    private static final byte SENTINEL = 0x5A;
    private static final long COUNTER = 7;
    private static final long OFFSET = 4096;

    private static final String KAT_KEY = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    private static final String KAT_PLAINTEXT =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

    private final SplittableRandom random = new SplittableRandom(42);
    private final BlockKey key = BlockKeys.derive(bytes(random, 32), bytes(random, 16));
    private final FrameCipher cipher = new FrameCipher();

    static Stream<Arguments> lengthsAndBufferKinds()
    {
        return Stream.of(0, 1, 15, 16, 17, 1000, FrameCipher.MAX_FRAME_PLAINTEXT, 1 << 20)
            .flatMap(length -> Stream.of(
                Arguments.of(length, false, false),
                Arguments.of(length, true, true),
                Arguments.of(length, true, false),
                Arguments.of(length, false, true)));
    }

    static Stream<Arguments> bufferKinds()
    {
        return Stream.of(Arguments.of(false, false), Arguments.of(true, true), Arguments.of(true, false),
            Arguments.of(false, true));
    }

    @ParameterizedTest(name = "{0} bytes, direct src {1}, direct dst {2}")
    @MethodSource("lengthsAndBufferKinds")
    void sealThenOpenRoundTripsAtAbsoluteIndexes(final int length, final boolean directSrc, final boolean directDst)
    {
        final byte[] plaintext = bytes(random, length);
        final ByteBuffer src = buffer(directSrc, length + 20);
        src.put(13, plaintext);
        final ByteBuffer sealed = buffer(directDst, FrameCipher.sealedLength(length) + 29);
        final ByteBuffer opened = buffer(directSrc, length + 3);
        src.position(5).limit(length + 17);
        sealed.position(2);

        final int sealedLength = cipher.seal(key, COUNTER, OFFSET, src, 13, length, sealed, 29);
        final int openedLength = cipher.open(key, COUNTER, OFFSET, sealed, 29, sealedLength, opened, 3);

        assertThat(sealedLength).isEqualTo(length + FrameCipher.TAG_LENGTH);
        assertThat(openedLength).isEqualTo(length);
        assertThat(copy(opened, 3, length)).isEqualTo(plaintext);
        assertThat(src.position()).isEqualTo(5);
        assertThat(src.limit()).isEqualTo(length + 17);
        assertThat(sealed.position()).isEqualTo(2);
        assertThat(sealed.limit()).isEqualTo(sealed.capacity());
        assertThat(opened.position()).isZero();
        assertThat(opened.limit()).isEqualTo(opened.capacity());
    }

    @Test
    void contextIsAuthenticatedButNotEncrypted()
    {
        final byte[] plain = bytes(random, 300);
        final byte[] context = bytes(random, 1000);
        final ByteBuffer sealed = ByteBuffer.allocate(FrameCipher.sealedLength(plain.length));
        final int sealedLength = new FrameCipher().seal(
            key, 7, 64, ByteBuffer.wrap(context), ByteBuffer.wrap(plain), 0, plain.length, sealed, 0);

        final ByteBuffer opened = ByteBuffer.allocate(plain.length);
        new FrameCipher().open(key, 7, 64, ByteBuffer.wrap(context), sealed, 0, sealedLength, opened, 0);
        assertThat(opened.array()).isEqualTo(plain);

        for (final int flipAt : new int[] {0, 500, context.length - 1})
        {
            final byte[] altered = context.clone();
            altered[flipAt] ^= 1;
            assertThatThrownBy(() -> new FrameCipher().open(key, 7, 64, ByteBuffer.wrap(altered), sealed, 0,
                sealedLength, ByteBuffer.allocate(plain.length), 0))
                .as("context byte %d altered", flipAt).isInstanceOf(AuthenticationFailedException.class);
        }
        assertThatThrownBy(() -> new FrameCipher().open(key, 7, 64, sealed, 0, sealedLength,
            ByteBuffer.allocate(plain.length), 0))
            .as("context left out").isInstanceOf(AuthenticationFailedException.class);
    }

    @Test
    void sealWritesOnlyTheSealedRange()
    {
        final ByteBuffer src = ByteBuffer.wrap(bytes(random, 100));
        final ByteBuffer dst = filled(ByteBuffer.allocateDirect(200));

        cipher.seal(key, COUNTER, OFFSET, src, 0, 100, dst, 40);

        assertThat(copy(dst, 0, 40)).containsOnly(SENTINEL);
        assertThat(copy(dst, 40 + 116, 200 - 156)).containsOnly(SENTINEL);
    }

    @Test
    void sealedFrameContainsNoPlaintext()
    {
        final byte[] marker = "MARKER-subject.orders.secret-MARKER".getBytes(StandardCharsets.US_ASCII);
        final byte[] plaintext = new byte[marker.length * 50];
        for (int i = 0; i < 50; i++)
        {
            System.arraycopy(marker, 0, plaintext, i * marker.length, marker.length);
        }
        final ByteBuffer sealed = ByteBuffer.allocate(FrameCipher.sealedLength(plaintext.length));

        cipher.seal(key, COUNTER, OFFSET, ByteBuffer.wrap(plaintext), 0, plaintext.length, sealed, 0);

        assertThat(indexOf(sealed.array(), Arrays.copyOf(marker, 8))).isEqualTo(-1);
    }

    @Test
    void flippingAnyBitOfAnySealedByteFailsAuthenticationAndWritesNothing()
    {
        final int length = 200;
        final byte[] plaintext = bytes(random, length);
        final ByteBuffer sealed = ByteBuffer.allocateDirect(FrameCipher.sealedLength(length));
        cipher.seal(key, COUNTER, OFFSET, ByteBuffer.wrap(plaintext), 0, length, sealed, 0);

        for (int i = 0; i < sealed.capacity(); i++)
        {
            for (final int mask : new int[] {0x01, 0x80, 0xFF})
            {
                sealed.put(i, (byte)(sealed.get(i) ^ mask));
                final ByteBuffer dst = filled(ByteBuffer.allocate(length));

                assertThatThrownBy(() -> cipher.open(key, COUNTER, OFFSET, sealed, 0, sealed.capacity(), dst, 0))
                    .as("byte %d of %d (%s) flipped with %02x", i, sealed.capacity(), i < length ? "ciphertext" : "tag",
                        mask)
                    .isInstanceOfSatisfying(AuthenticationFailedException.class, ex ->
                    {
                        assertThat(ex.offset()).isEqualTo(OFFSET);
                        assertThat(ex.what()).isEqualTo("frame 7 of block key " + BlockKey.keyIdHex(key.keyId()));
                        assertThat(ex).hasMessage("authentication failed for " + ex.what() + " at offset 4096");
                    });
                assertThat(dst.array()).containsOnly(SENTINEL);

                sealed.put(i, (byte)(sealed.get(i) ^ mask));
            }
        }
        final ByteBuffer dst = ByteBuffer.allocate(length);
        cipher.open(key, COUNTER, OFFSET, sealed, 0, sealed.capacity(), dst, 0);
        assertThat(dst.array()).isEqualTo(plaintext);
    }

    @ParameterizedTest(name = "{0} bytes")
    @MethodSource("largeLengths")
    void largeTamperedFramesWriteNoPlaintextEither(final int length)
    {
        final byte[] plaintext = bytes(random, length);
        final ByteBuffer sealed = ByteBuffer.allocateDirect(FrameCipher.sealedLength(length));
        cipher.seal(key, COUNTER, OFFSET, ByteBuffer.wrap(plaintext), 0, length, sealed, 0);

        for (final int flipAt : new int[] {0, length / 2, sealed.capacity() - 1})
        {
            sealed.put(flipAt, (byte)(sealed.get(flipAt) ^ 1));
            final ByteBuffer dst = filled(ByteBuffer.allocateDirect(length));

            assertThatThrownBy(() -> cipher.open(key, COUNTER, OFFSET, sealed, 0, sealed.capacity(), dst, 0))
                .isInstanceOf(AuthenticationFailedException.class);
            assertThat(copy(dst, 0, length)).containsOnly(SENTINEL);

            sealed.put(flipAt, (byte)(sealed.get(flipAt) ^ 1));
        }
    }

    static Stream<Integer> largeLengths()
    {
        return Stream.of(FrameCipher.MAX_FRAME_PLAINTEXT, FrameCipher.MAX_FRAME_PLAINTEXT + 1, 1 << 20);
    }

    @Test
    void frameOpenedUnderAnotherCounterFails()
    {
        final ByteBuffer sealed = sealRandom(300);

        assertThatThrownBy(() -> cipher.open(key, COUNTER + 1, OFFSET, sealed, 0, sealed.capacity(),
            ByteBuffer.allocate(300), 0))
            .isInstanceOf(AuthenticationFailedException.class)
            .hasMessageContaining("frame 8 ");
    }

    @Test
    void frameMovedToAnotherOffsetFails()
    {
        final ByteBuffer sealed = sealRandom(300);

        assertThatThrownBy(() -> cipher.open(key, COUNTER, OFFSET + 316, sealed, 0, sealed.capacity(),
            ByteBuffer.allocate(300), 0))
            .isInstanceOfSatisfying(AuthenticationFailedException.class,
                ex -> assertThat(ex.offset()).isEqualTo(OFFSET + 316));
    }

    @Test
    void frameCopiedIntoAnotherBlockFails()
    {
        final ByteBuffer sealed = sealRandom(300);
        final BlockKey otherBlock = BlockKeys.derive(bytes(random, 32), bytes(random, 16));

        assertThatThrownBy(() -> cipher.open(otherBlock, COUNTER, OFFSET, sealed, 0, sealed.capacity(),
            ByteBuffer.allocate(300), 0))
            .isInstanceOf(AuthenticationFailedException.class)
            .hasMessageContaining(BlockKey.keyIdHex(otherBlock.keyId()));
    }

    @Test
    void truncatedOrExtendedFramesFail()
    {
        final ByteBuffer sealed = ByteBuffer.allocate(400);
        final int sealedLength = cipher.seal(key, COUNTER, OFFSET, ByteBuffer.wrap(bytes(random, 300)), 0, 300, sealed,
            0);

        for (final int length : new int[] {0, 1, FrameCipher.TAG_LENGTH - 1, FrameCipher.TAG_LENGTH, sealedLength - 1,
            sealedLength + 1})
        {
            assertThatThrownBy(() -> cipher.open(key, COUNTER, OFFSET, sealed, 0, length, ByteBuffer.allocate(400), 0))
                .as("sealed length %d", length)
                .isInstanceOf(AuthenticationFailedException.class);
        }
    }

    @Test
    void nonceAndAssociatedDataAreExactlyAsDocumented() throws Exception
    {
        final long counter = 0x0102030405060708L;
        final byte[] plaintext = bytes(random, 100);
        final ByteBuffer sealed = ByteBuffer.allocate(116);
        cipher.seal(key, counter, OFFSET, ByteBuffer.wrap(plaintext), 0, 100, sealed, 0);

        final byte[] nonce = new byte[FrameCipher.NONCE_LENGTH];
        FrameCipher.nonce(key, counter, nonce, 0);
        final ByteBuffer expectedNonce = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(key.noncePrefix()).putLong(counter);
        assertThat(nonce).isEqualTo(expectedNonce.array());

        final byte[] aad = ByteBuffer.allocate(FrameCipher.AAD_LENGTH).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(key.keyId()).putLong(counter).putLong(OFFSET).array();
        final Cipher reference = Cipher.getInstance("AES/GCM/NoPadding");
        reference.init(Cipher.DECRYPT_MODE, key.dataKey(), new GCMParameterSpec(128, nonce));
        reference.updateAAD(aad);

        assertThat(reference.doFinal(sealed.array())).isEqualTo(plaintext);
    }

    /**
     * GCM specification (McGrew and Viega), test case 16: AES-256, 96-bit IV, 20 bytes of AAD, 60 bytes of
     * plaintext. Pins the provider FrameCipher is built on to the published answer.
     */
    @Test
    void providerReproducesGcmSpecificationTestCase16() throws Exception
    {
        final Cipher provider = FrameCipher.newAesGcm();
        provider.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hex(KAT_KEY), "AES"),
            new GCMParameterSpec(128, hex("cafebabefacedbaddecaf888")));
        provider.updateAAD(hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"));

        assertThat(provider.doFinal(hex(KAT_PLAINTEXT))).isEqualTo(hex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
            "76fc6ece0f4e1768cddf8853bb2d551b"));
    }

    /**
     * A frame's bytes are pinned for a fixed key, nonce prefix, key id, counter and offset (the answer of the
     * JDK cipher given the nonce and associated data the class documents), through every kind of buffer: heap,
     * direct, read-only and in place. The buffers are how FrameCipher reaches the provider, never what it seals.
     */
    @ParameterizedTest(name = "direct src {0}, direct dst {1}")
    @MethodSource("bufferKinds")
    void frameBytesAreTheKnownAnswerThroughEveryBufferKind(final boolean directSrc, final boolean directDst)
    {
        final BlockKey fixed = new BlockKey(new byte[BlockKeys.SALT_LENGTH], new SecretKeySpec(hex(KAT_KEY), "AES"),
            new SecretKeySpec(hex(KAT_KEY), "HmacSHA256"), 0x1122334455667788L, 0x0badcafe);
        final byte[] plaintext = hex(KAT_PLAINTEXT);
        final byte[] expected = hex(
            "6b9b1be39009d8e41b736335a4873db21081af79965c2fa8888cfcd94d354e90" +
            "751ee7b7568f9e5b980938f73246e2fb498bbb010bd0cc37fa00e4aa" +
            "4e795d6d8735d121cf93bfef7421f024");
        final long counter = 0x0102030405060708L;

        final ByteBuffer src = buffer(directSrc, plaintext.length + 3);
        src.put(3, plaintext);
        final ByteBuffer sealed = buffer(directDst, expected.length + 5);
        assertThat(cipher.seal(fixed, counter, OFFSET, src.asReadOnlyBuffer(), 3, plaintext.length, sealed, 5))
            .isEqualTo(expected.length);
        assertThat(copy(sealed, 5, expected.length)).isEqualTo(expected);

        final ByteBuffer opened = buffer(!directSrc, plaintext.length);
        cipher.open(fixed, counter, OFFSET, sealed, 5, expected.length, opened, 0);
        assertThat(copy(opened, 0, plaintext.length)).isEqualTo(plaintext);

        final ByteBuffer inPlace = buffer(directDst, expected.length);
        inPlace.put(0, plaintext);
        cipher.seal(fixed, counter + 1, OFFSET, inPlace, 0, plaintext.length, inPlace.duplicate(), 0);
        cipher.open(fixed, counter + 1, OFFSET, inPlace, 0, expected.length, inPlace.duplicate(), 0);
        assertThat(copy(inPlace, 0, plaintext.length)).isEqualTo(plaintext);
    }

    @Test
    void sealingTheSameCounterTwiceInARowIsRefused()
    {
        cipher.seal(key, COUNTER, OFFSET, ByteBuffer.allocate(10), 0, 10, ByteBuffer.allocate(26), 0);

        assertThatThrownBy(() -> cipher.seal(key, COUNTER, OFFSET + 26, ByteBuffer.allocate(10), 0, 10,
            ByteBuffer.allocate(26), 0))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("refusing to reuse a GCM nonce: frame 7 of block key " +
                BlockKey.keyIdHex(key.keyId()));
    }

    @Test
    void oneInstanceServesManyBlocksAndCountersInAnyOrder()
    {
        final BlockKey[] keys = {key, BlockKeys.derive(bytes(random, 32), bytes(random, 16))};
        final byte[][] plaintexts = new byte[64][];
        final ByteBuffer[] sealed = new ByteBuffer[64];
        for (int i = 0; i < 64; i++)
        {
            plaintexts[i] = bytes(random, 1 + random.nextInt(2000));
            sealed[i] = ByteBuffer.allocateDirect(FrameCipher.sealedLength(plaintexts[i].length));
            cipher.seal(keys[i & 1], i, i * 3000L, ByteBuffer.wrap(plaintexts[i]), 0, plaintexts[i].length, sealed[i],
                0);
        }

        for (int i = 63; i >= 0; i--)
        {
            final ByteBuffer dst = ByteBuffer.allocate(plaintexts[i].length);
            cipher.open(keys[i & 1], i, i * 3000L, sealed[i], 0, sealed[i].capacity(), dst, 0);
            assertThat(dst.array()).isEqualTo(plaintexts[i]);
        }
    }

    @Test
    void inPlaceThroughADuplicateWorks()
    {
        final byte[] plaintext = bytes(random, 500);
        final ByteBuffer buffer = ByteBuffer.allocateDirect(600);
        buffer.put(0, plaintext);

        cipher.seal(key, COUNTER, OFFSET, buffer, 0, 500, buffer.duplicate(), 0);
        cipher.open(key, COUNTER, OFFSET, buffer, 0, 516, buffer.duplicate(), 0);

        assertThat(copy(buffer, 0, 500)).isEqualTo(plaintext);
    }

    @Test
    void misuseIsRejectedByName()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(100);

        assertThatThrownBy(() -> cipher.seal(key, COUNTER, OFFSET, buffer, 0, 10, buffer, 50))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("src and dst must be different ByteBuffer objects");
        assertThatThrownBy(() -> cipher.seal(key, -1, OFFSET, buffer, 0, 10, ByteBuffer.allocate(26), 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("frameCounter must be >= 0, was -1");
        assertThatThrownBy(() -> cipher.seal(key, COUNTER, -5, buffer, 0, 10, ByteBuffer.allocate(26), 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("frameOffset must be >= 0, was -5");
        assertThatThrownBy(() -> cipher.seal(key, COUNTER, OFFSET, buffer, 95, 10, ByteBuffer.allocate(26), 0))
            .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> cipher.seal(key, COUNTER, OFFSET, buffer, 0, 10, ByteBuffer.allocate(25), 0))
            .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> cipher.seal(key, COUNTER, OFFSET, buffer, 0, 10,
            ByteBuffer.allocate(26).asReadOnlyBuffer(), 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("dst must be writable, was a read-only buffer");
        assertThatThrownBy(() -> cipher.open(key, COUNTER, OFFSET, buffer, 0, 50, ByteBuffer.allocate(33), 0))
            .isInstanceOf(IndexOutOfBoundsException.class);
    }

    private ByteBuffer sealRandom(final int length)
    {
        final ByteBuffer sealed = ByteBuffer.allocate(FrameCipher.sealedLength(length));
        cipher.seal(key, COUNTER, OFFSET, ByteBuffer.wrap(bytes(random, length)), 0, length, sealed, 0);
        return sealed;
    }

    private static ByteBuffer buffer(final boolean direct, final int capacity)
    {
        return filled(direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity));
    }

    private static ByteBuffer filled(final ByteBuffer buffer)
    {
        for (int i = 0; i < buffer.capacity(); i++)
        {
            buffer.put(i, SENTINEL);
        }
        return buffer;
    }

    private static byte[] copy(final ByteBuffer buffer, final int index, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.get(index, bytes);
        return bytes;
    }

    static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] hex(final String hex)
    {
        return HexFormat.of().parseHex(hex);
    }
}
