package io.ferrite.engine.state;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.index.BlockIndex;
import io.ferrite.format.BlockEntryDescriptor;
import io.ferrite.format.StateDescriptor;
import org.agrona.ExpandableDirectByteBuffer;

import static io.ferrite.format.StateDescriptor.*;

/**
 * The stream's in-memory state serialized as the body of a {@code state.db} ({@link StateDescriptor}), as of one
 * moment: totals, block entries, removed runs and subjects, in plaintext, with room left in front for the header. The
 * {@link FullStateWriter} captures one under the append lock, seals a copy and writes it; the capture is the only
 * part of a state write that appenders wait for, and costs a memory copy proportional to blocks and subjects.
 * <p>
 * Each image carries what the writer needs to decide whether it may be written: its {@link #version()} (captures are
 * numbered in the order they were taken, so an older image never overwrites a newer one on disk), the writer's
 * generation of block files when it was taken (an image of files since deleted or rewritten must never be written)
 * and the state-write request it answers.
 * <p>
 * Not thread-safe: one owner at a time, handed over under a lock (see {@link FullStateWriter}).
 */
final class StateImage
{
    /** Initial buffer: a state of a few blocks and subjects fits without growing. */
    private static final int INITIAL_CAPACITY = 4096;

    private final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(INITIAL_CAPACITY);
    private int length;
    private int subjectsAt;
    private int blocks;
    private long lastSeq;
    private long version;
    private long generation;
    private long request;

    /**
     * Serialize {@code index} into this image. Called with the append lock held, so nothing moves under the copy.
     *
     * @param version    this capture's number, from a counter advanced under the same lock.
     * @param generation the writer's block-file generation at this moment.
     * @param request    the newest state-write request this capture answers.
     */
    void capture(final StreamIndex index, final long version, final long generation, final long request)
    {
        this.version = version;
        this.generation = generation;
        this.request = request;
        this.lastSeq = index.lastSeq();
        final int body = HEADER_LENGTH;
        buffer.putLong(body + MSGS_OFFSET, index.msgs());
        buffer.putLong(body + BYTES_OFFSET, index.bytes());
        buffer.putLong(body + FIRST_SEQ_OFFSET, index.firstSeq());
        buffer.putLong(body + LAST_SEQ_OFFSET, index.lastSeq());
        buffer.putLong(body + FIRST_TIME_OFFSET, index.firstTime());
        buffer.putLong(body + LAST_TIME_OFFSET, index.lastTime());
        buffer.putLong(body + NEXT_BLOCK_ID_OFFSET, index.nextBlockId());
        final BlockIndex blockIndex = index.blockIndex();
        blocks = blockIndex.count();
        buffer.putInt(body + BLOCK_COUNT_OFFSET, blocks);
        buffer.putInt(body + SUBJECT_COUNT_OFFSET, index.subjects().size());
        final int blocksAt = body + BLOCKS_OFFSET;
        buffer.checkLimit(blocksAt + blocks * BlockEntryDescriptor.ENTRY_LENGTH);
        final int runsAt = blocksAt + blockIndex.copyTo(buffer, blocksAt);
        length = runsAt + 8;
        for (final MessageBlock block : index.blocks())
        {
            block.contents().deleted().forEachRun(this::putRun);
        }
        buffer.putLong(runsAt, (length - runsAt - 8) / RUN_LENGTH);
        subjectsAt = length;
        index.subjects().forEach((subject, entry) ->
        {
            int at = length;
            buffer.putShort(at, (short)subject.length());
            at += 2;
            at += buffer.putStringWithoutLengthAscii(at, subject);
            buffer.putLong(at, entry.msgs());
            buffer.putLong(at + 8, entry.firstSeq());
            buffer.putLong(at + 16, entry.lastSeq());
            buffer.putByte(at + 24, (byte)((entry.firstExact() ? SUBJECT_FIRST_EXACT : 0) |
                (entry.lastExact() ? SUBJECT_LAST_EXACT : 0)));
            length = at + 25;
        });
    }

    private void putRun(final long from, final long to)
    {
        buffer.putLong(length, from);
        buffer.putLong(length + 8, to);
        length += RUN_LENGTH;
    }

    /**
     * Make this image a copy of {@code other}: a memory copy of its bytes and fields.
     */
    void copyFrom(final StateImage other)
    {
        buffer.checkLimit(other.length);
        buffer.putBytes(0, other.buffer, 0, other.length);
        length = other.length;
        subjectsAt = other.subjectsAt;
        blocks = other.blocks;
        lastSeq = other.lastSeq;
        version = other.version;
        generation = other.generation;
        request = other.request;
    }

    /**
     * @return the buffer: the header (to be written by the sealer) then the body.
     */
    ExpandableDirectByteBuffer buffer()
    {
        return buffer;
    }

    /** @return the end of the plaintext body. */
    int length()
    {
        return length;
    }

    /** @return where the subject section starts: what follows is sealed in an encrypted stream. */
    int subjectsAt()
    {
        return subjectsAt;
    }

    /** @return the number of block entries. */
    int blocks()
    {
        return blocks;
    }

    /** @return the stream's last sequence when the image was taken. */
    long lastSeq()
    {
        return lastSeq;
    }

    /** @return the capture's number; 0 for an image never captured. */
    long version()
    {
        return version;
    }

    /** @return the writer's block-file generation when the image was taken. */
    long generation()
    {
        return generation;
    }

    /** @return the newest state-write request the capture answered. */
    long request()
    {
        return request;
    }
}
