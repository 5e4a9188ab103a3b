package io.ferrite.engine.block;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first size of a table built for a block read lazily: the span state names, never more than the block's bytes
 * could hold records for.
 */
class SequenceTableBuilderTest
{
    private static final long BASE = 5_001;
    private static final int BLOCK = 8 << 20;

    @Test
    void aTableStartsAtTheSpanStateNames()
    {
        assertThat(SequenceTableBuilder.expectedSequences(BASE, BASE + 43_689, BLOCK)).isEqualTo(43_690);
        assertThat(SequenceTableBuilder.expectedSequences(BASE, BASE, BLOCK)).isOne();
    }

    @Test
    void aDamagedStateCannotSizeATableBeyondWhatTheBlockCouldHold()
    {
        final int dataEnd = BlockDescriptor.DATA_OFFSET + 100 * RecordDescriptor.MIN_FRAME_LENGTH;
        assertThat(SequenceTableBuilder.expectedSequences(BASE, BASE + 1_000_000, dataEnd)).isEqualTo(100);
        assertThat(SequenceTableBuilder.expectedSequences(BASE, Long.MAX_VALUE, Integer.MAX_VALUE))
            .isEqualTo(BlockDescriptor.MAX_SEQUENCE_SPAN);
    }

    @Test
    void aBlockWithoutSequencesOrBytesStartsEmpty()
    {
        assertThat(SequenceTableBuilder.expectedSequences(BASE, BASE - 1, BLOCK)).as("tombstones only").isZero();
        assertThat(SequenceTableBuilder.expectedSequences(BASE, 0, BLOCK)).isZero();
        assertThat(SequenceTableBuilder.expectedSequences(BASE, BASE + 10, 0)).as("no data").isZero();
        assertThat(SequenceTableBuilder.expectedSequences(BASE, Long.MIN_VALUE, BLOCK)).isZero();
    }
}
