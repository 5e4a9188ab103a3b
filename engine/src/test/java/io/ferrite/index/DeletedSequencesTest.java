package io.ferrite.index;

import io.ferrite.engine.index.DeletedSequences;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A block's removed set holds only the sequences the block can hold, however far a range reaches: a run a forged
 * {@code state.db} raised to the sequence ceiling once built a bitmap of 2^62 bits.
 */
class DeletedSequencesTest
{
    private static final long SPAN = BlockDescriptor.MAX_SEQUENCE_SPAN;

    @Test
    void aRangeToTheCeilingKeepsOnlyTheBlocksSpan()
    {
        final long base = 1_000;
        final DeletedSequences deleted = new DeletedSequences(base);
        deleted.addRange(1, RecordDescriptor.MAX_SEQUENCE - 1);
        assertThat(deleted.count()).isEqualTo((int)SPAN);
        assertThat(deleted.contains(base - 1)).isFalse();
        assertThat(deleted.contains(base)).isTrue();
        assertThat(deleted.contains(base + SPAN - 1)).isTrue();
        assertThat(deleted.contains(base + SPAN)).isFalse();
        // Far past the span, where the word index would wrap around an int.
        assertThat(deleted.contains(base + (1L << 37))).isFalse();
        final List<long[]> runs = new ArrayList<>();
        deleted.forEachRun((from, to) -> runs.add(new long[] {from, to}));
        assertThat(runs).containsExactly(new long[] {base, base + SPAN - 1});
    }

    @Test
    void aSingleSequenceOutsideTheSpanIsRefused()
    {
        final DeletedSequences deleted = new DeletedSequences(1);
        assertThatThrownBy(() -> deleted.add(1 + SPAN)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(String.valueOf(1 + SPAN));
        assertThatThrownBy(() -> deleted.add(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(deleted.add(SPAN)).isTrue();
        assertThat(deleted.count()).isEqualTo(1);
    }

    @Test
    void aRangeStartingBelowTheBaseStartsAtIt()
    {
        final DeletedSequences deleted = new DeletedSequences(100);
        deleted.addRange(3, 130);
        assertThat(deleted.count()).isEqualTo(31);
        assertThat(deleted.contains(99)).isFalse();
        assertThat(deleted.contains(100)).isTrue();
    }
}
