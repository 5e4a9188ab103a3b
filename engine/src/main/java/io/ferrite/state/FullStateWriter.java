package io.ferrite.state;

import io.ferrite.index.BlockIndex;
import io.ferrite.index.StreamIndex;
import io.ferrite.metrics.OperationTimer;
import io.ferrite.metrics.StoreMetrics;
import org.agrona.ExpandableDirectByteBuffer;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;
import java.util.zip.CRC32C;

import static io.ferrite.state.StateDescriptor.*;

/**
 * Writes {@code state.db} from memory only. The append lock is held just long enough to copy the off-heap block index,
 * the totals and the subject state into this writer's buffer; the file I/O (write, fsync, rename, directory fsync)
 * happens after the lock is released, so appenders never wait on the disk. The cost is a memory copy proportional to
 * the number of blocks and subjects; no block file is opened, read or decrypted.
 * <p>
 * Threading: calls are serialized by this writer's own monitor, which appenders never take.
 */
public final class FullStateWriter
{
    private final StreamDirectory directory;
    private final StreamIndex index;
    private final Lock appendLock;
    private final OperationTimer timer;
    private final StoreMetrics metrics;
    private final ExpandableDirectByteBuffer buffer = new ExpandableDirectByteBuffer(4096);
    private final CRC32C crc = new CRC32C();
    /** Null for a plaintext stream. */
    private final StateCipher cipher;
    private final byte[] salt = new byte[io.ferrite.crypto.BlockKeys.SALT_LENGTH];
    /** Where the subject section starts in the last serialized state: what follows is sealed in an encrypted one. */
    private int subjectsAt;

    public FullStateWriter(
        final StreamDirectory directory, final StreamIndex index, final Lock appendLock, final StoreMetrics metrics,
        final StateCipher cipher)
    {
        this.cipher = cipher;
        this.directory = directory;
        this.index = index;
        this.appendLock = appendLock;
        this.metrics = metrics;
        this.timer = metrics.writeFullState();
    }

    /**
     * Called, outside the append lock, with the last sequence a state is about to describe; returns once the block
     * data up to it is durable, or throws. Recovery trusts the entries of sealed blocks in {@code state.db} without
     * reading them, so a state must never reach the disk before the data it describes (see {@code AsyncFlusher}).
     */
    private java.util.function.LongConsumer durableBarrier = (seq) -> {};

    public void durableBarrier(final java.util.function.LongConsumer barrier)
    {
        this.durableBarrier = java.util.Objects.requireNonNull(barrier, "barrier");
    }

    /**
     * Change which block files exist — delete some, or replace one with a rewrite — with no {@code state.db} on disk
     * that describes the files as they were: the state is deleted first (a crash in between makes the next open
     * rebuild from the blocks, which are consistent at every step) and written again afterwards. State writes wait.
     */
    public synchronized void whileReplacingBlocks(final Runnable change)
    {
        try
        {
            java.nio.file.Files.deleteIfExists(directory.stateFile());
        }
        catch (final java.io.IOException ex)
        {
            throw new io.ferrite.store.StoreIOException("delete state before replacing blocks", directory.stateFile(), ex);
        }
        directory.sync(directory.root());
        change.run();
        write();
    }

    public synchronized void write()
    {
        final OperationTimer.Run run = timer.start();
        final int plainLength;
        final int blocks;
        final long stateSeq;
        appendLock.lock();
        try
        {
            stateSeq = index.lastSeq();
            blocks = index.blockIndex().count();
            plainLength = serialize();
        }
        finally
        {
            appendLock.unlock();
        }
        final int length = null == cipher ? plainLength : encryptSubjects(plainLength, blocks);
        sealHeader(length);
        run.endPhase(StoreMetrics.STATE_SERIALIZE);
        durableBarrier.accept(stateSeq);
        run.endPhase(StoreMetrics.STATE_BLOCKS);

        final ByteBuffer content = buffer.byteBuffer().duplicate();
        content.limit(length).position(0);
        directory.replaceAtomically(directory.stateFile(), content, (phase) ->
        {
            switch (phase)
            {
                case StreamDirectory.PhaseListener.WRITTEN -> run.endPhase(StoreMetrics.STATE_WRITE);
                case StreamDirectory.PhaseListener.SYNCED -> run.endPhase(StoreMetrics.STATE_FSYNC);
                default -> run.endPhase(StoreMetrics.STATE_RENAME);
            }
        });
        metrics.onFullStateWritten();
        run.finish("(" + length + " bytes, " + blocks + " blocks, " + directory.stateFile() + ")");
    }

    private int serialize()
    {
        final int body = HEADER_LENGTH;
        buffer.putLong(body + MSGS_OFFSET, index.msgs());
        buffer.putLong(body + BYTES_OFFSET, index.bytes());
        buffer.putLong(body + FIRST_SEQ_OFFSET, index.firstSeq());
        buffer.putLong(body + LAST_SEQ_OFFSET, index.lastSeq());
        buffer.putLong(body + FIRST_TIME_OFFSET, index.firstTime());
        buffer.putLong(body + LAST_TIME_OFFSET, index.lastTime());
        buffer.putLong(body + NEXT_BLOCK_ID_OFFSET, index.nextBlockId());
        final BlockIndex blockIndex = index.blockIndex();
        buffer.putInt(body + BLOCK_COUNT_OFFSET, blockIndex.count());
        buffer.putInt(body + SUBJECT_COUNT_OFFSET, index.subjects().size());
        final int blocksAt = body + BLOCKS_OFFSET;
        buffer.checkLimit(blocksAt + blockIndex.count() * BlockIndex.ENTRY_LENGTH);
        final int runsAt = blocksAt + blockIndex.copyTo(buffer, blocksAt);
        final int[] position = { runsAt + 8 };
        final io.ferrite.block.MessageBlock[] blocks = index.blocks();
        for (final io.ferrite.block.MessageBlock block : blocks)
        {
            block.contents().deleted().forEachRun((from, to) ->
            {
                buffer.putLong(position[0], from);
                buffer.putLong(position[0] + 8, to);
                position[0] += StateDescriptor.RUN_LENGTH;
            });
        }
        buffer.putLong(runsAt, (position[0] - runsAt - 8) / StateDescriptor.RUN_LENGTH);
        subjectsAt = position[0];
        index.subjects().forEach((subject, entry) ->
        {
            int at = position[0];
            buffer.putShort(at, (short)subject.length());
            at += 2;
            at += buffer.putStringWithoutLengthAscii(at, subject);
            buffer.putLong(at, entry.msgs());
            buffer.putLong(at + 8, entry.firstSeq());
            buffer.putLong(at + 16, entry.lastSeq());
            buffer.putByte(at + 24, (byte)((entry.firstExact() ? SUBJECT_FIRST_EXACT : 0) |
                (entry.lastExact() ? SUBJECT_LAST_EXACT : 0)));
            position[0] = at + 25;
        });
        return position[0];
    }

    /**
     * Seal the subject section, authenticating the plaintext totals and block entries before it as associated data;
     * those stay readable without the key, like block footers.
     */
    private int encryptSubjects(final int plainLength, final int blocks)
    {
        buffer.checkLimit(plainLength + io.ferrite.crypto.FrameCipher.TAG_LENGTH);
        return subjectsAt +
            cipher.seal(buffer.byteBuffer(), HEADER_LENGTH, subjectsAt, plainLength - subjectsAt, salt);
    }

    private void sealHeader(final int length)
    {
        final int bodyLength = length - HEADER_LENGTH;
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putInt(FLAGS_OFFSET, null == cipher ? 0 : FLAG_ENCRYPTED);
        buffer.putLong(BODY_LENGTH_OFFSET, bodyLength);
        buffer.putInt(BODY_CHECKSUM_OFFSET, checksum(HEADER_LENGTH, bodyLength));
        buffer.setMemory(BODY_CHECKSUM_OFFSET + 4, HEADER_CHECKSUM_OFFSET - BODY_CHECKSUM_OFFSET - 4, (byte)0);
        if (null != cipher)
        {
            buffer.putBytes(SALT_OFFSET, salt);
        }
        buffer.putInt(HEADER_CHECKSUM_OFFSET, checksum(0, HEADER_CHECKSUM_OFFSET));
    }

    private int checksum(final int offset, final int length)
    {
        final ByteBuffer view = buffer.byteBuffer().duplicate();
        view.limit(offset + length).position(offset);
        crc.reset();
        crc.update(view);
        return (int)crc.getValue();
    }
}
