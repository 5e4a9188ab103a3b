package io.ferrite.store;

import io.ferrite.block.MessageBlock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

import static io.ferrite.block.RecordDescriptor.CHECKSUM_LENGTH;
import static io.ferrite.block.RecordDescriptor.HEADER_LENGTH;

/**
 * Overwrites an erased message's subject, headers and payload (or its ciphertext) with zeros in its block file and
 * forces them (through the store's {@code StorageIO}, like every force). The header and checksum stay: the record then fails its checksum, which recovery and the tools accept
 * because a tombstone with the erase flag covers its sequence.
 */
final class MessageEraser
{
    private MessageEraser()
    {
    }

    /**
     * Called with the store's maintenance lock held, so no rewrite replaces the file meanwhile; after the tombstone is
     * durable. A block whose file already went (reclaimed) holds nothing to erase.
     */
    static void overwrite(
        final MessageBlock block, final int offset, final int frameLength, final io.ferrite.flush.StorageIO io)
    {
        if (block.isRetired())
        {
            return;
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
            throw new StoreIOException("erase message bytes", block.file(), ex);
        }
    }
}
