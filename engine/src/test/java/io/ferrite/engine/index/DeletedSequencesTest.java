package io.ferrite.engine.index;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link DeletedSequences}: a block's removed set — membership, the count, ranges (whole 64-bit words at once), growth,
 * the runs it is persisted as, and sequences it cannot hold.
 */
class DeletedSequencesTest
{
    private static final long BASE = 5_000;

    @Test
    void anEmptySetHoldsNothingAndHasNoRuns()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        assertThat(deleted.isEmpty()).isTrue();
        assertThat(deleted.count()).isZero();
        assertThat(deleted.contains(BASE)).isFalse();
        assertThat(deleted.contains(BASE - 1)).isFalse();
        assertThat(deleted.contains(Long.MAX_VALUE)).isFalse();
        assertThat(runs(deleted)).isEmpty();
    }

    @Test
    void addSaysWhetherTheSequenceWasNew()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        assertThat(deleted.add(BASE + 3)).isTrue();
        assertThat(deleted.add(BASE + 3)).isFalse();
        assertThat(deleted.count()).isEqualTo(1);
        assertThat(deleted.isEmpty()).isFalse();
        assertThat(deleted.contains(BASE + 3)).isTrue();
        assertThat(deleted.contains(BASE + 2)).isFalse();
        assertThat(deleted.contains(BASE + 4)).isFalse();
        assertThat(runs(deleted)).containsExactly(run(BASE + 3, BASE + 3));
    }

    @Test
    void aSequenceBelowTheBaseIsRefusedNamingBoth()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        assertThatThrownBy(() -> deleted.add(BASE - 1)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("seq " + (BASE - 1)).hasMessageContaining(Long.toString(BASE));
        assertThat(deleted.isEmpty()).isTrue();
        // A range reaching below the base (a tombstone across blocks) records only the part this block holds.
        deleted.addRange(BASE - 64, BASE + 100);
        assertThat(deleted.count()).isEqualTo(101);
        assertThat(runs(deleted)).containsExactly(run(BASE, BASE + 100));
    }

    @Test
    void theFirstAndLastBitsOfAWordAndTheBase()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        deleted.add(BASE);
        deleted.add(BASE + 63);
        deleted.add(BASE + 64);
        deleted.add(BASE + 127);
        assertThat(deleted.count()).isEqualTo(4);
        assertThat(runs(deleted)).containsExactly(run(BASE, BASE), run(BASE + 63, BASE + 64),
            run(BASE + 127, BASE + 127));
    }

    @Test
    void growingFarKeepsWhatWasThere()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        deleted.add(BASE + 1);
        deleted.add(BASE + 1_000_000);
        assertThat(deleted.contains(BASE + 1)).isTrue();
        assertThat(deleted.contains(BASE + 1_000_000)).isTrue();
        assertThat(deleted.contains(BASE + 999_999)).isFalse();
        assertThat(runs(deleted)).containsExactly(run(BASE + 1, BASE + 1), run(BASE + 1_000_000, BASE + 1_000_000));
    }

    @Test
    void rangesFillWholeWordsAndCountWhatWasAlreadyThereOnce()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        deleted.add(BASE + 70);
        deleted.add(BASE + 100);
        // Starts mid-word, covers word 1 whole (which held two already), ends mid-word 3.
        deleted.addRange(BASE + 10, BASE + 200);
        assertThat(deleted.count()).isEqualTo(191);
        assertThat(runs(deleted)).containsExactly(run(BASE + 10, BASE + 200));
        deleted.addRange(BASE + 300, BASE + 299);
        assertThat(deleted.count()).as("an empty range adds nothing").isEqualTo(191);
        deleted.addRange(BASE + 201, BASE + 201);
        assertThat(runs(deleted)).containsExactly(run(BASE + 10, BASE + 201));
    }

    @Test
    void aRunThatFillsTheBitmapToItsEndIsReported()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        deleted.addRange(BASE + 64, BASE + 127);
        assertThat(runs(deleted)).containsExactly(run(BASE + 64, BASE + 127));
        deleted.addRange(BASE, BASE + 63);
        assertThat(runs(deleted)).containsExactly(run(BASE, BASE + 127));
        assertThat(deleted.count()).isEqualTo(128);
    }

    @Test
    void aSequenceFarBeyondTheBitmapIsNotContained()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        deleted.add(BASE);
        // Word indexes past 2^31 must not wrap onto the words that exist (nor below zero).
        assertThat(deleted.contains(BASE + (1L << 38))).isFalse();
        assertThat(deleted.contains(BASE + (1L << 37))).isFalse();
        assertThat(deleted.contains(BASE + (1L << 62))).isFalse();
    }

    @Test
    void aSequenceBeyondWhatTheBitmapCanHoldIsRefusedNotWrapped()
    {
        final DeletedSequences deleted = new DeletedSequences(BASE);
        assertThatThrownBy(() -> deleted.add(BASE + (1L << 38))).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("seq " + (BASE + (1L << 38)));
        deleted.addRange(BASE + (1L << 38), BASE + (1L << 38) + 63);
        assertThat(deleted.contains(BASE)).as("nothing was marked in its place").isFalse();
        assertThat(deleted.contains(BASE + (1L << 38))).as("past the span no block holds it").isFalse();
        assertThat(deleted.isEmpty()).isTrue();
    }

    @Test
    void agreesWithASortedSetOverSeededAddsAndRanges()
    {
        final SplittableRandom random = new SplittableRandom(0xDE1E7EDL);
        for (int round = 0; round < 30; round++)
        {
            final long base = 1 + random.nextLong(1L << 40);
            final DeletedSequences deleted = new DeletedSequences(base);
            final TreeSet<Long> model = new TreeSet<>();
            final int span = 1 + random.nextInt(5_000);
            for (int op = 0; op < 200; op++)
            {
                final long from = base + random.nextInt(span);
                if (random.nextBoolean())
                {
                    assertThat(deleted.add(from)).isEqualTo(model.add(from));
                }
                else
                {
                    final long to = from + random.nextInt(300) - 10;
                    deleted.addRange(from, to);
                    for (long seq = from; seq <= to; seq++)
                    {
                        model.add(seq);
                    }
                }
                assertThat(deleted.count()).isEqualTo(model.size());
            }
            for (long seq = base - 3; seq < base + span + 400; seq++)
            {
                assertThat(deleted.contains(seq)).as("contains(%d)", seq).isEqualTo(model.contains(seq));
            }
            final List<long[]> expected = new ArrayList<>();
            for (final long seq : model)
            {
                if (!expected.isEmpty() && expected.get(expected.size() - 1)[1] == seq - 1)
                {
                    expected.get(expected.size() - 1)[1] = seq;
                }
                else
                {
                    expected.add(run(seq, seq));
                }
            }
            assertThat(runs(deleted)).as("runs, ascending and merged").containsExactlyElementsOf(expected);
        }
    }

    private static List<long[]> runs(final DeletedSequences deleted)
    {
        final List<long[]> runs = new ArrayList<>();
        deleted.forEachRun((from, to) -> runs.add(run(from, to)));
        return runs;
    }

    private static long[] run(final long from, final long to)
    {
        return new long[] {from, to};
    }
}
