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
 * warm-up, on a stream of small blocks so the appends roll over a hundred times; and what every thread of the process
 * allocates meanwhile, so a roll's arrays made ahead by the block preparer count too.
 */
class HotPathAllocationTest
{
    private static final int WARM_UP = 500_000;
    private static final int OPERATIONS = 1_000_000;
    /** Operations per allocation reading: a chunk that saw a roll is counted apart from those that did not. */
    private static final int CHUNK = 1_000;
    /** Between rolls: a sixteenth of the smallest object, so not even one allocation in sixteen operations. */
    private static final double MAX_BYTES_PER_OPERATION_BETWEEN_ROLLS = 1.0;
    private static final int PAYLOAD = 64;
    private static final int SUBJECTS = 300;
    private static final int BLOCK_SIZE = 1 << 20;
    /**
     * What a roll allocates on the appending thread: the block's objects (MessageBlock, contents, sequence table
     * object, mapping, path), measured about 3.5 KiB with compiled code and 8 KiB before it is. The arrays that scale
     * with the block (sequence table, block array, subject summary) come prepared by the block preparer.
     */
    private static final long MAX_BYTES_PER_ROLL = 16 * 1024;
    /**
     * What a roll allocates on every thread, the block preparer's and the flusher's included: measured 7–10 KiB, and
     * 17 KiB with 300 subjects (the subject summary is sized for them). Nothing in it grows with the messages a block
     * holds: the sequence table lives off the heap — on it, its entries alone were 4 bytes a sequence, ≈ 35 KiB a
     * block here.
     */
    private static final long MAX_PROCESS_BYTES_PER_ROLL = 24 * 1024;
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

            final LongSupplier handleAppend = () -> store.append(subject, null, 0, 0, payload, 0, PAYLOAD);
            final LongSupplier claimCommit = () ->
            {
                store.tryClaim(subject, 0, PAYLOAD, claim);
                claim.buffer().putLong(claim.payloadOffset(), 42L);
                return claim.commit();
            };
            final LongSupplier manySubjects = () -> store.append(subjects[next[0]++ % SUBJECTS], null, bytes);
            final LongSupplier[] appends = {handleAppend, claimCommit, manySubjects};
            final Phase[] phases = new Phase[appends.length];
            for (int i = 0; i < appends.length; i++)
            {
                warmUp(appends[i]);
                phases[i] = measure(store, appends[i]);
            }
            final long last = store.state().lastSeq();
            final LongSupplier reads = () -> store.read(1 + (next[0]++ % last), handler) ? 1 : 0;
            warmUp(reads);
            final Phase read = measure(store, reads);

            System.out.printf("append(handle, buffers) %s%ntryClaim/commit %s%nappend(String) over %d subjects %s%n" +
                "read %s%n", phases[0], phases[1], SUBJECTS, phases[2], read);
            // Between rolls nothing is allocated, over 300 subjects too (a block's subject summary is made by the
            // preparer, sized from the block before, and never grows): 0 bytes in most runs of this test alone. The
            // bound is far below the 16 bytes of the smallest object an append could allocate, and leaves room for
            // what this thread does not control on a loaded 2-core machine: code running uncompiled for a while
            // after a recompilation, a holder of the append lock preempted past the appender's spin (the JDK's
            // queue node). A roll allocates the new block's objects on this thread; the arrays come prepared.
            for (final Phase append : phases)
            {
                assertThat(append.rolls).isGreaterThan(50);
                assertThat(append.quietOperations).as(append.toString()).isGreaterThan(OPERATIONS / 2);
                assertThat(append.quietBytes / (double)append.quietOperations).as(append.toString())
                    .isLessThan(MAX_BYTES_PER_OPERATION_BETWEEN_ROLLS);
                assertThat(append.bytes).as(append.toString()).isLessThanOrEqualTo(append.rolls * MAX_BYTES_PER_ROLL);
                assertThat(append.processBytes).as(append.toString())
                    .isLessThanOrEqualTo(append.rolls * MAX_PROCESS_BYTES_PER_ROLL);
            }
            // A reader allocates one buffer view when it moves to another block (format.Crc32c), never per read.
            assertThat(read.rolls).isZero();
            assertThat(read.bytesPerOperation()).as(read.toString()).isLessThan(0.01);
        }
    }

    private void warmUp(final LongSupplier operation)
    {
        for (int i = 0; i < WARM_UP; i++)
        {
            sink += operation.getAsLong();
        }
    }

    private Phase measure(final StreamStore store, final LongSupplier operation)
    {
        final long blocksBefore = store.counters().blocksCreated();
        final long processBefore = processAllocatedBytes();
        long bytes = 0;
        long quietBytes = 0;
        long quietOperations = 0;
        // Chunks that saw no roll are summed apart: between rolls the promise is exactly zero bytes. The counters are
        // read outside each chunk's allocation window, so what reading them costs is never counted.
        for (int chunk = 0; chunk < OPERATIONS / CHUNK; chunk++)
        {
            final long blocksThen = store.counters().blocksCreated();
            final long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < CHUNK; i++)
            {
                sink += operation.getAsLong();
            }
            final long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            bytes += allocated;
            if (store.counters().blocksCreated() == blocksThen)
            {
                quietBytes += allocated;
                quietOperations += CHUNK;
            }
        }
        final long processBytes = processAllocatedBytes() - processBefore;
        return new Phase(bytes, store.counters().blocksCreated() - blocksBefore, quietBytes, quietOperations,
            processBytes);
    }

    /**
     * @return what every live thread allocated so far: the appender, and the store's block preparer and flusher, which
     * make what a roll needs ahead of it. Threads that ended meanwhile drop out, so a phase's difference can only be
     * smaller than the truth if one ends during it; the store's threads run for the whole test.
     */
    private static long processAllocatedBytes()
    {
        long total = 0;
        for (final long allocated : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds()))
        {
            total += Math.max(0, allocated);
        }
        return total;
    }

    private static final class Phase
    {
        final long bytes;
        final long rolls;
        final long quietBytes;
        final long quietOperations;
        final long processBytes;

        Phase(
            final long bytes, final long rolls, final long quietBytes, final long quietOperations,
            final long processBytes)
        {
            this.bytes = bytes;
            this.rolls = rolls;
            this.quietBytes = quietBytes;
            this.quietOperations = quietOperations;
            this.processBytes = processBytes;
        }

        double bytesPerOperation()
        {
            return bytes / (double)OPERATIONS;
        }

        @Override
        public String toString()
        {
            return String.format("%.4f bytes per operation over %,d: %,d bytes, %d rolls, %,d bytes per roll; " +
                "%,d bytes over the %,d operations between rolls; every thread: %,d bytes, %,d per roll",
                bytesPerOperation(), OPERATIONS, bytes, rolls, rolls == 0 ? 0 : bytes / rolls, quietBytes,
                quietOperations, processBytes, rolls == 0 ? 0 : processBytes / rolls);
        }
    }
}
