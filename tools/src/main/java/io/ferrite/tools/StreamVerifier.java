package io.ferrite.tools;

import io.ferrite.engine.state.FullStateReader;
import io.ferrite.engine.state.StateSnapshot;
import io.ferrite.store.CorruptFileException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies a whole stream: every block file in id order through one {@link BlockVerifier}, with sequences carried
 * from block to block, and the blocks cross-checked against {@code state.db} when it is readable (a block it lists
 * must exist, and a record must end where it says with the checksum it recorded).
 */
final class StreamVerifier
{
    private final StreamFolder folder;
    private final StreamKey key;
    private final PrintWriter err;

    /**
     * @param key the unlocked stream, to authenticate record bodies and footers too; null to check checksums only.
     */
    StreamVerifier(final StreamFolder folder, final StreamKey key, final PrintWriter err)
    {
        this.folder = folder;
        this.key = key;
        this.err = err;
    }

    VerifyReport run() throws IOException
    {
        final long startNanos = System.nanoTime();
        final DamageLog log = new DamageLog();
        final Map<Long, BlockSummary> expected = new HashMap<>();
        final String stateNote = readState(log, expected);
        final long[] ids = folder.blockIds();
        for (final BlockSummary block : expected.values())
        {
            if (Arrays.binarySearch(ids, block.id()) < 0)
            {
                log.add(new DamagedRange(folder.blockFile(block.id()), 0, 0, block.msgs() == 0 ? DamagedRange.NONE :
                    block.firstSeq(), block.lastSeq(), DamageKind.MISSING_FILE, ""));
            }
        }
        long totalBytes = 0;
        final long[] sizes = new long[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            sizes[i] = Files.size(folder.blockFile(ids[i]));
            totalBytes += sizes[i];
        }
        final ProgressBar progress = ProgressBar.onStderr(err, "verify", totalBytes, Units::bytes);
        final Removals removals = new Removals();
        final BlockVerifier verifier = new BlockVerifier(log, removals, folder.encrypted(), key);
        final List<BlockCheck> checks = new ArrayList<>(ids.length);
        long done = 0;
        for (int i = 0; i < ids.length; i++)
        {
            final long base = done;
            final Path file = folder.blockFile(ids[i]);
            final boolean sealed = i < ids.length - 1;
            checks.add(verifier.verify(file, ids[i], expected.get(ids[i]), sealed, (at) -> progress.update(base + at)));
            done += sizes[i];
        }
        log.finish();
        progress.finish();
        final Removals.Outcome outcome = removals.resolve();
        outcome.damaged().forEach(log::add);
        return new VerifyReport(folder, null == key ? null : key.keyFile(), resolved(checks, outcome), log.ranges(),
            removals.summary(outcome), stateNote, totalBytes, System.nanoTime() - startNanos);
    }

    /**
     * @return the block checks with their erased messages, and the damage among messages that were not erased.
     */
    private static List<BlockCheck> resolved(final List<BlockCheck> checks, final Removals.Outcome outcome)
    {
        final Map<Path, Long> erased = new HashMap<>();
        final Map<Path, Integer> damaged = new HashMap<>();
        outcome.erased().forEach((range) -> erased.merge(range.file(), 1L, Long::sum));
        outcome.unverified().forEach((range) -> erased.merge(range.file(), 1L, Long::sum));
        outcome.damaged().forEach((range) -> damaged.merge(range.file(), 1, Integer::sum));
        final List<BlockCheck> resolved = new ArrayList<>(checks.size());
        for (final BlockCheck check : checks)
        {
            resolved.add(check.resolved(erased.getOrDefault(check.file(), 0L), damaged.getOrDefault(check.file(), 0)));
        }
        return resolved;
    }

    /**
     * @return a note on what state.db contributed; fills {@code expected} with its blocks by id.
     */
    private String readState(final DamageLog log, final Map<Long, BlockSummary> expected)
    {
        final StateSnapshot state;
        try
        {
            state = FullStateReader.read(folder.stateFile(), null == key ? null : key.stateCipher());
        }
        catch (final CorruptFileException ex)
        {
            log.add(new DamagedRange(folder.stateFile(), Math.max(0, ex.offset()), Math.max(0, ex.offset()),
                DamagedRange.UNKNOWN, DamagedRange.UNKNOWN, DamageKind.BAD_STATE, ex.getMessage()));
            return "state.db is unusable, so blocks were not cross-checked against it; opening the stream rebuilds " +
                "the state from the blocks";
        }
        if (null == state)
        {
            return "state.db is missing (the stream was not closed cleanly, or is open): nothing to cross-check";
        }
        for (int i = 0; i < state.blockCount(); i++)
        {
            final BlockSummary block = BlockSummary.of(state, i);
            expected.put(block.id(), block);
        }
        return "state.db lists " + state.blockCount() + " block(s); each was cross-checked against its file" +
            (state.isEncrypted() && state.hasSubjects() ? "; its sealed subjects section authenticates" : "");
    }
}
