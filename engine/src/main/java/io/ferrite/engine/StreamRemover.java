package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.MessageFacts;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.DeletedSequences;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.index.Subjects;
import io.ferrite.store.CorruptRecordException;

import java.util.List;

/**
 * Removes messages: one ({@code remove}, {@code erase}), by subject ({@code purge(filter, upToSeq, keep)}), below a
 * sequence ({@code compact}) or all ({@code purge}). Each removal is first written as a tombstone at the end of the
 * stream, so it survives a crash and the loss of {@code state.db}, then applied to the index; blocks left without
 * messages are handed to the {@link Reclaimer}.
 * <p>
 * Threading: every method runs under the append lock, which the caller holds.
 */
final class StreamRemover
{
    private final StreamIndex index;
    private final StreamWriter writer;
    private final StreamReader reader;
    private final MessageFacts facts = new MessageFacts();
    private Reclaimer reclaimer;

    StreamRemover(final StreamIndex index, final StreamWriter writer, final StreamReader reader)
    {
        this.index = index;
        this.writer = writer;
        this.reader = reader;
    }

    void reclaimer(final Reclaimer reclaimer)
    {
        this.reclaimer = reclaimer;
    }

    /**
     * @return where the removed record lies (block position in the high 32 bits is not kept: the record offset), or
     * -1 when no message is stored at {@code seq}.
     */
    int remove(final long seq, final long flags)
    {
        if (seq > index.lastSeq())
        {
            return -1;
        }
        final int position = index.positionFor(seq);
        if (position < 0)
        {
            return -1;
        }
        final int offset = index.blocks()[position].table().get(seq);
        if (offset == 0)
        {
            return -1;
        }
        writer.writeTombstone(seq, seq, flags);
        uncount(position, seq, offset);
        writer.listeners().onRemoved(seq);
        return offset;
    }

    /**
     * Apply the removal of the message at {@code seq}, already recorded by a tombstone, to the index.
     */
    private void uncount(final int position, final long seq, final int offset)
    {
        final MessageBlock block = index.blocks()[position];
        if (!facts.read(block, offset, seq))
        {
            throw new CorruptRecordException("cannot remove a message whose record does not verify", block.file(),
                offset, seq);
        }
        final SubjectIndex.Entry entry = index.subjects().get(facts.subject());
        if (null == entry)
        {
            throw new IllegalStateException("subject '" + facts.subject() + "' of seq " + seq + " in " + block.file() +
                " is not counted");
        }
        index.onRemove(position, seq, entry, facts.messageBytes());
        block.contents().removedUpTo(writer.written());
        if (index.blockIndex().msgs(position) == 0 && position < index.blockCount() - 1)
        {
            reclaimer.onBlockEmptied();
        }
        else
        {
            reclaimer.onRemoval(position);
        }
    }

    /**
     * Remove the stream's first message.
     */
    void removeFirst()
    {
        remove(index.firstSeq(), 0);
    }

    /**
     * Remove every message below {@code seq}: one range tombstone, whole blocks uncounted from their subject
     * summaries, the block holding {@code seq} message by message.
     *
     * @return messages removed.
     */
    long compact(final long seq)
    {
        final long first = index.firstSeq();
        if (index.msgs() == 0 || seq <= first)
        {
            return moveSequenceTo(seq);
        }
        if (seq > index.lastSeq())
        {
            final long removed = purge(Math.max(seq, index.lastSeq() + 1));
            return removed;
        }
        final long before = index.msgs();
        writer.writeTombstone(first, seq - 1, 0);
        final BlockIndex entries = index.blockIndex();
        for (int position = 0; position < index.blockCount() && index.blocks()[position].baseSeq() < seq; position++)
        {
            final MessageBlock block = index.blocks()[position];
            if (entries.msgs(position) == 0)
            {
                continue;
            }
            final boolean whole = entries.lastSeq(position) < seq && position < index.blockCount() - 1;
            if (whole && dropWhole(position))
            {
                continue;
            }
            final SequenceTable table = block.table();
            for (long s = table.nextListed(Math.max(first,
                block.baseSeq())); s > 0 && s < seq; s = table.nextListed(s + 1))
            {
                uncount(position, s, table.get(s));
            }
        }
        index.refreshFirst(seq);
        writer.listeners().onRemovedRange(first, seq - 1);
        return before - index.msgs();
    }

    /**
     * Uncount every message of the block at {@code position} from its subject summary, without reading a record.
     *
     * @return false when the summary cannot say (a partial one): the caller goes message by message.
     */
    private boolean dropWhole(final int position)
    {
        final MessageBlock block = index.blocks()[position];
        final BlockSubjects summary = block.contents().subjects(index.subjects());
        if (summary.isPartial())
        {
            return false;
        }
        final long lastSeq = index.blockIndex().lastSeq(position);
        final BlockSubjects.Columns columns = summary.columns();
        for (int i = 0, size = summary.size(); i < size; i++)
        {
            final SubjectIndex.Entry entry = columns.entry(i);
            final int count = columns.count(i);
            if (count > 0 && !entry.isRemoved())
            {
                index.subjects().onRemoveMany(entry, count, lastSeq);
            }
        }
        index.onEmptied(position);
        block.contents().removedUpTo(writer.written());
        reclaimer.onBlockEmptied();
        return true;
    }

    /**
     * Remove every message; the next sequence becomes {@code nextSeq} (at least the current next).
     *
     * @return messages removed.
     */
    long purge(final long nextSeq)
    {
        final long removed = index.msgs();
        final long lastSeq = index.lastSeq();
        final long first = index.firstSeq();
        writer.rollAt(nextSeq);
        if (nextSeq - 1 > lastSeq)
        {
            index.onSkip(nextSeq - 1);
        }
        if (removed > 0)
        {
            writer.writeTombstone(first, lastSeq, 0);
        }
        for (int position = 0; position < index.blockCount() - 1; position++)
        {
            if (index.blockIndex().msgs(position) > 0 || !index.blocks()[position].contents().isEmptied())
            {
                index.onEmptied(position);
                index.blocks()[position].contents().removedUpTo(writer.written());
            }
        }
        index.subjects().clear();
        index.recount(0, 0, index.lastSeq(), index.lastTime());
        index.publish();
        reclaimer.onBlockEmptied();
        if (removed > 0)
        {
            writer.listeners().onRemovedRange(first, lastSeq);
        }
        return removed;
    }

    /**
     * With no message below {@code seq}: when {@code seq} is past the next sequence, make it the next one.
     */
    private long moveSequenceTo(final long seq)
    {
        if (seq > index.lastSeq() + 1)
        {
            return purge(seq);
        }
        return 0;
    }

    /**
     * Remove the messages matching {@code filter} below {@code upToSeq} (0: no bound), except the newest {@code keep}
     * matching messages of the stream.
     *
     * @return messages removed.
     */
    long purge(final String filter, final long upToSeq, final long keep)
    {
        if (Subjects.matchesAll(filter) && upToSeq == 0 && keep == 0)
        {
            return purge(index.lastSeq() + 1);
        }
        long bound = upToSeq == 0 ? index.lastSeq() : Math.min(upToSeq - 1, index.lastSeq());
        if (keep > 0)
        {
            long kept = 0;
            long seq = index.lastSeq() + 1;
            final StreamReader.Context context = reader.context();
            while (kept < keep && (seq = reader.scan().findPrevious(filter, seq - 1, context)) > 0)
            {
                kept++;
            }
            if (kept < keep || seq <= 0)
            {
                return 0;
            }
            bound = Math.min(bound, seq - 1);
        }
        long removed = 0;
        final StreamReader.Context context = reader.context();
        long from = index.firstSeq();
        while (from <= bound)
        {
            final long seq = reader.scan().findNext(filter, from, bound, context);
            if (seq < 0)
            {
                break;
            }
            remove(seq, 0);
            removed++;
            from = seq + 1;
        }
        return removed;
    }

    /**
     * Before files go, write again at the end of the stream the removals of older blocks whose tombstones they may
     * hold. Called under the append lock.
     *
     * @return whether anything was written (and must be forced before the files go).
     */
    boolean rehomeTombstones(final List<MessageBlock> leaving)
    {
        int newestLeaving = -1;
        for (final MessageBlock block : leaving)
        {
            if (block.holdsTombstones())
            {
                newestLeaving = Math.max(newestLeaving, index.positionOf(block));
            }
        }
        return newestLeaving >= 0 && rewriteRemovalsBefore(newestLeaving, leaving);
    }

    /**
     * Write tombstones for the removed sequences of every block before {@code position} that stays. Called under the
     * append lock.
     * <p>
     * An emptied block that is not leaving now stays too: it awaits deletion, but a later pass deletes it (and
     * {@code state.db} first), so until then its removals must be in a block that survives. Skipping it, as this did,
     * let a pass delete (or a truncation cut) the tombstones of an emptied block still unforced or open, and a crash
     * in a later pass, with {@code state.db} set aside, brought its removed messages back.
     */
    boolean rewriteRemovalsBefore(final int position, final List<MessageBlock> leaving)
    {
        final MessageBlock[] blocks = index.blocks();
        final boolean[] wrote = { false };
        for (int p = 0; p < position; p++)
        {
            final DeletedSequences deleted = blocks[p].contents().deleted();
            if (leaving.contains(blocks[p]) || deleted.isEmpty())
            {
                continue;
            }
            deleted.forEachRun((from, to) ->
            {
                writer.writeTombstone(from, to, 0);
                wrote[0] = true;
            });
        }
        return wrote[0];
    }
}
