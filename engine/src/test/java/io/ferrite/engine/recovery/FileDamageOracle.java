package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.FuzzGolden;
import io.ferrite.engine.FileStreamStore;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.RecoveryReport.LostRange;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamLockedException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * What a stream opened from damaged files must still promise (issue 12), checked against the {@link FuzzGolden} the
 * files were copied from. Opening either fails with a {@link StoreException} whose message names a file of the stream
 * — and leaves the stream unlocked for the next attempt — or succeeds, and then, in that open, after an append, and
 * in a second open:
 * <ul>
 *   <li>every sequence the golden assigned loads with exactly its original bytes, or was removed by the caller and
 *   does not load, or is listed in {@code recoveryReport().lost()} (or its read fails with a
 *   {@link CorruptRecordException} naming it, or a {@link StoreException} naming its block — a sealed block the state
 *   vouched for, found damaged or unreadable at its first read, like a {@link CorruptFileException} for its header);
 *   </li>
 *   <li>the last sequence is at least the golden's, and the next append takes a higher one, above every sequence that
 *   loaded;</li>
 *   <li>nothing returned differs from what was written — through {@code load} or a {@code loadNext} walk;</li>
 *   <li>no exception outside the {@link StoreException} family, except the documented
 *   {@link IllegalArgumentException} for a {@code stream.json} naming another (valid) stream.</li>
 * </ul>
 * How much the files still prove is decided from the files themselves ({@link Trust}): where the documentation says
 * what cannot be known, the oracle does not demand it.
 */
final class FileDamageOracle
{
    /**
     * What the damaged files still prove, by what the damage left intact.
     */
    enum Trust
    {
        /** The blocks are intact, or {@code state.db} is the current one: every promise holds. */
        FULL,
        /**
         * {@code state.db} is the older one and a block is damaged: the promises hold as of that state. Removals made
         * after it whose tombstones were in the damage may come back, and sequences after it lost with a tail beyond
         * any header's proof may be assigned again (docs/ENGINE.md, "What nothing can know"); they are still reported.
         */
        STALE_STATE,
        /**
         * Blocks damaged and no usable {@code state.db}, or a structure that verifies but was forged (see
         * {@link ForgeryScan}): only what no damage excuses — the exception family and the bytes returned.
         */
        DATA_ONLY
    }

    enum Verdict
    {
        OPENED,
        REFUSED
    }

    private final FuzzGolden golden;
    private final Path dir;
    private final Trust trust;
    private final String context;
    private final Predicate<Path> blamable;
    /** The highest sequence the stale state or a surviving block header proves was assigned. */
    private final long proven;
    private final List<LostRange> reported = new ArrayList<>();

    private FileDamageOracle(
        final FuzzGolden golden, final Path dir, final Trust trust, final String context,
            final Predicate<Path> blamable)
    {
        this.golden = golden;
        this.dir = dir;
        this.trust = trust;
        this.context = context;
        this.blamable = blamable;
        // Taken before the first open: an append after recovery may write a block file of the same name again.
        long proven = golden.staleLast();
        for (int i = 0; i < golden.blocks().size(); i++)
        {
            final Path block = dir.resolve("blocks").resolve(golden.blocks().get(i).getFileName());
            if (Files.isRegularFile(block) && sameHeader(golden.blocks().get(i), block))
            {
                proven = Math.max(proven, golden.proofs().get(i));
            }
        }
        this.proven = proven;
    }

    /**
     * @return how much the files in {@code dir} still prove, compared with the golden they were copied from.
     */
    static Trust trust(final FuzzGolden golden, final ForgeryScan forgeries, final Path dir)
    {
        if (null != forgeries.forgery(dir))
        {
            return Trust.DATA_ONLY;
        }
        if (blocksIntact(golden, dir) || sameBytes(golden.stateFile(), dir.resolve("state.db")))
        {
            return Trust.FULL;
        }
        return sameBytes(golden.staleState(), dir.resolve("state.db")) ? Trust.STALE_STATE : Trust.DATA_ONLY;
    }

    /**
     * Open the damaged copy in {@code dir} and check every promise {@code trust} allows; throws (an
     * {@link AssertionError}, or whatever the store threw that it must not) on the first one broken.
     */
    static Verdict check(final FuzzGolden golden, final Path dir, final Trust trust, final String context)
    {
        return check(golden, dir, trust, context, (file) -> true);
    }

    /**
     * As {@link #check(FuzzGolden, Path, Trust, String)}, where a refusal must name a file {@code blamable} accepts:
     * the file that was damaged, when the case knows which.
     */
    static Verdict check(
        final FuzzGolden golden, final Path dir, final Trust trust, final String context,
            final Predicate<Path> blamable)
    {
        return new FileDamageOracle(golden, dir, trust, context, blamable).run();
    }

    private Verdict run()
    {
        final FileStreamStore store = openOrRefuse();
        if (null == store)
        {
            // A refusal must release the stream: a second attempt is refused for its own reasons, or opens.
            final FileStreamStore again = openOrRefuse();
            if (null == again)
            {
                return Verdict.REFUSED;
            }
            return session(again, golden.last(), "opened at the second attempt");
        }
        return session(store, golden.last(), "");
    }

    private Verdict session(final FileStreamStore first, final long last, final String note)
    {
        final long appended;
        try (FileStreamStore store = first)
        {
            final long maxLoaded = checkOpen(store, last, "first open " + note);
            appended = appendAfter(store, maxLoaded);
        }
        final FileStreamStore second = openOrRefuse();
        if (null == second)
        {
            fail("the store refused to open files it wrote itself after recovering them");
        }
        try (FileStreamStore store = second)
        {
            final long maxLoaded = checkOpen(store, Math.max(last, appended), "second open");
            if (appended > 0)
            {
                final StoredMessage message = store.load(appended);
                if (trust != Trust.DATA_ONLY)
                {
                    require(null == FuzzGolden.MESSAGES.mismatch(message, appended),
                        "the message appended after recovery, seq " + appended + ", did not survive a clean close: " +
                            FuzzGolden.MESSAGES.mismatch(message, appended));
                }
            }
            appendAfter(store, maxLoaded);
        }
        return Verdict.OPENED;
    }

    /**
     * @return the store, or null when it refused to open with a {@link StoreException} naming a file of the stream.
     */
    private FileStreamStore openOrRefuse()
    {
        try
        {
            return FileStreamStore.open(dir, golden.config());
        }
        catch (final StreamLockedException locked)
        {
            throw new AssertionError("a refused open left the stream locked: " + context, locked);
        }
        catch (final StoreException refused)
        {
            final Path file = refused.file();
            require(null != file, "a refusal names no file: " + refused);
            require(file.toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize()),
                "a refusal names a file outside the stream: " + refused);
            require(refused.getMessage().contains(file.toString()), "the message does not name the file: " + refused);
            require(blamable.test(file), "the refusal blames another file than the damaged one: " + refused + ": " +
                context);
            return null;
        }
        catch (final IllegalArgumentException otherStream)
        {
            // Documented (FileStreamStore.open, docs/ENGINE.md): a stream.json naming another valid stream.
            if (String.valueOf(otherStream.getMessage()).contains("holds stream '"))
            {
                return null;
            }
            throw otherStream;
        }
    }

    /**
     * @return the highest sequence that loaded.
     */
    private long checkOpen(final FileStreamStore store, final long last, final String when)
    {
        reported.addAll(store.recoveryReport().lost());
        final String where = context + ", " + when + "\nreport " + store.recoveryReport();
        final long lastSeq = store.state().lastSeq();
        if (trust != Trust.DATA_ONLY)
        {
            final long floor = trust == Trust.FULL ? last : Math.min(last, golden.staleLast());
            require(lastSeq >= floor, "the last sequence went backwards, " + lastSeq + " < " + floor + ": " + where);
        }
        long maxLoaded = 0;
        // Bounded by the golden: a forged state may claim any last sequence, and an append after it takes the next.
        final long end = Math.min(Math.max(last, lastSeq) + 2, golden.last() + 1_000);
        for (long seq = 1; seq <= end; seq++)
        {
            final StoredMessage message;
            try
            {
                message = store.load(seq);
            }
            catch (final CorruptRecordException damaged)
            {
                require(damaged.seq() == seq, "load(" + seq + ") failed naming seq " + damaged.seq() + ": " + where);
                require(trust == Trust.DATA_ONLY || !removedForGood(seq),
                    "removed seq " + seq + " is read as damage: " + where);
                continue;
            }
            catch (final StoreException unreadable)
            {
                // A sealed block recovery did not open (the state vouched for it) fails its first read when its header
                // is damaged or it cannot be opened at all, whatever sequence was asked for (BlockHeaderDamageTest):
                // the whole file is refused, naming it, and nothing is returned.
                require(isBlockFile(unreadable.file()), "load(" + seq + ") failed naming no block: " + unreadable);
                continue;
            }
            if (null != message)
            {
                requireGenuine(message, seq, where);
                maxLoaded = seq;
                if (trust != Trust.DATA_ONLY)
                {
                    require(!removedForGood(seq), "removed seq " + seq + " came back: " + where);
                    require(seq <= lastSeq, "seq " + seq + " loads above the last sequence " + lastSeq + ": " + where);
                }
            }
            else if (trust != Trust.DATA_ONLY && seq <= golden.last() && !golden.absent().contains(seq))
            {
                final long absent = seq;
                require(reported.stream().anyMatch((range) -> range.covers(absent)) || beyondAnyProof(seq),
                    "seq " + seq + " is absent and no report lists it: " + where);
            }
        }
        walkLoadNext(store, where);
        return maxLoaded;
    }

    /**
     * {@code loadNext} verifies every record it passes: whatever it returns must be genuine, and never a removed one.
     */
    private void walkLoadNext(final FileStreamStore store, final String where)
    {
        long from = 1;
        for (int steps = 0; steps < 1_000; steps++)
        {
            final StoredMessage message;
            try
            {
                message = store.loadNext(">", from);
            }
            catch (final CorruptRecordException damaged)
            {
                require(damaged.seq() >= from, "loadNext(" + from + ") failed naming seq " + damaged.seq() + ": " +
                    where);
                from = damaged.seq() + 1;
                continue;
            }
            catch (final StoreException unreadable)
            {
                require(isBlockFile(unreadable.file()), "loadNext failed naming no block: " + unreadable);
                return;
            }
            if (null == message)
            {
                return;
            }
            requireGenuine(message, message.seq(), where);
            if (trust != Trust.DATA_ONLY)
            {
                // A forged state's block entries (base sequences) can misplace a search; its bytes are still checked.
                require(message.seq() >= from, "loadNext(" + from + ") returned seq " + message.seq() + ": " + where);
                require(!removedForGood(message.seq()),
                    "loadNext returned removed seq " + message.seq() + ": " + where);
            }
            from = Math.max(from, message.seq()) + 1;
        }
        fail("loadNext walked 1,000 steps without reaching the end: " + where);
    }

    /**
     * @return the sequence appended, after checking it is new; 0 when a store of forged files refused it.
     */
    private long appendAfter(final FileStreamStore store, final long maxLoaded)
    {
        final long seq;
        try
        {
            seq = FuzzGolden.MESSAGES.appendNext(store);
        }
        catch (final StoreException refused)
        {
            if (trust == Trust.DATA_ONLY)
            {
                return 0;
            }
            throw new AssertionError("an append after recovery failed: " + context, refused);
        }
        if (trust != Trust.DATA_ONLY)
        {
            require(seq > maxLoaded, "an append took seq " + seq + ", which already held a message: " + context);
            final long floor = trust == Trust.FULL ? golden.last() : golden.staleLast();
            require(seq > floor, "an append took seq " + seq + ", assigned before (golden last " + floor + "): " +
                context);
            require(null == FuzzGolden.MESSAGES.mismatch(store.load(seq), seq), "the appended message does not load: " +
                context);
        }
        return seq;
    }

    /**
     * @return whether the caller removed {@code seq} and the files still prove it (a stale state does not know the
     * removals after it, and their tombstones may have been in the damage). A skipped sequence never held a message
     * to remove: damage over its record reads as damage.
     */
    private boolean removedForGood(final long seq)
    {
        return golden.absent().contains(seq) && !golden.skipped().contains(seq) &&
            (trust == Trust.FULL || !golden.absentAfterStale().contains(seq));
    }

    /**
     * @return whether nothing left records that {@code seq} was assigned: the state is older than it, and no surviving
     * block header proves it (docs/ENGINE.md, "What nothing can know": a lost last block, or the records of the last
     * block lost with its tail beyond any header's proof — a zeroed first record reads as the end of the data — are
     * neither always reported nor kept from being assigned again).
     */
    private boolean beyondAnyProof(final long seq)
    {
        return trust == Trust.STALE_STATE && seq > proven;
    }

    private void requireGenuine(final StoredMessage message, final long seq, final String where)
    {
        final String mismatch = FuzzGolden.MESSAGES.mismatch(message, seq);
        if (null == mismatch)
        {
            return;
        }
        // Plaintext CRC32C can be forged (see ForgeryScan); GCM cannot.
        require(!golden.mode().encrypted() && ForgeryScan.verifiedOnDisk(dir, message),
            "returned bytes that never verified: " + mismatch + ": " + where);
    }

    private boolean isBlockFile(final Path file)
    {
        return null != file && file.toAbsolutePath().normalize().startsWith(dir.resolve("blocks").toAbsolutePath()
            .normalize());
    }

    private static boolean blocksIntact(final FuzzGolden golden, final Path dir)
    {
        if (!Files.isDirectory(dir.resolve("blocks")))
        {
            return false;
        }
        final List<Path> blocks = BlockFiles.blocks(dir);
        if (blocks.size() != golden.blocks().size())
        {
            return false;
        }
        for (int i = 0; i < blocks.size(); i++)
        {
            if (!blocks.get(i).getFileName().equals(golden.blocks().get(i).getFileName()) ||
                !sameBytes(golden.blocks().get(i), blocks.get(i)))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean sameHeader(final Path expected, final Path actual)
    {
        final byte[] want = BlockFiles.readAll(expected);
        final byte[] got = BlockFiles.readAll(actual);
        return got.length >= BlockDescriptor.HEADER_LENGTH && Arrays.equals(want, 0,
            BlockDescriptor.HEADER_LENGTH, got, 0, BlockDescriptor.HEADER_LENGTH);
    }

    static boolean sameBytes(final Path expected, final Path actual)
    {
        return Files.isRegularFile(actual) && Arrays.equals(BlockFiles.readAll(expected), BlockFiles.readAll(actual));
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            fail(message);
        }
    }

    private static void fail(final String message)
    {
        throw new AssertionError(message);
    }
}
