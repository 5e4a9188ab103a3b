package io.ferrite.format;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

class BlockFileNameTest
{
    @Test
    void namesAreTheIdInTwentyZeroPaddedDigits()
    {
        assertThat(BlockDescriptor.fileName(0)).isEqualTo("00000000000000000000.blk");
        assertThat(BlockDescriptor.fileName(42)).isEqualTo("00000000000000000042.blk");
        assertThat(BlockDescriptor.fileName(Long.MAX_VALUE)).isEqualTo("09223372036854775807.blk");
        // What the names were made with before (in a locale with ASCII digits): the on-disk names must not change.
        for (final long id : new long[]{ 1, 9, 10, 99_999, 1L << 40, Long.MAX_VALUE - 1 })
        {
            assertThat(BlockDescriptor.fileName(id)).isEqualTo(String.format(Locale.ROOT, "%020d.blk", id));
        }
    }

    @Test
    void namesParseBackToTheirIdsAndSortAsTheIdsDo()
    {
        long previous = -1;
        for (long id = 0; id < 2_000_000_000_000L; id = id * 7 + 3)
        {
            assertThat(BlockDescriptor.parseFileName(BlockDescriptor.fileName(id))).isEqualTo(id);
            if (previous >= 0)
            {
                assertThat(BlockDescriptor.fileName(previous)).isLessThan(BlockDescriptor.fileName(id));
            }
            previous = id;
        }
    }

    @Test
    void aNegativeIdNamedByADamagedStateFileGetsANameNoBlockHas()
    {
        assertThat(BlockDescriptor.fileName(-1)).isEqualTo("-0000000000000000001.blk");
        assertThat(BlockDescriptor.parseFileName(BlockDescriptor.fileName(-1))).isEqualTo(-1);
        assertThat(BlockDescriptor.parseFileName(BlockDescriptor.fileName(Long.MIN_VALUE))).isEqualTo(-1);
    }
}
