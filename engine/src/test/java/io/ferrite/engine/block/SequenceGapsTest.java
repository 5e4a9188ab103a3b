package io.ferrite.engine.block;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A scan of one block against the live-message count its entry recorded: gaps are a cut only when the count says
 * messages are missing, and then every gap no removal explains is named with the offset of the record after it.
 */
class SequenceGapsTest
{
    private static final long BASE = 101;

    @Test
    void aGapTheCountExplainsIsNoCut()
    {
        // 101-105, an appendAt jump over 106-109, 110: six messages, as counted.
        final SequenceGaps gaps = new SequenceGaps(BASE, 110, (seq) -> false);
        for (long seq = 101; seq <= 105; seq++)
        {
            gaps.onRecord(seq, 128 + (int)(seq - 101) * 64, true);
        }
        gaps.onRecord(110, 448, true);
        gaps.onEnd(512, false);
        assertThat(gaps.messagesMissing(6)).isFalse();
        assertThat(unexplained(gaps)).containsExactly(new long[] {106, 109, 448});
    }

    @Test
    void fewerMessagesThanCountedNameEveryUnexplainedGapWithItsOffset()
    {
        // 101-103, (104-105 cut: 106 now sits at 104's offset 320), 106, a jump over 107-108 of which 108 was removed,
        // 109, and a skip at 110: the entry counted seven live messages.
        final SequenceGaps gaps = new SequenceGaps(BASE, 110, Set.of(108L)::contains);
        gaps.onRecord(101, 128, true);
        gaps.onRecord(102, 192, true);
        gaps.onRecord(103, 256, true);
        gaps.onRecord(106, 320, true);
        gaps.onRecord(109, 384, true);
        gaps.onRecord(110, 448, false);
        gaps.onEnd(512, false);
        assertThat(gaps.accounted()).isEqualTo(5);
        assertThat(gaps.messagesMissing(7)).isTrue();
        assertThat(unexplained(gaps)).containsExactly(new long[] {104, 105, 320}, new long[] {107, 107, 384});
    }

    @Test
    void damageHoldsTheSequencesUpToTheNextRecord()
    {
        // 102-104 lie in bytes that do not verify: reads of them fail already, so they count, and are no gap.
        final SequenceGaps gaps = new SequenceGaps(BASE, 106, (seq) -> false);
        gaps.onRecord(101, 128, true);
        gaps.onDamage();
        gaps.onRecord(105, 512, true);
        gaps.onRecord(106, 576, true);
        gaps.onEnd(640, false);
        assertThat(gaps.messagesMissing(6)).isFalse();
        assertThat(unexplained(gaps)).isEmpty();
    }

    @Test
    void theEndIsAGapUnlessBytesAreMissingThere()
    {
        final SequenceGaps cutAtTheEnd = new SequenceGaps(BASE, 104, (seq) -> false);
        cutAtTheEnd.onRecord(101, 128, true);
        cutAtTheEnd.onRecord(102, 192, true);
        cutAtTheEnd.onEnd(256, true);
        assertThat(cutAtTheEnd.messagesMissing(4)).isFalse();

        final SequenceGaps gapAtTheEnd = new SequenceGaps(BASE, 104, (seq) -> false);
        gapAtTheEnd.onRecord(101, 128, true);
        gapAtTheEnd.onRecord(102, 192, true);
        gapAtTheEnd.onEnd(256, false);
        assertThat(gapAtTheEnd.messagesMissing(4)).isTrue();
        assertThat(unexplained(gapAtTheEnd)).containsExactly(new long[] {103, 104, 256});
    }

    @Test
    void aRepeatedOrLaterSequenceCountsOnceAndOnlyUpToTheCount()
    {
        final SequenceGaps gaps = new SequenceGaps(BASE, 102, (seq) -> false);
        gaps.onRecord(101, 128, true);
        gaps.onRecord(101, 192, true);
        gaps.onRecord(102, 256, true);
        gaps.onRecord(103, 320, true);
        gaps.onEnd(384, false);
        assertThat(gaps.accounted()).isEqualTo(2);
        assertThat(gaps.messagesMissing(-1)).as("count unknown").isFalse();
    }

    private static List<long[]> unexplained(final SequenceGaps gaps)
    {
        final List<long[]> found = new ArrayList<>();
        gaps.forEachUnexplained((first, last, offset) -> found.add(new long[] {first, last, offset}));
        return found;
    }
}
