package io.ferrite.engine.consumer;

import io.ferrite.crypto.FrameCipher;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.store.ConsumerState;
import io.ferrite.store.CorruptFileException;
import io.ferrite.store.StoreIOException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads and writes one consumer state file ({@link ConsumerStateDescriptor}): always whole, through a temp file,
 * force, rename and directory force, so a crash leaves the old state or the new one, never a mix. In an encrypted
 * stream the body is sealed with a {@link StateCipher}.
 */
public final class ConsumerStateFile
{
    private ConsumerStateFile()
    {
    }

    /**
     * Replace {@code file} with {@code encoded}, sealed when {@code cipher} is given (not thread-safe: one caller per
     * cipher at a time).
     */
    static void write(
        final StreamDirectory directory, final Path file, final String name, final byte[] encoded,
        final StateCipher cipher)
    {
        directory.replaceAtomically(file, ByteBuffer.wrap(image(name, encoded, cipher)), null);
    }

    /**
     * @return the whole file for {@code encoded}: header, body (sealed when {@code cipher} is given), checksum.
     */
    public static byte[] image(final String name, final byte[] encoded, final StateCipher cipher)
    {
        if (encoded.length > ConsumerStateDescriptor.MAX_BODY_LENGTH - FrameCipher.TAG_LENGTH)
        {
            throw new IllegalStateException("consumer '" + name + "': its state encodes to " + encoded.length +
                " bytes, more than a state file holds (" + ConsumerStateDescriptor.MAX_BODY_LENGTH + "): too many " +
                "messages pending acknowledgement");
        }
        if (null == cipher)
        {
            final byte[] file = new byte[ConsumerStateDescriptor.fileLength(encoded.length)];
            ConsumerStateDescriptor.putHeader(file, 0, encoded.length, null);
            System.arraycopy(encoded, 0, file, ConsumerStateDescriptor.HEADER_LENGTH, encoded.length);
            ConsumerStateDescriptor.putChecksum(file);
            return file;
        }
        final int sealedLength = FrameCipher.sealedLength(encoded.length);
        final byte[] file = new byte[ConsumerStateDescriptor.fileLength(sealedLength)];
        ConsumerStateDescriptor.putHeader(file, ConsumerStateDescriptor.FLAG_SEALED, sealedLength, null);
        System.arraycopy(encoded, 0, file, ConsumerStateDescriptor.HEADER_LENGTH, encoded.length);
        final byte[] salt = new byte[ConsumerStateDescriptor.SALT_LENGTH];
        cipher.seal(ByteBuffer.wrap(file), ConsumerStateDescriptor.associatedData(name, file),
            ConsumerStateDescriptor.HEADER_LENGTH, encoded.length, salt);
        System.arraycopy(salt, 0, file, ConsumerStateDescriptor.SALT_OFFSET, salt.length);
        ConsumerStateDescriptor.putChecksum(file);
        return file;
    }

    /**
     * @return the state in {@code file}, opened with {@code cipher} when the stream is encrypted.
     * @throws CorruptFileException naming the file, when it is damaged, does not authenticate, or is plaintext in an
     *                              encrypted stream: the ack floor is unknown, so nothing is guessed.
     * @throws StoreIOException     when it cannot be read.
     */
    public static ConsumerState read(final Path file, final String name, final StateCipher cipher)
    {
        final byte[] bytes;
        try
        {
            bytes = readBytes(file);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read consumer state", file, ex);
        }
        return decode(file, name, bytes, cipher);
    }

    /**
     * @return the whole of {@code file}, once its size is known to be one a state file can have.
     * @throws CorruptFileException naming the file, when it is longer than any state file
     *                              ({@link ConsumerStateDescriptor#MAX_FILE_LENGTH}): refused before it is allocated.
     * @throws IOException          when it cannot be read ({@link java.nio.file.NoSuchFileException} when it is gone).
     */
    public static byte[] readBytes(final Path file) throws IOException
    {
        // The size first: a file longer than any state could be (a hostile or garbled one) is refused before its
        // bytes are allocated.
        final long size = Files.size(file);
        if (size > ConsumerStateDescriptor.MAX_FILE_LENGTH)
        {
            throw tooLong(file, size);
        }
        final byte[] bytes = Files.readAllBytes(file);
        if (bytes.length > ConsumerStateDescriptor.MAX_FILE_LENGTH)
        {
            // Grown between the size check and the read.
            throw tooLong(file, bytes.length);
        }
        return bytes;
    }

    /**
     * @return the state the bytes {@code bytes} of {@code file} hold, opened with {@code cipher} when the stream is
     * encrypted: what {@link #read} does once the file is read, for a reader that has its bytes already.
     * @throws CorruptFileException as {@link #read} does.
     */
    public static ConsumerState decode(
        final Path file, final String name, final byte[] bytes, final StateCipher cipher)
    {
        final int problem = ConsumerStateDescriptor.checkFile(bytes);
        if (problem != ConsumerStateDescriptor.OK)
        {
            throw new CorruptFileException("consumer state file is damaged (" +
                ConsumerStateDescriptor.describe(problem) + "): its ack floor is unknown, so the consumer is not " +
                "opened (deleteConsumer starts it again)", file, 0);
        }
        final boolean sealed = ConsumerStateDescriptor.sealed(bytes);
        if (sealed != (null != cipher))
        {
            throw new CorruptFileException(sealed ? "consumer state is sealed, but the stream is not encrypted" :
                "consumer state is plaintext in an encrypted stream (replaced or downgraded)", file,
                ConsumerStateDescriptor.FLAGS_OFFSET);
        }
        final int bodyLength = ConsumerStateDescriptor.bodyLength(bytes);
        final byte[] encoded;
        if (sealed)
        {
            if (bodyLength < FrameCipher.TAG_LENGTH)
            {
                throw new CorruptFileException("sealed consumer state of " + bodyLength + " bytes is shorter than " +
                    "its tag", file, ConsumerStateDescriptor.BODY_LENGTH_OFFSET);
            }
            encoded = cipher.open(file, bytes, ConsumerStateDescriptor.associatedData(name, bytes),
                ConsumerStateDescriptor.HEADER_LENGTH, bodyLength, ConsumerStateDescriptor.salt(bytes));
        }
        else
        {
            encoded = new byte[bodyLength];
            System.arraycopy(bytes, ConsumerStateDescriptor.HEADER_LENGTH, encoded, 0, bodyLength);
        }
        try
        {
            return ConsumerState.decode(encoded);
        }
        catch (final ConsumerStateDescriptor.MalformedException ex)
        {
            throw new CorruptFileException("consumer state does not decode: " + ex.getMessage() + " of the body",
                file, ConsumerStateDescriptor.HEADER_LENGTH + (sealed ? 0 : ex.offset()));
        }
    }

    private static CorruptFileException tooLong(final Path file, final long size)
    {
        return new CorruptFileException("consumer state file is damaged (" + size + " bytes, more than the " +
            ConsumerStateDescriptor.MAX_FILE_LENGTH + " a state file may hold): its ack floor is unknown, so the " +
            "consumer is not opened (deleteConsumer starts it again)", file, 0);
    }
}
