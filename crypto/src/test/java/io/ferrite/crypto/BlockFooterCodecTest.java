package io.ferrite.crypto;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import javax.crypto.Mac;

import static io.ferrite.crypto.BlockKeysTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The footer is readable plaintext at fixed offsets, and trusting it is safe: any altered byte, or
 * a footer presented for another block, fails authentication before any value is returned.
 */
class BlockFooterCodecTest
{
    private static final long BLOCK_ID = 12;
    private static final long FILE_OFFSET = 8_388_488;

    private final SplittableRandom random = new SplittableRandom(7);
    private final byte[] streamKey = bytes(random, 32);
    private final BlockKey key = BlockKeys.derive(streamKey, bytes(random, 16));
    private final BlockFooterCodec codec = new BlockFooterCodec();
    private final BlockFooter values = new BlockFooter(
        0xCAFEBABE_DEADBEEFL, 1_001, 2_000, 1_700_000_000_000_000_000L, 1_700_000_001_000_000_000L, 990, 262_144,
            8_388_000, 33);

    @Test
    void footerIsOneHundredAndTwentyBytes()
    {
        assertThat(BlockFooterCodec.FOOTER_LENGTH).isEqualTo(120);
        assertThat(BlockFooterCodec.MAC_OFFSET + BlockFooterCodec.MAC_LENGTH).isEqualTo(BlockFooterCodec.FOOTER_LENGTH);
    }

    @Test
    void encodeThenDecodeRoundTripsInHeapAndDirectBuffers()
    {
        for (final ByteBuffer buffer : new ByteBuffer[] {ByteBuffer.allocate(200), ByteBuffer.allocateDirect(200)})
        {
            codec.encode(key, BLOCK_ID, values, buffer, 37);

            assertThat(codec.decode(key, BLOCK_ID, buffer, 37, FILE_OFFSET)).isEqualTo(values);
            assertThat(buffer.position()).isZero();
            assertThat(buffer.limit()).isEqualTo(200);
        }
    }

    @Test
    void aToolWithoutTheKeyReadsTheSameFieldsUnverified()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(200).order(ByteOrder.BIG_ENDIAN);
        codec.encode(key, BLOCK_ID, values, buffer, 41);

        assertThat(BlockFooterCodec.peekUnverified(buffer, 41)).isEqualTo(values);
        assertThat(BlockFooterCodec.peekKeyId(buffer, 41)).isEqualTo(key.keyId());
        assertThat(buffer.order()).as("the caller's byte order is left alone").isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThatThrownBy(() -> BlockFooterCodec.peekUnverified(buffer, 100))
            .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void aFreshCodecAndARederivedKeyDecodeWhatAnotherWrote()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH);
        codec.encode(key, BLOCK_ID, values, buffer, 0);

        final BlockKey rederived = BlockKeys.derive(streamKey, key.salt());

        assertThat(new BlockFooterCodec().decode(rederived, BLOCK_ID, buffer, 0, FILE_OFFSET)).isEqualTo(values);
    }

    @Test
    void encodeWritesOnlyTheFooterRange()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(300);
        for (int i = 0; i < 300; i++)
        {
            buffer.put(i, (byte)0x5A);
        }

        codec.encode(key, BLOCK_ID, values, buffer, 100);

        for (int i = 0; i < 300; i++)
        {
            if (i < 100 || i >= 220)
            {
                assertThat(buffer.get(i)).as("byte %d", i).isEqualTo((byte)0x5A);
            }
        }
    }

    @Test
    void fieldsSitInPlaintextAtTheDocumentedOffsets()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);

        codec.encode(key, BLOCK_ID, values, buffer, 0);

        assertThat(new String(buffer.array(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("FRFT");
        assertThat(buffer.getInt(0)).isEqualTo(BlockFooterCodec.MAGIC);
        assertThat(buffer.getShort(4)).isEqualTo((short)1);
        assertThat(buffer.getShort(6)).isZero();
        assertThat(buffer.getLong(8)).isEqualTo(key.keyId());
        assertThat(buffer.getLong(16)).isEqualTo(values.lastChecksum());
        assertThat(buffer.getLong(24)).isEqualTo(values.firstSeq());
        assertThat(buffer.getLong(32)).isEqualTo(values.lastSeq());
        assertThat(buffer.getLong(40)).isEqualTo(values.firstTime());
        assertThat(buffer.getLong(48)).isEqualTo(values.lastTime());
        assertThat(buffer.getLong(56)).isEqualTo(values.messageCount());
        assertThat(buffer.getLong(64)).isEqualTo(values.byteCount());
        assertThat(buffer.getLong(72)).isEqualTo(values.dataEndOffset());
        assertThat(buffer.getLong(80)).isEqualTo(values.frameCount());
    }

    @Test
    void flippingAnyBitOfAnyFooterByteFailsAuthenticationNamingBlockAndOffset()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(BlockFooterCodec.FOOTER_LENGTH);
        codec.encode(key, BLOCK_ID, values, buffer, 0);

        for (int i = 0; i < BlockFooterCodec.FOOTER_LENGTH; i++)
        {
            for (final int mask : new int[] {0x01, 0x80, 0xFF})
            {
                buffer.put(i, (byte)(buffer.get(i) ^ mask));

                assertThatThrownBy(() -> codec.decode(key, BLOCK_ID, buffer, 0, FILE_OFFSET))
                    .as("footer byte %d flipped with %02x", i, mask)
                    .isInstanceOfSatisfying(AuthenticationFailedException.class, ex ->
                    {
                        assertThat(ex.what()).isEqualTo("footer of block 12");
                        assertThat(ex.offset()).isEqualTo(FILE_OFFSET);
                        assertThat(ex).hasMessage("authentication failed for footer of block 12 at offset 8388488");
                    });

                buffer.put(i, (byte)(buffer.get(i) ^ mask));
            }
        }
        assertThat(codec.decode(key, BLOCK_ID, buffer, 0, FILE_OFFSET)).isEqualTo(values);
    }

    @Test
    void footerPresentedForAnotherBlockIdFails()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH);
        codec.encode(key, BLOCK_ID, values, buffer, 0);

        assertThatThrownBy(() -> codec.decode(key, BLOCK_ID + 1, buffer, 0, FILE_OFFSET))
            .isInstanceOf(AuthenticationFailedException.class)
            .hasMessageContaining("footer of block 13");
    }

    @Test
    void footerCopiedFromAnotherBlockOfTheSameStreamFails()
    {
        final BlockKey otherBlock = BlockKeys.derive(streamKey, bytes(random, 16));
        final ByteBuffer buffer = ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH);
        codec.encode(otherBlock, BLOCK_ID, values, buffer, 0);

        assertThatThrownBy(() -> codec.decode(key, BLOCK_ID, buffer, 0, FILE_OFFSET))
            .isInstanceOf(AuthenticationFailedException.class);
    }

    @Test
    void zeroesWhereAFooterShouldBeFailAuthentication()
    {
        final ByteBuffer unsealed = ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH);

        assertThat(BlockFooterCodec.looksLikeFooter(unsealed, 0)).isFalse();
        assertThatThrownBy(() -> codec.decode(key, BLOCK_ID, unsealed, 0, FILE_OFFSET))
            .isInstanceOf(AuthenticationFailedException.class);
    }

    @Test
    void looksLikeFooterIsAHintFromMagicAndVersionOnly()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(150);
        codec.encode(key, BLOCK_ID, values, buffer, 30);

        assertThat(BlockFooterCodec.looksLikeFooter(buffer, 30)).isTrue();
        buffer.put(30 + 100, (byte)~buffer.get(30 + 100));
        assertThat(BlockFooterCodec.looksLikeFooter(buffer, 30)).isTrue();
        buffer.put(30 + 4, (byte)2);
        assertThat(BlockFooterCodec.looksLikeFooter(buffer, 30)).isFalse();
    }

    @Test
    void anAuthenticFooterOfAnotherFormatVersionIsRefusedNotMisread() throws Exception
    {
        final ByteBuffer buffer = ByteBuffer.allocate(BlockFooterCodec.FOOTER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        codec.encode(key, BLOCK_ID, values, buffer, 0);
        buffer.putShort(BlockFooterCodec.VERSION_OFFSET, (short)2);
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key.macKey());
        mac.update(buffer.array(), 0, BlockFooterCodec.MAC_OFFSET);
        mac.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, BLOCK_ID).array());
        mac.update(key.salt());
        mac.doFinal(buffer.array(), BlockFooterCodec.MAC_OFFSET);

        assertThatThrownBy(() -> codec.decode(key, BLOCK_ID, buffer, 0, FILE_OFFSET))
            .isExactlyInstanceOf(CryptoException.class)
            .hasMessageContaining("footer of block 12 at offset 8388488 is authentic but of an unsupported format")
            .hasMessageContaining("version 2");
    }

    @Test
    void buffersTooShortForAFooterAreRejected()
    {
        assertThatThrownBy(() -> codec.encode(key, BLOCK_ID, values, ByteBuffer.allocate(119), 0))
            .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> codec.decode(key, BLOCK_ID, ByteBuffer.allocate(130), 11, FILE_OFFSET))
            .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void footerValuesRejectNegativeCountsByName()
    {
        assertThatThrownBy(() -> new BlockFooter(0, 1, 1, 0, 0, -1, 0, 0, 0))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("messageCount must be >= 0, was -1");
        assertThatThrownBy(() -> new BlockFooter(0, 1, 1, 0, 0, 0, -2, 0, 0))
            .hasMessage("byteCount must be >= 0, was -2");
        assertThatThrownBy(() -> new BlockFooter(0, 1, 1, 0, 0, 0, 0, -3, 0))
            .hasMessage("dataEndOffset must be >= 0, was -3");
        assertThatThrownBy(() -> new BlockFooter(0, 1, 1, 0, 0, 0, 0, 0, -4))
            .hasMessage("frameCount must be >= 0, was -4");
    }
}
