package io.ferrite.engine.block;

import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.DeletedSequences;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;

import java.util.List;

/**
 * What one block holds as readers see it: its sequence table, the sequences removed from it, and its subject summary.
 * The table and summary of a block recovered from state are built from its records on first use, leaving the removed
 * sequences out; a removal marks the set and clears the table and summary in one step under this object's monitor,
 * so a build racing with it can never bring a removed message back.
 * <p>
 * Threading: {@link #table()} and {@link #subjects(SubjectIndex)} from any thread; the marks under the append lock.
 */
public final class BlockContents
{
    private final MessageBlock block;
    private final DeletedSequences deleted;
    private volatile SequenceTable table;
    /** The table {@link #markEmptied} replaced: a reader may still hold it until the block's tables are freed. */
    private SequenceTable replaced;
    /** The tables were handed over to be freed ({@link #detachTables}): asking for one is a bug. */
    private volatile boolean detached;
    private volatile BlockSubjects subjects;
    /** Every message was removed and the block awaits deletion: its table is empty from then on. */
    private volatile boolean emptied;
    /**
     * Messages removed before the table was built: the count the block entry gave at restore included them, and the
     * build compares what it finds with that count less these.
     */
    private int removedBeforeBuild;

    /**
     * Guarded by the append lock: the stream's count of frames written ({@code UnforcedWindow.written()}) just after
     * the newest tombstone that removed a message of this block; 0 for removals recovery found. See
     * {@link #removalWritten()}.
     */
    private long removalWritten;

    BlockContents(final MessageBlock block)
    {
        this.block = block;
        this.deleted = new DeletedSequences(block.baseSeq());
    }

    /**
     * @return the sequence table, building it by scanning the block if no read has needed it yet.
     */
    public SequenceTable table()
    {
        if (detached)
        {
            // Every reader of a table is inside the read gate or holds a lock that kept the table from being freed:
            // getting here is a bug, and a freed table would answer "nothing here" rather than fail.
            throw new IllegalStateException("block file " + block.file() + " left the stream and its sequence table " +
                "was freed");
        }
        final SequenceTable current = table;
        return null != current ? current : buildTable();
    }

    /**
     * Install a table built by the appender or by a recovery scan.
     */
    void install(final SequenceTable built)
    {
        this.table = built;
    }

    private synchronized SequenceTable buildTable()
    {
        if (null == table)
        {
            final SequenceTable built = emptied ? new SequenceTable(block.baseSeq()) :
                block.scanTable(deleted, removedBeforeBuild);
            deleted.forEachRun((from, to) ->
            {
                for (long seq = from; seq <= to; seq++)
                {
                    built.clear(seq);
                }
            });
            table = built;
        }
        return table;
    }

    /**
     * Record that the message at {@code seq} is removed: from now on no table of this block lists it, and its subject
     * leaves the summary. Called under the append lock.
     */
    public synchronized void markDeleted(final long seq, final SubjectIndex.Entry entry)
    {
        final boolean added = deleted.add(seq);
        final SequenceTable current = table;
        if (null != current)
        {
            current.clear(seq);
        }
        else if (added)
        {
            removedBeforeBuild++;
        }
        final BlockSubjects summary = subjects;
        if (null != summary)
        {
            summary.onRemove(entry);
        }
    }

    /**
     * Record that every sequence in {@code [fromSeq, toSeq]} is removed (a tombstone's range, replayed): what the
     * block lists there was uncounted by the caller, and damage found there later is an erasure, not a loss.
     */
    public synchronized void markDeletedRange(final long fromSeq, final long toSeq)
    {
        deleted.addRange(fromSeq, toSeq);
        final SequenceTable current = table;
        if (null != current)
        {
            for (long seq = current.nextListed(fromSeq); seq > 0 && seq <= toSeq; seq = current.nextListed(seq + 1))
            {
                current.clear(seq);
            }
        }
    }

    /**
     * Record that every message of the block is removed: it awaits deletion, and reads find nothing in it.
     *
     * @param lastSeq the block's last sequence.
     */
    public synchronized void markEmptied(final long lastSeq)
    {
        if (lastSeq >= block.baseSeq())
        {
            deleted.addRange(block.baseSeq(), lastSeq);
        }
        emptied = true;
        if (null == replaced)
        {
            replaced = table;
            table = new SequenceTable(block.baseSeq());
        }
        subjects = new BlockSubjects(false);
    }

    /**
     * Hand the block's tables to the caller to free ({@link SequenceTable#free}): the block is leaving for good and no
     * reader can hold them (see {@link MessageBlock#detachMappings}). A table not built yet has nothing to hand over.
     */
    synchronized void detachTables(final List<SequenceTable> into)
    {
        detached = true;
        if (null != table)
        {
            into.add(table);
        }
        if (null != replaced)
        {
            into.add(replaced);
            replaced = null;
        }
    }

    public boolean isEmptied()
    {
        return emptied;
    }

    /**
     * Called under the append lock after a tombstone removed messages of this block.
     *
     * @param written the stream's count of frames written, the tombstone included.
     */
    public void removedUpTo(final long written)
    {
        removalWritten = Math.max(removalWritten, written);
    }

    /**
     * @return the count of frames written that a completed force must cover before this block's file may be deleted
     * or rewritten without its removed records: until then the tombstones that removed them may be lost to a power
     * cut, and the rest of their removal (in other blocks) would come back while these records were gone. Read under
     * the append lock.
     */
    public long removalWritten()
    {
        return removalWritten;
    }

    /**
     * @return the removed sequences; read under the append lock.
     */
    public DeletedSequences deleted()
    {
        return deleted;
    }

    /**
     * Install a subject summary: a complete one for a block created or scanned whole, a partial one for a tail whose
     * older records recovery did not decode.
     */
    public void subjects(final BlockSubjects summary)
    {
        this.subjects = summary;
    }

    /**
     * @return the subject summary, building it from the block's records (decrypting them in an encrypted block) the
     * first time a filtered read needs it.
     */
    public BlockSubjects subjects(final SubjectIndex index)
    {
        final BlockSubjects summary = subjects;
        return null != summary ? summary : buildSubjects(index);
    }

    /**
     * @return the summary if one is built, else null; never builds.
     */
    public BlockSubjects subjectsIfBuilt()
    {
        return subjects;
    }

    private synchronized BlockSubjects buildSubjects(final SubjectIndex index)
    {
        if (null == subjects)
        {
            subjects = BlockSubjectsBuilder.build(block, index);
        }
        return subjects;
    }
}
