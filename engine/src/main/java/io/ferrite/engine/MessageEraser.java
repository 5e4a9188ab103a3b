package io.ferrite.engine;

import io.ferrite.engine.block.MessageBlock;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.StorageIO;
import io.ferrite.store.StoreIOException;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

import static io.ferrite.format.RecordDescriptor.CHECKSUM_LENGTH;
import static io.ferrite.format.RecordDescriptor.FRAME_LENGTH_OFFSET;
import static io.ferrite.format.RecordDescriptor.HEADER_LENGTH;
import static io.ferrite.format.RecordDescriptor.SEQUENCE_OFFSET;
import static io.ferrite.format.RecordDescriptor.TYPE_MESSAGE;
import static io.ferrite.format.RecordDescriptor.TYPE_OFFSET;

/**
 * Overwrites an erased message's subject, headers and payload (or its ciphertext) with zeros in its block file and
 * forces them (through the store's {@code StorageIO}, like every force). The header and checksum stay: the record then
 * fails its checksum, which recovery and the tools accept because a tombstone with the erase flag covers its sequence.
 */
final class MessageEraser
{
    private MessageEraser()
    {
    }

    /**
     * Called with the store's maintenance lock held, so no rewrite replaces the file meanwhile; after the tombstone is
     * durable, and once every reader that may hold the record has left (a grace period of the read gate): a handler's
     * flyweight over a plaintext record reads these very bytes. A block whose file already went (reclaimed) holds
     * nothing to erase.
     */
    static void overwrite(
        final MessageBlock block, final int offset, final long seq, final StorageIO io)
    {
        if (block.isRetired())
        {
            return;
        }
        final DirectBuffer buffer = block.buffer();
        if (offset < BlockDescriptor.DATA_OFFSET || offset + HEADER_LENGTH > block.limit() ||
            buffer.getByte(offset + TYPE_OFFSET) != TYPE_MESSAGE || buffer.getLong(offset + SEQUENCE_OFFSET) != seq)
        {
            // Not the record any more (cut by a truncation, or recovery set the region aside): nothing of it left.
            return;
        }
        final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
        if (frameLength < HEADER_LENGTH + CHECKSUM_LENGTH || offset + frameLength > block.limit())
        {
            throw new CorruptRecordException("erase: the record's frame length " + frameLength +
                " does not fit its block",
                block.file(), offset, seq);
        }
        final int bodyLength = frameLength - HEADER_LENGTH - CHECKSUM_LENGTH;
        try (FileChannel channel = FileChannel.open(block.file(), StandardOpenOption.WRITE))
        {
            final ByteBuffer zeros = ByteBuffer.allocate(bodyLength);
            long at = offset + HEADER_LENGTH;
            while (zeros.hasRemaining())
            {
                at += channel.write(zeros, at);
            }
            io.forceFile(block.file(), channel);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("erase message bytes of seq " + seq + " at offset " + offset, block.file(), ex);
        }
    }
}
