package io.ferrite.tools;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamStore;
import io.ferrite.store.SyncMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The commands against streams with tombstones, built by the real engine: single removals, erasures (in the active
 * block, in the middle of a sealed block and as a sealed block's last record), a subject purge and a compact.
 * <p>
 * The removals are sparse, so no block qualifies for the engine's compacting rewrite (at least half of a block's
 * messages removed) and every removed message is still in its block when the tools read it.
 */
class TombstoneCliTest
{
    private static final int MESSAGES = 2000;
    /** o.b messages below 60: sequences 2, 5, ..., 59. */
    private static final int PURGED = 20;
    private static final long COMPACT_TO = 5;
    private static final long REMOVED_A = 10;
    private static final long REMOVED_B = 12;
    private static final long ERASED_IN_SEALED = 21;
    private static final long ERASED_IN_ACTIVE = 1990;
    /** Tombstones: two removals, three erasures, one per purged message, one range for the compact. */
    private static final int TOMBSTONES = 2 + 3 + PURGED + 1;
    /**
     * Sequences removed: the 20 purged, 1, 3 and 4 (the compact; 2 was purged), the two removals and the three
     * erasures.
     */
    private static final int REMOVED_SEQUENCES = PURGED + 3 + 2 + 3;

    @TempDir
    Path dir;

    /** The last sequence of block 1, erased: a sealed block's last record. */
    private long erasedLastOfFirst;

    private Path keyFile()
    {
        return Streams.hexKeyFile(dir.resolve("orders.key"), Streams.KEY);
    }

    /**
     * {@link #MESSAGES} messages, then the removals, then closed.
     */
    private Path streamWithRemovals(final StreamConfig config)
    {
        final Path stream = dir.resolve("s");
        try (StreamStore store = FileStreamStore.open(stream, config))
        {
            Streams.append(store, 1, MESSAGES);
        }
        final StateSnapshot state = Streams.state(stream);
        assertThat(state.blockCount()).as("several blocks, so block 1 is sealed").isGreaterThan(3);
        erasedLastOfFirst = state.blockLastSeq(0);
        assertThat(erasedLastOfFirst).as("not among the other removals").isGreaterThan(60).isLessThan(ERASED_IN_ACTIVE);
        try (StreamStore store = FileStreamStore.open(stream, config))
        {
            assertThat(store.remove(REMOVED_A)).isTrue();
            assertThat(store.remove(REMOVED_B)).isTrue();
            assertThat(store.erase(ERASED_IN_SEALED)).isTrue();
            assertThat(store.erase(erasedLastOfFirst)).isTrue();
            assertThat(store.erase(ERASED_IN_ACTIVE)).isTrue();
            assertThat(store.purge("o.b", 60, 0)).isEqualTo(PURGED);
            assertThat(store.compact(COMPACT_TO)).as("1, 3 and 4").isEqualTo(3);
            final StreamState after = store.state();
            assertThat(after.msgs()).isEqualTo(MESSAGES - REMOVED_SEQUENCES);
            assertThat(after.firstSeq()).isEqualTo(6);
        }
        return stream;
    }

    private Tombstone tombstoneRemoving(final Path stream, final long seq, final StreamKey key) throws IOException
    {
        final List<Tombstone> tombstones = new TombstoneReader(StreamFolder.open(stream), key).read();
        return tombstones.stream().filter((tombstone) -> tombstone.fromSeq() == seq && tombstone.toSeq() == seq)
            .findFirst().orElseThrow(() -> new AssertionError("no tombstone for " + seq + " in " + tombstones));
    }

    // ---- verify

    @Test
    void verifyCountsTombstonesAndDoesNotTakeErasedMessagesForDamage()
    {
        final Path stream = streamWithRemovals(Streams.config());

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("checked  " + Units.count(MESSAGES + TOMBSTONES) + " records (" +
                Units.count(MESSAGES - 3) + " messages, 0 skips, " + TOMBSTONES + " tombstones, 3 erased)")
            .contains("removed  " + TOMBSTONES + " tombstone(s) removing " + REMOVED_SEQUENCES + " sequence(s); 3 " +
                "message(s) erased")
            .contains("result   OK: every record's checksum verifies (erased messages aside")
            .doesNotContain("DAMAGED", "STATE");
    }

    @Test
    void verifyAsJsonCarriesTheRemovals()
    {
        final Path stream = streamWithRemovals(Streams.config());

        final Cli.Run run = Cli.run("verify", stream, "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("\"ok\": true", "\"tombstones\": " + TOMBSTONES, "\"erased\": 3",
                "\"removedSequences\": " + REMOVED_SEQUENCES, "\"sealedTombstones\": 0", "\"damaged\": []");
    }

    @Test
    void verifyWithoutStateDbStillTellsErasedFromDamaged() throws IOException
    {
        final Path stream = streamWithRemovals(Streams.config());
        Files.delete(stream.resolve("state.db"));

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out()).contains("3 message(s) erased", "state.db is missing", "result   OK");
    }

    @Test
    void aFlippedByteInATombstoneIsDamage() throws IOException
    {
        final Path stream = streamWithRemovals(Streams.config());
        final Tombstone tombstone = tombstoneRemoving(stream, REMOVED_A, null);
        BlockFiles.flip(tombstone.file(), tombstone.offset() + RecordDescriptor.HEADER_LENGTH +
            RecordDescriptor.TOMBSTONE_FROM_OFFSET);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .contains("DAMAGED  1 range(s)")
            .containsPattern(tombstone.file() + "\\s+" + tombstone.offset() + "\\s+\\d+\\s+none\\s+damaged tombstone")
            .contains(TOMBSTONES - 1 + " tombstones", "3 erased")
            .contains("result   DAMAGED");
    }

    @Test
    void aFlippedByteInATombstoneHeaderIsDamageToo() throws IOException
    {
        final Path stream = streamWithRemovals(Streams.config());
        final Tombstone tombstone = tombstoneRemoving(stream, REMOVED_B, null);
        BlockFiles.flip(tombstone.file(), tombstone.offset() + RecordDescriptor.TIMESTAMP_OFFSET);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .contains("DAMAGED  1 range(s)")
            .containsPattern(tombstone.file() + "\\s+" + tombstone.offset() + "\\s+\\d+\\s+none\\s+damaged region");
    }

    @Test
    void damageToAMessageThatWasNotErasedIsStillReported()
    {
        final Path stream = streamWithRemovals(Streams.config());
        final long seq = 100;
        final int offset = Streams.recordOffsetInFirstBlock(seq);
        BlockFiles.flip(Streams.blockFile(stream, 1), offset + RecordDescriptor.HEADER_LENGTH + 50);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out())
            .contains("DAMAGED  1 range(s)")
            .containsPattern(Streams.blockFile(stream, 1) + "\\s+" + offset + "\\s+" + Streams.FRAME + "\\s+" + seq +
                "\\s+damaged record")
            .contains("3 erased");
    }

    @Test
    void damageToAMessageThatWasOnlyRemovedIsStillReported()
    {
        final Path stream = streamWithRemovals(Streams.config());
        final int offset = Streams.recordOffsetInFirstBlock(REMOVED_A);
        BlockFiles.flip(Streams.blockFile(stream, 1), offset + RecordDescriptor.HEADER_LENGTH + 50);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as("only erase overwrites a body on purpose: " + run).isEqualTo(1);
        assertThat(run.out()).containsPattern(offset + "\\s+" + Streams.FRAME + "\\s+" + REMOVED_A +
            "\\s+damaged record");
    }

    @Test
    void anErasedBodyWithoutItsTombstoneIsDamage() throws IOException
    {
        final Path stream = streamWithRemovals(Streams.config());
        final Tombstone erase = tombstoneRemoving(stream, ERASED_IN_SEALED, null);
        BlockFiles.flip(erase.file(), erase.offset() + RecordDescriptor.HEADER_LENGTH +
            RecordDescriptor.TOMBSTONE_FLAGS_OFFSET);
        Streams.recomputeRecordChecksum(erase.file(), erase.offset(),
            RecordDescriptor.frameLength(0, 0, RecordDescriptor.TOMBSTONE_LENGTH));

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as("its tombstone no longer says erase: " + run).isEqualTo(1);
        final int offset = Streams.recordOffsetInFirstBlock(ERASED_IN_SEALED);
        assertThat(run.out())
            .containsPattern(offset + "\\s+" + Streams.FRAME + "\\s+" + ERASED_IN_SEALED + "\\s+damaged record")
            .contains("2 erased");
    }

    // ---- dump

    @Test
    void dumpPrintsTheTombstoneThatRemovedASequence()
    {
        final Path stream = streamWithRemovals(Streams.config());

        final Cli.Run removed = Cli.run("dump", stream, "--seq", REMOVED_A);
        final Cli.Run erased = Cli.run("dump", stream, "--seq", ERASED_IN_SEALED);

        assertThat(removed.exitCode()).as(removed.toString()).isZero();
        final List<String> lines = removed.out().lines().toList();
        assertThat(lines.get(0)).matches("delete 10  \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z  tombstone written at seq " +
            MESSAGES + ", \\d{20}\\.blk offset \\d+");
        assertThat(lines.get(1)).as("12 was removed before 11 (an o.b message) was purged").startsWith("delete 12  ");
        assertThat(lines.get(2)).startsWith("delete 11  ");
        assertThat(lines.get(3)).startsWith("seq 13 ");
        assertThat(removed.err()).as("a tombstone accounts for the gap").doesNotContain("no message at sequence");
        assertThat(erased.exitCode()).as(erased.toString()).isZero();
        assertThat(erased.out()).startsWith("delete 21 (erase)  ").contains("seq 22 ");
    }

    @Test
    void dumpShowsEveryTombstoneOfAGapInTheOrderTheyWereWritten()
    {
        final Path stream = streamWithRemovals(Streams.config());

        final Cli.Run run = Cli.run("dump", stream, "--seq", 1);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        final List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).startsWith("delete 2  ");
        assertThat(lines.get(1)).startsWith("delete 5  ");
        assertThat(lines.get(2)).startsWith("delete 1..4  ");
        assertThat(lines.get(3)).startsWith("seq 6 ");
        assertThat(lines.stream().filter((line) -> line.startsWith("seq "))).hasSize(1);
    }

    @Test
    void dumpOfAnErasedLastMessageSaysSoAndExitsOne()
    {
        final Path stream = dir.resolve("s");
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            Streams.append(store, 1, 5);
            assertThat(store.erase(5)).isTrue();
        }

        final Cli.Run run = Cli.run("dump", stream, "--seq", 5);

        assertThat(run.exitCode()).as("no message to print: " + run).isEqualTo(1);
        assertThat(run.out()).startsWith("delete 5 (erase)  ");
        assertThat(run.err()).contains("no message at or after sequence 5");
    }

    @Test
    void dumpStillNotesGapsNoTombstoneAccountsFor()
    {
        final Path stream = dir.resolve("s");
        try (StreamStore store = FileStreamStore.open(stream, Streams.config()))
        {
            Streams.append(store, 1, 3);
            store.skip();
            Streams.append(store, 5, 6);
            assertThat(store.remove(5)).isTrue();
        }

        final Cli.Run run = Cli.run("dump", stream, "--seq", 4);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.err()).contains("no message at sequence 4 (skipped, removed or damaged")
            .doesNotContain("at sequence 5");
        assertThat(run.out()).startsWith("delete 5  ").contains("seq 6 ");
    }

    // ---- inspect

    @Test
    void inspectCountsWhatRemovalsLeftAndFindsNoProblem()
    {
        final Path stream = streamWithRemovals(Streams.config());

        final Cli.Run run = Cli.run("inspect", stream);

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("messages    " + Units.count(MESSAGES - REMOVED_SEQUENCES))
            .contains("sequences   6.." + MESSAGES + ", " + (MESSAGES - 5 - (MESSAGES - REMOVED_SEQUENCES)) +
                " without a message")
            .contains("removed     " + REMOVED_SEQUENCES + " sequence(s) listed as removed")
            .containsPattern("o\\.b\\s+" + (667 - PURGED) + "\\s+(>=)?\\d+\\s+" + MESSAGES + "\\n")
            .doesNotContain("PROBLEMS");
        if (run.out().contains(">="))
        {
            assertThat(run.out()).as("a bound is explained").contains(">=N, <=N: a bound");
        }
    }

    // ---- encrypted

    @Test
    void encryptedVerifyWithTheKeyAuthenticatesTombstonesAndTellsErasedFromDamaged()
    {
        final Path stream = streamWithRemovals(Streams.encryptedConfig());

        final Cli.Run run = Cli.run("verify", stream, "--key-file", keyFile());

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains(Units.count(MESSAGES - 3) + " messages, 0 skips, " + TOMBSTONES + " tombstones, 3 erased)")
            .contains(Units.count(MESSAGES - 3) + " message bodies authenticated, and " + TOMBSTONES + " tombstones")
            .contains("removing " + REMOVED_SEQUENCES + " sequence(s); 3 message(s) erased")
            .contains("result   OK")
            .doesNotContain("DAMAGED", "TAMPERED");
    }

    @Test
    void encryptedVerifyWithoutTheKeyCannotReadTombstonesAndSaysSo()
    {
        final Path stream = streamWithRemovals(Streams.encryptedConfig());

        final Cli.Run run = Cli.run("verify", stream, "--json");

        assertThat(run.exitCode()).as(run.toString()).isZero();
        assertThat(run.out())
            .contains("\"tombstones\": " + TOMBSTONES, "\"sealedTombstones\": " + TOMBSTONES,
                "\"removedSequences\": null", "\"erasedUnverified\": 3", "\"damaged\": []");
    }

    @Test
    void anAlteredEncryptedTombstoneDoesNotAuthenticate() throws IOException
    {
        final Path stream = streamWithRemovals(Streams.encryptedConfig());
        final StreamKey key = StreamKey.unlock(StreamFolder.open(stream), keyFile(), Streams.KEY);
        final Tombstone tombstone = tombstoneRemoving(stream, REMOVED_A, key);
        final int frame = (int)RecordDescriptor.frameLengthForContent(RecordDescriptor.TOMBSTONE_LENGTH, true);
        BlockFiles.flip(tombstone.file(), tombstone.offset() + RecordDescriptor.HEADER_LENGTH + 20);
        Streams.recomputeRecordChecksum(tombstone.file(), tombstone.offset(), frame);

        final Cli.Run withKey = Cli.run("verify", stream, "--key-file", keyFile());
        final Cli.Run withoutKey = Cli.run("verify", stream);

        assertThat(withKey.exitCode()).as(withKey.toString()).isEqualTo(1);
        assertThat(withKey.out())
            .containsPattern(tombstone.file() + "\\s+" + tombstone.offset() + "\\s+" + frame +
                "\\s+none\\s+record body does not authenticate.*\\(a tombstone\\)")
            .contains("TAMPERED");
        assertThat(withoutKey.exitCode()).as("checksums recomputed: only the tag can tell " + withoutKey).isZero();
    }

    @Test
    void aFlippedByteInAnEncryptedTombstoneIsDamageEvenWithoutTheKey() throws IOException
    {
        final Path stream = streamWithRemovals(Streams.encryptedConfig());
        final StreamKey key = StreamKey.unlock(StreamFolder.open(stream), keyFile(), Streams.KEY);
        final Tombstone tombstone = tombstoneRemoving(stream, REMOVED_B, key);
        BlockFiles.flip(tombstone.file(), tombstone.offset() + RecordDescriptor.HEADER_LENGTH + 20);

        final Cli.Run run = Cli.run("verify", stream);

        assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).containsPattern(tombstone.file() + "\\s+" + tombstone.offset() + "\\s+\\d+\\s+none\\s+" +
            "damaged tombstone");
    }

    @Test
    void theFooterOfABlockTheEngineRewroteAfterACompactIsNotAProblem() throws IOException
    {
        final Path stream = dir.resolve("s");
        // ALWAYS: compact reclaims on the caller's thread before it returns (in the other modes the reclaim thread does
        // it once the flusher's force completes), so the files inspected are the ones the compaction left.
        final StreamConfig config = Streams.encryptedConfig().toBuilder().syncMode(SyncMode.ALWAYS).build();
        try (StreamStore store = FileStreamStore.open(stream, config))
        {
            Streams.append(store, 1, MESSAGES);
            // Block 3 holds 699..1047 (each block keeps a tombstone reserve): compacting to 1000 leaves 48 of its 349
            // messages, so the engine rewrites it.
            final Path third = Streams.blockFile(stream, 3);
            final Object original = fileKey(third);
            assumeTrue(null != original, "the filesystem gives files no identity");
            assertThat(store.compact(1000)).isEqualTo(999);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (original.equals(fileKey(third)))
            {
                assertThat(System.nanoTime()).as("block 3 rewritten within 10 s").isLessThan(deadline);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }

        final Cli.Run inspect = Cli.run("inspect", stream, "--key-file", keyFile());
        final Cli.Run verify = Cli.run("verify", stream, "--key-file", keyFile());

        assertThat(inspect.exitCode()).as("state.db keeps a lower bound of the block's first sequence, the " +
            "rewritten footer the exact one: " + inspect).isZero();
        // The rewrite is sized to what it holds, so its footer sits well before where a full block's would.
        assertThat(Files.size(Streams.blockFile(stream, 3))).as("rewritten block 3 is smaller")
            .isLessThan(Streams.BLOCK_SIZE);
        assertThat(inspect.out()).as("the footers table").containsPattern(
            "\\n\\s+3\\s+\\d+\\s+1000\\.\\.1047\\s+48\\s+.*verified\\n");
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
    }

    private static Object fileKey(final Path file) throws IOException
    {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    @Test
    void encryptedDumpAndInspectWithTheKeyHandleTombstones()
    {
        final Path stream = streamWithRemovals(Streams.encryptedConfig());
        final Map<String, String> before = Streams.fingerprint(stream);

        final Cli.Run inspect = Cli.run("inspect", stream, "--key-file", keyFile());
        final Cli.Run inspectWithoutKey = Cli.run("inspect", stream);
        final Map<String, String> afterInspect = Streams.fingerprint(stream);
        final Cli.Run dump = Cli.run("dump", stream, "--seq", ERASED_IN_SEALED, "--key-file", keyFile());

        assertThat(inspect.exitCode()).as("footers written before removals still agree with state.db: " + inspect)
            .isZero();
        assertThat(inspect.out()).contains("messages    " + Units.count(MESSAGES - REMOVED_SEQUENCES))
            .doesNotContain("PROBLEMS");
        assertThat(inspectWithoutKey.exitCode()).as(inspectWithoutKey.toString()).isZero();
        assertThat(afterInspect).as("inspect changes nothing").isEqualTo(before);
        assertThat(dump.exitCode()).as(dump.toString()).isZero();
        assertThat(dump.out()).startsWith("delete 21 (erase)  ").contains("seq 22 ");
    }
}
