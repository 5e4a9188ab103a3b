package io.ferrite.format;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.ferrite.format.RecordDescriptor.MAX_SEQUENCE;
import static io.ferrite.format.RecordDescriptor.TYPE_DELETE;
import static io.ferrite.format.RecordDescriptor.TYPE_MESSAGE;
import static io.ferrite.format.RecordDescriptor.TYPE_SKIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Message and tombstone nonce counters of an encrypted block never meet: a message's never has the tombstone bit, a
 * tombstone's always does, and a sequence that would carry the bit is refused rather than turned into a counter.
 */
class FrameCountersTest
{
    @Test
    void theDomainsAreDisjointAtTheirEdgesAndAtRandom()
    {
        assertThat(FrameCounters.TOMBSTONE_DOMAIN).isEqualTo(1L << 62).isEqualTo(MAX_SEQUENCE + 1);
        assertThat(FrameCounters.of(TYPE_MESSAGE, MAX_SEQUENCE, 0)).isEqualTo(MAX_SEQUENCE);
        assertThat(FrameCounters.of(TYPE_SKIP, 1, 0)).isEqualTo(1);
        assertThat(FrameCounters.of(TYPE_DELETE, MAX_SEQUENCE, 0)).isEqualTo(FrameCounters.TOMBSTONE_DOMAIN);
        assertThat(FrameCounters.of(TYPE_DELETE, 7, Integer.MAX_VALUE))
            .isEqualTo(FrameCounters.TOMBSTONE_DOMAIN + Integer.MAX_VALUE);
        final SplittableRandom random = new SplittableRandom(0xC0FFEE);
        for (int i = 0; i < 100_000; i++)
        {
            final long seq = random.nextLong(MAX_SEQUENCE + 1);
            final int offset = random.nextInt(Integer.MAX_VALUE);
            assertThat(FrameCounters.of(TYPE_MESSAGE, seq, offset) & FrameCounters.TOMBSTONE_DOMAIN).isZero();
            assertThat(FrameCounters.of(TYPE_DELETE, seq, offset) & FrameCounters.TOMBSTONE_DOMAIN).isNotZero();
        }
    }

    @Test
    void aSequenceOutsideTheDomainHasNoCounter()
    {
        for (final long seq : new long[] {MAX_SEQUENCE + 1, MAX_SEQUENCE + 12_345, Long.MAX_VALUE, -1})
        {
            assertThatThrownBy(() -> FrameCounters.of(TYPE_MESSAGE, seq, 128))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("sequence " + seq);
            assertThatThrownBy(() -> FrameCounters.of(TYPE_SKIP, seq, 128)).isInstanceOf(IllegalStateException.class);
        }
        assertThatThrownBy(() -> FrameCounters.of(TYPE_DELETE, 1, -8)).isInstanceOf(IllegalStateException.class);
    }
}
