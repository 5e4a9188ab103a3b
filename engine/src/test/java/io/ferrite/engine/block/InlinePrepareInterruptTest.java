package io.ferrite.engine.block;

import io.ferrite.engine.agent.Uninterruptibles;
import io.ferrite.store.StorageIO;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * REVIEW (069f5ab): before the inline preparation, an appending thread whose interrupt flag was set could still roll:
 * take() parks for the agent's block and keeps the flag as it found it (BlockPreallocator.awaitPrepared), and every
 * file-channel operation of a preparation ran on the agent's thread. The inline preparation runs FileChannel.force
 * and FileChannel.map on the appending thread, which an interrupt flag makes fail (ClosedByInterruptException): the
 * roll, and with it the append, fails with a StoreIOException that has nothing to do with the storage.
 */
class InlinePrepareInterruptTest
{
    private static final int BLOCK_SIZE = 256 << 10;

    @TempDir
    Path blocks;

    @Test
    void anInterruptedAppenderThatFindsTheAgentFarFromDoneStillGetsABlock() throws Exception
    {
        final CountDownLatch forcing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Path agentsFirst = blocks.resolve(BlockPreallocator.preparedFileName(0));
        final StorageIO held = new StorageIO()
        {
            @Override
            public void forceBlock(final Path file, final FileChannel channel, final MappedByteBuffer mapped,
                final int from, final int to, final boolean metadata)
            {
                throw new AssertionError("not a block");
            }

            @Override
            public void forceFile(final Path file, final FileChannel channel) throws IOException
            {
                if (file.equals(agentsFirst))
                {
                    // The agent is held at the start of its block: it has made none of it.
                    forcing.countDown();
                    Uninterruptibles.await(release);
                }
                StorageIO.standard().forceFile(file, channel);
            }

            @Override
            public void syncDirectory(final Path dir)
            {
                throw new AssertionError("no directory sync");
            }
        };
        try (BlockPreallocator preallocator = new BlockPreallocator(blocks, BLOCK_SIZE, 1, held, "interrupted"))
        {
            preallocator.prepareNext(100, 1, 1);
            forcing.await();

            // The agent is let go once this thread waits for its block, which is what an interrupted roll must do.
            final Thread appender = Thread.currentThread();
            final Thread releaser = new Thread(() ->
            {
                while (Arrays.stream(appender.getStackTrace())
                    .noneMatch((frame) -> frame.getMethodName().equals("awaitPrepared")))
                {
                    Thread.onSpinWait();
                }
                release.countDown();
            }, "releaser");
            releaser.setDaemon(true);
            releaser.start();
            Thread.currentThread().interrupt();
            final PreparedBlock block;
            try
            {
                block = preallocator.take();
            }
            finally
            {
                assertThat(Thread.interrupted()).as("the flag left as it was found").isTrue();
                release.countDown();
            }
            assertThat(block.file().temp()).as("the agent's block, waited for").isEqualTo(agentsFirst);
            assertThat(preallocator.preparedInline()).isZero();
            assertThat(block.file().channel().size()).isEqualTo(BLOCK_SIZE);
            block.file().channel().close();
            IoUtil.unmap(block.file().mapped());
            IoUtil.unmap(block.file().readMapped());
        }
        finally
        {
            release.countDown();
        }
    }
}
