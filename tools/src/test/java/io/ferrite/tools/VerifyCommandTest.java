package io.ferrite.tools;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.block.BlockFile;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class VerifyCommandTest
{
    @TempDir
    Path dir;

    @Test
    void aHealthyStreamVerifies()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("checked  2,000 records (2,000 messages, 0 skips)", "sequences 1..2000")
            .contains("each was cross-checked")
            .contains("result   OK: every record's checksum verifies");
        assertThat(run.err()).as("progress bar").contains("verify [", "100%");
    }

    @Test
    void aFlippedByteInTheMiddleOfABlockIsReportedWithFileOffsetAndSequence()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final StateSnapshot state = Streams.state(stream);
        final long seq = 1 + state.blockLastSeq(0) / 2;
        final int recordOffset = Streams.recordOffsetInFirstBlock(seq);
        final Path block = Streams.blockFile(stream, 1);
        BlockFiles.flip(block, recordOffset + RecordDescriptor.HEADER_LENGTH + 50);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .contains("DAMAGED  1 range(s); 1 of " + state.blockCount() + " block file(s) affected")
            .containsPattern(block + "\\s+" + recordOffset + "\\s+" + Streams.FRAME + "\\s+" + seq +
                "\\s+damaged record")
            .contains("checked  1,999 records")
            .contains("result   DAMAGED");
    }

    @Test
    void aDamagedRecordHeaderCostsOnlyThatRecordAndItsSequenceIsInferred()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final int recordOffset = Streams.recordOffsetInFirstBlock(100);
        BlockFiles.flip(Streams.blockFile(stream, 1), recordOffset + RecordDescriptor.SEQUENCE_OFFSET);

        final Cli.Run run = Cli.run("verify", stream, "--json");

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .contains("\"ok\": false")
            .contains("\"offset\": " + recordOffset, "\"length\": " + Streams.FRAME)
            .contains("\"firstSeq\": 100", "\"lastSeq\": 100", "\"kind\": \"DAMAGED_REGION\"")
            .contains("\"messages\": 1999");
    }

    @Test
    void aTornTailIsDamage()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final StateSnapshot state = Streams.state(stream);
        final int last = state.blockCount() - 1;
        final int tailRecord = state.blockWriteOffset(last) - Streams.FRAME;
        BlockFiles.flip(Streams.blockFile(stream, state.blockId(last)), tailRecord + RecordDescriptor.HEADER_LENGTH);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).containsPattern(tailRecord + "\\s+" + Streams.FRAME + "\\s+2000\\s+torn tail");
    }

    @Test
    void aTruncatedBlockFileIsDamage() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        try (FileChannel channel = FileChannel.open(Streams.blockFile(stream, 2), StandardOpenOption.WRITE))
        {
            channel.truncate(Streams.BLOCK_SIZE / 2);
        }

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains("truncated file", "the file is 32768 bytes, its header declares 65536");
    }

    @Test
    void aDamagedBlockHeaderIsReportedAndItsRecordsAreStillChecked()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        BlockFiles.flip(Streams.blockFile(stream, 2), BlockDescriptor.BASE_SEQ_OFFSET);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .contains("block header does not verify (header checksum mismatch)")
            .contains("checked  2,000 records");
    }

    @Test
    void blocksOfFormatVersion1VerifyAndDump()
    {
        final Path plain = Streams.healthy(dir.resolve("plain"), 2000);
        final Path sealed = Streams.encrypted(dir.resolve("sealed"), 500);
        BlockFiles.blocks(plain).forEach(BlockFiles::downgradeToVersion1);
        BlockFiles.blocks(sealed).forEach(BlockFiles::downgradeToVersion1);
        final Path keyFile = Streams.hexKeyFile(dir.resolve("key"), Streams.KEY);

        final Cli.Run plainRun = Cli.run("verify", plain);
        final Cli.Run sealedRun = Cli.run("verify", sealed, "--key-file", keyFile);
        final Cli.Run dump = Cli.run("dump", plain, "--seq", 1234);

        assertThat(plainRun.exitCode()).as(plainRun.toString()).isZero();
        assertThat(plainRun.out()).contains("checked  2,000 records", "result   OK");
        assertThat(sealedRun.exitCode()).as(sealedRun.toString()).isZero();
        assertThat(sealedRun.out()).contains("checked  500 records", "result   OK");
        assertThat(dump.exitCode()).as(dump.toString()).isZero();
        assertThat(dump.out()).contains("payload  100 B  \"message 1234 ");
    }

    @Test
    void anUnknownBlockFormatVersionIsAnErrorNamingTheVersionsThisBuildReads() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        final Path block = Streams.blockFile(stream, 2);
        BlockFiles.write(block, BlockDescriptor.VERSION_OFFSET, new byte[] {(byte)3});
        rewriteHeaderChecksum(block);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isNotZero();
        assertThat(run.err()).contains(block + " has block format version 3 but this build reads versions 1 and 2");
    }

    @Test
    void aDamagedTombstoneEpochSlotIsReportedWithFileAndOffsetAndCostsNoRecord()
    {
        final Path stream = Streams.encrypted(dir.resolve("s"), 500);
        final Path block = Streams.blockFile(stream, 1);
        final int slot1 = BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET + BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH;
        BlockFiles.flip(block, slot1 + 6);

        final Cli.Run run = Cli.run("verify", stream, "--key-file", Streams.hexKeyFile(dir.resolve("key"),
            Streams.KEY));

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .contains("checked  500 records")
            .containsPattern(block + "\\s+" + slot1 + "\\s+8\\s+none\\s+a tombstone epoch slot of the block header " +
                "does not verify; no record is affected \\(slot 1; the engine rewrites it")
            .contains("result   DAMAGED: only block headers' tombstone epoch slots are affected");
    }

    private static void rewriteHeaderChecksum(final Path block) throws IOException
    {
        final byte[] header = Arrays.copyOf(Files.readAllBytes(block), BlockDescriptor.HEADER_LENGTH);
        final int checksum = BlockDescriptor.headerChecksum(ByteBuffer.wrap(header));
        for (int i = 0; i < Integer.BYTES; i++)
        {
            BlockFiles.write(block, BlockDescriptor.HEADER_CHECKSUM_OFFSET + i,
                new byte[] {(byte)(checksum >>> (8 * i))});
        }
    }

    @Test
    void aBlockFileMissingFromStateIsDamage() throws IOException
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        Files.delete(Streams.blockFile(stream, 2));

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains(Streams.blockFile(stream, 2).toString(), "missing block file");
    }

    @Test
    void anUnusableStateDbIsDamage()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 200);
        BlockFiles.flip(stream.resolve("state.db"), 70);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).contains("state.db is unusable", stream.resolve("state.db").toString());
    }

    @Test
    void anEmptyStreamVerifies()
    {
        final Path stream = Streams.empty(dir.resolve("s"));

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("checked  0 records", "in 0 block file(s)", "result   OK");
    }

    @Test
    void changesNothingAndNeedsNoLockSoItRunsBesideAnOpenStore()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);
        try (FileStreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            store.writeFullState();
            Streams.append(store, 2001, 2100);
            store.flush().join();
            final Map<String, String> before = Streams.fingerprint(stream);

            final Cli.Run run = Cli.run("verify", stream);

            assertThat(run.exitCode()).as(run.toString()).isZero();
            assertThat(run.out()).contains("checked  2,100 records", "result   OK");
            final Map<String, String> after = Streams.fingerprint(stream);
            // The open store's preparer may still be writing blocks ahead (next-N.creating) while verify runs: those
            // files are the writer's, may appear or grow, and never go away without a roll.
            assertThat(after.keySet()).as("nothing deleted").containsAll(before.keySet());
            assertThat(withoutPreparedBlocks(after)).isEqualTo(withoutPreparedBlocks(before));
        }
    }

    private static Map<String, String> withoutPreparedBlocks(final Map<String, String> fingerprint)
    {
        final Map<String, String> kept = new TreeMap<>(fingerprint);
        kept.keySet().removeIf((name) -> name.endsWith(BlockFile.TEMP_SUFFIX));
        return kept;
    }

    @Test
    void listsEveryBlockOnRequest()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 2000);

        final Cli.Run run = Cli.run("verify", stream, "--blocks");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("00000000000000000001.blk", "00000000000000000002.blk", "VALID END");
    }

    @Test
    void aKeyFileForAPlaintextStreamIsRefusedNamingTheFile()
    {
        final Path stream = Streams.healthy(dir.resolve("s"), 10);
        final Path key = Streams.hexKeyFile(dir.resolve("stream.keyfile"), Streams.KEY);

        final Cli.Run run = Cli.run("verify", stream, "--key-file", key);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("stream orders is not encrypted", "run again without --key-file " + key);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aMissingOrForeignDirectoryIsAnError() throws IOException
    {
        final Cli.Run missing = Cli.run("verify", dir.resolve("nope"));
        Files.createDirectories(dir.resolve("other"));
        final Cli.Run foreign = Cli.run("verify", dir.resolve("other"));

        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("no such directory: " + dir.resolve("nope"));
        assertThat(foreign.exitCode()).isEqualTo(2);
        assertThat(foreign.err()).contains("not a Ferrite stream directory: " + dir.resolve("other"));
    }
}
