package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ReclaimPolicy}: a sealed block goes once no message of it can be read, is rewritten only once at least 16 of
 * its messages were removed and the rewrite would at least halve its file, the tail block is never reclaimed, and the
 * {@code maxAge} check runs every quarter of it within [1 ms, 250 ms].
 */
class ReclaimPolicyTest
{
    private static final int BLOCK_SIZE = 16 * 1024;

    @TempDir
    Path dir;

    @Test
    void aSealedBlockIsRewrittenOnlyOnceSixteenAreRemovedAndTheFileWouldHalve()
    {
        try (StreamParts parts = StreamParts.open(dir, BLOCK_SIZE, false))
        {
            parts.appendUntilBlocks(3, "a", "b");
            final ReclaimPolicy policy = new ReclaimPolicy(parts.index, BLOCK_SIZE, 0);
            final MessageBlock first = parts.block(0);
            final long messages = parts.index.blockIndex().msgs(0);
            assertThat(messages).as("enough messages for the test")
                .isGreaterThan(2L * ReclaimPolicy.REWRITE_MIN_REMOVED);
            long seq = first.baseSeq();
            for (int removed = 1; removed < ReclaimPolicy.REWRITE_MIN_REMOVED; removed++)
            {
                assertThat(parts.remove(seq++)).isTrue();
            }
            // Fewer than 16 removed: never worth a rewrite, whatever it would save.
            assertThat(policy.isSparse(0)).isFalse();
            assertThat(policy.sparseBlock()).isEqualTo(-1);
            assertThat(parts.remove(seq++)).isTrue();
            // 16 of many removed: the rewrite would not halve the file.
            assertThat(policy.isSparse(0)).isFalse();
            final long last = first.baseSeq() + messages - 1;
            while (seq < last)
            {
                assertThat(parts.remove(seq++)).isTrue();
            }
            assertThat(policy.isSparse(0)).as("one message left").isTrue();
            assertThat(policy.wakesOnRemoval(0)).isTrue();
            assertThat(policy.sparseBlock()).isZero();
            assertThat(policy.isEmptied(0)).isFalse();
            assertThat(policy.wakesOnRemoval(parts.index.blockCount() - 1)).as("the tail block").isFalse();
        }
    }

    @Test
    void aBlockWithNothingLeftIsDeletedNotRewritten()
    {
        try (StreamParts parts = StreamParts.open(dir, BLOCK_SIZE, false))
        {
            parts.appendUntilBlocks(3, "a");
            final ReclaimPolicy policy = new ReclaimPolicy(parts.index, BLOCK_SIZE, 0);
            final MessageBlock first = parts.block(0);
            final long messages = parts.index.blockIndex().msgs(0);
            for (long seq = first.baseSeq(); seq < first.baseSeq() + messages; seq++)
            {
                assertThat(parts.remove(seq)).isTrue();
            }
            assertThat(policy.isEmptied(0)).isTrue();
            assertThat(policy.isSparse(0)).isFalse();
            assertThat(policy.sparseBlock()).isEqualTo(-1);
            assertThat(policy.isEmptied(1)).isFalse();
        }
    }

    @Test
    void theAgeCheckRunsEveryQuarterOfMaxAgeWithinBounds()
    {
        try (StreamParts parts = StreamParts.open(dir))
        {
            assertThat(new ReclaimPolicy(parts.index, BLOCK_SIZE, 0).ageCheckNanos()).as("no maxAge").isZero();
            assertThat(new ReclaimPolicy(parts.index, BLOCK_SIZE, TimeUnit.SECONDS.toNanos(1)).ageCheckNanos())
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(250));
            assertThat(new ReclaimPolicy(parts.index, BLOCK_SIZE, TimeUnit.MILLISECONDS.toNanos(400)).ageCheckNanos())
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
            assertThat(new ReclaimPolicy(parts.index, BLOCK_SIZE, TimeUnit.MICROSECONDS.toNanos(10)).ageCheckNanos())
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
