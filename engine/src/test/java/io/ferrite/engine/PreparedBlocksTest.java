package io.ferrite.engine;

import io.ferrite.engine.block.BlockPreallocator;
import io.ferrite.engine.flush.ControllableStorageIO;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StoreFullException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blocks prepared ahead, seen from the store: rolls use them in order and leave no prepared file behind at close; files
 * a crash left prepared are deleted at the next open and never read as blocks; and a preparation that fails (injected
 * through the {@code StorageIO}: the force of the prepared file reports a full disk) ends the roll that needs it in a
 * {@link StoreFullException}, with every acknowledged message intact, in every sync mode, plaintext and encrypted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PreparedBlocksTest
{
    private static final int BLOCK_SIZE = 4096;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void rollsTakePreparedBlocksInOrderAndCloseLeavesNone(final StreamMode mode) throws Exception
    {
        final StreamConfig config = config(mode, SyncMode.INTERVAL, 3);
        final List<byte[]> acknowledged = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(3);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            appendSome(store, random, acknowledged, 400);
            assertReadable(store, acknowledged);
        }
        final List<Path> blocks = blockFiles();
        assertThat(blocks.size()).as("rolls").isGreaterThan(30);
        for (int i = 0; i < blocks.size(); i++)
        {
            assertThat(BlockDescriptor.parseFileName(blocks.get(i).getFileName().toString()))
                .as("block ids follow each other").isEqualTo(i + 1L);
        }
        assertThat(preparedFiles()).as("prepared files deleted at close").isEmpty();

        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).isEmpty();
            assertReadable(store, acknowledged);
        }
    }

    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void filesACrashLeftPreparedAreDeletedAtOpenAndNeverRead(final StreamMode mode) throws Exception
    {
        final StreamConfig config = config(mode, SyncMode.INTERVAL, 2);
        final List<byte[]> acknowledged = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(5);
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            appendSome(store, random, acknowledged, 100);
        }
        // What a crash can leave: files prepared and not taken (zeros), and one a roll had headed and not renamed —
        // here a copy of a real block, which must not be taken for one.
        final List<Path> blocks = blockFiles();
        final Path blocksDir = dir.resolve("blocks");
        Files.write(blocksDir.resolve(BlockPreallocator.preparedFileName(0)), new byte[BLOCK_SIZE]);
        Files.copy(blocks.get(blocks.size() - 1), blocksDir.resolve(BlockPreallocator.preparedFileName(1)));
        Files.copy(blocks.get(0), blocksDir.resolve(BlockPreallocator.preparedFileName(2)));

        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).isEmpty();
            assertThat(store.state().lastSeq()).isEqualTo(acknowledged.size());
            assertReadable(store, acknowledged);
            appendSome(store, random, acknowledged, 50);
            assertReadable(store, acknowledged);
        }
        assertThat(preparedFiles()).isEmpty();
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).isEmpty();
            assertReadable(store, acknowledged);
        }
    }

    static Stream<Arguments> modes()
    {
        return Stream.of(SyncMode.values()).flatMap((sync) -> Stream.of(StreamMode.values())
            .map((mode) -> Arguments.of(sync, mode)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("modes")
    void aFailedPreparationEndsTheRollThatNeedsItWithAcknowledgedDataIntact(
        final SyncMode sync, final StreamMode mode) throws Exception
    {
        final StreamConfig config = config(mode, sync, 2);
        final ControllableStorageIO io = new ControllableStorageIO();
        final List<byte[]> acknowledged = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(9);
        try (FileStreamStore store = FileStreamStore.open(dir, config, io))
        {
            appendSome(store, random, acknowledged, 40);
            io.failPreparedFileForces("No space left on device");
            StoreFullException full = null;
            for (int i = 0; i < 10_000 && null == full; i++)
            {
                final byte[] payload = payload(random);
                try
                {
                    assertThat(store.append("orders.eu", null, payload)).isEqualTo(acknowledged.size() + 1L);
                    acknowledged.add(payload);
                }
                catch (final StoreFullException ex)
                {
                    full = ex;
                }
            }
            assertThat(full).as("a roll needed a block no preparation could make").isNotNull()
                .hasMessageContaining("allocate block file").hasMessageContaining(".creating");
            assertThat(store.state().lastSeq()).isEqualTo(acknowledged.size());
            assertReadable(store, acknowledged);

            io.failPreparedFileForces(null);
            appendSome(store, random, acknowledged, 40);
            assertReadable(store, acknowledged);
        }
        assertThat(preparedFiles()).isEmpty();
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().lost()).isEmpty();
            assertReadable(store, acknowledged);
        }
    }

    private static StreamConfig config(final StreamMode mode, final SyncMode sync, final int prepared)
    {
        return mode.config(StreamConfig.builder("prepared").blockSize(BLOCK_SIZE).maxMsgSize(1024).syncMode(sync)
            .preparedBlocks(prepared));
    }

    private static void appendSome(
        final FileStreamStore store, final SplittableRandom random, final List<byte[]> acknowledged, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final byte[] payload = payload(random);
            assertThat(store.append("orders.eu", null, payload)).isEqualTo(acknowledged.size() + 1L);
            acknowledged.add(payload);
        }
    }

    private static byte[] payload(final SplittableRandom random)
    {
        final byte[] payload = new byte[200 + random.nextInt(400)];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)random.nextInt(256);
        }
        return payload;
    }

    private static void assertReadable(final FileStreamStore store, final List<byte[]> acknowledged)
    {
        assertThat(store.state().msgs()).isEqualTo(acknowledged.size());
        for (int i = 0; i < acknowledged.size(); i++)
        {
            final StoredMessage message = store.load(i + 1);
            assertThat(message).as("message %d", i + 1).isNotNull();
            assertThat(message.payload()).as("payload of %d", i + 1).isEqualTo(acknowledged.get(i));
        }
    }

    private List<Path> blockFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((file) -> file.getFileName().toString().endsWith(BlockDescriptor.FILE_SUFFIX))
                .sorted().toList();
        }
    }

    private List<Path> preparedFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            return files.filter((file) -> file.getFileName().toString().endsWith(".creating")).toList();
        }
    }
}
