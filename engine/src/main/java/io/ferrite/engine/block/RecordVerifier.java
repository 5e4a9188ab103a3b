package io.ferrite.engine.block;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.Crc32c;
import io.ferrite.store.CorruptRecordException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * The one check a message record passes before anything of it is trusted — by a read, a subject scan, a removal or a
 * subject summary: it lies inside the block, its header and frame checksums verify, it holds the sequence the table
 * listed and is a message, and it is sealed exactly when its block is encrypted. A sealed body is then authenticated
 * and decrypted. Callers differ only in what they do with a record that fails: a read raises
 * {@link CorruptRecordException} with {@link #describe(int)}; a summary leaves the record out.
 * <p>
 * Allocation-free. Not thread-safe: one per reading thread, as its {@link Crc32c} and {@link RecordCipher}.
 */
public final class RecordVerifier
{
    public static final int OK = 0;
    public static final int OUTSIDE_BLOCK = 1;
    public static final int HEADER_DOES_NOT_VERIFY = 2;
    public static final int CHECKSUM_DOES_NOT_VERIFY = 3;
    public static final int OTHER_SEQUENCE = 4;
    public static final int SEALED_IN_PLAINTEXT_BLOCK = 5;
    public static final int PLAIN_IN_ENCRYPTED_BLOCK = 6;

    private final Crc32c crc = new Crc32c();
    private final RecordCipher cipher = new RecordCipher();

    /**
     * @return {@link #OK}, or which check the record at {@code offset} fails.
     */
    public int check(final MessageBlock block, final UnsafeBuffer buffer, final int offset, final long seq)
    {
        if (offset < BlockDescriptor.DATA_OFFSET || offset > buffer.capacity() - HEADER_LENGTH)
        {
            return OUTSIDE_BLOCK;
        }
        final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
        if (frameLength < MIN_FRAME_LENGTH || frameLength > buffer.capacity() - offset ||
            crc.compute(block.mapped(), offset, HEADER_CHECKSUM_OFFSET) !=
                buffer.getInt(offset + HEADER_CHECKSUM_OFFSET))
        {
            return HEADER_DOES_NOT_VERIFY;
        }
        // The frame checksum goes on from the header's: the header is not read twice.
        if (crc.extend(offset + HEADER_CHECKSUM_OFFSET, frameLength - CHECKSUM_LENGTH - HEADER_CHECKSUM_OFFSET) !=
            buffer.getInt(checksumOffset(offset, frameLength)))
        {
            return CHECKSUM_DOES_NOT_VERIFY;
        }
        if (buffer.getLong(offset + SEQUENCE_OFFSET) != seq || buffer.getByte(offset + TYPE_OFFSET) != TYPE_MESSAGE)
        {
            return OTHER_SEQUENCE;
        }
        final boolean sealed = (buffer.getByte(offset + FLAGS_OFFSET) & FLAG_ENCRYPTED) != 0;
        if (sealed != block.isEncrypted())
        {
            return sealed ? SEALED_IN_PLAINTEXT_BLOCK : PLAIN_IN_ENCRYPTED_BLOCK;
        }
        return OK;
    }

    /**
     * For a record that passed {@link #check}: the plaintext record, the block's own buffer (at {@code offset}) or,
     * in an encrypted block, the authenticated and decrypted copy (at index 0).
     *
     * @throws CorruptRecordException when the sealed body does not authenticate.
     */
    public DirectBuffer open(final MessageBlock block, final UnsafeBuffer buffer, final int offset, final long seq)
    {
        return block.isEncrypted() ? cipher.open(block.key(), block.mapped(), buffer, offset, seq, block.file()) :
            buffer;
    }

    /**
     * @return the plaintext record as {@link #open} returns it, or null when it fails any check or authentication.
     */
    public DirectBuffer verifiedOrNull(
        final MessageBlock block, final UnsafeBuffer buffer, final int offset, final long seq)
    {
        if (check(block, buffer, offset, seq) != OK)
        {
            return null;
        }
        try
        {
            return open(block, buffer, offset, seq);
        }
        catch (final CorruptRecordException ex)
        {
            return null;
        }
    }

    /**
     * @return what a failed {@link #check} means, for the exception a read raises.
     */
    public static String describe(final int problem)
    {
        return switch (problem)
        {
            case OUTSIDE_BLOCK -> "record lies outside the block's data";
            case HEADER_DOES_NOT_VERIFY -> "record header does not verify";
            case CHECKSUM_DOES_NOT_VERIFY -> "record checksum does not verify";
            case OTHER_SEQUENCE -> "record at this offset holds another sequence, or is not a message";
            case SEALED_IN_PLAINTEXT_BLOCK -> "encrypted record in a plaintext block";
            case PLAIN_IN_ENCRYPTED_BLOCK -> "plaintext record in an encrypted block";
            default -> "record does not verify (check " + problem + ")";
        };
    }
}
