package io.ferrite.engine.testing;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StreamConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pristine stream the missing-file and damaged-tail suites start every case from, the shape issue 12 reported:
 * 1,500 messages in a few dozen 8 KiB blocks, then every 97th removed — so every tombstone sits in the last block —
 * and a clean close, so {@code state.db} records all of it.
 *
 * @param history what was done to it, copied by each case.
 * @param blocks  its block files, in id order.
 */
public record RemovalGolden(StreamMode mode, StreamConfig config, Path dir, StreamHistory history, List<Path> blocks)
{
    public static final TestMessages MESSAGES = new TestMessages(200);
    public static final int MESSAGE_COUNT = 1_500;
    public static final int REMOVE_EVERY = 97;

    /**
     * @return a golden stream per mode, each written under {@code root}: what the damage suites copy for every case.
     */
    public static Map<StreamMode, RemovalGolden> writeAll(final Path root)
    {
        final Map<StreamMode, RemovalGolden> goldens = new EnumMap<>(StreamMode.class);
        for (final StreamMode mode : StreamMode.values())
        {
            goldens.put(mode, write(mode, root.resolve("golden-" + mode)));
        }
        return goldens;
    }

    public static RemovalGolden write(final StreamMode mode, final Path dir)
    {
        final StreamConfig config = mode.config(StreamConfig.builder("trust").blockSize(8192).maxMsgSize(512));
        final StreamHistory history = new StreamHistory(MESSAGES);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < MESSAGE_COUNT; i++)
            {
                history.append(store, "golden");
            }
            for (long seq = REMOVE_EVERY; seq <= MESSAGE_COUNT; seq += REMOVE_EVERY)
            {
                history.remove(store, seq);
            }
        }
        final List<Path> blocks = BlockFiles.blocks(dir);
        assertThat(blocks).hasSizeGreaterThan(20);
        return new RemovalGolden(mode, config, dir, history, blocks);
    }

    /**
     * @return a copy of the stream's files in {@code to}.
     */
    public Path copyTo(final Path to)
    {
        BlockFiles.copyTree(dir, to);
        return to;
    }

    /**
     * @return the block file at {@code position} of the golden, as named in the copy {@code copy}.
     */
    public Path block(final Path copy, final int position)
    {
        return copy.resolve("blocks").resolve(blocks.get(position).getFileName());
    }

    /**
     * @return the sequences the golden's block at {@code position} holds: from its base to the next block's (the
     * golden assigns every number, with no gap), the last block up to the last sequence.
     */
    public List<Long> sequencesOf(final int position)
    {
        final long first = baseSeq(blocks.get(position));
        final long last = position + 1 < blocks.size() ? baseSeq(blocks.get(position + 1)) - 1 : last();
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    public static long baseSeq(final Path block)
    {
        return ByteBuffer.wrap(BlockFiles.readAll(block)).order(ByteOrder.LITTLE_ENDIAN)
            .getLong(BlockDescriptor.BASE_SEQ_OFFSET);
    }

    public long last()
    {
        return history.lastAssigned();
    }
}
