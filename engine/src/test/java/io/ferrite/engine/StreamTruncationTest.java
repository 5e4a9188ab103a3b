package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.ferrite.format.RecordDescriptor.TYPE_DELETE;
import static io.ferrite.format.RecordDescriptor.TYPE_MESSAGE;
import static io.ferrite.format.RecordDescriptor.TYPE_SKIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link StreamTruncation}: every message above the cut goes — blocks wholly above deleted, the block holding the cut
 * cut after its last record at or below it, the rest zeroed on disk — and the totals, subjects and block entry count
 * only what is left; a cut in a gap leaves a skip so the new last sequence is a record; removals below the cut stay
 * removed, their tombstones written again; an encrypted cut block takes no further record; and a message above the
 * cut that does not verify refuses the truncation without changing anything.
 */
class StreamTruncationTest
{
    @TempDir
    Path dir;

    @Test
    void checkAcceptsZeroToTheLastSequenceOnlyAndAnOpenStream()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            final StreamTruncation truncation = truncation(parts);
            parts.append("a");
            parts.append("a");
            truncation.check(0);
            truncation.check(2);
            assertThatThrownBy(() -> truncation.check(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lastSeq 2").hasMessageContaining(": 3");
            assertThatThrownBy(() -> truncation.check(-1)).isInstanceOf(IllegalArgumentException.class);
            parts.writer.close();
            assertThatThrownBy(() -> truncation.check(1)).isInstanceOf(StoreClosedException.class);
        }
    }

    @Test
    void truncatingToTheLastSequenceChangesNothing() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a");
            final MessageBlock[] blocks = parts.index.blocks();
            final byte[] tail = Files.readAllBytes(blocks[1].file());
            truncate(parts, parts.index.lastSeq());
            assertThat(parts.index.blocks()).containsExactly(blocks);
            assertThat(Files.readAllBytes(blocks[1].file())).isEqualTo(tail);
        }
    }

    @Test
    void aCutInsideTheTailKeepsWhatIsAtOrBelowItAndZeroesTheRest() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            long keptBytes = 0;
            for (int i = 1; i <= 20; i++)
            {
                final String subject = i % 2 == 0 ? "even" : "odd";
                parts.append(i > 15 ? "late" : subject);
                keptBytes += i <= 12 ? subject.length() + StreamParts.payload(i).length : 0;
            }
            final MessageBlock old = parts.block(0);
            final int writeOffset = parts.index.blockIndex().writeOffset(0);
            truncate(parts, 12);

            assertThat(parts.index.lastSeq()).isEqualTo(12);
            assertThat(parts.index.publishedLastSeq()).isEqualTo(12);
            assertThat(parts.index.msgs()).isEqualTo(12);
            assertThat(parts.index.bytes()).isEqualTo(keptBytes);
            assertThat(parts.index.firstSeq()).isEqualTo(1);
            for (long seq = 1; seq <= 20; seq++)
            {
                final StoredMessage message = parts.load(seq);
                if (seq <= 12)
                {
                    assertThat(message.payload()).as("seq %d", seq).isEqualTo(StreamParts.payload(seq));
                }
                else
                {
                    assertThat(message).as("seq %d", seq).isNull();
                }
            }
            final SubjectIndex.Entry even = parts.subject("even");
            assertThat(even.msgs()).isEqualTo(6);
            assertThat(even.lastSeq()).as("an upper bound of 12").isGreaterThanOrEqualTo(12);
            assertThat(parts.subject("odd").msgs()).isEqualTo(6);
            assertThat(parts.subject("late")).as("every message of it was above the cut").isNull();

            final MessageBlock tail = parts.block(0);
            assertThat(tail).isNotSameAs(old);
            assertThat(old.isRetired()).isTrue();
            final BlockIndex entries = parts.index.blockIndex();
            final int cutEnd = entries.writeOffset(0);
            assertThat(cutEnd).isEqualTo(tail.table().get(12) + frameLength(tail, 12));
            assertThat(entries.lastSeq(0)).isEqualTo(12);
            assertThat(entries.msgs(0)).isEqualTo(12);
            assertThat(entries.lastChecksum(0)).isEqualTo(tail.buffer().getInt(cutEnd - 4));
            final byte[] file = Files.readAllBytes(tail.file());
            assertThat(Arrays.copyOfRange(file, cutEnd, writeOffset)).as("the cut records are zeroed on disk")
                .containsOnly(0);
            assertThat(StreamParts.records(tail.file())).extracting((r) -> r[1])
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);

            // The plaintext tail takes the next record where the cut left off.
            assertThat(parts.append("new")).isEqualTo(13);
            assertThat(parts.index.blockCount()).isEqualTo(1);
            assertThat(tail.table().get(13)).isEqualTo(cutEnd);
            assertThat(parts.load(13).subject()).isEqualTo("new");
        }
    }

    @Test
    void blocksWhollyAboveTheCutAreDeleted()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(4, "a", "b.c");
            final MessageBlock[] before = parts.index.blocks();
            final long cut = before[1].baseSeq() + 2;
            truncate(parts, cut);
            assertThat(parts.index.blockCount()).isEqualTo(2);
            assertThat(parts.block(0)).isSameAs(before[0]);
            assertThat(Files.exists(before[2].file())).isFalse();
            assertThat(Files.exists(before[3].file())).isFalse();
            assertThat(before[2].isRetired()).isTrue();
            assertThat(before[3].isRetired()).isTrue();
            assertThat(parts.index.lastSeq()).isEqualTo(cut);
            assertThat(parts.index.msgs()).isEqualTo(cut);
            assertThat(parts.index.blockIndex().count()).isEqualTo(2);
            assertThat(parts.load(cut).payload()).isEqualTo(StreamParts.payload(cut));
            assertThat(parts.load(cut + 1)).isNull();
            assertThat(parts.load(before[3].baseSeq())).isNull();
            assertThat(parts.append("a")).isEqualTo(cut + 1);
            assertThat(parts.index.blockCount()).isEqualTo(2);
        }
    }

    @Test
    void truncatingToZeroEmptiesTheStream()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(3, "a");
            final MessageBlock[] before = parts.index.blocks();
            truncate(parts, 0);
            assertThat(parts.index.blockCount()).isZero();
            assertThat(parts.index.lastSeq()).isZero();
            assertThat(parts.index.msgs()).isZero();
            assertThat(parts.index.bytes()).isZero();
            assertThat(parts.index.subjects().size()).isZero();
            assertThat(Arrays.stream(before).map(MessageBlock::file).filter(Files::exists)).isEmpty();
            assertThat(parts.load(1)).isNull();
            assertThat(parts.append("a")).isEqualTo(1);
            assertThat(parts.load(1).payload()).isEqualTo(StreamParts.payload(1));
        }
    }

    @Test
    void aCutInAGapLeavesASkipAtTheNewLastSequence()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            for (int i = 0; i < 5; i++)
            {
                parts.append("a");
            }
            parts.appendAt(100, "a");
            // A jump past what one block may span starts a block, which the cut removes whole.
            parts.appendAt(100 + StreamWriter.MAX_SEQUENCE_SPAN_PER_BLOCK, "a");
            assertThat(parts.index.blockCount()).isEqualTo(2);
            truncate(parts, 50);
            assertThat(parts.index.blockCount()).isEqualTo(1);
            assertThat(parts.index.lastSeq()).isEqualTo(50);
            assertThat(parts.index.msgs()).isEqualTo(5);
            assertThat(parts.subject("a").msgs()).isEqualTo(5);
            assertThat(parts.load(100)).isNull();
            final List<long[]> records = StreamParts.records(parts.block(0).file());
            assertThat(records).hasSize(6);
            assertThat(records.get(5)).as("the new last sequence is a record").containsExactly(TYPE_SKIP, 50);
            assertThat(parts.index.blockIndex().lastSeq(0)).isEqualTo(50);
            assertThat(parts.append("a")).isEqualTo(51);
        }
    }

    @Test
    void removalsBelowTheCutStayRemovedAndTheirTombstonesAreWrittenAgain() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            for (int i = 0; i < 30; i++)
            {
                parts.append(i % 3 == 0 ? "x" : "y");
            }
            parts.remove(3);
            parts.remove(4);
            parts.remove(25);
            assertThat(parts.index.blockCount()).isEqualTo(1);
            // The three tombstones lie after record 30: in what the cut zeroes.
            truncate(parts, 20);
            assertThat(parts.index.msgs()).isEqualTo(18);
            assertThat(parts.load(3)).isNull();
            assertThat(parts.load(4)).isNull();
            assertThat(parts.load(5)).isNotNull();
            final MessageBlock tail = parts.block(0);
            assertThat(tail.contents().deleted().contains(3)).isTrue();
            assertThat(tail.contents().deleted().contains(4)).isTrue();
            assertThat(tail.contents().deleted().contains(25)).isFalse();
            final List<long[]> records = StreamParts.records(tail.file());
            assertThat(records.stream().filter((r) -> r[0] == TYPE_MESSAGE).map((r) -> r[1]))
                .hasSize(20).allSatisfy((seq) -> assertThat(seq).isLessThanOrEqualTo(20));
            assertThat(records.stream().filter((r) -> r[0] == TYPE_DELETE))
                .as("one tombstone for the run 3..4, stamped with the new last sequence")
                .singleElement().satisfies((r) -> assertThat(r).containsExactly(TYPE_DELETE, 20, 3, 4));
        }
        // What a reopen finds on disk agrees: the run stays removed, nothing above the cut comes back.
        try (FileStreamStore store = FileStreamStore.open(dir, StreamParts.config(4096, false)))
        {
            assertThat(store.state().lastSeq()).isEqualTo(20);
            assertThat(store.load(3)).isNull();
            assertThat(store.load(4)).isNull();
            assertThat(store.load(5).payload()).isEqualTo(StreamParts.payload(5));
            assertThat(store.load(21)).isNull();
            assertThat(store.state().msgs()).isEqualTo(18);
        }
    }

    @Test
    void aDamagedOrErasedRecordAtTheCutStaysAndKeepsItsSequenceTaken()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            for (int i = 0; i < 15; i++)
            {
                parts.append("a");
            }
            parts.remove(10);
            final MessageBlock block = parts.block(0);
            final int offset = block.table().get(9);
            final int damaged = offset + frameLength(block, 9);
            // What erase leaves: a record whose header verifies and whose body does not.
            BlockFiles.xorByte(block.file(), damaged + 44, 0x10);
            truncate(parts, 10);
            assertThat(parts.index.lastSeq()).isEqualTo(10);
            assertThat(parts.index.msgs()).isEqualTo(9);
            final int cutEnd = parts.index.blockIndex().writeOffset(0);
            assertThat(cutEnd).as("the damaged record is kept, not zeroed").isGreaterThan(damaged);
            assertThat(parts.append("a")).isEqualTo(11);
            assertThat(parts.block(0).table().get(11)).isEqualTo(cutEnd);
            assertThat(parts.load(9)).isNotNull();
            assertThat(parts.load(10)).isNull();
        }
    }

    @Test
    void aMessageAboveTheCutThatDoesNotVerifyRefusesTheTruncationAndChangesNothing()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            for (int i = 0; i < 20; i++)
            {
                parts.append(i < 10 ? "low" : "high");
            }
            final MessageBlock block = parts.block(0);
            final int offset = block.table().get(15);
            BlockFiles.xorByte(block.file(), offset + 50, 1);
            final long bytes = parts.index.bytes();
            assertThatThrownBy(() -> truncate(parts, 5)).isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("cannot truncate");
            assertThat(parts.index.msgs()).isEqualTo(20);
            assertThat(parts.index.bytes()).isEqualTo(bytes);
            assertThat(parts.index.lastSeq()).isEqualTo(20);
            assertThat(parts.subject("high").msgs()).isEqualTo(10);
            assertThat(parts.subject("high").lastSeq()).isEqualTo(20);
            assertThat(parts.index.blockIndex().msgs(0)).isEqualTo(20);
            assertThat(block.contents().deleted().isEmpty()).isTrue();
            for (long seq = 16; seq <= 20; seq++)
            {
                assertThat(parts.load(seq)).as("seq %d", seq).isNotNull();
            }
        }
    }

    @Test
    void anEncryptedCutBlockTakesNoFurtherRecordAndLosesItsFooter() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir, 4096, true))
        {
            parts.appendUntilBlocks(3, "a");
            final MessageBlock sealed = parts.block(1);
            assertThat(sealed.isSealed()).isTrue();
            final long cut = sealed.baseSeq() + 3;
            final int footerAt = sealed.footerOffset();
            truncate(parts, cut);
            final byte[] file = Files.readAllBytes(sealed.file());
            assertThat(Arrays.copyOfRange(file, footerAt, footerAt + BlockFooterCodec.FOOTER_LENGTH)).containsOnly(0);
            assertThat(parts.load(cut).payload()).isEqualTo(StreamParts.payload(cut));
            assertThat(parts.load(cut + 1)).isNull();
            assertThat(parts.index.blockCount()).isEqualTo(2);
            // Its key sealed the cut sequences at the offsets the next records would take: a new block, a new key.
            assertThat(parts.append("a")).isEqualTo(cut + 1);
            assertThat(parts.index.blockCount()).isEqualTo(3);
            assertThat(parts.block(2).baseSeq()).isEqualTo(cut + 1);
            assertThat(parts.load(cut + 1).payload()).isEqualTo(StreamParts.payload(cut + 1));
        }
    }

    private static StreamTruncation truncation(final StreamParts parts)
    {
        return new StreamTruncation(parts.index, parts.writer, parts.remover, parts.flusher, parts.metrics,
            parts.crypto, parts.directory.storageIO(), new ReadGate("truncation"));
    }

    private static void truncate(final StreamParts parts, final long seq)
    {
        final StreamTruncation truncation = truncation(parts);
        parts.locked(() ->
        {
            truncation.truncate(seq);
            return null;
        });
    }

    private static int frameLength(final MessageBlock block, final long seq)
    {
        return block.buffer().getInt(block.table().get(seq));
    }
}
