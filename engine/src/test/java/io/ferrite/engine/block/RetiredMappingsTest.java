package io.ferrite.engine.block;

import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.flush.UnforcedWindow;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StorageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A writable mapping handed over at a roll stays mapped until the agent unmaps it, and is unmapped at once when no
 * agent runs or the queue is full — never left mapped for good, never unmapped twice.
 */
class RetiredMappingsTest
{
    private static final int LENGTH = 16 << 10;

    @TempDir
    Path tmp;
    private final RetiredMappings retired = new RetiredMappings();
    private final Map<MappedByteBuffer, Path> files = new IdentityHashMap<>();

    @BeforeEach
    void needsSmaps()
    {
        assumeTrue(ProcessMappings.AVAILABLE, ProcessMappings.UNAVAILABLE);
    }

    @Test
    void aMappingHandedToARunningAgentIsUnmappedWhenTheAgentDrainsTheQueue() throws IOException
    {
        final MappedByteBuffer writable = map("a");

        retired.retire(writable, true);

        assertThat(ProcessMappings.residentKiB(writable, file(writable))).as("left for the agent").isPositive();
        assertThat(retired.unmapRetired()).isEqualTo(1);
        assertThat(ProcessMappings.residentKiB(writable, file(writable))).isEqualTo(-1);
        assertThat(retired.unmapRetired()).as("nothing twice").isZero();
    }

    @Test
    void theFlusherUnmapsWhatRollsHandedOverBeforeItForcesAnything() throws IOException
    {
        final Logger log = LoggerFactory.getLogger(RetiredMappingsTest.class);
        final StoreMetrics metrics = new StoreMetrics(Long.MAX_VALUE, log);
        final BlockFlusher flusher = new BlockFlusher(new StreamIndex(), new ReentrantLock(), tmp, StorageIO.standard(),
            new UnforcedWindow("retired", UnforcedWindow.UNBOUNDED, metrics, log));
        flusher.retiredWriters(retired);
        final MappedByteBuffer writable = map("flushed");
        retired.retire(writable, true);

        flusher.force(new BlockFlusher.Batch(), metrics.flush().start());

        assertThat(ProcessMappings.residentKiB(writable, file(writable))).isEqualTo(-1);
    }

    @Test
    void withNoAgentRunningTheMappingIsUnmappedAtOnce() throws IOException
    {
        final MappedByteBuffer writable = map("b");

        retired.retire(writable, false);

        assertThat(ProcessMappings.residentKiB(writable, file(writable))).isEqualTo(-1);
        assertThat(retired.unmapRetired()).isZero();
    }

    @Test
    void whenTheQueueIsFullTheRollUnmapsItself() throws IOException
    {
        final List<MappedByteBuffer> queued = new ArrayList<>();
        for (int i = 0; i < RetiredMappings.CAPACITY; i++)
        {
            queued.add(map("q" + i));
            retired.retire(queued.get(i), true);
        }
        final MappedByteBuffer overflow = map("overflow");

        retired.retire(overflow, true);
        retired.retire(null, true);

        assertThat(ProcessMappings.residentKiB(overflow, file(overflow))).isEqualTo(-1);
        for (final MappedByteBuffer writable : queued)
        {
            assertThat(ProcessMappings.residentKiB(writable, file(writable))).isPositive();
        }
        assertThat(retired.unmapRetired()).isEqualTo(RetiredMappings.CAPACITY);
        for (final MappedByteBuffer writable : queued)
        {
            assertThat(ProcessMappings.residentKiB(writable, file(writable))).isEqualTo(-1);
        }
    }

    private Path file(final MappedByteBuffer mapped)
    {
        return files.get(mapped);
    }

    /**
     * @return a writable mapping with every page touched, as an appender's is.
     */
    private MappedByteBuffer map(final String name) throws IOException
    {
        final Path file = tmp.resolve(name);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, LENGTH);
            for (int page = 0; page < LENGTH; page += 4096)
            {
                mapped.put(page, (byte)1);
            }
            files.put(mapped, file);
            return mapped;
        }
    }
}
