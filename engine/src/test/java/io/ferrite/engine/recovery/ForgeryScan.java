package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.FuzzGolden;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;
import io.ferrite.store.StoredMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Tells damage from forgery. CRC32C guards block headers, records and {@code state.db} against accidents, not against
 * someone who recomputes it — and a coverage-guided fuzzer does recompute it, by feeding the checksums the engine
 * compares back into its input. A structure that verifies yet is not one the golden stream wrote is forged: the store
 * cannot tell it from the real thing, so the promises about lost and removed sequences cannot hold, and a fuzz case
 * holding one is checked only for what no forgery excuses (no exception outside the store's own, and no returned byte
 * that did not verify: a plaintext message equal to a record that verifies on disk, an encrypted one equal to the
 * original, since forging a GCM tag is out of reach).
 */
final class ForgeryScan
{
    private final Set<ByteBuffer> genuineFrames = new HashSet<>();
    private final Set<ByteBuffer> genuineHeaders = new HashSet<>();
    private final Set<ByteBuffer> genuineStates = new HashSet<>();

    ForgeryScan(final FuzzGolden golden)
    {
        for (final Path block : golden.blocks())
        {
            final byte[] bytes = BlockFiles.readAll(block);
            genuineHeaders.add(ByteBuffer.wrap(Arrays.copyOf(bytes, BlockDescriptor.HEADER_LENGTH)));
            forEachVerifiedFrame(bytes, (offset, length) ->
                genuineFrames.add(ByteBuffer.wrap(Arrays.copyOfRange(bytes, offset, offset + length))));
        }
        genuineStates.add(ByteBuffer.wrap(BlockFiles.readAll(golden.stateFile())));
        genuineStates.add(ByteBuffer.wrap(BlockFiles.readAll(golden.staleState())));
    }

    /**
     * @return what in {@code dir} verifies but was never written by the golden stream, or null when nothing does.
     */
    String forgery(final Path dir)
    {
        for (final Path file : regularFiles(dir.resolve("blocks")))
        {
            final byte[] bytes = BlockFiles.readAll(file);
            if (bytes.length >= BlockDescriptor.HEADER_LENGTH && headerVerifies(bytes) &&
                !genuineHeaders.contains(ByteBuffer.wrap(Arrays.copyOf(bytes, BlockDescriptor.HEADER_LENGTH))))
            {
                return "a block header that verifies but is not the golden's, in " + file.getFileName();
            }
            final int[] forged = {-1};
            forEachVerifiedFrame(bytes, (offset, length) ->
            {
                if (forged[0] < 0 && !genuineFrames.contains(ByteBuffer.wrap(bytes, offset, length).slice()))
                {
                    forged[0] = offset;
                }
            });
            if (forged[0] >= 0)
            {
                return "a record that verifies but is not the golden's, at " + forged[0] + " of " + file.getFileName();
            }
        }
        final Path state = dir.resolve("state.db");
        if (Files.isRegularFile(state))
        {
            final byte[] bytes = BlockFiles.readAll(state);
            if (stateVerifies(bytes) && !genuineStates.contains(ByteBuffer.wrap(bytes)))
            {
                return "a state.db whose checksums verify but that the golden never wrote";
            }
        }
        return null;
    }

    /**
     * @return whether a plaintext record of {@code message}'s sequence with exactly its subject, headers and payload
     * verifies somewhere in {@code dir}'s block files: then the store returned bytes that passed their checksum.
     */
    static boolean verifiedOnDisk(final Path dir, final StoredMessage message)
    {
        for (final Path file : regularFiles(dir.resolve("blocks")))
        {
            final byte[] bytes = BlockFiles.readAll(file);
            final boolean[] found = {false};
            forEachVerifiedFrame(bytes, (offset, length) -> found[0] |= holds(bytes, offset, message));
            if (found[0])
            {
                return true;
            }
        }
        return false;
    }

    private static boolean holds(final byte[] bytes, final int offset, final StoredMessage message)
    {
        final ByteBuffer frame = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (frame.getLong(offset + RecordDescriptor.SEQUENCE_OFFSET) != message.seq() ||
            (frame.get(offset + RecordDescriptor.FLAGS_OFFSET) & RecordDescriptor.FLAG_ENCRYPTED) != 0)
        {
            return false;
        }
        final int subjectLength = frame.getShort(offset + RecordDescriptor.SUBJECT_LENGTH_OFFSET) & 0xFFFF;
        final int headersLength = frame.getInt(offset + RecordDescriptor.HEADERS_LENGTH_OFFSET);
        final int payloadLength = frame.getInt(offset + RecordDescriptor.PAYLOAD_LENGTH_OFFSET);
        final long end = (long)offset + RecordDescriptor.HEADER_LENGTH + subjectLength + (long)headersLength +
            payloadLength;
        if (headersLength < 0 || payloadLength < 0 || end > bytes.length)
        {
            return false;
        }
        int at = offset + RecordDescriptor.HEADER_LENGTH;
        final String subject = new String(bytes, at, subjectLength, StandardCharsets.US_ASCII);
        at += subjectLength;
        final byte[] headers = Arrays.copyOfRange(bytes, at, at + headersLength);
        at += headersLength;
        final byte[] payload = Arrays.copyOfRange(bytes, at, at + payloadLength);
        return subject.equals(message.subject()) && Arrays.equals(headers, nullToEmpty(message.headers())) &&
            Arrays.equals(payload, nullToEmpty(message.payload()));
    }

    private static byte[] nullToEmpty(final byte[] bytes)
    {
        return null == bytes ? new byte[0] : bytes;
    }

    @FunctionalInterface
    private interface FrameVisitor
    {
        void visit(int offset, int length);
    }

    /**
     * Every 8-byte-aligned frame after the header whose header checksum and record checksum both verify, wherever it
     * sits: what any scanner, however it re-synchronises, could take for a record.
     */
    private static void forEachVerifiedFrame(final byte[] bytes, final FrameVisitor visitor)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        for (int offset = BlockDescriptor.DATA_OFFSET; offset + RecordDescriptor.HEADER_LENGTH <= bytes.length;
            offset += RecordDescriptor.ALIGNMENT)
        {
            final int length = buffer.getInt(offset + RecordDescriptor.FRAME_LENGTH_OFFSET);
            if (length < RecordDescriptor.MIN_FRAME_LENGTH || length > bytes.length - offset)
            {
                continue;
            }
            crc.reset();
            crc.update(bytes, offset, RecordDescriptor.HEADER_CHECKSUM_OFFSET);
            if ((int)crc.getValue() != buffer.getInt(offset + RecordDescriptor.HEADER_CHECKSUM_OFFSET))
            {
                continue;
            }
            crc.update(bytes, offset + RecordDescriptor.HEADER_CHECKSUM_OFFSET,
                length - RecordDescriptor.CHECKSUM_LENGTH - RecordDescriptor.HEADER_CHECKSUM_OFFSET);
            if ((int)crc.getValue() == buffer.getInt(offset + length - RecordDescriptor.CHECKSUM_LENGTH))
            {
                visitor.visit(offset, length);
            }
        }
    }

    static boolean headerVerifies(final byte[] bytes)
    {
        final ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        return BlockDescriptor.headerChecksum(header) == header.getInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET);
    }

    private static boolean stateVerifies(final byte[] bytes)
    {
        if (bytes.length < StateDescriptor.HEADER_LENGTH)
        {
            return false;
        }
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, StateDescriptor.HEADER_CHECKSUM_OFFSET);
        if ((int)crc.getValue() != buffer.getInt(StateDescriptor.HEADER_CHECKSUM_OFFSET))
        {
            return false;
        }
        crc.reset();
        crc.update(bytes, StateDescriptor.HEADER_LENGTH, bytes.length - StateDescriptor.HEADER_LENGTH);
        return (int)crc.getValue() == buffer.getInt(StateDescriptor.BODY_CHECKSUM_OFFSET);
    }

    private static List<Path> regularFiles(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
