package io.ferrite.engine;

import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.CryptoException;
import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.EncryptedBlocks;
import io.ferrite.engine.testing.NoForceIO;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockEntryDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport.Kind;
import io.ferrite.store.RecoveryReport.Outcome;
import io.ferrite.store.RecoveryReport;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Tampering with an encrypted stream's files is detected, or provably harmless — never an altered message.
 * <ul>
 * <li>The sweep: a small encrypted store (three 4 KiB blocks, a few dozen messages, a skip and a gap), every byte of
 * every file flipped in turn (see {@link #sweptOffsets} for the one sampling), reopened and every sequence read.</li>
 * <li>Footers: the state path never reads them, so the sweep cannot see their tampering; here every footer byte is
 * flipped and decoded with the block key, and a rebuild (no {@code state.db}) reports each one.</li>
 * <li>Forgeries: damage with the checksums recomputed, as a deliberate attacker would, so only the cryptography stands
 * between the change and the caller.</li>
 * </ul>
 */
class EncryptedTamperTest
{
    private static final String NAME = "tamper";
    private static final StreamConfig CONFIG = StreamMode.ENCRYPTED.config(
        StreamConfig.builder(NAME).blockSize(4096).maxMsgSize(512));
    private static final String[] SUBJECTS = {"orders.eu", "orders.us.new", "px", "trades.fx.eurusd"};
    /** Zero-filled unused regions are swept at this stride (every byte of everything else is flipped). */
    private static final int UNUSED_STRIDE = 16;

    @TempDir
    static Path goldenRoot;
    private static Path golden;
    /** The pristine files by relative path, and what each sequence held (null: a skip or a gap). */
    private static Map<String, byte[]> pristine;
    private static final TreeMap<Long, StoredMessage> EXPECTED = new TreeMap<>();
    private static long lastSeq;
    private static Path scratch;

    /**
     * What became of one tampered store.
     */
    private enum Verdict
    {
        /** Open failed with a StoreException naming the file (or stream.json named another stream). */
        DETECTED_AT_OPEN,
        /** Open succeeded; reading some sequence raised a StoreException naming the file, offset and sequence. */
        DETECTED_AT_READ,
        /** Every read was the original or absent, and the recovery report lists the loss. */
        REPORTED,
        /** state.db was rejected (recovery says why) and rebuilt from the blocks; every message intact. */
        STATE_REJECTED,
        /** Nothing noticed and nothing changed: every message read back byte for byte, report clean. */
        HARMLESS
    }

    @BeforeAll
    static void writePristineStore() throws IOException
    {
        golden = goldenRoot.resolve("golden");
        final SplittableRandom random = new SplittableRandom(0x7A3_9E5L);
        try (FileStreamStore store = FileStreamStore.open(golden, CONFIG))
        {
            int i = 0;
            while (BlockFiles.blocks(golden).size() < 3 ||
                BlockFiles.frames(last(BlockFiles.blocks(golden))).size() < 6)
            {
                if (i == 7)
                {
                    store.skip();
                }
                else if (i == 23)
                {
                    store.appendAt(store.state().lastSeq() + 3, store.state().lastTime() + 17, "gap.after", null,
                        new byte[] {42});
                }
                else
                {
                    final byte[] headers = new byte[i % 4 == 0 ? 0 : 1 + random.nextInt(24)];
                    final byte[] payload = new byte[random.nextInt(140)];
                    random.nextBytes(headers);
                    random.nextBytes(payload);
                    store.append(SUBJECTS[i % SUBJECTS.length], headers, payload);
                }
                i++;
            }
            lastSeq = store.state().lastSeq();
            for (long seq = 1; seq <= lastSeq; seq++)
            {
                final StoredMessage message = store.load(seq);
                if (null != message)
                {
                    EXPECTED.put(seq, message);
                }
            }
        }
        assertThat(BlockFiles.blocks(golden)).hasSize(3);
        assertThat(EXPECTED.size()).isBetween(24, 80);
        pristine = EncryptedStreamTest.snapshot(golden);
        final Path shm = Path.of("/dev/shm");
        scratch = Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "ferrite-tamper-") : goldenRoot.resolve("scratch");
        Files.createDirectories(scratch);
    }

    @AfterAll
    static void removeScratch()
    {
        deleteTree(scratch);
    }

    private static Path last(final List<Path> blocks)
    {
        return blocks.get(blocks.size() - 1);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The sweep
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Where a byte of the pristine store lies, for the per-region tallies and the per-region rules.
     */
    private static String region(final String file, final int offset)
    {
        if (!file.startsWith("blocks/"))
        {
            return file;
        }
        final byte[] block = pristine.get(file);
        final boolean tail = file.equals(lastBlockName());
        final int slotsEnd = BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET +
            BlockDescriptor.TOMBSTONE_EPOCH_SLOT_COUNT * BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH;
        if (offset >= BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET && offset < slotsEnd)
        {
            // Outside the header checksum by design, each slot checked on its own and read only to start a full-disk
            // tombstone epoch: a damaged slot is repaired first (both damaged: that block takes no such tombstone).
            return "block header tombstone epoch slots";
        }
        if (offset < BlockDescriptor.HEADER_LENGTH)
        {
            return tail ? "tail block header" : "sealed block header";
        }
        final List<int[]> frames = frames(file);
        for (final int[] frame : frames)
        {
            if (offset >= frame[0] && offset < frame[0] + frame[1])
            {
                return tail ? "tail block record" : "sealed block record";
            }
        }
        if (offset >= EncryptedBlocks.footerOffset(block))
        {
            return tail ? "tail block footer space (unsealed)" : "sealed block footer";
        }
        return tail ? "tail block unused (zero)" : "sealed block unused (zero)";
    }

    private static String lastBlockName()
    {
        return pristine.keySet().stream().filter((f) -> f.startsWith("blocks/")).max(Comparator.naturalOrder())
            .orElseThrow();
    }

    /**
     * @return {offset, length} of every record frame of a pristine block.
     */
    private static List<int[]> frames(final String file)
    {
        final byte[] block = pristine.get(file);
        final ByteBuffer bytes = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        final List<int[]> frames = new ArrayList<>();
        final int limit = EncryptedBlocks.footerOffset(block);
        int offset = BlockDescriptor.DATA_OFFSET;
        while (offset + RecordDescriptor.HEADER_LENGTH <= limit && bytes.getInt(offset) != 0)
        {
            frames.add(new int[] {offset, bytes.getInt(offset)});
            offset += bytes.getInt(offset);
        }
        return frames;
    }

    private static boolean isZeroRegion(final String region)
    {
        return region.endsWith("(zero)");
    }

    /**
     * Every byte of every file, except that zero-filled unused block space is flipped at every
     * {@value #UNUSED_STRIDE}th byte — plus, in full, the first record-header word after the data (where a scan looks
     * for the next record).
     */
    private static List<Integer> sweptOffsets(final String file)
    {
        final byte[] bytes = pristine.get(file);
        final List<Integer> offsets = new ArrayList<>();
        final int dataEnd = file.startsWith("blocks/") ? dataEnd(file) : -1;
        for (int offset = 0; offset < bytes.length; offset++)
        {
            if (!isZeroRegion(region(file, offset)) || offset % UNUSED_STRIDE == 0 ||
                (offset >= dataEnd && offset < dataEnd + RecordDescriptor.ALIGNMENT))
            {
                offsets.add(offset);
            }
        }
        return offsets;
    }

    private static int dataEnd(final String file)
    {
        final List<int[]> frames = frames(file);
        final int[] lastFrame = frames.get(frames.size() - 1);
        return lastFrame[0] + lastFrame[1];
    }

    @Test
    void everyFlippedByteIsDetectedOrHarmlessAndNoAlteredMessageIsEverReturned()
    {
        final Map<String, EnumMap<Verdict, Integer>> tally = new TreeMap<>();
        final List<String> failures = new ArrayList<>();
        int cases = 0;
        final long start = System.nanoTime();
        final PrintStream err = System.err;
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        try
        {
            for (final String file : pristine.keySet())
            {
                for (final int offset : sweptOffsets(file))
                {
                    final String region = region(file, offset);
                    final String what = "flip " + file + " at " + offset + " (" + region + ")";
                    final Map<String, byte[]> files = new LinkedHashMap<>(pristine);
                    final byte[] flipped = files.get(file).clone();
                    flipped[offset] = (byte)~flipped[offset];
                    files.put(file, flipped);
                    final Verdict outcome = openAndReadEverything(files, what, failures);
                    tally.computeIfAbsent(region, (r) -> new EnumMap<>(Verdict.class)).merge(outcome, 1, Integer::sum);
                    cases++;
                    if (region.endsWith("record") && outcome == Verdict.HARMLESS)
                    {
                        failures.add(what + ": a flip inside a record went undetected");
                    }
                    if (region.endsWith("header") && outcome == Verdict.HARMLESS)
                    {
                        failures.add(what + ": a flip in a block header went undetected");
                    }
                }
            }
        }
        finally
        {
            System.setErr(err);
        }

        final EnumMap<Verdict, Integer> totals = new EnumMap<>(Verdict.class);
        final StringBuilder table = new StringBuilder("EncryptedTamperTest sweep: " + cases + " flips over " +
            pristine.values().stream().mapToInt((b) -> b.length).sum() + " bytes of " + pristine.size() + " files in " +
            (System.nanoTime() - start) / 1_000_000 + " ms (zero-filled unused space every " + UNUSED_STRIDE +
            "th byte, everything else every byte)\n");
        tally.forEach((region, counts) ->
        {
            table.append(String.format("  %-42s %s%n", region, counts));
            counts.forEach((outcome, n) -> totals.merge(outcome, n, Integer::sum));
        });
        table.append("  total: ").append(totals);
        System.out.println(table);

        assertThat(failures).as("%s", table).isEmpty();
        assertThat(tally.get("sealed block record")).as("flips in sealed records are found by the read")
            .containsOnlyKeys(Verdict.DETECTED_AT_READ);
        assertThat(tally.get("stream.key")).containsOnlyKeys(Verdict.DETECTED_AT_OPEN);
        assertThat(tally.get("state.db")).containsOnlyKeys(Verdict.STATE_REJECTED);
    }

    /**
     * Write the files, open, read every sequence, close; check the rules.
     */
    private static Verdict openAndReadEverything(
        final Map<String, byte[]> files, final String what, final List<String> failures)
    {
        final Path dir = scratch.resolve("case");
        writeTree(dir, files);
        try
        {
            final FileStreamStore store;
            try
            {
                store = FileStreamStore.open(dir, CONFIG, NoForceIO.INSTANCE);
            }
            catch (final StoreException ex)
            {
                if (null == ex.file())
                {
                    failures.add(what + ": open failed without naming a file: " + ex);
                }
                return Verdict.DETECTED_AT_OPEN;
            }
            catch (final IllegalArgumentException ex)
            {
                // stream.json names another stream: documented as IllegalArgumentException ("holds stream ...").
                if (!what.startsWith("flip stream.json") || !ex.getMessage().contains("holds stream"))
                {
                    failures.add(what + ": open threw " + ex);
                }
                return Verdict.DETECTED_AT_OPEN;
            }
            catch (final RuntimeException ex)
            {
                failures.add(what + ": open threw " + ex);
                return Verdict.DETECTED_AT_OPEN;
            }
            boolean detectedAtRead = false;
            final RecoveryReport report = store.recoveryReport();
            try
            {
                for (long seq = 1; seq <= lastSeq + 1; seq++)
                {
                    final StoredMessage expected = EXPECTED.get(seq);
                    try
                    {
                        final StoredMessage loaded = store.load(seq);
                        final StoredMessage[] read = new StoredMessage[1];
                        store.read(seq, (view) -> read[0] = view.toStoredMessage());
                        for (final StoredMessage got : new StoredMessage[] {loaded, read[0]})
                        {
                            if (null == got)
                            {
                                if (null != expected && !accountedFor(report, seq))
                                {
                                    failures.add(what + ": seq " + seq + " is missing and the recovery report does " +
                                        "not account for it: " + report);
                                }
                            }
                            else if (!got.equals(expected))
                            {
                                failures.add(what + ": ALTERED MESSAGE for seq " + seq + ": " + got + " where " +
                                    expected + " was stored");
                            }
                        }
                    }
                    catch (final StoreException ex)
                    {
                        detectedAtRead = true;
                        if (null == ex.file() || (ex instanceof CorruptRecordException && ex.seq() != seq))
                        {
                            failures.add(what + ": read of seq " + seq + " failed without naming it: " + ex);
                        }
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                failures.add(what + ": a read threw " + ex);
            }
            finally
            {
                try
                {
                    store.close();
                }
                catch (final RuntimeException ex)
                {
                    failures.add(what + ": close threw " + ex);
                }
            }
            if (detectedAtRead)
            {
                return Verdict.DETECTED_AT_READ;
            }
            if (!report.isClean())
            {
                return Verdict.REPORTED;
            }
            return report.outcome() == Outcome.REBUILT_FROM_BLOCKS && report.reason().contains("state.db") ?
                Verdict.STATE_REJECTED : Verdict.HARMLESS;
        }
        finally
        {
            deleteTree(dir);
        }
    }

    /**
     * A message may be absent only when the recovery report lists a loss covering it (or a loss whose sequences
     * could not be told).
     */
    private static boolean accountedFor(final RecoveryReport report, final long seq)
    {
        return report.lost().stream().anyMatch((range) -> range.kind() != Kind.TAMPERED_FOOTER &&
            (range.covers(seq) || range.firstSeq() == StoreException.UNKNOWN));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Footers
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void everyFooterByteIsAuthenticatedByTheBlockKey()
    {
        final byte[] streamKey = EncryptedBlocks.streamKey(golden, StreamMode.KEY, NAME);
        final List<String> sealed = sealedBlocks();
        assertThat(sealed).hasSize(2);
        for (final String file : sealed)
        {
            final byte[] block = pristine.get(file);
            final BlockFooter footer = EncryptedBlocks.footer(block, streamKey);
            final List<int[]> frames = frames(file);
            assertThat(footer.dataEndOffset()).isEqualTo(dataEnd(file));
            final ByteBuffer lastRecord = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
            final int[] lastFrame = frames.get(frames.size() - 1);
            assertThat(footer.lastSeq()).isEqualTo(lastRecord.getLong(lastFrame[0] + RecordDescriptor.SEQUENCE_OFFSET));
            assertThat(footer.lastChecksum()).isEqualTo(
                Integer.toUnsignedLong(
                    lastRecord.getInt(lastFrame[0] + lastFrame[1] - RecordDescriptor.CHECKSUM_LENGTH)));

            final int at = EncryptedBlocks.footerOffset(block);
            for (int i = 0; i < BlockFooterCodec.FOOTER_LENGTH; i++)
            {
                final byte[] tampered = block.clone();
                tampered[at + i] ^= (byte)(1 << (i % 8));
                assertThat(catchThrowableOfType(CryptoException.class,
                    () -> EncryptedBlocks.footer(tampered, streamKey)))
                    .as("footer of %s with byte %d flipped", file, i).isNotNull();
            }
        }
        // A footer moved to another block, or decoded under another block's key, fails too.
        final byte[] first = pristine.get(sealed.get(0)).clone();
        final byte[] second = pristine.get(sealed.get(1));
        final int at = EncryptedBlocks.footerOffset(first);
        System.arraycopy(second, at, first, at, BlockFooterCodec.FOOTER_LENGTH);
        assertThat(catchThrowableOfType(CryptoException.class, () -> EncryptedBlocks.footer(first, streamKey)))
            .isNotNull();
    }

    /**
     * Without {@code state.db}, recovery scans every block and checks each sealed block's footer: every flipped footer
     * byte is reported as {@link Kind#TAMPERED_FOOTER}, and the records, checked one by one, are all kept.
     */
    @Test
    void aRebuildReportsEveryTamperedFooterByteAndKeepsTheRecords()
    {
        final List<String> failures = new ArrayList<>();
        final PrintStream err = System.err;
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        try
        {
            for (final String file : sealedBlocks())
            {
                final int at = EncryptedBlocks.footerOffset(pristine.get(file));
                for (int i = 0; i < BlockFooterCodec.FOOTER_LENGTH; i++)
                {
                    final Map<String, byte[]> files = new LinkedHashMap<>(pristine);
                    files.remove("state.db");
                    final byte[] block = files.get(file).clone();
                    block[at + i] = (byte)~block[at + i];
                    files.put(file, block);
                    final Path dir = scratch.resolve("footer");
                    writeTree(dir, files);
                    try (FileStreamStore store = FileStreamStore.open(dir, CONFIG))
                    {
                        final RecoveryReport report = store.recoveryReport();
                        if (report.lost().size() != 1 || report.lost().get(0).kind() != Kind.TAMPERED_FOOTER ||
                            !report.lost().get(0).file().equals(dir.resolve(file)))
                        {
                            failures.add("footer byte " + i + " of " + file + ": " + report);
                        }
                        for (long seq = 1; seq <= lastSeq; seq++)
                        {
                            if (!Objects.equals(store.load(seq), EXPECTED.get(seq)))
                            {
                                failures.add("footer byte " + i + " of " + file + ": seq " + seq + " differs");
                            }
                        }
                    }
                    finally
                    {
                        deleteTree(dir);
                    }
                }
            }
        }
        finally
        {
            System.setErr(err);
        }
        assertThat(failures).isEmpty();
    }

    private static List<String> sealedBlocks()
    {
        final String tail = lastBlockName();
        return pristine.keySet().stream().filter((f) -> f.startsWith("blocks/") && !f.equals(tail)).sorted().toList();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Forgeries: damage with the checksums recomputed
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * A record to attack: one with a subject, headers and a payload, in the given block.
     */
    private static int[] victim(final String file)
    {
        final ByteBuffer bytes = ByteBuffer.wrap(pristine.get(file)).order(ByteOrder.LITTLE_ENDIAN);
        for (final int[] frame : frames(file))
        {
            final int offset = frame[0];
            if (bytes.get(offset + RecordDescriptor.TYPE_OFFSET) == RecordDescriptor.TYPE_MESSAGE &&
                bytes.getShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET) > 2 &&
                bytes.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET) > 2 &&
                bytes.getInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET) > 2 && offset > frames(file).get(0)[0])
            {
                return frame;
            }
        }
        throw new AssertionError("no victim in " + file);
    }

    /**
     * Recompute a record's header and record checksums after a change, as an attacker who knows the format would.
     */
    private static void forgeChecksums(final byte[] block, final int offset)
    {
        final ByteBuffer bytes = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        final int frameLength = bytes.getInt(offset + RecordDescriptor.FRAME_LENGTH_OFFSET);
        bytes.putInt(offset + RecordDescriptor.HEADER_CHECKSUM_OFFSET,
            crc(block, offset, RecordDescriptor.HEADER_CHECKSUM_OFFSET));
        bytes.putInt(offset + frameLength - RecordDescriptor.CHECKSUM_LENGTH,
            crc(block, offset, frameLength - RecordDescriptor.CHECKSUM_LENGTH));
    }

    private static int crc(final byte[] bytes, final int offset, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int)crc.getValue();
    }

    private static Map<String, Consumer<ByteBuffer>> recordForgeries(final int offset)
    {
        final Map<String, Consumer<ByteBuffer>> forgeries = new LinkedHashMap<>();
        final int body = offset + RecordDescriptor.HEADER_LENGTH;
        forgeries.put("ciphertext byte (timestamp copy)", (b) -> b.put(body + 3, (byte)~b.get(body + 3)));
        forgeries.put("ciphertext byte (subject)", (b) -> b.put(body + 8, (byte)(b.get(body + 8) ^ 1)));
        forgeries.put("ciphertext byte (payload end)", (b) ->
        {
            final int at = body + 8 + b.getShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET) +
                b.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET) +
                b.getInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET) - 1;
            b.put(at, (byte)(b.get(at) ^ 0x80));
        });
        forgeries.put("tag byte", (b) ->
        {
            final int at = body + 8 + b.getShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET) +
                b.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET) +
                b.getInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET) + 5;
            b.put(at, (byte)(b.get(at) ^ 4));
        });
        forgeries.put("timestamp in the header", (b) -> b.putLong(offset + RecordDescriptor.TIMESTAMP_OFFSET,
            b.getLong(offset + RecordDescriptor.TIMESTAMP_OFFSET) + 1));
        forgeries.put("subject/headers boundary moved (subject + 1, headers - 1)", (b) ->
        {
            b.putShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET,
                (short)(b.getShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET) + 1));
            b.putInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET,
                b.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET) - 1);
        });
        forgeries.put("headers/payload boundary moved (headers - 2, payload + 2)", (b) ->
        {
            b.putInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET,
                b.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET) - 2);
            b.putInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET,
                b.getInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET) + 2);
        });
        forgeries.put("payload length huge", (b) ->
            b.putInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET, Integer.MAX_VALUE - 64));
        forgeries.put("headers length negative", (b) -> b.putInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET, -8));
        forgeries.put("encrypted flag cleared", (b) -> b.put(offset + RecordDescriptor.FLAGS_OFFSET, (byte)0));
        forgeries.put("turned into a skip record", (b) ->
        {
            b.put(offset + RecordDescriptor.TYPE_OFFSET, RecordDescriptor.TYPE_SKIP);
            b.put(offset + RecordDescriptor.FLAGS_OFFSET, (byte)0);
        });
        return forgeries;
    }

    @TestFactory
    Stream<DynamicTest> aForgedRecordIsNeverReturned()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        final List<String> blocks = pristine.keySet().stream().filter((f) -> f.startsWith("blocks/")).sorted().toList();
        for (final String file : List.of(blocks.get(1), lastBlockName()))
        {
            final int[] victim = victim(file);
            final long seq = ByteBuffer.wrap(pristine.get(file)).order(ByteOrder.LITTLE_ENDIAN)
                .getLong(victim[0] + RecordDescriptor.SEQUENCE_OFFSET);
            recordForgeries(victim[0]).forEach((what, forgery) ->
            {
                for (final boolean keepState : new boolean[] {true, false})
                {
                    final String name = what + ", seq " + seq + " in " + file +
                        (keepState ? ", state.db kept" : ", state.db deleted");
                    tests.add(dynamicTest(name, () ->
                    {
                        final Map<String, byte[]> files = new LinkedHashMap<>(pristine);
                        if (!keepState)
                        {
                            files.remove("state.db");
                        }
                        final byte[] block = files.get(file).clone();
                        forgery.accept(ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN));
                        forgeChecksums(block, victim[0]);
                        files.put(file, block);
                        final List<String> failures = new ArrayList<>();
                        final Verdict outcome = openAndReadEverything(files, name, failures);
                        assertThat(failures).as(name).isEmpty();
                        assertThat(outcome).as(name).isIn(Verdict.DETECTED_AT_READ, Verdict.REPORTED,
                            Verdict.DETECTED_AT_OPEN);
                    }));
                }
            });
        }
        return tests.stream();
    }

    /**
     * An attacker who recomputes checksums turns a message into a skip record (and zeroes the rest of its frame), to
     * make it vanish. Skip records in an encrypted block are sealed like messages (their authenticated prefix carries
     * the record type), so a plaintext-flagged skip is not a valid record there and a sealed-flagged one does not
     * authenticate: either way the sequence reads as corrupt or is reported, never silently absent.
     */
    @Test
    void aMessageForgedIntoASkipRecordIsNeverSilentlyDropped()
    {
        final String file = sealedBlocks().get(1);
        final int[] victim = victim(file);
        for (final boolean keepState : new boolean[] {true, false})
        {
          for (final boolean sealedFlag : new boolean[] {false, true})
          {
            final Map<String, byte[]> files = new LinkedHashMap<>(pristine);
            if (!keepState)
            {
                files.remove("state.db");
            }
            final byte[] block = files.get(file).clone();
            final ByteBuffer bytes = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
            final long seq = bytes.getLong(victim[0] + RecordDescriptor.SEQUENCE_OFFSET);
            Arrays.fill(block, victim[0], victim[0] + victim[1], (byte)0);
            bytes.putInt(victim[0] + RecordDescriptor.FRAME_LENGTH_OFFSET, sealedFlag ?
                (int)RecordDescriptor.frameLengthForContent(0, true) : RecordDescriptor.MIN_FRAME_LENGTH);
            bytes.put(victim[0] + RecordDescriptor.TYPE_OFFSET, RecordDescriptor.TYPE_SKIP);
            bytes.put(victim[0] + RecordDescriptor.FLAGS_OFFSET, sealedFlag ? RecordDescriptor.FLAG_ENCRYPTED : 0);
            bytes.putLong(victim[0] + RecordDescriptor.SEQUENCE_OFFSET, seq);
            bytes.putLong(victim[0] + RecordDescriptor.TIMESTAMP_OFFSET, 1);
            forgeChecksums(block, victim[0]);
            files.put(file, block);
            final List<String> failures = new ArrayList<>();
            openAndReadEverything(files, "seq " + seq + " forged into a " + (sealedFlag ? "sealed" : "plaintext") +
                " skip record, state.db " + (keepState ? "kept" : "deleted"), failures);
            assertThat(failures).isEmpty();
          }
        }
    }

    /**
     * {@code state.db} altered with its checksums recomputed: the totals and block entries are plaintext but bound by
     * a digest inside the sealed part, and the sealed part is authenticated, so the state is rejected and rebuilt.
     */
    @TestFactory
    Stream<DynamicTest> aForgedStateFileIsRejected()
    {
        final byte[] state = pristine.get("state.db");
        final int body = StateDescriptor.HEADER_LENGTH;
        final Map<String, Consumer<ByteBuffer>> forgeries = new LinkedHashMap<>();
        forgeries.put("msgs total", (b) -> b.putLong(body + StateDescriptor.MSGS_OFFSET, 1));
        forgeries.put("last seq", (b) -> b.putLong(body + StateDescriptor.LAST_SEQ_OFFSET,
            b.getLong(body + StateDescriptor.LAST_SEQ_OFFSET) - 1));
        forgeries.put("a block entry's last sequence", (b) -> b.putLong(body + StateDescriptor.BLOCKS_OFFSET +
            BlockEntryDescriptor.LAST_SEQ_OFFSET, 2));
        forgeries.put("sealed subject section", (b) -> b.put(state.length - 20, (byte)(b.get(state.length - 20) ^ 1)));
        forgeries.put("salt", (b) -> b.put(StateDescriptor.SALT_OFFSET, (byte)~b.get(StateDescriptor.SALT_OFFSET)));
        forgeries.put("encrypted flag cleared", (b) -> b.putInt(StateDescriptor.FLAGS_OFFSET, 0));
        final List<DynamicTest> tests = new ArrayList<>();
        forgeries.forEach((what, forgery) -> tests.add(dynamicTest(what, () ->
        {
            final byte[] forged = state.clone();
            final ByteBuffer bytes = ByteBuffer.wrap(forged).order(ByteOrder.LITTLE_ENDIAN);
            forgery.accept(bytes);
            bytes.putInt(StateDescriptor.BODY_CHECKSUM_OFFSET, crc(forged, body, forged.length - body));
            bytes.putInt(StateDescriptor.HEADER_CHECKSUM_OFFSET,
                crc(forged, 0, StateDescriptor.HEADER_CHECKSUM_OFFSET));
            final Map<String, byte[]> files = new LinkedHashMap<>(pristine);
            files.put("state.db", forged);
            final List<String> failures = new ArrayList<>();
            assertThat(openAndReadEverything(files, what, failures)).as(what).isEqualTo(Verdict.STATE_REJECTED);
            assertThat(failures).as(what).isEmpty();
        })));
        return tests.stream();
    }

    /**
     * A block header altered with its checksum recomputed: another salt, another key id, or the encrypted flag
     * cleared is a {@link CorruptFileException} at open (tail) or on the first read (sealed block).
     */
    @TestFactory
    Stream<DynamicTest> aForgedBlockHeaderIsDetected()
    {
        final Map<String, Consumer<ByteBuffer>> forgeries = new LinkedHashMap<>();
        forgeries.put("salt", (b) ->
            b.put(BlockDescriptor.SALT_OFFSET + 5, (byte)~b.get(BlockDescriptor.SALT_OFFSET + 5)));
        forgeries.put("key id", (b) ->
            b.putLong(BlockDescriptor.KEY_ID_OFFSET, b.getLong(BlockDescriptor.KEY_ID_OFFSET) + 1));
        forgeries.put("encrypted flag cleared", (b) -> b.putInt(BlockDescriptor.FLAGS_OFFSET, 0));
        forgeries.put("salt and key id of another block", (b) ->
        {
            final byte[] other = pristine.get(sealedBlocks().get(0));
            b.put(BlockDescriptor.SALT_OFFSET, other, BlockDescriptor.SALT_OFFSET, BlockDescriptor.SALT_LENGTH);
            b.putLong(BlockDescriptor.KEY_ID_OFFSET, EncryptedBlocks.headerKeyId(other));
        });
        final List<DynamicTest> tests = new ArrayList<>();
        for (final String file : List.of(sealedBlocks().get(1), lastBlockName()))
        {
            forgeries.forEach((what, forgery) -> tests.add(dynamicTest(what + " of " + file, () ->
            {
                final byte[] block = pristine.get(file).clone();
                final ByteBuffer bytes = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
                forgery.accept(bytes);
                bytes.putInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET, BlockDescriptor.headerChecksum(bytes));
                final Map<String, byte[]> files = new LinkedHashMap<>(pristine);
                files.put(file, block);
                final List<String> failures = new ArrayList<>();
                final Verdict outcome = openAndReadEverything(files, what, failures);
                assertThat(failures).as(what).isEmpty();
                // A sealed block is opened by its first read. The tail is opened at recovery, but the state path
                // decrypts none of the records the state covers: a key taken from another block of the same stream is
                // consistent on its face and is caught when the records fail to authenticate.
                if (file.equals(lastBlockName()) && !what.contains("another block"))
                {
                    assertThat(outcome).as(what).isEqualTo(Verdict.DETECTED_AT_OPEN);
                }
                else
                {
                    assertThat(outcome).as(what).isEqualTo(Verdict.DETECTED_AT_READ);
                }
            })));
        }
        return tests.stream();
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static void writeTree(final Path dir, final Map<String, byte[]> files)
    {
        try
        {
            Files.createDirectories(dir.resolve("blocks"));
            for (final Map.Entry<String, byte[]> file : files.entrySet())
            {
                Files.write(dir.resolve(file.getKey()), file.getValue());
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void deleteTree(final Path root)
    {
        if (null == root || !Files.exists(root))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
