package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.testing.ReferenceSubjects;
import io.ferrite.store.CorruptRecordException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static io.ferrite.format.RecordDescriptor.SUBJECT_LENGTH_OFFSET;
import static io.ferrite.format.RecordDescriptor.subjectOffset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SubjectScan}: the first match at or after a sequence (up to a bound) and the last at or before one, by
 * literal subject or wildcard, across blocks, gaps and removals — checked against a brute-force search with
 * {@link ReferenceSubjects}; blocks whose summary holds no matching subject skipped without reading a record, partial
 * summaries scanned, and every candidate verified before its subject is trusted.
 */
class SubjectScanTest
{
    private static final String[] FILTERS = {
        ">", "orders.>", "orders.*", "orders.eu", "orders.eu.>", "*.eu", "*.*", "*.*.*", "quotes.fx", "*", "nope",
        "orders.*.retail", "*.>",
    };

    @TempDir
    Path dir;

    private final StreamReader.Context context = new StreamReader.Context();

    @Test
    void anEmptyStreamFindsNothing()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            final SubjectScan scan = new SubjectScan(parts.index);
            assertThat(scan.findNext(">", 1, Long.MAX_VALUE, context)).isEqualTo(-1);
            assertThat(scan.findNext("a", 1, Long.MAX_VALUE, context)).isEqualTo(-1);
            assertThat(scan.findPrevious(">", Long.MAX_VALUE, context)).isEqualTo(-1);
            assertThat(scan.findPrevious("a.*", Long.MAX_VALUE, context)).isEqualTo(-1);
        }
    }

    @Test
    void oneMessageIsFoundFromEitherSideAndOnlyWithinTheBounds()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.append("orders.eu");
            final SubjectScan scan = new SubjectScan(parts.index);
            for (final String filter : new String[] {">", "orders.eu", "orders.*", "*.eu", "orders.>"})
            {
                assertThat(scan.findNext(filter, 1, 1, context)).as(filter).isEqualTo(1);
                assertThat(subjectOnContext()).isEqualTo("orders.eu");
                assertThat(scan.findPrevious(filter, 1, context)).as(filter).isEqualTo(1);
                assertThat(scan.findPrevious(filter, 100, context)).as("beyond the last sequence").isEqualTo(1);
                assertThat(scan.findNext(filter, 2, 100, context)).isEqualTo(-1);
            }
            assertThat(scan.findNext("orders", 1, 1, context)).isEqualTo(-1);
            assertThat(scan.findNext("orders.eu.>", 1, 1, context)).isEqualTo(-1);
        }
    }

    @Test
    void aLiteralSubjectUnknownOrOverBeforeFromIsAnsweredFromTheIndex()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.append("a");
            parts.append("b");
            parts.append("b");
            final SubjectScan scan = new SubjectScan(parts.index);
            assertThat(scan.findNext("c", 1, 3, context)).isEqualTo(-1);
            assertThat(scan.findPrevious("c", 3, context)).isEqualTo(-1);
            assertThat(scan.findNext("a", 2, 3, context)).isEqualTo(-1);
            assertThat(scan.findNext("b", 1, 3, context)).isEqualTo(2);
            assertThat(scan.findNext("b", 3, 3, context)).isEqualTo(3);
            assertThat(scan.findNext("b", 1, 1, context)).as("to below the subject's first").isEqualTo(-1);
        }
    }

    @Test
    void removedMessagesGapsAndSkipsAreSteppedOver()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.append("a.x");
            parts.append("a.y");
            parts.skip();
            parts.appendAt(10, "a.x");
            parts.append("b");
            parts.append("a.y");
            parts.remove(2);
            parts.remove(12);
            final SubjectScan scan = new SubjectScan(parts.index);
            assertThat(scan.findNext("a.*", 2, 100, context)).isEqualTo(10);
            assertThat(scan.findNext("a.y", 1, 100, context)).isEqualTo(-1);
            assertThat(scan.findPrevious("a.*", 100, context)).isEqualTo(10);
            assertThat(scan.findPrevious(">", 9, context)).isEqualTo(1);
            assertThat(scan.findPrevious("a.y", 100, context)).isEqualTo(-1);
        }
    }

    @Test
    void aBlockWhoseSummaryHoldsNoMatchIsSkippedWithoutReadingIt()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a");
            parts.appendUntilBlocks(4, "noise");
            parts.appendUntilBlocks(5, "a");
            final MessageBlock quiet = parts.block(2);
            final BlockSubjects summary = quiet.contents().subjects(parts.index.subjects());
            assertThat(summary.size()).isEqualTo(1);
            assertThat(summary.columns().entry(0).subject()).isEqualTo("noise");
            // Damage the block's first record: any read of it fails.
            final int offset = quiet.table().get(quiet.baseSeq());
            BlockFiles.xorByte(quiet.file(), offset + 50, 1);
            final SubjectScan scan = new SubjectScan(parts.index);
            final long firstAfter = parts.block(3).baseSeq() + 1;
            assertThat(scan.findNext("a", quiet.baseSeq(), Long.MAX_VALUE, context)).isEqualTo(firstAfter);
            assertThat(scan.findNext("a.>", quiet.baseSeq(), Long.MAX_VALUE, context)).isEqualTo(-1);
            // Block 1 was started by the last "a" before the noise.
            assertThat(scan.findPrevious("a", firstAfter - 1, context)).isEqualTo(parts.block(1).baseSeq());
            assertThatThrownBy(() -> scan.findNext(">", quiet.baseSeq(), Long.MAX_VALUE, context))
                .isInstanceOf(CorruptRecordException.class);
            assertThatThrownBy(() -> scan.findNext("noise", quiet.baseSeq(), Long.MAX_VALUE, context))
                .as("a candidate is verified before its subject is trusted")
                .isInstanceOf(CorruptRecordException.class);
        }
    }

    @Test
    void aPartialSummaryIsScannedAndACompleteOneTrusted()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(3, "a", "b");
            parts.append("a");
            final MessageBlock middle = parts.block(1);
            final SubjectScan scan = new SubjectScan(parts.index);
            middle.contents().subjects(new BlockSubjects(true));
            assertThat(scan.findNext("a", middle.baseSeq(), Long.MAX_VALUE, context)).as("partial: scanned")
                .isEqualTo(firstOf(parts, middle, "a"));
            middle.contents().subjects(new BlockSubjects(false));
            assertThat(scan.findNext("a", middle.baseSeq(), Long.MAX_VALUE, context))
                .as("complete and empty: skipped").isEqualTo(firstOf(parts, parts.block(2), "a"));
        }
    }

    @Test
    void matchingRangeNarrowsToTheBoundsOfMatchingSubjects()
    {
        final SubjectIndex subjects = new SubjectIndex();
        final SubjectIndex.Entry eu = subjects.entryFor("orders.eu");
        final SubjectIndex.Entry us = subjects.entryFor("orders.us");
        final SubjectIndex.Entry fx = subjects.entryFor("quotes.fx");
        final BlockSubjects summary = new BlockSubjects(false);
        summary.onMessage(fx, 100);
        summary.onMessage(eu, 105);
        summary.onMessage(us, 110);
        summary.onMessage(eu, 120);
        summary.onMessage(fx, 130);
        final long[] range = new long[2];
        assertThat(SubjectScan.matchingRange(summary, "orders.*", null, 100, 200, range)).isTrue();
        assertThat(range).containsExactly(105, 120);
        assertThat(SubjectScan.matchingRange(summary, "orders.eu", eu, 100, 200, range)).isTrue();
        assertThat(range).containsExactly(105, 120);
        assertThat(SubjectScan.matchingRange(summary, "orders.eu", eu, 106, 115, range)).as("clipped").isTrue();
        assertThat(range).containsExactly(106, 115);
        assertThat(SubjectScan.matchingRange(summary, "orders.eu", eu, 121, 200, range)).isFalse();
        assertThat(SubjectScan.matchingRange(summary, ">", null, 0, 1_000, range)).isTrue();
        assertThat(range).containsExactly(100, 130);
        assertThat(SubjectScan.matchingRange(summary, "orders.eu.>", null, 0, 1_000, range)).isFalse();
        // A literal compares entries, not strings: an entry of the same subject made after the old one emptied.
        assertThat(SubjectScan.matchingRange(summary, "orders.us", new SubjectIndex().entryFor("orders.us"), 0,
            1_000, range)).isFalse();
        summary.onRemove(us);
        assertThat(SubjectScan.matchingRange(summary, "orders.us", us, 0, 1_000, range))
            .as("a subject whose messages here were all removed").isFalse();
        assertThat(SubjectScan.matchingRange(summary, "orders.*", null, 0, 1_000, range)).isTrue();
        assertThat(range).containsExactly(105, 120);
    }

    @ParameterizedTest(name = "encrypted={0}")
    @ValueSource(booleans = {false, true})
    void agreesWithABruteForceSearchOverSeededStreams(final boolean encrypted)
    {
        try (StreamParts parts = StreamParts.open(dir, 4096, encrypted))
        {
            final String[] subjects = {"orders.eu", "orders.us", "orders.eu.retail", "quotes.fx", "a", "b.c.d"};
            final SplittableRandom random = new SplittableRandom(encrypted ? 0x5CA11L : 0x5CA12L);
            final TreeMap<Long, String> model = new TreeMap<>();
            for (int i = 0; i < 600; i++)
            {
                final int kind = random.nextInt(40);
                if (kind == 0)
                {
                    parts.skip();
                }
                else if (kind == 1)
                {
                    final long seq = parts.index.lastSeq() + 2 + random.nextInt(300);
                    final String subject = subjects[random.nextInt(subjects.length)];
                    parts.appendAt(seq, subject);
                    model.put(seq, subject);
                }
                else
                {
                    // Runs of one subject, so that some blocks hold few subjects.
                    final String subject = subjects[(i / 25 + (random.nextInt(4) == 0 ? 1 : 0)) % subjects.length];
                    model.put(parts.append(subject), subject);
                }
            }
            for (int i = 0; i < 150; i++)
            {
                final Long victim = model.ceilingKey(1 + random.nextLong(parts.index.lastSeq()));
                if (null != victim)
                {
                    assertThat(parts.remove(victim)).isTrue();
                    model.remove(victim);
                }
            }
            assertThat(parts.index.blockCount()).isGreaterThan(5);
            final SubjectScan scan = new SubjectScan(parts.index);
            final long last = parts.index.lastSeq();
            for (int probe = 0; probe < 1_500; probe++)
            {
                final String filter = FILTERS[random.nextInt(FILTERS.length)];
                final long from = 1 + random.nextLong(last + 5);
                final long to = random.nextInt(5) == 0 ? Long.MAX_VALUE : from + random.nextLong(last / 3 + 1);
                final long next = scan.findNext(filter, from, to, context);
                assertThat(next).as("findNext(%s, %d, %d)", filter, from, to).isEqualTo(expectedNext(model, filter,
                    from, to));
                if (next > 0)
                {
                    assertThat(subjectOnContext()).isEqualTo(model.get(next));
                }
                final long previous = scan.findPrevious(filter, from, context);
                assertThat(previous).as("findPrevious(%s, %d)", filter, from).isEqualTo(expectedPrevious(model,
                    filter, from));
                if (previous > 0)
                {
                    assertThat(subjectOnContext()).isEqualTo(model.get(previous));
                }
            }
        }
    }

    private String subjectOnContext()
    {
        final int length = context.recordBuffer.getShort(context.recordOffset + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        return context.recordBuffer.getStringWithoutLengthAscii(subjectOffset(context.recordOffset), length);
    }

    private static long expectedNext(
        final TreeMap<Long, String> model, final String filter, final long from, final long to)
    {
        for (final var e : model.tailMap(from, true).entrySet())
        {
            if (e.getKey() > to)
            {
                break;
            }
            if (ReferenceSubjects.matches(filter, e.getValue()))
            {
                return e.getKey();
            }
        }
        return -1;
    }

    private static long expectedPrevious(final TreeMap<Long, String> model, final String filter, final long upTo)
    {
        for (final var e : model.headMap(upTo, true).descendingMap().entrySet())
        {
            if (ReferenceSubjects.matches(filter, e.getValue()))
            {
                return e.getKey();
            }
        }
        return -1;
    }

    private static long firstOf(final StreamParts parts, final MessageBlock block, final String subject)
    {
        for (long seq = block.baseSeq(); ; seq++)
        {
            if (subject.equals(parts.load(seq).subject()))
            {
                return seq;
            }
        }
    }
}
