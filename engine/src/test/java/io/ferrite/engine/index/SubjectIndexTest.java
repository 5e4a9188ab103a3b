package io.ferrite.engine.index;

import io.ferrite.engine.testing.ReferenceSubjects;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SubjectIndex}: per-subject count, first and last kept on append and removal without searching — exact, or a
 * bound marked inexact after a removal took the first or last message, and exact again once one message is left —
 * subjects dropped when they empty, restore and clear, and the highest last sequence over a wildcard filter.
 */
class SubjectIndexTest
{
    private final SubjectIndex index = new SubjectIndex();

    @Test
    void anEmptyIndexKnowsNoSubject()
    {
        assertThat(index.size()).isZero();
        assertThat(index.get("a")).isNull();
        assertThat(index.lastSeq("a")).isZero();
        assertThat(index.firstSeq("a")).isZero();
        assertThat(index.lastSeqMatching(">")).isZero();
    }

    @Test
    void entryForCreatesOnceAndTheFirstMessageSetsBothEnds()
    {
        final SubjectIndex.Entry entry = index.entryFor("orders.eu");
        assertThat(index.entryFor("orders.eu")).isSameAs(entry);
        assertThat(entry.subject()).isEqualTo("orders.eu");
        index.onMessage(entry, 7);
        assertExact(entry, 1, 7, 7);
        index.onMessage("orders.eu", 9);
        assertExact(entry, 2, 7, 9);
        assertThat(index.firstSeq("orders.eu")).isEqualTo(7);
        assertThat(index.lastSeq("orders.eu")).isEqualTo(9);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void removingAMiddleMessageKeepsBothEndsExact()
    {
        final SubjectIndex.Entry entry = messages("a", 1, 2, 3);
        index.onRemove(entry, 2);
        assertExact(entry, 2, 1, 3);
    }

    @Test
    void removingTheFirstLeavesALowerBound()
    {
        final SubjectIndex.Entry entry = messages("a", 1, 4, 9);
        index.onRemove(entry, 1);
        assertThat(entry.msgs()).isEqualTo(2);
        assertThat(entry.firstExact()).isFalse();
        assertThat(entry.firstSeq()).isEqualTo(2).isLessThanOrEqualTo(4);
        assertThat(entry.lastExact()).isTrue();
        assertThat(entry.lastSeq()).isEqualTo(9);
        entry.firstSeq(4);
        assertExact(entry, 2, 4, 9);
    }

    @Test
    void removingTheLastLeavesAnUpperBound()
    {
        final SubjectIndex.Entry entry = messages("a", 1, 4, 9);
        index.onRemove(entry, 9);
        assertThat(entry.lastExact()).isFalse();
        assertThat(entry.lastSeq()).isEqualTo(8).isGreaterThanOrEqualTo(4);
        assertThat(index.lastSeq("a")).isEqualTo(8);
        assertThat(entry.firstExact()).isTrue();
        entry.lastSeq(4);
        assertExact(entry, 2, 1, 4);
    }

    @Test
    void withOneMessageLeftBothEndsAreExactAgain()
    {
        final SubjectIndex.Entry lastGone = messages("a", 3, 9);
        index.onRemove(lastGone, 9);
        assertExact(lastGone, 1, 3, 3);
        final SubjectIndex.Entry firstGone = messages("b", 3, 9);
        index.onRemove(firstGone, 3);
        assertExact(firstGone, 1, 9, 9);
        final SubjectIndex.Entry middleLeft = messages("c", 3, 5, 9);
        index.onRemove(middleLeft, 9);
        index.onRemove(middleLeft, 3);
        assertThat(middleLeft.msgs()).isEqualTo(1);
        assertThat(middleLeft.firstSeq()).as("a lower bound of 5").isLessThanOrEqualTo(5);
        assertThat(middleLeft.lastSeq()).as("an upper bound of 5").isGreaterThanOrEqualTo(5);
    }

    @Test
    void removingTheOnlyMessageDropsTheSubject()
    {
        final SubjectIndex.Entry entry = messages("a", 5);
        messages("b", 6);
        index.onRemove(entry, 5);
        assertThat(entry.isRemoved()).isTrue();
        assertThat(index.get("a")).isNull();
        assertThat(index.lastSeq("a")).isZero();
        assertThat(index.size()).isEqualTo(1);
        final SubjectIndex.Entry again = index.entryFor("a");
        assertThat(again).as("a kept entry that was dropped is looked up again, and is new").isNotSameAs(entry);
        assertThat(again.isRemoved()).isFalse();
        index.onMessage(again, 10);
        assertExact(again, 1, 10, 10);
    }

    @Test
    void removingManyLeavesWhatLiesAboveTheLastRemoved()
    {
        final SubjectIndex.Entry entry = messages("a", 2, 3, 10, 20);
        index.onRemoveMany(entry, 2, 5);
        assertThat(entry.msgs()).isEqualTo(2);
        assertThat(entry.firstSeq()).isEqualTo(6);
        assertThat(entry.firstExact()).isFalse();
        assertThat(entry.lastSeq()).isEqualTo(20);
        assertThat(entry.lastExact()).isTrue();
        index.onRemoveMany(entry, 0, 4);
        assertThat(entry.firstSeq()).as("a first above the removed range stays").isEqualTo(6);
        index.onRemoveMany(entry, 2, 25);
        assertThat(entry.isRemoved()).isTrue();
        assertThat(index.get("a")).isNull();
    }

    @Test
    void restoreBringsBackCountsBoundsAndTheirExactness()
    {
        index.restore("a.b", 3, 4, 40, false, true);
        final SubjectIndex.Entry entry = index.get("a.b");
        assertThat(entry.msgs()).isEqualTo(3);
        assertThat(entry.firstSeq()).isEqualTo(4);
        assertThat(entry.firstExact()).isFalse();
        assertThat(entry.lastSeq()).isEqualTo(40);
        assertThat(entry.lastExact()).isTrue();
        index.onMessage(entry, 41);
        assertThat(entry.msgs()).isEqualTo(4);
        assertThat(entry.firstSeq()).as("a message after a restore does not reset the first").isEqualTo(4);
        assertThat(entry.lastSeq()).isEqualTo(41);
    }

    @Test
    void clearDropsEverySubjectAndMarksKeptEntries()
    {
        final SubjectIndex.Entry a = messages("a", 1, 2);
        final SubjectIndex.Entry b = messages("b.c", 3);
        index.clear();
        assertThat(index.size()).isZero();
        assertThat(index.get("a")).isNull();
        assertThat(a.isRemoved()).isTrue();
        assertThat(b.isRemoved()).isTrue();
        assertThat(a.msgs()).isZero();
        assertThat(index.lastSeqMatching(">")).isZero();
    }

    @Test
    void lastSeqMatchingTakesTheHighestOverWildcards()
    {
        messages("a.b", 1, 7);
        messages("a.c", 3);
        messages("a.b.c", 9);
        messages("b.b", 11);
        assertThat(index.lastSeqMatching("a.b")).isEqualTo(7);
        assertThat(index.lastSeqMatching("a.*")).isEqualTo(7);
        assertThat(index.lastSeqMatching("a.>")).isEqualTo(9);
        assertThat(index.lastSeqMatching("*.b")).isEqualTo(11);
        assertThat(index.lastSeqMatching("*.*.c")).isEqualTo(9);
        assertThat(index.lastSeqMatching(">")).isEqualTo(11);
        assertThat(index.lastSeqMatching("c.>")).isZero();
        assertThat(index.lastSeqMatching("a")).isZero();
    }

    @Test
    void boundsHoldOverSeededAppendsAndRemovals()
    {
        final SplittableRandom random = new SplittableRandom(0x5B1EC7L);
        final String[] subjects = {"a", "a.b", "a.c", "a.b.c", "b.b", "x"};
        final String[] filters = {">", "a.>", "a.*", "*.b", "*.*.c", "a", "x", "*"};
        final Map<String, TreeSet<Long>> model = new HashMap<>();
        final Map<String, SubjectIndex.Entry> kept = new HashMap<>();
        long seq = 0;
        for (int op = 0; op < 8_000; op++)
        {
            final String subject = subjects[random.nextInt(subjects.length)];
            final TreeSet<Long> held = model.computeIfAbsent(subject, (s) -> new TreeSet<>());
            final int kind = random.nextInt(10);
            if (kind < 5 || held.isEmpty())
            {
                seq += 1 + (random.nextInt(20) == 0 ? random.nextInt(100) : 0);
                final SubjectIndex.Entry entry = index.entryFor(subject);
                index.onMessage(entry, seq);
                kept.put(subject, entry);
                held.add(seq);
            }
            else if (kind < 9)
            {
                final long victim = pick(random, held);
                index.onRemove(index.get(subject), victim);
                held.remove(victim);
            }
            else
            {
                final long lastRemoved = pick(random, held);
                final int count = held.headSet(lastRemoved, true).size();
                index.onRemoveMany(index.get(subject), count, lastRemoved);
                held.headSet(lastRemoved, true).clear();
            }
            if (random.nextInt(50) == 0 && !held.isEmpty())
            {
                // What a search would resolve.
                index.get(subject).firstSeq(held.first());
                index.get(subject).lastSeq(held.last());
            }
            check(model, kept, filters);
        }
    }

    private void check(
        final Map<String, TreeSet<Long>> model, final Map<String, SubjectIndex.Entry> kept, final String[] filters)
    {
        int nonEmpty = 0;
        for (final Map.Entry<String, TreeSet<Long>> e : model.entrySet())
        {
            final String subject = e.getKey();
            final TreeSet<Long> held = e.getValue();
            final SubjectIndex.Entry entry = index.get(subject);
            if (held.isEmpty())
            {
                assertThat(entry).as(subject).isNull();
                assertThat(kept.get(subject).isRemoved()).as("kept entry of %s", subject).isTrue();
                continue;
            }
            nonEmpty++;
            assertThat(entry.msgs()).as("msgs of %s", subject).isEqualTo(held.size());
            assertThat(entry.firstSeq()).as("first of %s", subject).isLessThanOrEqualTo(held.first());
            assertThat(entry.lastSeq()).as("last of %s", subject).isGreaterThanOrEqualTo(held.last());
            if (entry.firstExact())
            {
                assertThat(entry.firstSeq()).as("exact first of %s", subject).isEqualTo(held.first());
            }
            if (entry.lastExact())
            {
                assertThat(entry.lastSeq()).as("exact last of %s", subject).isEqualTo(held.last());
            }
            assertThat(index.firstSeq(subject)).isEqualTo(entry.firstSeq());
            assertThat(index.lastSeq(subject)).isEqualTo(entry.lastSeq());
        }
        assertThat(index.size()).isEqualTo(nonEmpty);
        for (final String filter : filters)
        {
            long bound = 0;
            long last = 0;
            for (final Map.Entry<String, TreeSet<Long>> e : model.entrySet())
            {
                if (!e.getValue().isEmpty() && ReferenceSubjects.matches(filter, e.getKey()))
                {
                    bound = Math.max(bound, index.get(e.getKey()).lastSeq());
                    last = Math.max(last, e.getValue().last());
                }
            }
            assertThat(index.lastSeqMatching(filter)).as("lastSeqMatching(%s)", filter).isEqualTo(bound)
                .isGreaterThanOrEqualTo(last);
        }
    }

    private static long pick(final SplittableRandom random, final TreeSet<Long> held)
    {
        final long span = held.last() - held.first() + 1;
        return held.ceiling(held.first() + random.nextLong(span));
    }

    private SubjectIndex.Entry messages(final String subject, final long... seqs)
    {
        final SubjectIndex.Entry entry = index.entryFor(subject);
        for (final long seq : seqs)
        {
            index.onMessage(entry, seq);
        }
        return entry;
    }

    private static void assertExact(final SubjectIndex.Entry entry, final long msgs, final long first, final long last)
    {
        assertThat(entry.msgs()).as("msgs").isEqualTo(msgs);
        assertThat(entry.firstSeq()).as("first").isEqualTo(first);
        assertThat(entry.lastSeq()).as("last").isEqualTo(last);
        assertThat(entry.firstExact()).as("first exact").isTrue();
        assertThat(entry.lastExact()).as("last exact").isTrue();
    }
}
