package io.ferrite.engine.testing;

import io.ferrite.engine.FileStreamStore;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.StreamConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The small stream the file fuzzers and the file matrix start every case from — small so a fuzzer copies and reopens
 * it thousands of times a minute: about 160 messages in 4 KiB blocks, written in two sessions (so an encrypted stream
 * seals the block it found on the second open), with removals, an erase and a skip in both sessions, so tombstones sit
 * in several blocks. Besides the final files it keeps {@code state.db} as the first session's close wrote it: a state
 * from an older point in time, which a case may put back instead of the current one.
 *
 * @param dir       the stream, closed cleanly: its {@code state.db} records everything.
 * @param staleState {@code state.db} as the first session left it.
 * @param staleLast the last sequence assigned when {@code staleState} was written.
 * @param last      the last sequence assigned.
 * @param absent    the sequences the caller removed, erased or skipped: never to load.
 * @param absentAfterStale those of {@code absent} the stale state does not know of (their tombstones are in blocks).
 * @param skipped   those of {@code absent} that {@code skip()} reserved: never a message, so damage over their records
 *                  may read as damage (the store cannot know they held none), unlike a removal, which the state holds.
 * @param blocks    the block files, in id order.
 * @param bases     each block's base sequence, from its header.
 * @param proofs    each block's previous last sequence, from its header: how far the stream had got when it was made.
 */
public record FuzzGolden(
    StreamMode mode, StreamConfig config, Path dir, Path staleState, long staleLast, long last,
    NavigableSet<Long> absent, NavigableSet<Long> absentAfterStale, NavigableSet<Long> skipped, List<Path> blocks,
    List<Long> bases, List<Long> proofs)
{
    public static final TestMessages MESSAGES = new TestMessages(120);
    public static final String STREAM = "fuzz";

    private static final Map<StreamMode, FuzzGolden> SHARED = new EnumMap<>(StreamMode.class);
    private static Path sharedRoot;

    /**
     * @return the golden of {@code mode}, written once per JVM under a temporary directory (in memory when the machine
     * has {@code /dev/shm}: a fuzzer copies it for every input) removed when the JVM exits.
     */
    public static synchronized FuzzGolden shared(final StreamMode mode)
    {
        if (null == sharedRoot)
        {
            sharedRoot = CaseDirectories.createRoot("ferrite-golden-");
        }
        return SHARED.computeIfAbsent(mode, (m) -> write(m, sharedRoot.resolve("golden-" + m)));
    }

    public static FuzzGolden write(final StreamMode mode, final Path dir)
    {
        final StreamConfig config = mode.config(StreamConfig.builder(STREAM).blockSize(4096).maxMsgSize(256));
        final NavigableSet<Long> absent = new TreeSet<>();
        final NavigableSet<Long> skipped = new TreeSet<>();
        final long staleLast;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            appendMessages(store, 90);
            for (final long seq : new long[] {3, 41, 88})
            {
                remove(store, seq, absent);
            }
            skipped.add(store.skip());
            appendMessages(store, 5);
            erase(store, 60, absent);
            staleLast = store.state().lastSeq();
        }
        final Path staleState = dir.resolveSibling(dir.getFileName() + "-state.db.stale");
        copy(dir.resolve(StreamDirectory.STATE_FILE), staleState);
        final NavigableSet<Long> known = new TreeSet<>(absent);
        known.addAll(skipped);
        final long last;
        try (FileStreamStore store = FileStreamStore.open(dir, config))
        {
            appendMessages(store, 40);
            remove(store, 12, absent);
            remove(store, staleLast + 7, absent);
            skipped.add(store.skip());
            appendMessages(store, 25);
            erase(store, staleLast + 20, absent);
            remove(store, staleLast + 60, absent);
            last = MESSAGES.appendNext(store);
        }
        absent.addAll(skipped);
        final NavigableSet<Long> after = new TreeSet<>(absent);
        after.removeAll(known);
        final List<Path> blocks = BlockFiles.blocks(dir);
        if (blocks.size() < 5)
        {
            throw new IllegalStateException("the golden stream needs several blocks, has " + blocks.size());
        }
        return new FuzzGolden(mode, config, dir, staleState, staleLast, last,
            Collections.unmodifiableNavigableSet(absent), Collections.unmodifiableNavigableSet(after),
            Collections.unmodifiableNavigableSet(skipped), blocks, blocks.stream().map(RemovalGolden::baseSeq).toList(),
            blocks.stream().map(FuzzGolden::previousLastSeq).toList());
    }

    /**
     * @return the position of the block that held {@code seq}.
     */
    public int positionOf(final long seq)
    {
        int position = 0;
        while (position + 1 < bases.size() && bases.get(position + 1) <= seq)
        {
            position++;
        }
        return position;
    }

    private static long previousLastSeq(final Path block)
    {
        return ByteBuffer.wrap(BlockFiles.readAll(block)).order(ByteOrder.LITTLE_ENDIAN)
            .getLong(BlockDescriptor.PREV_LAST_SEQ_OFFSET);
    }

    public Path stateFile()
    {
        return dir.resolve(StreamDirectory.STATE_FILE);
    }

    /**
     * @return a copy of the stream's files in {@code to}.
     */
    public Path copyTo(final Path to)
    {
        BlockFiles.copyTree(dir, to);
        return to;
    }

    private static void appendMessages(final FileStreamStore store, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            MESSAGES.appendNext(store);
        }
    }

    private static void remove(final FileStreamStore store, final long seq, final NavigableSet<Long> absent)
    {
        if (!store.remove(seq))
        {
            throw new IllegalStateException("remove(" + seq + ") found nothing");
        }
        absent.add(seq);
    }

    private static void erase(final FileStreamStore store, final long seq, final NavigableSet<Long> absent)
    {
        if (!store.erase(seq))
        {
            throw new IllegalStateException("erase(" + seq + ") found nothing");
        }
        absent.add(seq);
    }

    public static void copy(final Path from, final Path to)
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
}
