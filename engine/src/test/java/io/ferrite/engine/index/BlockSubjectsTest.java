package io.ferrite.engine.index;

import org.junit.jupiter.api.Test;

import java.util.IdentityHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BlockSubjects}: one block's per-subject first, last and count — kept by the appender through each entry's
 * position cache, or by a scan through its own map; bounds after removals; columns that grow by replacement.
 */
class BlockSubjectsTest
{
    private final SubjectIndex index = new SubjectIndex();

    @Test
    void anEmptySummaryHoldsNoSubject()
    {
        final BlockSubjects summary = new BlockSubjects(false);
        assertThat(summary.size()).isZero();
        assertThat(summary.isPartial()).isFalse();
        assertThat(summary.positionOf(index.entryFor("a"))).isEqualTo(-1);
        assertThat(new BlockSubjects(true).isPartial()).isTrue();
    }

    @Test
    void oneSubjectCountsItsMessagesAndMovesItsLast()
    {
        final BlockSubjects summary = new BlockSubjects(false);
        final SubjectIndex.Entry a = index.entryFor("a");
        summary.onMessage(a, 10);
        assertThat(summary.size()).isEqualTo(1);
        assertThat(summary.positionOf(a)).isZero();
        assertColumns(summary, a, 10, 10, 1);
        summary.onMessage(a, 11);
        summary.onMessage(a, 40);
        assertThat(summary.size()).isEqualTo(1);
        assertColumns(summary, a, 10, 40, 3);
    }

    @Test
    void subjectsKeepTheirOwnColumnsInArrivalOrder()
    {
        final BlockSubjects summary = new BlockSubjects(false);
        final SubjectIndex.Entry a = index.entryFor("a");
        final SubjectIndex.Entry b = index.entryFor("b.c");
        summary.onMessage(a, 1);
        summary.onMessage(b, 2);
        summary.onMessage(a, 3);
        assertThat(summary.size()).isEqualTo(2);
        assertThat(summary.positionOf(a)).isZero();
        assertThat(summary.positionOf(b)).isEqualTo(1);
        assertColumns(summary, a, 1, 3, 2);
        assertColumns(summary, b, 2, 2, 1);
    }

    @Test
    void growingReplacesTheColumnsWholeAndLeavesTheOldSetConsistent()
    {
        final BlockSubjects summary = new BlockSubjects(false);
        final SubjectIndex.Entry[] entries = new SubjectIndex.Entry[50];
        BlockSubjects.Columns before = summary.columns();
        int replaced = 0;
        for (int i = 0; i < entries.length; i++)
        {
            entries[i] = index.entryFor("s." + i);
            summary.onMessage(entries[i], 100 + i);
            final BlockSubjects.Columns now = summary.columns();
            if (now != before)
            {
                replaced++;
                // A reader that read the size before the growth reads only positions the old set holds whole.
                for (int p = 0; p < i; p++)
                {
                    assertThat(before.entry(p)).isSameAs(entries[p]);
                    assertThat(before.first(p)).isEqualTo(100 + p);
                    assertThat(before.count(p)).isEqualTo(1);
                }
                before = now;
            }
        }
        assertThat(replaced).as("grown more than once for 50 subjects").isGreaterThan(1);
        assertThat(summary.size()).isEqualTo(50);
        for (int i = 0; i < entries.length; i++)
        {
            assertThat(summary.positionOf(entries[i])).isEqualTo(i);
            assertColumns(summary, entries[i], 100 + i, 100 + i, 1);
        }
    }

    @Test
    void aRemovalLowersTheCountAndLeavesTheBounds()
    {
        final BlockSubjects summary = new BlockSubjects(false);
        final SubjectIndex.Entry a = index.entryFor("a");
        summary.onMessage(a, 5);
        summary.onMessage(a, 6);
        summary.onMessage(a, 7);
        summary.onRemove(a);
        assertColumns(summary, a, 5, 7, 2);
        summary.onRemove(a);
        summary.onRemove(a);
        assertColumns(summary, a, 5, 7, 0);
        summary.onRemove(index.entryFor("not.here"));
        assertThat(summary.size()).as("removing a subject the block does not hold changes nothing").isEqualTo(1);
    }

    @Test
    void anEntryCountedInTwoBlocksIsFoundInBoth()
    {
        // The appender's cache follows the subject to the newest block; the older block finds it by search.
        final BlockSubjects older = new BlockSubjects(false);
        final BlockSubjects newer = new BlockSubjects(false);
        final SubjectIndex.Entry other = index.entryFor("other");
        final SubjectIndex.Entry a = index.entryFor("a");
        older.onMessage(other, 1);
        older.onMessage(a, 2);
        newer.onMessage(a, 30);
        newer.onMessage(a, 31);
        assertThat(older.positionOf(a)).isEqualTo(1);
        assertThat(newer.positionOf(a)).isZero();
        older.onRemove(a);
        assertColumns(older, a, 2, 2, 0);
        assertColumns(newer, a, 30, 31, 2);
    }

    @Test
    void aScanCountsThroughItsOwnMapAndLeavesTheAppendersCacheAlone()
    {
        final BlockSubjects tail = new BlockSubjects(false);
        final SubjectIndex.Entry a = index.entryFor("a");
        final SubjectIndex.Entry b = index.entryFor("b");
        tail.onMessage(b, 50);
        tail.onMessage(a, 51);
        final BlockSubjects scanned = new BlockSubjects(false);
        final Map<SubjectIndex.Entry, Integer> positions = new IdentityHashMap<>();
        scanned.onScanned(a, 3, positions);
        scanned.onScanned(b, 4, positions);
        scanned.onScanned(a, 9, positions);
        assertThat(positions).containsEntry(a, 0).containsEntry(b, 1);
        assertColumns(scanned, a, 3, 9, 2);
        assertColumns(scanned, b, 4, 4, 1);
        // The appender's next message of a still lands in the tail's own column for it.
        tail.onMessage(a, 52);
        assertColumns(tail, a, 51, 52, 2);
        assertThat(tail.size()).isEqualTo(2);
    }

    private static void assertColumns(
        final BlockSubjects summary, final SubjectIndex.Entry entry, final long first, final long last, final int count)
    {
        final int position = summary.positionOf(entry);
        assertThat(position).as("position of %s", entry.subject()).isBetween(0, summary.size() - 1);
        final BlockSubjects.Columns columns = summary.columns();
        assertThat(columns.entry(position)).isSameAs(entry);
        assertThat(columns.first(position)).as("first of %s", entry.subject()).isEqualTo(first);
        assertThat(columns.last(position)).as("last of %s", entry.subject()).isEqualTo(last);
        assertThat(columns.count(position)).as("count of %s", entry.subject()).isEqualTo(count);
    }
}
