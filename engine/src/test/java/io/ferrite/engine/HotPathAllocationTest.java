package io.ferrite.engine;

import com.sun.management.ThreadMXBean;
import io.ferrite.store.MessageClaim;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SubjectHandle;
import io.ferrite.store.SyncMode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the hot path allocates, measured with the thread's allocation counter over a million operations after a
 * warm-up, on a stream of small blocks so the appends roll hundreds of times.
 */
class HotPathAllocationTest
{
    private static final int WARM_UP = 200_000;
    private static final int OPERATIONS = 1_000_000;
    private static final int PAYLOAD = 64;
    private static final int SUBJECTS = 300;
    private static final int BLOCK_SIZE = 1 << 20;
    /** The smallest frame here is 112 bytes: a block spans at most this many sequences. */
    private static final long MAX_SEQUENCES_PER_BLOCK = BLOCK_SIZE / 112;
    /** The sequence table, and 64 KiB for the block's objects and a subject summary of 300 subjects. */
    private static final long MAX_BYTES_PER_ROLL = 4 * MAX_SEQUENCES_PER_BLOCK + 64 * 1024;
    private static final ThreadMXBean THREADS = (ThreadMXBean)ManagementFactory.getThreadMXBean();

    @TempDir
    Path dir;

    private long sink;

    @Test
    void appendsClaimsAndReadsAllocateNothingPerOperation()
    {
        final StreamConfig config = StreamConfig.builder("ticks").blockSize(BLOCK_SIZE).maxMsgSize(1024)
            .syncMode(SyncMode.NONE).build();
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            final SubjectHandle subject = store.subject("md.eu.px");
            final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(PAYLOAD));
            final MessageClaim claim = new MessageClaim();
            final String[] subjects = new String[SUBJECTS];
            for (int i = 0; i < SUBJECTS; i++)
            {
                subjects[i] = "md.s" + i;
            }
            final byte[] bytes = new byte[PAYLOAD];
            final MessageHandler handler = (view) -> sink += view.payloadLength();
            final int[] next = new int[1];

            final Phase handleAppend = measure(store, () -> store.append(subject, null, 0, 0, payload, 0, PAYLOAD));
            final Phase claimCommit = measure(store, () ->
            {
                store.tryClaim(subject, 0, PAYLOAD, claim);
                claim.buffer().putLong(claim.payloadOffset(), 42L);
                return claim.commit();
            });
            final Phase manySubjects = measure(store, () -> store.append(subjects[next[0]++ % SUBJECTS], null, bytes));
            final long last = store.state().lastSeq();
            final Phase read = measure(store, () -> store.read(1 + (next[0]++ % last), handler) ? 1 : 0);

            System.out.printf("append(handle, buffers) %s%ntryClaim/commit %s%nappend(String) over %d subjects %s%n" +
                "read %s%n", handleAppend, claimCommit, SUBJECTS, manySubjects, read);
            // Between rolls nothing is allocated; a roll allocates the new block's sequence table (4 bytes per
            // sequence, sized from the block before) and its objects (MessageBlock, contents, subject summary, path).
            for (final Phase append : new Phase[] {handleAppend, claimCommit, manySubjects})
            {
                assertThat(append.rolls).isGreaterThan(50);
                assertThat(append.bytes).as(append.toString()).isLessThanOrEqualTo(append.rolls * MAX_BYTES_PER_ROLL);
            }
            assertThat(read.rolls).isZero();
            assertThat(read.bytesPerOperation()).as(read.toString()).isLessThan(0.01);
        }
    }

    private Phase measure(final StreamStore store, final LongSupplier operation)
    {
        for (int i = 0; i < WARM_UP; i++)
        {
            sink += operation.getAsLong();
        }
        final long blocksBefore = store.stats().blocksCreated();
        final long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < OPERATIONS; i++)
        {
            sink += operation.getAsLong();
        }
        final long bytes = THREADS.getCurrentThreadAllocatedBytes() - before;
        return new Phase(bytes, store.stats().blocksCreated() - blocksBefore);
    }

    private static final class Phase
    {
        final long bytes;
        final long rolls;

        Phase(final long bytes, final long rolls)
        {
            this.bytes = bytes;
            this.rolls = rolls;
        }

        double bytesPerOperation()
        {
            return bytes / (double)OPERATIONS;
        }

        @Override
        public String toString()
        {
            return String.format("%.4f bytes per operation over %,d: %,d bytes, %d rolls, %,d bytes per roll",
                bytesPerOperation(), OPERATIONS, bytes, rolls, rolls == 0 ? 0 : bytes / rolls);
        }
    }
}
