package io.ferrite.engine.index;

import io.ferrite.format.RecordDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SequenceTable}: offset by sequence, 0 for none; the listed-sequence searches in both directions; growth that
 * keeps every entry; and lookups outside the table that answer "none" rather than fail.
 */
class SequenceTableTest
{
    private static final long BASE = 1_000;

    @Test
    void anEmptyTableListsNothing()
    {
        final SequenceTable table = new SequenceTable(BASE);
        assertThat(table.baseSeq()).isEqualTo(BASE);
        assertThat(table.endSeq()).isGreaterThan(BASE);
        assertThat(table.get(BASE)).isZero();
        assertThat(table.nextListed(BASE)).isEqualTo(-1);
        assertThat(table.nextListed(0)).isEqualTo(-1);
        assertThat(table.previousListed(Long.MAX_VALUE)).isEqualTo(-1);
        assertThat(table.previousListed(table.endSeq() - 1)).isEqualTo(-1);
    }

    @Test
    void oneEntryIsFoundFromEitherSide()
    {
        final SequenceTable table = new SequenceTable(BASE);
        table.put(BASE, 128);
        assertThat(table.get(BASE)).isEqualTo(128);
        assertThat(table.get(BASE + 1)).isZero();
        assertThat(table.nextListed(1)).as("from below the base").isEqualTo(BASE);
        assertThat(table.nextListed(BASE)).isEqualTo(BASE);
        assertThat(table.nextListed(BASE + 1)).isEqualTo(-1);
        assertThat(table.previousListed(BASE)).isEqualTo(BASE);
        assertThat(table.previousListed(Long.MAX_VALUE)).as("from far above the end").isEqualTo(BASE);
        assertThat(table.previousListed(BASE - 1)).isEqualTo(-1);
    }

    @Test
    void gapsFromAppendAtJumpsAndSkipsAreSteppedOver()
    {
        final SequenceTable table = new SequenceTable(BASE);
        table.put(BASE + 1, 128);
        table.put(BASE + 7, 256);
        table.put(BASE + 500, 512);
        assertThat(table.get(BASE)).isZero();
        assertThat(table.get(BASE + 6)).isZero();
        assertThat(table.nextListed(BASE)).isEqualTo(BASE + 1);
        assertThat(table.nextListed(BASE + 2)).isEqualTo(BASE + 7);
        assertThat(table.nextListed(BASE + 8)).isEqualTo(BASE + 500);
        assertThat(table.previousListed(BASE + 499)).isEqualTo(BASE + 7);
        assertThat(table.previousListed(BASE + 6)).isEqualTo(BASE + 1);
        assertThat(table.previousListed(BASE)).isEqualTo(-1);
    }

    @Test
    void growingKeepsEveryEntryAndCoversTheNewSequence()
    {
        final SequenceTable table = new SequenceTable(BASE);
        final long initialEnd = table.endSeq();
        for (long seq = BASE; seq < initialEnd; seq++)
        {
            table.put(seq, offsetOf(seq));
        }
        table.put(initialEnd, offsetOf(initialEnd));
        assertThat(table.endSeq()).as("grown by at least doubling").isGreaterThanOrEqualTo(
            BASE + 2 * (initialEnd - BASE));
        // A jump far past twice the capacity grows straight to it.
        final long far = BASE + 100 * (initialEnd - BASE);
        table.put(far, offsetOf(far));
        assertThat(table.endSeq()).isGreaterThan(far);
        for (long seq = BASE; seq <= initialEnd; seq++)
        {
            assertThat(table.get(seq)).as("seq %d", seq).isEqualTo(offsetOf(seq));
        }
        assertThat(table.get(far)).isEqualTo(offsetOf(far));
        assertThat(table.nextListed(initialEnd + 1)).isEqualTo(far);
        assertThat(table.previousListed(far - 1)).isEqualTo(initialEnd);
    }

    @Test
    void clearingTheFirstAndLastEntriesMovesTheSearches()
    {
        final SequenceTable table = new SequenceTable(BASE);
        for (long seq = BASE; seq < BASE + 10; seq++)
        {
            table.put(seq, offsetOf(seq));
        }
        table.clear(BASE);
        table.clear(BASE + 9);
        assertThat(table.get(BASE)).isZero();
        assertThat(table.get(BASE + 9)).isZero();
        assertThat(table.nextListed(BASE)).isEqualTo(BASE + 1);
        assertThat(table.previousListed(BASE + 100)).isEqualTo(BASE + 8);
        table.clear(BASE + 4);
        assertThat(table.nextListed(BASE + 4)).isEqualTo(BASE + 5);
        assertThat(table.previousListed(BASE + 4)).isEqualTo(BASE + 3);
    }

    @Test
    void lookupsAndClearsOutsideTheTableAnswerNone()
    {
        final SequenceTable table = new SequenceTable(BASE);
        table.put(BASE, 128);
        table.clear(BASE - 1);
        table.clear(table.endSeq());
        table.clear(Long.MAX_VALUE);
        assertThat(table.get(BASE)).as("an out-of-range clear touched nothing").isEqualTo(128);
        assertThat(table.get(BASE - 1)).isZero();
        assertThat(table.get(0)).isZero();
        assertThat(table.get(table.endSeq())).isZero();
        assertThat(table.get(Long.MAX_VALUE)).isZero();
        assertThat(table.nextListed(table.endSeq())).isEqualTo(-1);
        assertThat(table.nextListed(Long.MAX_VALUE)).isEqualTo(-1);
    }

    @Test
    void worksUpToTheHighestSequence()
    {
        final long base = RecordDescriptor.MAX_SEQUENCE - 9;
        final SequenceTable table = new SequenceTable(base);
        table.put(RecordDescriptor.MAX_SEQUENCE, 4096);
        table.put(base, 128);
        assertThat(table.get(RecordDescriptor.MAX_SEQUENCE)).isEqualTo(4096);
        assertThat(table.nextListed(base + 1)).isEqualTo(RecordDescriptor.MAX_SEQUENCE);
        assertThat(table.previousListed(Long.MAX_VALUE)).isEqualTo(RecordDescriptor.MAX_SEQUENCE);
        assertThat(table.previousListed(RecordDescriptor.MAX_SEQUENCE - 1)).isEqualTo(base);
        assertThat(table.endSeq()).isGreaterThan(RecordDescriptor.MAX_SEQUENCE);
    }

    @Test
    void agreesWithASortedMapOverSeededPutsAndClears()
    {
        final SplittableRandom random = new SplittableRandom(0x5E0_7AB1EL);
        for (int round = 0; round < 20; round++)
        {
            final long base = 1 + random.nextLong(1L << 40);
            final SequenceTable table = new SequenceTable(base);
            final TreeMap<Long, Integer> model = new TreeMap<>();
            long seq = base - 1;
            for (int op = 0; op < 3_000; op++)
            {
                if (random.nextInt(4) == 0 && !model.isEmpty())
                {
                    final Long above = model.ceilingKey(base + random.nextLong(seq - base + 1));
                    final long key = null == above ? model.lastKey() : above;
                    table.clear(key);
                    model.remove(key);
                }
                else
                {
                    // Mostly consecutive, sometimes a skip or an appendAt jump.
                    seq += random.nextInt(10) == 0 ? 1 + random.nextInt(3_000) : 1;
                    final int offset = 128 + 8 * op;
                    table.put(seq, offset);
                    model.put(seq, offset);
                }
            }
            for (int probe = 0; probe < 2_000; probe++)
            {
                final long at = base - 5 + random.nextLong(seq - base + 10);
                assertThat(table.get(at)).isEqualTo(model.getOrDefault(at, 0));
                final Map.Entry<Long, Integer> next = model.ceilingEntry(at);
                final Map.Entry<Long, Integer> previous = model.floorEntry(at);
                assertThat(table.nextListed(at)).as("nextListed(%d)", at).isEqualTo(null == next ? -1 : next.getKey());
                assertThat(table.previousListed(at)).as("previousListed(%d)", at)
                    .isEqualTo(null == previous ? -1 : previous.getKey());
            }
        }
    }

    /**
     * The entries live off the heap, zeroed; a sequence below the block's base or beyond what a table can index is a
     * caller's bug, refused by name rather than written somewhere off the heap.
     */
    @Test
    void entriesAreOffTheHeapAndOutOfRangeSequencesAreRefused()
    {
        final UnsafeBuffer entries = SequenceTable.allocate(10);
        assertThat(entries.byteArray()).as("off the heap").isNull();
        assertThat(entries.capacity()).as("never below the minimum").isEqualTo(1024 * Integer.BYTES);
        final SequenceTable table = new SequenceTable(BASE, entries);
        assertThat(table.endSeq()).isEqualTo(BASE + 1024);
        assertThatThrownBy(() -> table.put(BASE - 1, 128)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(Long.toString(BASE - 1));
        assertThatThrownBy(() -> table.put(BASE + Integer.MAX_VALUE, 128))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SequenceTable(BASE, new UnsafeBuffer(new byte[6])))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("6 bytes");
        assertThat(table.nextListed(BASE)).as("nothing written by the refusals").isEqualTo(-1);
    }

    private static int offsetOf(final long seq)
    {
        return 128 + 8 * (int)(seq - BASE);
    }
}
