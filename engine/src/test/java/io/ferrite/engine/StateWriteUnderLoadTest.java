package io.ferrite.engine;

import io.ferrite.engine.flush.ControllableStorageIO;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.testing.TestMessages;
import io.ferrite.engine.state.FullStateReader;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A state write never waits for block data to be forced, in any sync mode: with the flusher's force held on a latch
 * it returns after writing its own small file, and the file it wrote describes only what a completed force made
 * durable. And a running state write — stalled in its own fsync — holds up neither appends, reads nor {@code flush()}.
 */
class StateWriteUnderLoadTest
{
    /** Far longer than any state write takes here; only a state write waiting on the stalled force would reach it. */
    private static final Duration NEVER = Duration.ofSeconds(20);
    private static final int BEFORE = 40;
    private static final int DURING = 25;

    @TempDir
    Path tmp;

    static Stream<Arguments> modes()
    {
        final List<Arguments> arguments = new ArrayList<>();
        for (final SyncMode sync : SyncMode.values())
        {
            for (final StreamMode mode : StreamMode.values())
            {
                arguments.add(Arguments.of(sync, mode));
            }
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modes")
    void aStateWriteReturnsWhileABlockForceIsStalledAndDescribesOnlyDurableData(
        final SyncMode sync, final StreamMode mode) throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final TestMessages messages = new TestMessages(200);
        final StreamConfig config = mode.config(StreamConfig.builder("s").syncMode(sync)
            .syncInterval(Duration.ofMillis(5)).blockSize(8192).maxMsgSize(1024));
        try (FileStreamStore store = FileStreamStore.open(tmp, config, io); Stalls stalls = new Stalls(io))
        {
            for (int i = 0; i < BEFORE; i++)
            {
                messages.appendNext(store);
            }
            assertThat(store.flush().join()).isEqualTo(BEFORE);

            io.stallBlockForces();
            final CompletableFuture<?> blocked;
            if (sync == SyncMode.ALWAYS)
            {
                // An ALWAYS append waits for its force: append from a thread of its own, which the stall holds.
                blocked = CompletableFuture.runAsync(() ->
                {
                    for (int i = 0; i < DURING; i++)
                    {
                        messages.appendNext(store);
                    }
                });
            }
            else
            {
                for (int i = 0; i < DURING; i++)
                {
                    messages.appendNext(store);
                }
                blocked = store.flush();
            }
            io.awaitStalled();

            assertTimeoutPreemptively(NEVER, store::writeFullState, "writeFullState waited for the stalled force");
            assertThat(blocked).as("the block force is still stalled").isNotDone();
            final StateSnapshot written = read(store);
            assertThat(written.lastSeq()).as("the state describes the last durable point, not the unforced appends")
                .isEqualTo(BEFORE);
            assertThat(written.msgs()).isEqualTo(BEFORE);

            io.releaseStall();
            blocked.join();
            assertThat(store.flush().join()).isEqualTo(BEFORE + DURING);
            store.writeFullState();
            assertThat(read(store).lastSeq()).as("once durable and idle, the state is the stream as it is")
                .isEqualTo(BEFORE + DURING);
        }
        try (FileStreamStore store = FileStreamStore.open(tmp, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            for (long seq = 1; seq <= BEFORE + DURING; seq++)
            {
                assertThat(messages.mismatch(store.load(seq), seq)).as("seq %d", seq).isNull();
            }
        }
    }

    /**
     * The state written while a force was stalled is a valid recovery point: a crash copy taken then reopens from it,
     * replaying the appends that came after.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aStateWrittenWhileAForceIsStalledIsAValidRecoveryPoint(final StreamMode mode) throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final TestMessages messages = new TestMessages(200);
        final StreamConfig config = mode.config(StreamConfig.builder("s").syncMode(SyncMode.INTERVAL)
            .syncInterval(Duration.ofMillis(5)).blockSize(4096).maxMsgSize(1024));
        final Path dir = tmp.resolve("stream");
        try (FileStreamStore store = FileStreamStore.open(dir, config, io); Stalls stalls = new Stalls(io))
        {
            for (int i = 0; i < BEFORE; i++)
            {
                messages.appendNext(store);
            }
            store.flush().join();
            io.stallBlockForces();
            for (int i = 0; i < DURING; i++)
            {
                messages.appendNext(store);
            }
            io.awaitStalled();
            assertTimeoutPreemptively(NEVER, store::writeFullState, "writeFullState waited for the stalled force");
            store.whileQuiescent(() -> BlockFiles.copyTree(dir, tmp.resolve("copy")));
            io.releaseStall();
        }
        try (FileStreamStore store = FileStreamStore.open(tmp.resolve("copy"), config))
        {
            final RecoveryReport report = store.recoveryReport();
            assertThat(report.outcome()).as(report.toString()).isEqualTo(RecoveryReport.Outcome.REPLAYED_AFTER_STATE);
            assertThat(report.lost()).as(report.toString()).isEmpty();
            assertThat(store.state().lastSeq()).isEqualTo(BEFORE + DURING);
            for (long seq = 1; seq <= BEFORE + DURING; seq++)
            {
                assertThat(messages.mismatch(store.load(seq), seq)).as("seq %d", seq).isNull();
            }
        }
    }

    /**
     * What a running state write blocks: nothing but other state writes and {@code close()}, which wait for its file.
     */
    @ParameterizedTest
    @EnumSource(StreamMode.class)
    void aStateWriteStalledInItsOwnFsyncBlocksNeitherAppendsReadsNorFlush(final StreamMode mode) throws Exception
    {
        final ControllableStorageIO io = new ControllableStorageIO();
        final TestMessages messages = new TestMessages(200);
        final StreamConfig config = mode.config(StreamConfig.builder("s").syncMode(SyncMode.INTERVAL)
            .blockSize(4096).maxMsgSize(1024));
        try (FileStreamStore store = FileStreamStore.open(tmp, config, io); Stalls stalls = new Stalls(io))
        {
            for (int i = 0; i < BEFORE; i++)
            {
                messages.appendNext(store);
            }
            store.flush().join();
            io.stallFileForces();
            final CompletableFuture<Void> stateWrite = CompletableFuture.runAsync(store::writeFullState);
            io.awaitFileStalled();

            assertTimeoutPreemptively(NEVER, () ->
            {
                for (int i = 0; i < DURING; i++)
                {
                    messages.appendNext(store);
                }
                for (long seq = 1; seq <= BEFORE + DURING; seq++)
                {
                    assertThat(messages.mismatch(store.load(seq), seq)).as("seq %d", seq).isNull();
                }
                assertThat(store.state().lastSeq()).isEqualTo(BEFORE + DURING);
                assertThat(store.flush().get(NEVER.toSeconds(), TimeUnit.SECONDS)).isEqualTo(BEFORE + DURING);
            }, "an append, read or flush waited for the stalled state write");
            assertThat(stateWrite).as("the state write is still in its fsync").isNotDone();

            io.releaseFileStall();
            stateWrite.join();
            assertThat(read(store).lastSeq()).isEqualTo(BEFORE);
        }
    }

    private static StateSnapshot read(final FileStreamStore store)
    {
        final Path file = store.directory().resolve("state.db");
        return FullStateReader.read(file);
    }

    /**
     * Releases every stall when a test fails half-way, so closing the store does not wait on a latch for ever.
     * Declared after the store in try-with-resources, so it is closed first.
     */
    private record Stalls(ControllableStorageIO io) implements AutoCloseable
    {
        @Override
        public void close()
        {
            io.releaseStall();
            io.releaseFileStall();
        }
    }
}
