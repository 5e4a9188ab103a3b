package io.ferrite.engine;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.block.BlockFile;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.ferrite.format.RecordDescriptor.TYPE_MESSAGE;
import static io.ferrite.format.RecordDescriptor.TYPE_SKIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link BlockRewriter}: a sealed block rewritten with only its live messages, into a file sized to them beside the
 * old one, renamed over it and installed with the removals made meanwhile; the block's last sequence kept as a skip
 * when its message is gone; a block it cannot read, or that changed meanwhile, left as it is; an encrypted block sealed
 * again under a new key with a footer that authenticates; the copy's table and mappings given back as soon as it is
 * written or refused, the replacement reading the file through its own; and the leftovers of an interrupted rewrite.
 */
class BlockRewriterTest
{
    private static final int BLOCK_SIZE = 16 * 1024;
    private static final Path MAPS = Path.of("/proc/self/maps");
    private static final String MAPS_UNAVAILABLE = "needs /proc/self/maps (Linux) to see which files the process maps";
    private static final String DELETED = " (deleted)";

    @TempDir
    Path dir;

    @Test
    void keepsExactlyTheLiveMessagesInAFileSizedToThem() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir, BLOCK_SIZE, false))
        {
            parts.appendUntilBlocks(3, "a", "b.c", "d.e.f");
            final MessageBlock old = parts.block(0);
            final long[] before = listed(old.table(), old.baseSeq());
            final List<Long> live = new ArrayList<>();
            for (final long seq : before)
            {
                // The first message goes, the last stays, most of the rest go.
                if (seq == before[0] || (seq % 5 != 0 && seq != before[before.length - 1]))
                {
                    assertThat(parts.remove(seq)).isTrue();
                }
                else
                {
                    live.add(seq);
                }
            }
            final BlockIndex entries = parts.index.blockIndex();
            final int msgs = entries.msgs(0);
            final int bytes = entries.bytes(0);
            final byte[] oldBytes = Files.readAllBytes(old.file());
            final BlockRewriter rewriter = rewriter(parts);

            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            assertThat(plan.block()).isSameAs(old);
            assertThat(plan.seqs()).containsExactly(live.stream().mapToLong(Long::longValue).toArray());
            assertThat(plan.lastSeq()).isEqualTo(entries.lastSeq(0)).isEqualTo(before[before.length - 1]);
            assertThat(plan.fileLength() % 4096).isZero();
            assertThat(plan.fileLength()).as("sized to what it holds").isLessThan(BLOCK_SIZE);

            final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
            assertThat(rewrite.file()).isEqualTo(BlockRewriter.rewriteFile(old.file()));
            assertThat(Files.size(rewrite.file())).isEqualTo(plan.fileLength());
            assertThat(Files.readAllBytes(old.file())).as("the old file is untouched until the rename")
                .isEqualTo(oldBytes);
            assertThat(StreamParts.records(rewrite.file())).extracting((r) -> r[1])
                .containsExactlyElementsOf(live);

            final MessageBlock retired = parts.locked(() -> rewriter.install(plan, rewrite));
            assertThat(retired).isSameAs(old);
            assertThat(old.isRetired()).isTrue();
            assertThat(Files.exists(rewrite.file())).isFalse();
            assertThat(Files.size(old.file())).isEqualTo(plan.fileLength());
            final MessageBlock replacement = parts.block(0);
            assertThat(replacement).isNotSameAs(old);
            assertThat(replacement.id()).isEqualTo(old.id());
            assertThat(replacement.baseSeq()).isEqualTo(old.baseSeq());
            assertThat(replacement.holdsTombstones()).isFalse();
            assertThat(entries.msgs(0)).isEqualTo(msgs);
            assertThat(entries.bytes(0)).isEqualTo(bytes);
            assertThat(entries.writeOffset(0)).isEqualTo(rewrite.writeOffset());
            assertThat(entries.lastChecksum(0)).isEqualTo(rewrite.lastChecksum());
            assertThat(entries.lastSeq(0)).isEqualTo(plan.lastSeq());
            for (final long seq : before)
            {
                final StoredMessage message = parts.load(seq);
                if (live.contains(seq))
                {
                    assertThat(message).as("seq %d", seq).isNotNull();
                    assertThat(message.payload()).isEqualTo(StreamParts.payload(seq));
                    assertThat(message.subject()).isIn("a", "b.c", "d.e.f");
                }
                else
                {
                    assertThat(message).as("removed seq %d", seq).isNull();
                }
            }
        }
    }

    @Test
    void theBlocksLastSequenceSurvivesAsASkipWhenItsMessageWasRemoved()
    {
        try (StreamParts parts = StreamParts.open(dir, BLOCK_SIZE, false))
        {
            parts.appendUntilBlocks(2, "a");
            final long last = parts.index.blockIndex().lastSeq(0);
            parts.remove(last);
            parts.remove(last - 2);
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            assertThat(plan.lastSeq()).isEqualTo(last);
            assertThat(plan.seqs()).doesNotContain(last, last - 2).contains(last - 1);
            final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
            final List<long[]> records = StreamParts.records(rewrite.file());
            assertThat(records.get(records.size() - 1)).containsExactly(TYPE_SKIP, last);
            assertThat(records.subList(0, records.size() - 1)).allSatisfy((r) -> assertThat(r[0]).isEqualTo(
                TYPE_MESSAGE));
            parts.locked(() -> rewriter.install(plan, rewrite));
            assertThat(parts.load(last)).isNull();
            assertThat(parts.load(last - 1).payload()).isEqualTo(StreamParts.payload(last - 1));
        }
    }

    @Test
    void aBlockWithNoMessageLeftBecomesOneSkip()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a");
            final long[] seqs = listed(parts.block(0).table(), parts.block(0).baseSeq());
            for (final long seq : seqs)
            {
                parts.remove(seq);
            }
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            assertThat(plan.seqs()).isEmpty();
            final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
            assertThat(StreamParts.records(rewrite.file())).hasSize(1).first().satisfies(
                (r) -> assertThat(r).containsExactly(TYPE_SKIP, seqs[seqs.length - 1]));
            assertThat(parts.locked(() -> rewriter.install(plan, rewrite))).isNotNull();
            assertThat(parts.load(seqs[0])).isNull();
        }
    }

    @Test
    void removalsMadeAfterThePlanAreCarriedIntoTheReplacement()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a", "b");
            final long first = parts.block(0).baseSeq();
            parts.remove(first + 1);
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
            // Between the write (outside the lock) and the install, the remover takes two more.
            parts.remove(first);
            parts.remove(first + 3);
            parts.locked(() -> rewriter.install(plan, rewrite));
            final MessageBlock replacement = parts.block(0);
            assertThat(replacement.contents().deleted().contains(first)).isTrue();
            assertThat(replacement.contents().deleted().contains(first + 3)).isTrue();
            assertThat(parts.load(first)).isNull();
            assertThat(parts.load(first + 1)).isNull();
            assertThat(parts.load(first + 3)).isNull();
            assertThat(parts.load(first + 2).payload()).isEqualTo(StreamParts.payload(first + 2));
            assertThat(parts.index.blockIndex().msgs(0)).isEqualTo(plan.seqs().length - 2);
        }
    }

    @Test
    void aRecordThatDoesNotVerifyLeavesTheBlockAsItIs() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a");
            final MessageBlock old = parts.block(0);
            parts.remove(old.baseSeq());
            final long damaged = old.baseSeq() + 4;
            final int offset = old.table().get(damaged);
            BlockFiles.xorByte(old.file(), offset + 45, 1);
            final byte[] oldBytes = Files.readAllBytes(old.file());
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            assertThat(rewriter.write(plan)).isNull();
            final Path target = BlockRewriter.rewriteFile(old.file());
            assertThat(Files.exists(target)).isFalse();
            assertThat(Files.exists(target.resolveSibling(target.getFileName() + BlockFile.TEMP_SUFFIX))).isFalse();
            assertThat(Files.readAllBytes(old.file())).isEqualTo(oldBytes);
            assertThat(parts.block(0)).isSameAs(old);
            assertThat(parts.load(old.baseSeq() + 1)).isNotNull();
        }
    }

    @ParameterizedTest(name = "encrypted {0}")
    @ValueSource(booleans = {false, true})
    void aWrittenRewriteGivesBackItsCopysTableAndMappingsAndTheReplacementReadsEveryKeptMessage(
        final boolean encrypted) throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir, BLOCK_SIZE, encrypted))
        {
            parts.appendUntilBlocks(3, "a", "b");
            final MessageBlock old = parts.block(0);
            final long[] before = listed(old.table(), old.baseSeq());
            final List<Long> live = new ArrayList<>();
            for (final long seq : before)
            {
                if (seq % 4 == 0)
                {
                    live.add(seq);
                }
                else
                {
                    assertThat(parts.remove(seq)).isTrue();
                }
            }
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            final MessageBlock copy = rewriter.newCopy(plan);
            final SequenceTable copyTable = copy.table();

            final BlockRewriter.Rewrite rewrite = rewriter.write(plan, copy);
            assertThat(freed(copyTable)).as("the copy's table freed once the copy is written").isTrue();
            assertThatThrownBy(copy::buffer).as("the copy let go of its mappings").isInstanceOf(
                IllegalStateException.class);

            assertThat(parts.locked(() -> rewriter.install(plan, rewrite))).isSameAs(old);
            for (final long seq : before)
            {
                final StoredMessage message = parts.load(seq);
                if (live.contains(seq))
                {
                    assertThat(message).as("kept seq %d", seq).isNotNull();
                    assertThat(message.payload()).as("kept seq %d", seq).isEqualTo(StreamParts.payload(seq));
                }
                else
                {
                    assertThat(message).as("removed seq %d", seq).isNull();
                }
            }
            assertThat(freed(parts.block(0).table())).as("the replacement's own table").isFalse();

            assumeTrue(Files.isReadable(MAPS), MAPS_UNAVAILABLE);
            assertThat(mappingsOf(rewrite.file())).as("nothing maps the rewrite under its first name").isEmpty();
            // The old file's mappings now read "(deleted)"; any of the copy's would name the block file, like the one
            // the replacement opened for the reads.
            assertThat(mappingsOf(old.file())).filteredOn((line) -> !line.endsWith(DELETED))
                .as("only the replacement maps the renamed file").hasSize(1);
        }
    }

    @Test
    void aRefusedRewriteGivesBackItsCopysTableAndMappings() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a");
            final MessageBlock old = parts.block(0);
            parts.remove(old.baseSeq());
            BlockFiles.xorByte(old.file(), old.table().get(old.baseSeq() + 4) + 45, 1);
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            final MessageBlock copy = rewriter.newCopy(plan);
            final SequenceTable copyTable = copy.table();

            assertThat(rewriter.write(plan, copy)).as("refused: a record does not verify").isNull();
            assertThat(Files.exists(copy.file())).isFalse();
            assertThat(freed(copyTable)).as("the copy's table freed once the rewrite is refused").isTrue();
            assertThatThrownBy(copy::buffer).as("the copy let go of its mappings").isInstanceOf(
                IllegalStateException.class);
            assertThat(parts.block(0)).isSameAs(old);
            assertThat(parts.load(old.baseSeq() + 1).payload()).isEqualTo(StreamParts.payload(old.baseSeq() + 1));

            assumeTrue(Files.isReadable(MAPS), MAPS_UNAVAILABLE);
            assertThat(mappingsOf(copy.file())).as("nothing maps the deleted rewrite").isEmpty();
        }
    }

    @Test
    void aRewriteOfABlockEmptiedMeanwhileIsDropped() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(3, "a");
            final MessageBlock old = parts.block(0);
            parts.remove(old.baseSeq());
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
            final byte[] oldBytes = Files.readAllBytes(old.file());
            // compact() takes the whole block meanwhile.
            parts.locked(() -> parts.remover.compact(parts.block(1).baseSeq()));
            assertThat(old.contents().isEmptied()).isTrue();
            assertThat(parts.locked(() -> rewriter.install(plan, rewrite))).isNull();
            assertThat(Files.exists(rewrite.file())).isFalse();
            assertThat(old.isRetired()).isFalse();
            assertThat(parts.block(0)).isSameAs(old);
            assertThat(Files.readAllBytes(old.file())).isEqualTo(oldBytes);
        }
    }

    @Test
    void aRewriteOfABlockNoLongerIndexedOrNowTheTailIsDropped()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(3, "a");
            final BlockRewriter rewriter = rewriter(parts);
            parts.remove(parts.block(0).baseSeq());
            parts.remove(parts.block(1).baseSeq());
            final BlockRewriter.Plan gone = parts.locked(() -> rewriter.plan(0));
            final BlockRewriter.Rewrite goneRewrite = rewriter.write(gone);
            final BlockRewriter.Plan tail = parts.locked(() -> rewriter.plan(1));
            final BlockRewriter.Rewrite tailRewrite = rewriter.write(tail);
            // A truncation into block 1 deletes block 2, cuts block 1 (a new object over its file) and makes it the
            // tail; block 0 stays, but as it is, it is no longer what the rewrite planned for.
            final StreamTruncation truncation = new StreamTruncation(parts.index, parts.writer, parts.remover,
                parts.flusher, parts.metrics, parts.crypto, parts.directory.storageIO(), new ReadGate("rewrite"));
            final long cut = parts.block(1).baseSeq() + 3;
            parts.locked(() ->
            {
                truncation.truncate(cut);
                return null;
            });
            assertThat(parts.locked(() -> rewriter.install(tail, tailRewrite))).as("block 1 is cut").isNull();
            assertThat(Files.exists(tailRewrite.file())).isFalse();
            final MessageBlock block0 = parts.block(0);
            assertThat(parts.locked(() -> rewriter.install(gone, goneRewrite))).isSameAs(block0);
            final BlockRewriter.Plan nowTail = parts.locked(() -> rewriter.plan(1));
            final BlockRewriter.Rewrite nowTailRewrite = rewriter.write(nowTail);
            assertThat(parts.locked(() -> rewriter.install(nowTail, nowTailRewrite))).as("the tail is never installed")
                .isNull();
            assertThat(Files.exists(nowTailRewrite.file())).isFalse();
            assertThat(parts.load(cut).payload()).isEqualTo(StreamParts.payload(cut));
        }
    }

    @Test
    void thePlanListsEveryMessageTheTableListsWhateverTheCountsSay()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a");
            final MessageBlock block = parts.block(0);
            final long[] listed = listed(block.table(), block.baseSeq());
            assertThat(listed.length).isGreaterThan(16);
            // A count that undercounts (damage, a bug) must not make the rewrite drop a message.
            for (int i = 0; i < listed.length - 1; i++)
            {
                parts.index.blockIndex().onRemove(0, 0);
            }
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter(parts).plan(0));
            assertThat(plan.seqs()).containsExactly(listed);
            for (int i = 0; i < listed.length; i++)
            {
                assertThat(plan.offsets()[i]).isEqualTo(block.table().get(listed[i]));
            }
        }
    }

    @Test
    void anEncryptedBlockIsSealedAgainUnderANewKeyWithAFooterThatAuthenticates() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir, BLOCK_SIZE, true))
        {
            parts.appendUntilBlocks(3, "a", "b");
            final MessageBlock old = parts.block(0);
            final long[] seqs = listed(old.table(), old.baseSeq());
            final List<Long> live = new ArrayList<>();
            for (final long seq : seqs)
            {
                if (seq % 3 == 0)
                {
                    live.add(seq);
                }
                else
                {
                    parts.remove(seq);
                }
            }
            final byte[] oldSalt = salt(old.file());
            final BlockRewriter rewriter = rewriter(parts);
            final BlockRewriter.Plan plan = parts.locked(() -> rewriter.plan(0));
            final BlockRewriter.Rewrite rewrite = rewriter.write(plan);
            parts.locked(() -> rewriter.install(plan, rewrite));
            assertThat(salt(old.file())).as("a fresh block key").isNotEqualTo(oldSalt);
            final MessageBlock replacement = parts.block(0);
            final BlockFooter footer = replacement.readFooter(new BlockFooterCodec());
            assertThat(footer).isNotNull();
            assertThat(footer.messageCount()).isEqualTo(live.size());
            assertThat(footer.firstSeq()).isEqualTo(live.get(0));
            assertThat(footer.lastSeq()).isEqualTo(plan.lastSeq());
            assertThat(footer.dataEndOffset()).isEqualTo(rewrite.writeOffset());
            assertThat(footer.lastChecksum()).isEqualTo(Integer.toUnsignedLong(rewrite.lastChecksum()));
            for (final long seq : seqs)
            {
                final StoredMessage message = parts.load(seq);
                if (live.contains(seq))
                {
                    assertThat(message.payload()).as("seq %d", seq).isEqualTo(StreamParts.payload(seq));
                }
                else
                {
                    assertThat(message).as("removed seq %d", seq).isNull();
                }
            }
        }
    }

    @Test
    void leftoversOfAnInterruptedRewriteAreDeletedAndNothingElse() throws IOException
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            parts.appendUntilBlocks(2, "a");
            final Path block = parts.block(0).file();
            final Path rewrite = BlockRewriter.rewriteFile(block);
            assertThat(rewrite.getFileName().toString()).isEqualTo(block.getFileName() + ".rewrite");
            assertThat(BlockDescriptor.parseFileName(rewrite.getFileName().toString())).as("never a block file name")
                .isLessThan(0);
            Files.write(rewrite, new byte[] {1});
            final Path creating = rewrite.resolveSibling(rewrite.getFileName() + BlockFile.TEMP_SUFFIX);
            Files.write(creating, new byte[] {1});
            BlockRewriter.deleteLeftovers(parts.directory);
            assertThat(Files.exists(rewrite)).isFalse();
            assertThat(Files.exists(creating)).isFalse();
            assertThat(Files.exists(block)).isTrue();
            assertThat(Files.exists(parts.block(1).file())).isTrue();
        }
    }

    private static BlockRewriter rewriter(final StreamParts parts)
    {
        return new BlockRewriter(parts.index, parts.directory, parts.config, parts.metrics, parts.crypto);
    }

    private static long[] listed(final SequenceTable table, final long baseSeq)
    {
        final List<Long> seqs = new ArrayList<>();
        for (long seq = table.nextListed(baseSeq); seq > 0; seq = table.nextListed(seq + 1))
        {
            seqs.add(seq);
        }
        return seqs.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * @return whether the table's memory went back: a freed table holds no entry at all.
     */
    private static boolean freed(final SequenceTable table)
    {
        return table.endSeq() == table.baseSeq();
    }

    /**
     * @return the lines of {@code /proc/self/maps} that map {@code file}, under any name that begins with its path
     * (as a {@code *.rewrite} file's does its {@code *.creating} one's).
     */
    private static List<String> mappingsOf(final Path file) throws IOException
    {
        final String path = " " + file.toAbsolutePath();
        return Files.readAllLines(MAPS).stream().filter((line) -> line.contains(path)).toList();
    }

    private static byte[] salt(final Path file) throws IOException
    {
        final ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        return Arrays.copyOfRange(header.array(), BlockDescriptor.SALT_OFFSET,
            BlockDescriptor.SALT_OFFSET + BlockDescriptor.SALT_LENGTH);
    }
}
