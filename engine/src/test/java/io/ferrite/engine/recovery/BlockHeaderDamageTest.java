package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.block.BlockFile;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * A block file whose header cannot be trusted — shorter than a header, garbage, wrong magic or version, a header that
 * fails its checksum or contradicts its file name — is a {@link CorruptFileException} naming the file and the offset,
 * raised by {@code open} whenever recovery has to open that file, and by the first read of it otherwise. Never a JVM
 * crash: nothing is mapped past a file's end. For a plaintext and an encrypted stream alike.
 */
class BlockHeaderDamageTest
{
    private static final long SEED = 0xB10CL;
    private static final TestMessages MESSAGES = new TestMessages(200);
    private static final AtomicInteger CASES = new AtomicInteger();

    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, Golden> GOLDENS = new EnumMap<>(StreamMode.class);

    /**
     * The pristine store every case of one stream mode starts from.
     */
    private record Golden(StreamMode streamMode, StreamConfig config, Path dir, long last, List<Path> blocks)
    {
    }

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldenStores()
    {
        for (final StreamMode streamMode : StreamMode.values())
        {
            GOLDENS.put(streamMode, writeGoldenStore(streamMode));
        }
    }

    private static Golden writeGoldenStore(final StreamMode streamMode)
    {
        final StreamConfig config = streamMode.config(StreamConfig.builder("header").blockSize(8192).maxMsgSize(512));
        final Path golden = goldenRoot.resolve("golden-" + streamMode);
        long goldenLast = 0;
        try (FileStreamStore store = FileStreamStore.open(golden, config))
        {
            for (int i = 0; i < 200; i++)
            {
                goldenLast = MESSAGES.appendNext(store);
            }
        }
        final List<Path> goldenBlocks = BlockFiles.blocks(golden);
        assertThat(goldenBlocks).hasSizeGreaterThan(3);
        return new Golden(streamMode, config, golden, goldenLast, goldenBlocks);
    }

    /**
     * A header damage and the offset the exception must name (-1: the damaged file's size).
     */
    private record HeaderDamage(Consumer<Path> damage, long offset)
    {
    }

    private static Map<String, HeaderDamage> damages()
    {
        final Map<String, HeaderDamage> damages = new LinkedHashMap<>();
        damages.put("shorter than its header", new HeaderDamage((file) -> BlockFiles.truncate(file, 100), 100));
        damages.put("empty", new HeaderDamage((file) -> BlockFiles.truncate(file, 0), 0));
        damages.put("garbage header", new HeaderDamage((file) ->
        {
            final byte[] garbage = new byte[BlockDescriptor.HEADER_LENGTH];
            new Random(SEED).nextBytes(garbage);
            BlockFiles.write(file, 0, garbage);
        }, BlockDescriptor.MAGIC_OFFSET));
        damages.put("wrong magic", new HeaderDamage((file) -> BlockFiles.flip(file, 2), BlockDescriptor.MAGIC_OFFSET));
        damages.put("wrong version", new HeaderDamage((file) -> rewriteHeader(file,
            (header) -> header.putInt(BlockDescriptor.VERSION_OFFSET, BlockDescriptor.VERSION + 1)),
            BlockDescriptor.VERSION_OFFSET));
        damages.put("header checksum mismatch", new HeaderDamage((file) ->
            BlockFiles.flip(file, BlockDescriptor.CREATED_OFFSET + 1), BlockDescriptor.HEADER_CHECKSUM_OFFSET));
        damages.put("block id contradicts the file name", new HeaderDamage((file) -> rewriteHeader(file,
            (header) -> header.putLong(BlockDescriptor.BLOCK_ID_OFFSET, 999)), BlockDescriptor.BLOCK_ID_OFFSET));
        damages.put("impossible block length", new HeaderDamage((file) -> rewriteHeader(file,
            (header) -> header.putInt(BlockDescriptor.BLOCK_LENGTH_OFFSET, 5)), BlockDescriptor.BLOCK_LENGTH_OFFSET));
        damages.put("wrong data offset", new HeaderDamage((file) -> rewriteHeader(file,
            (header) -> header.putInt(BlockDescriptor.DATA_OFFSET_OFFSET, 256)), BlockDescriptor.DATA_OFFSET_OFFSET));
        damages.put("base sequence past the ceiling", new HeaderDamage((file) -> rewriteHeader(file,
            (header) -> header.putLong(BlockDescriptor.BASE_SEQ_OFFSET, RecordDescriptor.MAX_SEQUENCE + 2)),
            BlockDescriptor.BASE_SEQ_OFFSET));
        return damages;
    }

    @TestFactory
    Stream<DynamicTest> openFailsNamingTheFileAndOffset()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Golden golden : GOLDENS.values())
        {
            final String mode = golden.streamMode() + ": ";
            final int last = golden.blocks().size() - 1;
            final int middle = golden.blocks().size() / 2;
            damages().forEach((what, damage) ->
            {
                tests.add(dynamicTest(mode + what + ", last block, state.db kept",
                    () -> openFails(golden, last, damage, true)));
                if ("empty".equals(what))
                {
                    tests.add(dynamicTest(mode + "empty last block, state.db deleted: set aside as an unwritten roll",
                        () -> setAsideAsUnwrittenRoll(golden, last, damage)));
                }
                else
                {
                    tests.add(dynamicTest(mode + what + ", last block, state.db deleted",
                        () -> openFails(golden, last, damage, false)));
                }
                tests.add(dynamicTest(mode + what + ", sealed block, state.db deleted",
                    () -> openFails(golden, middle, damage, false)));
                tests.add(dynamicTest(mode + what + ", first block, state.db deleted",
                    () -> openFails(golden, 0, damage, false)));
                tests.add(dynamicTest(mode + what + ", sealed block, state.db kept: its first read fails",
                    () -> firstReadFails(golden, middle, damage)));
            });
        }
        return tests.stream();
    }

    /**
     * Without a state, an empty last block file is indistinguishable from a roll whose file never reached the disk
     * (power loss): it held nothing acknowledged, so it is set aside, reported, and every earlier message still loads.
     */
    private void setAsideAsUnwrittenRoll(final Golden golden, final int position, final HeaderDamage damage)
    {
        final Path dir = work.resolve("case-" + CASES.incrementAndGet());
        BlockFiles.copyTree(golden.dir(), dir);
        final Path block = dir.resolve("blocks").resolve(golden.blocks().get(position).getFileName());
        damage.damage().accept(block);
        delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            assertThat(store.recoveryReport().lost()).anySatisfy((lost) ->
                assertThat(lost.kind()).isEqualTo(RecoveryReport.Kind.UNWRITTEN_BLOCK));
            assertThat(block).doesNotExist();
            final long first = baseSeq(golden.blocks().get(position));
            for (long seq = 1; seq < first; seq++)
            {
                assertThat(MESSAGES.mismatch(store.load(seq), seq)).as("seq %d", seq).isNull();
            }
        }
    }

    private static long baseSeq(final Path goldenBlock)
    {
        try (FileChannel channel = FileChannel.open(goldenBlock))
        {
            final ByteBuffer header = ByteBuffer.allocate(BlockDescriptor.HEADER_LENGTH)
                .order(ByteOrder.LITTLE_ENDIAN);
            channel.read(header, 0);
            return header.getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private void openFails(final Golden golden, final int position, final HeaderDamage damage, final boolean keepState)
    {
        final StreamConfig config = golden.config();
        final long goldenLast = golden.last();
        final List<Path> goldenBlocks = golden.blocks();
        final Path dir = work.resolve("case-" + CASES.incrementAndGet());
        BlockFiles.copyTree(golden.dir(), dir);
        final Path block = dir.resolve("blocks").resolve(goldenBlocks.get(position).getFileName());
        damage.damage().accept(block);
        if (!keepState)
        {
            delete(dir.resolve("state.db"));
        }
        final CorruptFileException failure =
            catchThrowableOfType(CorruptFileException.class, () -> FileStreamStore.open(dir, config).close());
        assertNamesFileAndOffset(failure, block, damage.offset());

        // The directory is released after the failed open: once the damage is gone the stream opens again.
        copyFile(goldenBlocks.get(position), block);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(MESSAGES.mismatch(store.load(goldenLast), goldenLast)).isNull();
        }
    }

    private void firstReadFails(final Golden golden, final int position, final HeaderDamage damage)
    {
        final StreamConfig config = golden.config();
        final long goldenLast = golden.last();
        final List<Path> goldenBlocks = golden.blocks();
        final Path dir = work.resolve("case-" + CASES.incrementAndGet());
        BlockFiles.copyTree(golden.dir(), dir);
        final Path block = dir.resolve("blocks").resolve(goldenBlocks.get(position).getFileName());
        final List<BlockFiles.Frame> frames = BlockFiles.frames(block);
        damage.damage().accept(block);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(Outcome.LOADED_STATE);
            final long inDamagedBlock = frames.get(frames.size() / 2).seq();
            final CorruptFileException failure =
                catchThrowableOfType(CorruptFileException.class, () -> store.load(inDamagedBlock));
            assertNamesFileAndOffset(failure, block, damage.offset());
            for (long seq = 1; seq <= goldenLast; seq++)
            {
                if (seq < frames.get(0).seq() || seq > frames.get(frames.size() - 1).seq())
                {
                    assertThat(MESSAGES.mismatch(store.load(seq), seq)).isNull();
                }
            }
        }
    }

    private static void assertNamesFileAndOffset(final StoreException failure, final Path block, final long offset)
    {
        assertThat(failure).as("a StoreException naming the file").isNotNull();
        assertThat(failure.file()).isEqualTo(block);
        assertThat(failure.offset()).isEqualTo(offset);
        assertThat(failure.getMessage()).contains(block.toString()).contains("offset=" + offset);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void aBlockCreationInterruptedByACrashLeavesNothingThatStopsTheStreamOpening(final StreamMode streamMode)
        throws IOException
    {
        final Golden golden = GOLDENS.get(streamMode);
        final StreamConfig config = golden.config();
        final long goldenLast = golden.last();
        final List<Path> goldenBlocks = golden.blocks();
        final Path dir = work.resolve("interrupted-roll");
        BlockFiles.copyTree(golden.dir(), dir);
        final long nextId = BlockDescriptor.parseFileName(goldenBlocks.get(goldenBlocks.size() - 1).getFileName()
            .toString()) + 1;
        final Path leftover = dir.resolve("blocks").resolve(BlockDescriptor.fileName(nextId) + BlockFile.TEMP_SUFFIX);
        Files.write(leftover, new byte[1000]);
        long last = goldenLast;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().isClean()).isTrue();
            while (BlockFiles.blocks(dir).size() <= goldenBlocks.size())
            {
                last = MESSAGES.appendNext(store);
            }
        }
        assertThat(leftover).as("the next roll reused the leftover").doesNotExist();
        delete(dir.resolve("state.db"));
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().isClean()).as("%s", store.recoveryReport()).isTrue();
            for (long seq = 1; seq <= last; seq++)
            {
                assertThat(MESSAGES.mismatch(store.load(seq), seq)).isNull();
            }
        }
    }

    private static void rewriteHeader(final Path file, final Consumer<ByteBuffer> change)
    {
        final ByteBuffer header = ByteBuffer.wrap(BlockFiles.readAll(file), 0, BlockDescriptor.HEADER_LENGTH)
            .slice().order(ByteOrder.LITTLE_ENDIAN);
        change.accept(header);
        header.putInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET, BlockDescriptor.headerChecksum(header));
        BlockFiles.write(file, 0, Arrays.copyOf(header.array(), BlockDescriptor.HEADER_LENGTH));
    }

    private static void copyFile(final Path from, final Path to)
    {
        try
        {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void delete(final Path file)
    {
        try
        {
            Files.delete(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
