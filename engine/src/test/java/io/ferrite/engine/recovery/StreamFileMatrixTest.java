package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.CaseDirectories;
import io.ferrite.engine.testing.FuzzGolden;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockEntryDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 12, part 2: every file of a stream — {@code stream.json}, {@code stream.key} (encrypted), {@code state.db},
 * {@code LOCK}, the first, a middle and the last block, the {@code blocks/} directory itself — missing, renamed,
 * emptied, or a directory where the file was; extra files (unknown ones, a block-named file of garbage or of zeros, a
 * stray {@code state.db.tmp}, a leftover rewrite); block files swapped by name; {@code state.db} from an older point in
 * time. Plaintext and encrypted. Each case either opens and keeps every promise {@link FileDamageOracle} checks (lost
 * sequences reported, removed messages removed, no sequence assigned twice, through an append and a second open), or
 * is refused with a {@code StoreException} naming the damaged file. Cases that leave the stream's data whole must open.
 */
class StreamFileMatrixTest
{
    private static final Duration CASE_LIMIT = Duration.ofSeconds(60);
    private static final Map<String, FileDamageOracle.Verdict> VERDICTS = new ConcurrentSkipListMap<>();

    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, FuzzGolden> GOLDENS = new EnumMap<>(StreamMode.class);
    private static final Map<StreamMode, ForgeryScan> SCANS = new EnumMap<>(StreamMode.class);

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldens()
    {
        for (final StreamMode mode : StreamMode.values())
        {
            final FuzzGolden golden = FuzzGolden.write(mode, goldenRoot.resolve("golden-" + mode));
            GOLDENS.put(mode, golden);
            SCANS.put(mode, new ForgeryScan(golden));
        }
    }

    @AfterAll
    static void printVerdicts()
    {
        // The matrix's outcome at a glance, for the issue: which damage opens and which is refused.
        final StringBuilder table = new StringBuilder("stream file matrix:\n");
        VERDICTS.forEach((name, verdict) -> table.append(String.format("  %-8s %s%n", verdict, name)));
        System.out.print(table);
    }

    /**
     * Whether a case must open, or may be refused (naming the damaged file).
     */
    enum Expect
    {
        OPENS,
        OPENS_OR_NAMES_FILE
    }

    /**
     * What a case does to a copy of the golden stream.
     */
    @FunctionalInterface
    interface Damage
    {
        /**
         * @return which files a refusal may name: the damaged ones.
         */
        Predicate<Path> apply(Path dir, FuzzGolden golden);
    }

    /**
     * One damage to a copy of the golden stream.
     */
    record Case(String name, Expect expect, Damage damage)
    {
        @Override
        public String toString()
        {
            return name;
        }
    }

    static Stream<Arguments> cases()
    {
        final List<Arguments> arguments = new ArrayList<>();
        for (final StreamMode mode : StreamMode.values())
        {
            for (final Case damage : casesFor(mode))
            {
                arguments.add(Arguments.of(mode, damage));
            }
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void everyFileMissingExtraRenamedOrSwappedKeepsThePromisesOrNamesTheFile(final StreamMode mode, final Case damage)
    {
        final FuzzGolden golden = GOLDENS.get(mode);
        final Path dir = golden.copyTo(work.resolve("case"));
        final Predicate<Path> blamed = damage.damage().apply(dir, golden);
        final String name = mode + ": " + damage.name();
        final FileDamageOracle.Trust trust = FileDamageOracle.trust(golden, SCANS.get(mode), dir);
        final FileDamageOracle.Verdict verdict = assertTimeoutPreemptively(CASE_LIMIT, () ->
            FileDamageOracle.check(golden, dir, trust, name + " [" + trust + "]",
                (file) -> blamed.test(norm(file))), name + " hung");
        VERDICTS.put(name, verdict);
        if (damage.expect() == Expect.OPENS && verdict != FileDamageOracle.Verdict.OPENED)
        {
            throw new AssertionError(name + ": the stream's data is whole, yet the open was refused");
        }
    }

    /**
     * Found by {@code StreamFilesFuzzTest#everyFile} ("remove 240 bytes of 00000000000000000001.blk from 1280",
     * plaintext): two whole records cut out of the middle of a sealed block, so the records after them, still 8-byte
     * aligned, verify where they now sit.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StreamMode.class)
    void wholeRecordsCutFromASealedBlockAreNeverSilentlyAbsent(final StreamMode mode)
    {
        final FuzzGolden golden = GOLDENS.get(mode);
        final Path dir = golden.copyTo(work.resolve("cut"));
        final Path first = block(dir, golden, "first");
        final List<BlockFiles.Frame> frames = BlockFiles.frames(golden.blocks().get(0));
        final int from = frames.get(3).offset();
        final int to = frames.get(5).offset();
        final byte[] bytes = BlockFiles.readAll(first);
        final byte[] cut = new byte[bytes.length - (to - from)];
        System.arraycopy(bytes, 0, cut, 0, from);
        System.arraycopy(bytes, to, cut, from, bytes.length - to);
        write(first, cut);
        final String name = mode + ": frames 3 and 4 cut out of the first block";
        FileDamageOracle.check(golden, dir, FileDamageOracle.trust(golden, SCANS.get(mode), dir), name, is(first));
    }

    /**
     * Found by {@code StreamFilesFuzzTest#stateFile}: a plaintext {@code state.db} whose numbers were changed and its
     * CRC32C recomputed (CRC is no MAC). Its last sequence and a removed run both raised to the top of the sequence
     * range, or a block entry's base sequence moved 2^31 below the block's.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"removed run to 2^62", "block base 2^31 lower"})
    void aForgedStateNeverSizesMemory(final String forgery)
    {
        final FuzzGolden golden = GOLDENS.get(StreamMode.PLAINTEXT);
        final Path dir = golden.copyTo(work.resolve("forged"));
        final Path state = dir.resolve(StreamDirectory.STATE_FILE);
        final ByteBuffer bytes = ByteBuffer.wrap(BlockFiles.readAll(state))
            .order(ByteOrder.LITTLE_ENDIAN);
        final int body = StateDescriptor.HEADER_LENGTH;
        final int blocks = bytes.getInt(body + StateDescriptor.BLOCK_COUNT_OFFSET);
        final int entries = body + StateDescriptor.BLOCKS_OFFSET;
        final int runs = entries + blocks * BlockEntryDescriptor.ENTRY_LENGTH;
        if (forgery.startsWith("removed"))
        {
            final long runCount = bytes.getLong(runs);
            bytes.putLong(body + StateDescriptor.LAST_SEQ_OFFSET,
                RecordDescriptor.MAX_SEQUENCE);
            bytes.putLong(runs + 8 + (int)(runCount - 1) * 16 + 8, RecordDescriptor.MAX_SEQUENCE - 1);
        }
        else
        {
            final int base = entries + BlockEntryDescriptor.BASE_SEQ_OFFSET;
            bytes.putLong(base, bytes.getLong(base) - (1L << 31));
        }
        final CRC32C crc = new CRC32C();
        crc.update(bytes.array(), body, bytes.capacity() - body);
        bytes.putInt(StateDescriptor.BODY_CHECKSUM_OFFSET, (int)crc.getValue());
        crc.reset();
        crc.update(bytes.array(), 0, StateDescriptor.HEADER_CHECKSUM_OFFSET);
        bytes.putInt(StateDescriptor.HEADER_CHECKSUM_OFFSET, (int)crc.getValue());
        write(state, bytes.array());
        FileDamageOracle.check(golden, dir, FileDamageOracle.Trust.DATA_ONLY, "plaintext: state.db forged: " + forgery,
            is(state));
    }

    private static List<Case> casesFor(final StreamMode mode)
    {
        final List<Case> cases = new ArrayList<>();
        final List<String> files = new ArrayList<>(List.of(StreamDirectory.METADATA_FILE, StreamDirectory.STATE_FILE,
            StreamDirectory.LOCK_FILE));
        if (mode.encrypted())
        {
            files.add("stream.key");
        }
        for (final String file : files)
        {
            // Losing the state or the lock loses nothing the blocks do not hold.
            final boolean whole = file.equals(StreamDirectory.STATE_FILE) || file.equals(StreamDirectory.LOCK_FILE);
            addFileFaults(cases, file, (dir, golden) -> dir.resolve(file), whole);
        }
        for (final String position : new String[] {"first", "middle", "last"})
        {
            addFileFaults(cases, position + " block", (dir, golden) -> block(dir, golden, position), false);
            cases.add(new Case(position + " block renumbered past the last", Expect.OPENS_OR_NAMES_FILE,
                (dir, golden) ->
                {
                    move(block(dir, golden, position), nextBlock(dir, golden));
                    return inBlocks(dir);
                }));
        }
        addBlocksDirectoryFaults(cases);
        addExtraFiles(cases);
        for (final String[] pair : new String[][] {{"first", "middle"}, {"middle", "last"}, {"first", "last"}})
        {
            cases.add(new Case(pair[0] + " and " + pair[1] + " blocks swapped by name", Expect.OPENS_OR_NAMES_FILE,
                (dir, golden) ->
                {
                    swap(block(dir, golden, pair[0]), block(dir, golden, pair[1]));
                    return inBlocks(dir);
                }));
        }
        cases.add(new Case("state.db from an older point in time", Expect.OPENS, (dir, golden) ->
        {
            FuzzGolden.copy(golden.staleState(), dir.resolve(StreamDirectory.STATE_FILE));
            return (file) -> false;
        }));
        // Found by StreamFilesFuzzTest: the emptied block is taken for a roll that never reached the disk and set aside
        // with every block after it; their messages must be reported lost, not left absent with "sequences unknown".
        cases.add(new Case("state.db from an older point in time, a block after it zero-length",
            Expect.OPENS_OR_NAMES_FILE, (dir, golden) ->
            {
                FuzzGolden.copy(golden.staleState(), dir.resolve(StreamDirectory.STATE_FILE));
                final Path emptied = dir.resolve("blocks")
                    .resolve(golden.blocks().get(golden.blocks().size() - 2).getFileName());
                write(emptied, new byte[0]);
                return inBlocks(dir).or(is(dir.resolve(StreamDirectory.STATE_FILE)));
            }));
        cases.add(new Case("state.db from an older point in time, last block missing", Expect.OPENS_OR_NAMES_FILE,
            (dir, golden) ->
            {
                FuzzGolden.copy(golden.staleState(), dir.resolve(StreamDirectory.STATE_FILE));
                delete(block(dir, golden, "last"));
                return inBlocks(dir).or(is(dir.resolve(StreamDirectory.STATE_FILE)));
            }));
        return cases;
    }

    /**
     * Missing, renamed aside, zero-length, and a directory in its place.
     *
     * @param whole whether the stream's data is whole without the file: then every case but the directory must open.
     */
    private static void addFileFaults(
        final List<Case> cases, final String what, final BiFunction<Path, FuzzGolden, Path> locate, final boolean whole)
    {
        final Expect expect = whole ? Expect.OPENS : Expect.OPENS_OR_NAMES_FILE;
        cases.add(new Case(what + " missing", expect, (dir, golden) ->
        {
            final Path file = locate.apply(dir, golden);
            delete(file);
            return is(file);
        }));
        cases.add(new Case(what + " renamed aside", expect, (dir, golden) ->
        {
            final Path file = locate.apply(dir, golden);
            move(file, file.resolveSibling(file.getFileName() + ".bak"));
            return is(file);
        }));
        cases.add(new Case(what + " zero-length", expect, (dir, golden) ->
        {
            final Path file = locate.apply(dir, golden);
            write(file, new byte[0]);
            return is(file);
        }));
        // A directory cannot be read, nor replaced by a rename: refusing it, named, is fair even for state.db.
        cases.add(new Case(what + " a directory", Expect.OPENS_OR_NAMES_FILE, (dir, golden) ->
        {
            final Path file = locate.apply(dir, golden);
            delete(file);
            createDirectory(file);
            return is(file);
        }));
    }

    private static void addBlocksDirectoryFaults(final List<Case> cases)
    {
        cases.add(new Case("blocks/ missing", Expect.OPENS_OR_NAMES_FILE, (dir, golden) ->
        {
            CaseDirectories.delete(dir.resolve("blocks"));
            return inBlocks(dir);
        }));
        cases.add(new Case("blocks/ renamed aside", Expect.OPENS_OR_NAMES_FILE, (dir, golden) ->
        {
            move(dir.resolve("blocks"), dir.resolve("blocks.bak"));
            return inBlocks(dir);
        }));
        cases.add(new Case("blocks/ emptied", Expect.OPENS_OR_NAMES_FILE, (dir, golden) ->
        {
            CaseDirectories.delete(dir.resolve("blocks"));
            createDirectory(dir.resolve("blocks"));
            return inBlocks(dir);
        }));
        cases.add(new Case("blocks/ a zero-length file", Expect.OPENS_OR_NAMES_FILE, (dir, golden) ->
        {
            CaseDirectories.delete(dir.resolve("blocks"));
            write(dir.resolve("blocks"), new byte[0]);
            return inBlocks(dir);
        }));
    }

    private static void addExtraFiles(final List<Case> cases)
    {
        cases.add(new Case("an unknown file in blocks/", Expect.OPENS, (dir, golden) ->
        {
            write(dir.resolve("blocks").resolve("notes.txt"), garbage(100, 1));
            return (file) -> false;
        }));
        cases.add(new Case("an unknown file in the stream directory", Expect.OPENS, (dir, golden) ->
        {
            write(dir.resolve("README"), garbage(100, 2));
            return (file) -> false;
        }));
        cases.add(new Case("an unknown directory in blocks/", Expect.OPENS, (dir, golden) ->
        {
            createDirectory(dir.resolve("blocks").resolve("old"));
            return (file) -> false;
        }));
        cases.add(new Case("a stray state.db.tmp", Expect.OPENS, (dir, golden) ->
        {
            write(dir.resolve("state.db.tmp"), garbage(300, 3));
            return (file) -> false;
        }));
        cases.add(new Case("a leftover rewrite of the first block", Expect.OPENS, (dir, golden) ->
        {
            final Path first = block(dir, golden, "first");
            write(first.resolveSibling(first.getFileName() + ".rewrite"), garbage(4096, 4));
            return (file) -> false;
        }));
        cases.add(new Case("a block-named file of garbage after the last", Expect.OPENS_OR_NAMES_FILE, (dir, golden) ->
        {
            write(nextBlock(dir, golden), garbage(4096, 5));
            return is(nextBlock(dir, golden));
        }));
        cases.add(new Case("a block-named file of zeros after the last", Expect.OPENS, (dir, golden) ->
        {
            write(nextBlock(dir, golden), new byte[4096]);
            return (file) -> false;
        }));
        cases.add(new Case("a block-named file of garbage before the first", Expect.OPENS_OR_NAMES_FILE,
            (dir, golden) ->
            {
                final Path zero = dir.resolve("blocks").resolve(BlockDescriptor.fileName(0));
                write(zero, garbage(4096, 6));
                return is(zero);
            }));
    }

    private static Path block(final Path dir, final FuzzGolden golden, final String position)
    {
        final List<Path> blocks = golden.blocks();
        final int index = switch (position)
        {
            case "first" -> 0;
            case "middle" -> blocks.size() / 2;
            default -> blocks.size() - 1;
        };
        return dir.resolve("blocks").resolve(blocks.get(index).getFileName());
    }

    /**
     * @return the block file name after the golden's last, in the copy {@code dir}.
     */
    private static Path nextBlock(final Path dir, final FuzzGolden golden)
    {
        final List<Path> blocks = golden.blocks();
        final long last = BlockDescriptor.parseFileName(blocks.get(blocks.size() - 1).getFileName().toString());
        return dir.resolve("blocks").resolve(BlockDescriptor.fileName(last + 1));
    }

    private static Predicate<Path> inBlocks(final Path dir)
    {
        final Path blocks = norm(dir.resolve("blocks"));
        return (file) -> file.startsWith(blocks);
    }

    private static Predicate<Path> is(final Path expected)
    {
        final Path normalized = norm(expected);
        return normalized::equals;
    }

    private static Path norm(final Path path)
    {
        return path.toAbsolutePath().normalize();
    }

    private static byte[] garbage(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    private static void write(final Path file, final byte[] bytes)
    {
        try
        {
            Files.write(file, bytes);
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

    private static void move(final Path from, final Path to)
    {
        try
        {
            Files.move(from, to);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void createDirectory(final Path dir)
    {
        try
        {
            Files.createDirectory(dir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void swap(final Path one, final Path other)
    {
        final Path aside = one.resolveSibling("swap.tmp");
        move(one, aside);
        move(other, one);
        move(aside, other);
    }
}
