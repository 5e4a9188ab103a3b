package io.ferrite.engine;

import io.ferrite.engine.block.BlockRetiredException;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.RecordVerifier;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.index.Subjects;
import io.ferrite.store.CommitOutcomeUnknownException;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.SyncMode;
import org.agrona.AsciiSequenceView;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * The read path. Lock-free: a reader acquires the published last sequence, finds the block by binary search over the
 * copy-on-write block array, the record by its block's sequence table, and verifies both checksums before handing out
 * a byte. Each thread keeps its own flyweights, so {@link #read} allocates nothing while consecutive reads stay within
 * one block; a read made inside a handler on the same thread takes flyweights of its own ({@link #context()}), so the
 * handler's view stays on its message.
 * <p>
 * In {@link SyncMode#ALWAYS} mode a reader sees nothing beyond the flusher's durable sequence ({@link #horizon()}):
 * an appender is told its commit succeeded only once it is durable, so a reader must not act on a message that is
 * not, or that its writer is later told failed (see {@link CommitOutcomeUnknownException}). The other modes promise
 * no durability to appenders and show every published record, as before. Internal scans (removals, retention,
 * queries, under the append lock) are not bound by the horizon: they act on what the stream holds.
 */
final class StreamReader
{
    /** How often a lookup is retried when removals keep racing with it before it answers "none". */
    private static final int MAX_LOOKUP_ATTEMPTS = 64;

    private final StreamIndex index;
    private final ThreadLocal<Context> contexts = ThreadLocal.withInitial(Context::new);
    private final SubjectScan scan;
    /** Null unless the stream is in {@code ALWAYS} mode: then its durable sequence bounds what readers see. */
    private final AsyncFlusher durableOnly;

    /**
     * @param durableOnly the store's flusher when readers must see only durable records ({@code ALWAYS}), else null.
     */
    StreamReader(final StreamIndex index, final AsyncFlusher durableOnly)
    {
        this.index = index;
        this.scan = new SubjectScan(index);
        this.durableOnly = durableOnly;
    }

    /**
     * @return the highest sequence readers may see: the published last sequence, and in {@code ALWAYS} mode no more
     * than the durable sequence. The durable sequence is a volatile written by the flusher after its force, which
     * captured under the append lock what it forced, so every record up to it is visible to a thread that read it.
     */
    long horizon()
    {
        final long published = index.publishedLastSeq();
        return null == durableOnly ? published : Math.min(published, durableOnly.durableSeq());
    }

    /**
     * @return the filtered searches, for removals, retention and queries.
     */
    SubjectScan scan()
    {
        return scan;
    }

    StoredMessage load(final long seq)
    {
        final Context context = context();
        final MessageBlock block = locate(seq, context);
        return null == block ? null : context.view.toStoredMessage();
    }

    boolean read(final long seq, final MessageHandler handler)
    {
        final Context own = contexts.get();
        final Context context = own.atDepth(own.insideHandlers);
        final MessageBlock block = locate(seq, context);
        if (null == block)
        {
            return false;
        }
        own.insideHandlers++;
        try
        {
            handler.onMessage(context.view);
        }
        finally
        {
            own.insideHandlers--;
        }
        return true;
    }

    StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        requirePositive(fromSeq, "fromSeq");
        final Context context = context();
        final long seq = scan.findNext(filter, fromSeq, horizon(), context);
        return seq < 0 ? null : context.view.wrap(context.recordBuffer, context.recordOffset).toStoredMessage();
    }

    /**
     * @return the last message whose subject matches, found from the subject index; a removal that took a subject's
     * last message leaves an upper bound there, resolved here by searching back from it.
     */
    StoredMessage loadLast(final String subject)
    {
        Subjects.validateFilter(subject);
        final boolean literal = Subjects.isLiteral(subject);
        // Retried when a removal races with the lookup: the sequence found may be gone (or, for an instant, a bound
        // of another subject's) by the time it is loaded.
        for (int attempt = 0; attempt < MAX_LOOKUP_ATTEMPTS; attempt++)
        {
            final SubjectIndex.Entry entry = literal ? index.subjects().get(subject) : null;
            if (literal && null == entry)
            {
                return null;
            }
            final long last = literal ? entry.lastSeq() : index.subjects().lastSeqMatching(subject);
            if (last <= 0)
            {
                return null;
            }
            // ALWAYS: the subject's last message may not be durable yet; the last one readers may see is found below.
            final long horizon = horizon();
            final boolean beyond = last > horizon;
            final long seq = literal && entry.lastExact() && !beyond ? last :
                scan.findPrevious(subject, beyond ? horizon : last, context());
            final StoredMessage message = seq <= 0 ? null : load(seq);
            if (null != message && Subjects.matches(subject, message.subject()))
            {
                return message;
            }
            if (seq <= 0 && (beyond || !literal && index.subjects().lastSeqMatching(subject) == last))
            {
                return null;
            }
        }
        return null;
    }

    /**
     * @return the newest message at or before {@code seq} whose subject matches; a removal racing with the lookup
     * makes it look again, further back.
     */
    StoredMessage loadPrev(final String filter, final long seq)
    {
        Subjects.validateFilter(filter);
        requirePositive(seq, "seq");
        for (int attempt = 0; attempt < MAX_LOOKUP_ATTEMPTS; attempt++)
        {
            final long found = scan.findPrevious(filter, Math.min(seq, horizon()), context());
            if (found <= 0)
            {
                return null;
            }
            final StoredMessage message = load(found);
            if (null != message && Subjects.matches(filter, message.subject()))
            {
                return message;
            }
        }
        return null;
    }

    /**
     * @return the context a read may use now: this thread's own, or inside handlers of the store the one at that depth,
     * created at the first such read and kept. A read's handler holds its context's view (and the record decrypted
     * under it), and a read it makes must not re-point them.
     */
    Context context()
    {
        final Context own = contexts.get();
        return own.atDepth(own.insideHandlers);
    }

    /**
     * @return this thread's own context, which counts the store's handlers the thread is inside.
     */
    Context threadContext()
    {
        return contexts.get();
    }

    /**
     * Find and verify {@code seq}, leaving the context's view on it.
     *
     * @return the block holding it, or null when no message is stored there.
     */
    private MessageBlock locate(final long seq, final Context context)
    {
        requirePositive(seq, "seq");
        if (seq > horizon())
        {
            return null;
        }
        final MessageBlock block = index.blockFor(seq);
        if (null == block)
        {
            return null;
        }
        try
        {
            final int offset = block.table().get(seq);
            if (offset == 0)
            {
                return null;
            }
            final UnsafeBuffer buffer = block.buffer();
            if (!verifyListed(block, buffer, offset, seq, context))
            {
                return null;
            }
        }
        catch (final BlockRetiredException ex)
        {
            // Reclaimed after the lookup: its messages were removed, or moved to a rewrite the index holds by now.
            final MessageBlock current = SubjectScan.awaitReplaced(index, block, seq);
            return null == current ? null : locate(seq, context);
        }
        context.view.wrap(context.recordBuffer, context.recordOffset);
        return block;
    }

    /**
     * Verify a record the table listed. If it does not verify because it was erased after the lookup (the table no
     * longer lists it), it is simply gone.
     *
     * @return false when the message was removed meanwhile.
     * @throws CorruptRecordException when it is still listed and does not verify.
     */
    static boolean verifyListed(
        final MessageBlock block, final UnsafeBuffer buffer, final int offset, final long seq, final Context context)
    {
        try
        {
            verify(block, buffer, offset, seq, context);
            return true;
        }
        catch (final CorruptRecordException ex)
        {
            if (block.table().get(seq) == 0)
            {
                return false;
            }
            throw ex;
        }
    }

    static boolean matchesSubject(
        final String filter, final DirectBuffer buffer, final int offset, final AsciiSequenceView view)
    {
        final int length = buffer.getShort(offset + SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        if (subjectOffset(offset) + length > buffer.capacity())
        {
            return true;
        }
        return Subjects.matches(filter, view.wrap(buffer, subjectOffset(offset), length));
    }

    /**
     * Verify the record's checksums (and, in an encrypted block, authenticate and decrypt its body), leaving the
     * plaintext record in {@code context.recordBuffer} at {@code context.recordOffset}.
     */
    static void verify(
        final MessageBlock block, final UnsafeBuffer buffer, final int offset, final long seq, final Context context)
    {
        final int problem = context.verifier.check(block, buffer, offset, seq);
        if (problem != RecordVerifier.OK)
        {
            throw new CorruptRecordException(problem == RecordVerifier.OTHER_SEQUENCE ?
                "record at this offset holds sequence " + buffer.getLong(offset + SEQUENCE_OFFSET) :
                RecordVerifier.describe(problem), block.file(), offset, seq);
        }
        context.recordBuffer = context.verifier.open(block, buffer, offset, seq);
        context.recordOffset = block.isEncrypted() ? 0 : offset;
    }

    static void requirePositive(final long seq, final String name)
    {
        if (seq < 1)
        {
            throw new IllegalArgumentException(name + " must be >= 1: " + seq);
        }
    }

    static final class Context
    {
        final long[] range = new long[2];
        final RecordVerifier verifier = new RecordVerifier();
        final MessageView view = new MessageView();
        final AsciiSequenceView subject = new AsciiSequenceView();
        DirectBuffer recordBuffer;
        int recordOffset;
        /**
         * In a thread's own context ({@link #threadContext()}): how many of the store's handlers (a read's, a tailer's,
         * a snapshot's channel) the thread is inside now, each inside the read gate; such a thread must not wait for a
         * grace period of the gate, which would wait for it. Kept here because the read path has this context in hand
         * already: counting costs it no lookup. It is also the depth whose context a read takes ({@link #atDepth}).
         */
        int insideHandlers;
        /** The context of reads one handler deeper: created at the first such read on the thread, and kept. */
        private Context deeper;

        /**
         * @return this context for depth 0, else the one {@code depth} levels below it.
         */
        private Context atDepth(final int depth)
        {
            Context context = this;
            for (int level = 0; level < depth; level++)
            {
                if (null == context.deeper)
                {
                    context.deeper = new Context();
                }
                context = context.deeper;
            }
            return context;
        }
    }
}
