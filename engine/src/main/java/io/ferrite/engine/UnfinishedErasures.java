package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.recovery.UnfinishedErasure;
import io.ferrite.engine.state.PendingErasuresFile;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Erasures begun — tombstone written, message uncounted — whose bytes are not yet overwritten, in memory and in
 * {@code erasures.pending}. An erasure is added in the append-lock section that removes its message, so any state
 * image that counts the message removed was captured after it was added; {@link #makeDurable()} runs before every
 * {@code state.db} write ({@code FullStateWriter} calls it), so no state that hides an erase tombstone from the next
 * open's replay reaches the disk before the file that lists the erasure does. Whoever finishes an erasure
 * (a retried erase, a state write, close, the next open) removes it here.
 * <p>
 * Threading: the set has this object's monitor, held for memory operations only (an appender may wait on it); the
 * file has its own lock, held while it is written.
 */
final class UnfinishedErasures
{
    private static final Logger LOG = LoggerFactory.getLogger(UnfinishedErasures.class);

    private final StreamDirectory directory;
    /** Guarded by this. */
    private final TreeMap<Long, UnfinishedErasure> bySeq = new TreeMap<>();
    /** Guarded by this: bumped by every change of the set. */
    private long version;
    private final ReentrantLock fileLock = new ReentrantLock();
    /** Guarded by fileLock: the version the file lists; the file is absent at open once read. */
    private long durableVersion;

    /**
     * @param listed the erasures {@code erasures.pending} listed at open that are still to finish; when the file was
     *               there, the first {@link #makeDurable()} rewrites it (or deletes it) even if none is.
     */
    private UnfinishedErasures(
        final StreamDirectory directory, final List<UnfinishedErasure> listed, final boolean fileFound)
    {
        this.directory = directory;
        for (final UnfinishedErasure erasure : listed)
        {
            bySeq.put(erasure.seq(), erasure);
        }
        this.version = fileFound || !listed.isEmpty() ? 1 : 0;
    }

    /**
     * The erasures to finish at open: those whose erase tombstones recovery replayed with the message still verifying,
     * and those {@code erasures.pending} lists whose message the stream counts removed (a state newer than their
     * tombstones was written before the process ended).
     */
    static UnfinishedErasures atOpen(
        final StreamDirectory directory, final StreamIndex index, final List<UnfinishedErasure> replayed)
    {
        final boolean fileFound = Files.exists(PendingErasuresFile.file(directory));
        final List<UnfinishedErasure> all = new ArrayList<>(replayed);
        for (final PendingErasuresFile.Entry entry : PendingErasuresFile.read(directory))
        {
            final int position = index.positionFor(entry.seq());
            final MessageBlock block = position < 0 ? null : index.blocks()[position];
            if (null == block || block.id() != entry.blockId())
            {
                continue;
            }
            if (block.table().get(entry.seq()) != 0)
            {
                // Its tombstone is gone with damage recovery reported: the message is live again, so it is the
                // caller's, not ours to zero.
                LOG.warn("stream {}: {} lists seq {} as being erased, but the stream holds it (its tombstone was " +
                    "lost); not erasing it", directory.root(), PendingErasuresFile.FILE_NAME, entry.seq());
                continue;
            }
            all.add(new UnfinishedErasure(entry.seq(), block, entry.recordOffset()));
        }
        return new UnfinishedErasures(directory, all, fileFound);
    }

    synchronized void add(final UnfinishedErasure erasure)
    {
        bySeq.put(erasure.seq(), erasure);
        version++;
    }

    synchronized boolean contains(final long seq)
    {
        return bySeq.containsKey(seq);
    }

    synchronized boolean isEmpty()
    {
        return bySeq.isEmpty();
    }

    synchronized List<UnfinishedErasure> list()
    {
        return new ArrayList<>(bySeq.values());
    }

    /**
     * @return whether {@code erasure}, as taken from {@link #list()}, is still unfinished: not finished since, nor cut
     * by a truncation (after which a new erasure may have the same sequence).
     */
    synchronized boolean holds(final UnfinishedErasure erasure)
    {
        return bySeq.get(erasure.seq()) == erasure;
    }

    synchronized void finished(final long seq)
    {
        if (null != bySeq.remove(seq))
        {
            version++;
        }
    }

    /**
     * A truncation to {@code seq} cut the records of every erasure above it: nothing of them is left to erase, and new
     * records may take their offsets and sequences.
     */
    synchronized void cutAbove(final long seq)
    {
        if (!bySeq.tailMap(seq, false).isEmpty())
        {
            bySeq.tailMap(seq, false).clear();
            version++;
        }
    }

    /**
     * Make {@code erasures.pending} list every unfinished erasure (deleted when there is none), durably. Nothing is
     * written when the file is current.
     *
     * @throws StoreException when it could not be written: no state may be written then.
     */
    void makeDurable()
    {
        fileLock.lock();
        try
        {
            final long current;
            final List<PendingErasuresFile.Entry> entries = new ArrayList<>();
            synchronized (this)
            {
                current = version;
                for (final UnfinishedErasure erasure : bySeq.values())
                {
                    entries.add(new PendingErasuresFile.Entry(erasure.seq(), erasure.block().id(), erasure.offset()));
                }
            }
            if (current != durableVersion)
            {
                PendingErasuresFile.write(directory, entries);
                durableVersion = current;
            }
        }
        finally
        {
            fileLock.unlock();
        }
    }
}
