package io.ferrite.engine.testing;

import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Test-side access to a stream's files: listing blocks, walking record frames with {@link RecordDescriptor} over the
 * raw file bytes, and damaging files the way disks and operators do.
 */
public final class BlockFiles
{
    private BlockFiles()
    {
    }

    /**
     * Flip bits of one byte of a block file through its channel, the way a disk damages it. A block the appender writes
     * is read through a read-only mapping, which sees the change (same page cache); writing through that mapping would
     * crash the JVM.
     */
    public static void xorByte(final Path file, final long offset, final int mask)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            if (channel.read(one, offset) != 1)
            {
                throw new IOException("no byte at offset " + offset + " of " + file);
            }
            one.put(0, (byte)(one.get(0) ^ mask)).clear();
            channel.write(one, offset);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Write a little-endian long into a block file through its channel (see {@link #xorByte}).
     */
    public static void putLong(final Path file, final long offset, final long value)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
            while (bytes.hasRemaining())
            {
                channel.write(bytes, offset + bytes.position());
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @return the little-endian long at {@code offset} of {@code file}, read through its channel.
     */
    public static long getLong(final Path file, final long offset)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (bytes.hasRemaining())
            {
                if (channel.read(bytes, offset + bytes.position()) < 0)
                {
                    throw new IOException("no long at offset " + offset + " of " + file);
                }
            }
            return bytes.getLong(0);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * One record frame as found in a block file.
     */
    public record Frame(Path file, int offset, int length, long seq, byte type)
    {
        public int end()
        {
            return offset + length;
        }
    }

    public static List<Path> blocks(final Path streamDir)
    {
        try (Stream<Path> files = Files.list(streamDir.resolve("blocks")))
        {
            return files.filter((p) ->
                BlockDescriptor.parseFileName(p.getFileName().toString()) >= 0).sorted().toList();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Walk the frames of an undamaged block file from the data offset to the first zero frame length.
     */
    public static List<Frame> frames(final Path blockFile)
    {
        final ByteBuffer bytes = ByteBuffer.wrap(readAll(blockFile)).order(ByteOrder.LITTLE_ENDIAN);
        final List<Frame> frames = new ArrayList<>();
        int offset = BlockDescriptor.DATA_OFFSET;
        while (offset + RecordDescriptor.HEADER_LENGTH <= bytes.capacity())
        {
            final int length = bytes.getInt(offset + RecordDescriptor.FRAME_LENGTH_OFFSET);
            if (length == 0)
            {
                break;
            }
            frames.add(new Frame(blockFile, offset, length, bytes.getLong(offset + RecordDescriptor.SEQUENCE_OFFSET),
                bytes.get(offset + RecordDescriptor.TYPE_OFFSET)));
            offset += length;
        }
        return frames;
    }

    public static byte[] readAll(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public static void truncate(final Path file, final long size)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(size);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Write {@code bytes} at {@code offset} through a channel of its own: when the file is mapped by an open store, the
     * change shows through the shared mapping.
     */
    public static void write(final Path file, final long offset, final byte[] bytes)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining())
            {
                channel.write(buffer, offset + buffer.position());
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public static byte readByte(final Path file, final long offset)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(1);
            if (channel.read(buffer, offset) != 1)
            {
                throw new IllegalArgumentException(file + " has no byte at " + offset);
            }
            return buffer.get(0);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Invert every bit of the byte at {@code offset}.
     *
     * @return the original byte, to put back.
     */
    public static byte flip(final Path file, final long offset)
    {
        final byte original = readByte(file, offset);
        write(file, offset, new byte[] {(byte)~original});
        return original;
    }

    /**
     * Rewrite the header of {@code file} as block format version 1 wrote it: the same fields, version 1, bytes
     * 104..119 (the epoch slots of version 2) zero, and the CRC32C of bytes 0..123 as its checksum. Everything after
     * the header is the same in both versions, so this makes a version-1 block out of any block.
     */
    public static void downgradeToVersion1(final Path file)
    {
        final ByteBuffer header = ByteBuffer.wrap(Arrays.copyOf(readAll(file), BlockDescriptor.HEADER_LENGTH))
            .order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(BlockDescriptor.VERSION_OFFSET, BlockDescriptor.VERSION_WITHOUT_EPOCH_SLOTS);
        for (int at = BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET; at < BlockDescriptor.TOMBSTONE_EPOCH_SLOTS_OFFSET +
            BlockDescriptor.TOMBSTONE_EPOCH_SLOT_COUNT * BlockDescriptor.TOMBSTONE_EPOCH_SLOT_LENGTH; at++)
        {
            header.put(at, (byte)0);
        }
        final CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, BlockDescriptor.HEADER_CHECKSUM_OFFSET);
        header.putInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET, (int)crc.getValue());
        write(file, 0, header.array());
    }

    /**
     * Copy a stream directory (closed) so each damage case starts from the same pristine files.
     */
    public static void copyTree(final Path from, final Path to)
    {
        try (Stream<Path> paths = Files.walk(from))
        {
            for (final Path source : paths.toList())
            {
                final Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source))
                {
                    Files.createDirectories(target);
                }
                else
                {
                    Files.copy(source, target);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @return how many descriptors this process holds on the block files of {@code streamDir} (Linux:
     *         {@code /proc/self/fd}).
     */
    public static long openDescriptors(final Path streamDir) throws IOException
    {
        final Path blocks = streamDir.resolve("blocks").toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.map(BlockFiles::linkTarget)
                .filter((target) -> null != target && target.startsWith(blocks) && target.toString().endsWith(".blk"))
                .count();
        }
    }

    private static Path linkTarget(final Path link)
    {
        try
        {
            return Files.readSymbolicLink(link);
        }
        catch (final IOException ex)
        {
            return null; // closed while listing
        }
    }
}
