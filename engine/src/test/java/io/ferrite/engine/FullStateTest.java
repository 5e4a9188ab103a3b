package io.ferrite.engine;

import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreStats;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The incident this project exists for: writing the state must never open, read or decrypt a block file.
 */
class FullStateTest
{
    private static final int BLOCKS = 1_000;

    @TempDir
    Path dir;

    @Test
    void writeFullStateTouchesNoBlockFileEvenWithAThousandBlocks() throws Exception
    {
        final StreamConfig config = StreamConfig.builder("telemetry").blockSize(4096).maxMsgSize(1024).build();
        final byte[] payload = new byte[900];
        long appended = 0;
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            while (store.counters().blocksCreated() < BLOCKS + 1)
            {
                payload[0] = (byte)appended;
                store.append("sensor." + (appended % 13), null, payload);
                appended++;
            }
        }
        try (Stream<Path> files = Files.list(dir.resolve("blocks")))
        {
            assertThat(files.count()).isGreaterThan(BLOCKS);
        }

        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThat(store.recoveryReport().blocksScanned()).isEqualTo(1);
            final StoreStats afterOpen = store.stats();
            assertThat(afterOpen.blockFileOpens()).as("only the tail block is opened").isEqualTo(1);
            assertThat(afterOpen.blockBytesRead()).as("only the tail block is read").isLessThanOrEqualTo(4096);

            store.writeFullState();
            store.writeFullState();

            final StoreStats afterWrite = store.stats();
            assertThat(afterWrite.blockFileOpens()).isEqualTo(afterOpen.blockFileOpens());
            assertThat(afterWrite.blockBytesRead()).isEqualTo(afterOpen.blockBytesRead());
            assertThat(afterWrite.fullStateWrites()).isEqualTo(2);
            assertThat(afterWrite.histogram("writeFullState").getTotalCount()).isEqualTo(2);
            assertThat(afterWrite.histogram("writeFullState.fsync").getTotalCount()).isEqualTo(2);
            assertThat(store.state().msgs()).isEqualTo(appended);

            assertThat(store.load(1).payload()[0]).isEqualTo((byte)0);
            assertThat(store.stats().blockFileOpens()).as("a read maps its block on demand").isEqualTo(2);
        }
    }

    @Test
    void stateFileRoundTripsTotalsAndSubjects()
    {
        final StreamConfig config = StreamConfig.builder("s").blockSize(4096).maxMsgSize(512).build();
        final StreamState before;
        long lastA3 = 0;
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            for (int i = 0; i < 300; i++)
            {
                final long seq = store.append("a." + (i % 5), new byte[i % 3], new byte[i % 50]);
                lastA3 = i % 5 == 3 ? seq : lastA3;
                if (i % 37 == 0)
                {
                    store.skip();
                }
            }
            before = store.state();
        }
        try (StreamStore store = FileStreamStore.open(dir, config))
        {
            assertThat(store.recoveryReport().outcome()).isEqualTo(RecoveryReport.Outcome.LOADED_STATE);
            assertThat(store.state()).isEqualTo(before);
            assertThat(store.loadLast("a.3").seq()).isEqualTo(lastA3);
            assertThat(store.state().numDeleted()).as("skips are gaps").isEqualTo(300 / 37 + 1);
        }
    }
}
