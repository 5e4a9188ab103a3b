package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.RemovalGolden;
import io.ferrite.engine.testing.StreamHistory;
import io.ferrite.engine.testing.StreamMode;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StoreException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Seeded random damage to the block files of a stream whose removals' tombstones all sit in the last block — flipped
 * bytes, zeroed or garbage runs, cuts, a deleted file; the last block is hit half the time — with {@code state.db}
 * kept. Issue 12 found 3 of 60 such cases bringing removed messages back or giving numbers out again, one with 5 of 6
 * lost sequences unreported. Every case must either refuse to open with a {@link StoreException} naming a file, or keep
 * every promise {@link StreamHistory} checks — through the open, appends after it, and a second open.
 */
class RandomBlockDamageTest
{
    private static final long SEED = 0x12_7E57L;
    private static final int CASES_PER_MODE = 60;

    @TempDir
    static Path goldenRoot;
    private static final Map<StreamMode, RemovalGolden> GOLDENS = new EnumMap<>(StreamMode.class);

    @TempDir
    Path work;

    @BeforeAll
    static void writeGoldenStores()
    {
        GOLDENS.putAll(RemovalGolden.writeAll(goldenRoot));
    }

    @TestFactory
    Stream<DynamicTest> randomBlockDamageKeepsEveryPromise()
    {
        final List<DynamicTest> tests = new ArrayList<>();
        for (final RemovalGolden golden : GOLDENS.values())
        {
            for (int i = 0; i < CASES_PER_MODE; i++)
            {
                final long seed = SEED + golden.mode().ordinal() * 1_000L + i;
                final Path dir = work.resolve("case-" + golden.mode() + "-" + i);
                final String name = golden.mode() + " #" + i + ": " + describe(golden, seed);
                tests.add(dynamicTest(name, () -> damageAndCheck(golden, seed, dir, name)));
            }
        }
        return tests.stream();
    }

    private void damageAndCheck(final RemovalGolden golden, final long seed, final Path dir, final String name)
    {
        golden.copyTo(dir);
        damage(golden, seed, dir);
        final StreamHistory history = golden.history().copy();
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            history.check(store, name);
            for (int i = 0; i < 3; i++)
            {
                history.append(store, name);
            }
            history.check(store, name);
        }
        catch (final StoreException refused)
        {
            assertThat(refused.file()).as("a refusal names the file: %s", name).isNotNull();
            return;
        }
        try (FileStreamStore store = FileStreamStore.open(dir, golden.config()))
        {
            history.check(store, name + ", reopened");
            history.append(store, name + ", reopened");
        }
    }

    /**
     * What {@link #damage} does for {@code seed}, for the test's name.
     */
    private static String describe(final RemovalGolden golden, final long seed)
    {
        return new Plan(golden, seed).describe();
    }

    private static void damage(final RemovalGolden golden, final long seed, final Path dir)
    {
        new Plan(golden, seed).apply(dir);
    }

    /**
     * One case's damage, drawn from its seed: the same seed always draws the same damage.
     */
    private static final class Plan
    {
        private final RemovalGolden golden;
        private final int position;
        private final int kind;
        private final long at;
        private final int length;
        private final long randomSeed;

        Plan(final RemovalGolden golden, final long seed)
        {
            final SplittableRandom random = new SplittableRandom(seed);
            this.golden = golden;
            final int count = golden.blocks().size();
            this.position = random.nextBoolean() ? count - 1 : random.nextInt(count);
            final int size = BlockFiles.readAll(golden.blocks().get(position)).length;
            this.kind = random.nextInt(6);
            this.at = BlockDescriptor.DATA_OFFSET + random.nextInt(Math.max(1, size - BlockDescriptor.DATA_OFFSET));
            this.length = 1 + random.nextInt(kind == 0 ? 4 : 2_000);
            this.randomSeed = random.nextLong();
        }

        String describe()
        {
            final String file = golden.blocks().get(position).getFileName().toString();
            return switch (kind)
            {
                case 0 -> "flip " + length + " bytes from " + at + " of " + file;
                case 1 -> "zero " + length + " bytes from " + at + " of " + file;
                case 2 -> "zero " + length + " bytes from the record boundary at or before " + at + " of " + file;
                case 3 -> "garbage over " + length + " bytes from " + at + " of " + file;
                case 4 -> "cut " + file + " at " + at;
                default -> "delete " + file;
            };
        }

        void apply(final Path dir)
        {
            final Path file = golden.block(dir, position);
            final int size = BlockFiles.readAll(file).length;
            final int end = (int)Math.min(size, at + length);
            switch (kind)
            {
                case 0 ->
                {
                    for (long offset = at; offset < end; offset++)
                    {
                        BlockFiles.flip(file, offset);
                    }
                }
                case 1 -> BlockFiles.write(file, at, new byte[end - (int)at]);
                case 2 ->
                {
                    final int boundary = BlockFiles.frames(file).stream().mapToInt(BlockFiles.Frame::offset)
                        .filter((offset) -> offset <= at).max().orElse(BlockDescriptor.DATA_OFFSET);
                    BlockFiles.write(file, boundary, new byte[Math.min(size, boundary + length) - boundary]);
                }
                case 3 ->
                {
                    final byte[] garbage = new byte[end - (int)at];
                    new SplittableRandom(randomSeed).nextBytes(garbage);
                    BlockFiles.write(file, at, garbage);
                }
                case 4 -> BlockFiles.truncate(file, at);
                default -> delete(file);
            }
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
