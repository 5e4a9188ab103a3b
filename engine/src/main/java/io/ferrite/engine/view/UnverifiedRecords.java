package io.ferrite.engine.view;

import io.ferrite.store.CorruptRecordException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Published messages a view met whose header verified and whose record did not: erased (the erase tombstone follows
 * the record in the stream, written before its bytes were overwritten), a lost sequence the writer's recovery marked
 * removed, or damage. Each is kept until a removal names it or it falls below the published first sequence; one that
 * nothing explains once the blocks after it are indexed is damage.
 * <p>
 * Threading: guarded by the owning {@link ReadOnlyStream}'s monitor.
 */
final class UnverifiedRecords
{
    private final List<Unverified> records = new ArrayList<>();

    void add(final Path file, final int offset, final long seq)
    {
        records.add(new Unverified(file, offset, seq));
    }

    /**
     * Drop those below {@code firstSeq} or named by {@code removed}.
     *
     * @return whether none is left.
     */
    boolean dropExplained(final long firstSeq, final RemovedRanges removed)
    {
        records.removeIf((record) -> record.seq() < firstSeq || removed.contains(record.seq()));
        return records.isEmpty();
    }

    boolean isEmpty()
    {
        return records.isEmpty();
    }

    /**
     * @return the damage to report: the first record left, by file, offset and sequence.
     */
    CorruptRecordException damage()
    {
        final Unverified first = records.get(0);
        return new CorruptRecordException("record checksum does not verify and no removal names it (read-only view)",
            first.file(), first.offset(), first.seq());
    }

    void clear()
    {
        records.clear();
    }

    /**
     * A published message whose header verified and whose record did not.
     */
    private record Unverified(Path file, int offset, long seq)
    {
    }
}
