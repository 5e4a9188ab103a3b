package io.ferrite.crypto;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HKDF wiring over BouncyCastle reproduces RFC 5869's SHA-256 test vectors, so every key
 * derived through it is the standard construction and not a near miss.
 */
class HkdfTest
{
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void rfc5869TestCase1()
    {
        final byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        final byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
        final byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");

        final byte[] prk = Hkdf.extract(salt, ikm);
        final byte[] okm = Hkdf.expand(prk, info, 42);

        assertThat(HEX.formatHex(prk))
            .isEqualTo("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
        assertThat(HEX.formatHex(okm))
            .isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void rfc5869TestCase3WithEmptySaltAndInfo()
    {
        final byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");

        final byte[] prk = Hkdf.extract(new byte[0], ikm);
        final byte[] okm = Hkdf.expand(prk, new byte[0], 42);

        assertThat(HEX.formatHex(prk))
            .isEqualTo("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
        assertThat(HEX.formatHex(okm))
            .isEqualTo("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    @Test
    void expandIntoAnOffsetWritesOnlyThatRange()
    {
        final byte[] prk = Hkdf.extract(new byte[16], new byte[32]);
        final byte[] out = new byte[20];
        Arrays.fill(out, (byte)0x77);

        Hkdf.expand(prk, new byte[] {1}, out, 4, 8);

        assertThat(Arrays.copyOfRange(out, 4, 12)).isEqualTo(Hkdf.expand(prk, new byte[] {1}, 8));
        assertThat(Arrays.copyOfRange(out, 0, 4)).containsOnly(0x77);
        assertThat(Arrays.copyOfRange(out, 12, 20)).containsOnly(0x77);
    }
}
