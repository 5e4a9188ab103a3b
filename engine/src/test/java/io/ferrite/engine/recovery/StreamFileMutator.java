package io.ferrite.engine.recovery;

import io.ferrite.engine.testing.BlockFiles;
import io.ferrite.engine.testing.FuzzGolden;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.BlockEntryDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.StateDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Turns a fuzzer's input into damage to a copy of a {@link FuzzGolden} stream, aware of the files' structure: the
 * input picks a file, then where to hit it — anywhere, a header field, a field of a record the golden wrote, a
 * {@code state.db} block entry, the footer end — and what to do there: flip, overwrite, zero, cut, write an integer
 * (often one the engine treats as a boundary), splice bytes from another file of the golden, grow or replace the file,
 * or recompute the checksums over what it changed, so the damage reaches the code behind them. Every step is logged,
 * so a finding says which file, offset and mutation it was.
 */
final class StreamFileMutator
{
    private static final int OP_COUNT = 13;

    private final FuzzGolden golden;
    private final FuzzedDataProvider data;
    private final Path dir;
    private final StringBuilder log = new StringBuilder();
    private final long[] boundaries;

    StreamFileMutator(final FuzzGolden golden, final FuzzedDataProvider data, final Path dir)
    {
        this.golden = golden;
        this.data = data;
        this.dir = dir;
        this.boundaries = new long[] {0, 1, -1, 2, 7, 8, 127, 128, 4095, 4096, 4097, Integer.MAX_VALUE,
            Integer.MIN_VALUE, 0xFFFF_FFFFL, Long.MAX_VALUE, Long.MIN_VALUE, RecordDescriptor.MAX_SEQUENCE,
            RecordDescriptor.MAX_SEQUENCE + 1, golden.last(), golden.last() + 1, golden.last() - 1, golden.staleLast(),
            golden.staleLast() + 1, golden.blocks().size(), RecordDescriptor.MIN_FRAME_LENGTH};
    }

    String log()
    {
        return golden.mode() + ": " + (log.length() == 0 ? "nothing changed" : log.toString());
    }

    /**
     * Keep the current {@code state.db}, or put the first session's back in its place.
     */
    void chooseState()
    {
        if (data.consumeBoolean())
        {
            FuzzGolden.copy(golden.staleState(), dir.resolve(StreamDirectory.STATE_FILE));
            step("state.db from the first session");
        }
    }

    /**
     * Damage {@code state.db} alone, up to {@code maxSteps} times.
     */
    void mutateState(final int maxSteps)
    {
        final int steps = data.consumeInt(1, maxSteps);
        for (int i = 0; i < steps && data.remainingBytes() > 0; i++)
        {
            mutate(dir.resolve(StreamDirectory.STATE_FILE), FileKind.STATE, -1);
        }
    }

    /**
     * Damage {@code stream.json}, {@code stream.key} or {@code LOCK}, up to {@code maxSteps} times.
     */
    void mutateMetadata(final int maxSteps)
    {
        final int steps = data.consumeInt(1, maxSteps);
        for (int i = 0; i < steps && data.remainingBytes() > 0; i++)
        {
            final int pick = data.consumeInt(0, golden.mode().encrypted() ? 2 : 1);
            switch (pick)
            {
                case 0 -> mutate(dir.resolve(StreamDirectory.METADATA_FILE), FileKind.JSON, -1);
                case 1 -> mutate(dir.resolve(StreamDirectory.LOCK_FILE), FileKind.OTHER, -1);
                default -> mutate(dir.resolve("stream.key"), FileKind.OTHER, -1);
            }
        }
    }

    /**
     * Damage block files, up to {@code maxSteps} times.
     */
    void mutateBlocks(final int maxSteps)
    {
        final int steps = data.consumeInt(1, maxSteps);
        for (int i = 0; i < steps && data.remainingBytes() > 0; i++)
        {
            final int position = data.consumeInt(0, golden.blocks().size() - 1);
            mutate(blockFile(position), FileKind.BLOCK, position);
        }
    }

    /**
     * Damage any file but {@code state.db} — blocks, metadata, the lock — or delete or swap whole files.
     */
    void mutateAnyFile(final int maxSteps)
    {
        final int steps = data.consumeInt(1, maxSteps);
        for (int i = 0; i < steps && data.remainingBytes() > 0; i++)
        {
            final int pick = data.consumeInt(0, 9);
            if (pick < 6)
            {
                final int position = data.consumeInt(0, golden.blocks().size() - 1);
                mutate(blockFile(position), FileKind.BLOCK, position);
            }
            else if (pick < 8)
            {
                mutateMetadata(1);
            }
            else if (pick == 8)
            {
                final Path file = blockFile(data.consumeInt(0, golden.blocks().size() - 1));
                delete(file);
                step("delete " + file.getFileName());
            }
            else
            {
                final Path one = blockFile(data.consumeInt(0, golden.blocks().size() - 1));
                final Path other = blockFile(data.consumeInt(0, golden.blocks().size() - 1));
                swap(one, other);
                step("swap " + one.getFileName() + " with " + other.getFileName());
            }
        }
    }

    private enum FileKind
    {
        BLOCK,
        STATE,
        JSON,
        OTHER
    }

    private void mutate(final Path file, final FileKind kind, final int position)
    {
        byte[] bytes = Files.isRegularFile(file) ? BlockFiles.readAll(file) : new byte[0];
        final int op = data.consumeInt(0, OP_COUNT - 1);
        final String name = file.getFileName().toString();
        switch (op)
        {
            case 0 ->
            {
                final int at = locate(bytes, kind, position);
                final byte mask = (byte)(data.consumeByte() | 1);
                if (at < bytes.length)
                {
                    bytes[at] ^= mask;
                }
                step("xor " + name + "[" + at + "] with " + (mask & 0xFF));
            }
            case 1 ->
            {
                final int at = locate(bytes, kind, position);
                final byte[] written = data.consumeBytes(data.consumeInt(1, 16));
                bytes = overwrite(bytes, at, written);
                step("write " + written.length + " bytes " + hex(written) + " at " + name + "[" + at + "]");
            }
            case 2 ->
            {
                final int at = locate(bytes, kind, position);
                final int length = data.consumeInt(1, 2048);
                bytes = overwrite(bytes, at, new byte[Math.max(0, Math.min(length, bytes.length - at))]);
                step("zero " + length + " bytes of " + name + " from " + at);
            }
            case 3 ->
            {
                final int at = locate(bytes, kind, position);
                bytes = Arrays.copyOf(bytes, Math.min(at, bytes.length));
                step("cut " + name + " at " + at);
            }
            case 4 ->
            {
                final int at = locate(bytes, kind, position);
                final int value = data.consumeBoolean() ? (int)data.pickValue(boundaries) : data.consumeInt();
                bytes = overwrite(bytes, at, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value)
                    .array());
                step("int " + value + " at " + name + "[" + at + "]");
            }
            case 5 ->
            {
                final int at = locate(bytes, kind, position);
                final long value = data.consumeBoolean() ? data.pickValue(boundaries) : data.consumeLong();
                bytes = overwrite(bytes, at, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value)
                    .array());
                step("long " + value + " at " + name + "[" + at + "]");
            }
            case 6 ->
            {
                final int at = locate(bytes, kind, position);
                final Path source = spliceSource();
                final byte[] from = BlockFiles.readAll(source);
                final int sourceAt = from.length == 0 ? 0 : data.consumeInt(0, from.length - 1);
                final int length = Math.min(data.consumeInt(1, 1024), from.length - sourceAt);
                bytes = overwrite(bytes, at, Arrays.copyOfRange(from, sourceAt, sourceAt + length));
                step("splice " + length + " bytes of golden " + source.getFileName() + "[" + sourceAt + "] over " +
                    name + "[" + at + "]");
            }
            case 7 ->
            {
                final byte[] tail = data.consumeBytes(data.consumeInt(1, 4096));
                bytes = overwrite(bytes, bytes.length, tail);
                step("append " + tail.length + " bytes to " + name);
            }
            case 8 ->
            {
                bytes = kind == FileKind.JSON ? data.consumeAsciiString(data.consumeInt(0, 600))
                    .getBytes(StandardCharsets.US_ASCII) : data.consumeBytes(data.consumeInt(0, 8192));
                step("replace " + name + " with " + bytes.length + " bytes " + hex(bytes));
            }
            case 9 ->
            {
                final int at = locate(bytes, kind, position);
                bytes = reseal(bytes, kind, at);
                step("recompute the checksums of " + name + " around " + at);
            }
            case 10 ->
            {
                final int at = Math.min(locate(bytes, kind, position), bytes.length);
                final byte[] inserted = kind == FileKind.JSON ? data.consumeAsciiString(data.consumeInt(1, 40))
                    .getBytes(StandardCharsets.US_ASCII) : data.consumeBytes(data.consumeInt(1, 64));
                final byte[] grown = new byte[bytes.length + inserted.length];
                System.arraycopy(bytes, 0, grown, 0, at);
                System.arraycopy(inserted, 0, grown, at, inserted.length);
                System.arraycopy(bytes, at, grown, at + inserted.length, bytes.length - at);
                bytes = grown;
                step("insert " + hex(inserted) + " at " + name + "[" + at + "]");
            }
            case 11 ->
            {
                final int at = Math.min(locate(bytes, kind, position), bytes.length);
                final int length = Math.min(data.consumeInt(1, 256), bytes.length - at);
                final byte[] shrunk = new byte[bytes.length - length];
                System.arraycopy(bytes, 0, shrunk, 0, at);
                System.arraycopy(bytes, at + length, shrunk, at, bytes.length - at - length);
                bytes = shrunk;
                step("remove " + length + " bytes of " + name + " from " + at);
            }
            default ->
            {
                // Extend with zeros: a file longer than its header says, or one whose tail reads as unwritten.
                final int length = data.consumeInt(1, 8192);
                bytes = Arrays.copyOf(bytes, bytes.length + length);
                step("grow " + name + " by " + length + " zero bytes");
            }
        }
        write(file, bytes);
    }

    /**
     * @return an offset in (or just past) the file, drawn the way the input says: anywhere, or at a structure.
     */
    private int locate(final byte[] bytes, final FileKind kind, final int position)
    {
        final int size = Math.max(1, bytes.length);
        final int mode = data.consumeInt(0, 3);
        if (mode == 0 || kind == FileKind.JSON || kind == FileKind.OTHER)
        {
            return data.consumeInt(0, size - 1);
        }
        if (mode == 1)
        {
            return data.consumeInt(0, kind == FileKind.BLOCK ? BlockDescriptor.HEADER_LENGTH - 1 :
                StateDescriptor.HEADER_LENGTH + StateDescriptor.BLOCKS_OFFSET - 1);
        }
        if (mode == 3)
        {
            // Block: the footer of a sealed encrypted block, or the zeros after the data. State: runs and subjects.
            return Math.max(0, size - 1 - data.consumeInt(0, kind == FileKind.BLOCK ? 255 : 511));
        }
        if (kind == FileKind.STATE)
        {
            final int entry = data.consumeInt(0, golden.blocks().size() - 1);
            return StateDescriptor.HEADER_LENGTH + StateDescriptor.BLOCKS_OFFSET +
                entry * BlockEntryDescriptor.ENTRY_LENGTH +
                data.consumeInt(0, BlockEntryDescriptor.ENTRY_LENGTH - 1);
        }
        final List<BlockFiles.Frame> frames = goldenFrames(position);
        if (frames.isEmpty())
        {
            return data.consumeInt(0, size - 1);
        }
        final BlockFiles.Frame frame = frames.get(data.consumeInt(0, frames.size() - 1));
        return frame.offset() + (data.consumeBoolean() ? data.consumeInt(0, RecordDescriptor.HEADER_LENGTH - 1) :
            data.consumeInt(0, frame.length() - 1));
    }

    /**
     * Recompute what CRC32C guards around {@code at}: a block's header and the record frame starting at the 8-byte
     * boundary at or before {@code at}, taking its length as written; or {@code state.db}'s body and header checksums.
     */
    private static byte[] reseal(final byte[] bytes, final FileKind kind, final int at)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        if (kind == FileKind.STATE && bytes.length >= StateDescriptor.HEADER_LENGTH)
        {
            crc.update(bytes, StateDescriptor.HEADER_LENGTH, bytes.length - StateDescriptor.HEADER_LENGTH);
            buffer.putInt(StateDescriptor.BODY_CHECKSUM_OFFSET, (int)crc.getValue());
            crc.reset();
            crc.update(bytes, 0, StateDescriptor.HEADER_CHECKSUM_OFFSET);
            buffer.putInt(StateDescriptor.HEADER_CHECKSUM_OFFSET, (int)crc.getValue());
        }
        else if (kind == FileKind.BLOCK && bytes.length >= BlockDescriptor.HEADER_LENGTH)
        {
            final int frame = at & ~(RecordDescriptor.ALIGNMENT - 1);
            if (frame >= BlockDescriptor.DATA_OFFSET && frame + RecordDescriptor.HEADER_LENGTH <= bytes.length)
            {
                final int length = buffer.getInt(frame + RecordDescriptor.FRAME_LENGTH_OFFSET);
                if (length >= RecordDescriptor.MIN_FRAME_LENGTH && length <= bytes.length - frame)
                {
                    crc.update(bytes, frame, RecordDescriptor.HEADER_CHECKSUM_OFFSET);
                    buffer.putInt(frame + RecordDescriptor.HEADER_CHECKSUM_OFFSET, (int)crc.getValue());
                    crc.reset();
                    crc.update(bytes, frame, length - RecordDescriptor.CHECKSUM_LENGTH);
                    buffer.putInt(frame + length - RecordDescriptor.CHECKSUM_LENGTH, (int)crc.getValue());
                }
            }
            buffer.putInt(BlockDescriptor.HEADER_CHECKSUM_OFFSET, BlockDescriptor.headerChecksum(buffer));
        }
        return bytes;
    }

    private Path spliceSource()
    {
        final List<Path> sources = new ArrayList<>(golden.blocks());
        sources.add(golden.stateFile());
        sources.add(golden.staleState());
        return sources.get(data.consumeInt(0, sources.size() - 1));
    }

    private List<BlockFiles.Frame> goldenFrames(final int position)
    {
        return position < 0 ? List.of() : BlockFiles.frames(golden.blocks().get(position));
    }

    private Path blockFile(final int position)
    {
        return dir.resolve("blocks").resolve(golden.blocks().get(position).getFileName());
    }

    private void step(final String what)
    {
        if (log.length() > 0)
        {
            log.append("; ");
        }
        log.append(what);
    }

    private static byte[] overwrite(final byte[] bytes, final int at, final byte[] with)
    {
        final byte[] result = at + with.length > bytes.length ? Arrays.copyOf(bytes, at + with.length) : bytes;
        System.arraycopy(with, 0, result, at, with.length);
        return result;
    }

    private static String hex(final byte[] bytes)
    {
        final int shown = Math.min(bytes.length, 24);
        return HexFormat.of().formatHex(bytes, 0, shown) + (shown < bytes.length ? "…" : "");
    }

    private static void write(final Path file, final byte[] bytes)
    {
        try
        {
            Files.write(file, bytes);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void delete(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void swap(final Path one, final Path other)
    {
        if (one.equals(other) || !Files.exists(one) || !Files.exists(other))
        {
            return;
        }
        final Path aside = one.resolveSibling("swap.tmp");
        try
        {
            Files.move(one, aside);
            Files.move(other, one);
            Files.move(aside, other);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
