package io.ferrite.engine;

import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.consumer.StreamConsumers;
import io.ferrite.engine.cursor.StreamCursors;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.StateCipher;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.ConsumerStateDescriptor;
import io.ferrite.format.CursorDescriptor;
import io.ferrite.format.SnapshotDescriptor;
import io.ferrite.store.CursorPosition;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StreamConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Writes the online backup of a running file store ({@link SnapshotDescriptor}) while appends continue. The caller
 * runs it while no block file is deleted, rewritten or truncated ({@code FileStreamStore.whileQuiescent}), so the
 * files it names stay as they are except for appends past the cut.
 * <p>
 * The cut: in one critical section of the append lock — a memory copy, no I/O — the state is captured as it is then
 * (a {@code state.db} image, durable or not), with the block files it describes, the tail block's write offset and
 * its 128-byte header (the only bytes before the write offset a later append may change: a tombstone epoch slot).
 * The snapshot's last sequence is the stream's last sequence at that moment. Then, with no lock held, the source is
 * forced up to there (so the backup never holds a message a crash of the source could still lose and hand out
 * again), and the files are copied: sealed blocks whole, the tail block up to its write offset (the restored file is
 * as long as the source's, zeros after), {@code stream.json}, {@code stream.key} as it is (an encrypted stream's
 * blocks and key stay encrypted; nothing is decrypted), the captured state, one cursor file per named tailer,
 * written fresh from its position in memory, lowered to the last sequence, and one state file per consumer, written
 * fresh from memory (or its file when it is not open) without its deliveries above the last sequence.
 * <p>
 * Removals up to the cut are in the state and the tombstones copied; removals after it are not in the snapshot, even
 * of messages it holds (the snapshot is the stream as it stood at the cut). Erasures begun and not finished are
 * finished before the cut, so no erased message's bytes reach a snapshot.
 * <p>
 * Not thread-safe: the store serializes snapshots (they run under its maintenance lock).
 */
final class StreamBackup
{
    private static final int COPY_BUFFER_LENGTH = 256 * 1024;

    private final StreamConfig config;
    private final StreamDirectory directory;
    private final StreamIndex index;
    private final FullStateWriter stateWriter;
    private final AsyncFlusher durability;
    private final StreamCursors cursors;
    private final StreamConsumers consumers;
    private final StoreMetrics metrics;
    /** Null for a plaintext stream. */
    private final BlockCrypto crypto;

    StreamBackup(
        final StreamConfig config, final StreamDirectory directory, final StreamIndex index,
        final FullStateWriter stateWriter, final AsyncFlusher durability, final StreamCursors cursors,
        final StreamConsumers consumers,
        final StoreMetrics metrics, final BlockCrypto crypto)
    {
        this.config = config;
        this.directory = directory;
        this.index = index;
        this.stateWriter = stateWriter;
        this.durability = durability;
        this.cursors = cursors;
        this.consumers = consumers;
        this.metrics = metrics;
        this.crypto = crypto;
    }

    /**
     * Write the snapshot to {@code out}, a blocking channel the caller owns (it is not closed).
     *
     * @return the bytes written.
     * @throws StoreIOException when a file cannot be read or {@code out} cannot be written.
     * @throws StoreException   when forcing the source up to the cut failed.
     */
    long write(final WritableByteChannel out)
    {
        final Cut cut = new Cut();
        final byte[] state =
            stateWriter.captureForBackup(cut::capture, null == crypto ? null : new StateCipher(crypto));
        durability.flushAndWait();
        final List<CursorPosition> positions = cursors.list();
        final SortedMap<String, byte[]> consumerFiles = consumers.backupImages(cut.lastSeq);
        final int entries = (null == crypto ? 2 : 3) + cut.ids.length + positions.size() + consumerFiles.size();
        final SnapshotOutput output = new SnapshotOutput(out);
        try
        {
            output.write(SnapshotDescriptor.encodeHeader(config.name(), null != crypto, cut.lastSeq, entries));
            writeFile(output, SnapshotDescriptor.METADATA_PATH, directory.metadataFile());
            if (null != crypto)
            {
                writeFile(output, SnapshotDescriptor.KEY_PATH, directory.root().resolve(StreamMetadata.KEY_FILE));
            }
            writeBytes(output, SnapshotDescriptor.STATE_PATH, state);
            final ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BUFFER_LENGTH);
            for (int i = 0; i < cut.ids.length; i++)
            {
                final boolean tail = i == cut.ids.length - 1;
                copyBlock(output, buffer, cut.ids[i], cut.files[i], tail ? cut.tailEnd : -1, cut.tailHeader);
            }
            for (final CursorPosition position : positions)
            {
                writeBytes(output, SnapshotDescriptor.CURSORS_PREFIX + CursorDescriptor.fileName(position.name()),
                    CursorDescriptor.newFile(Math.min(position.ackedSeq(), cut.lastSeq)));
            }
            for (final Map.Entry<String, byte[]> consumer : consumerFiles.entrySet())
            {
                writeBytes(output, SnapshotDescriptor.CONSUMERS_PREFIX +
                    ConsumerStateDescriptor.fileName(consumer.getKey()), consumer.getValue());
            }
            output.trailer(entries);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("write snapshot of stream " + config.name() + " (" + output.position() +
                " bytes written)", directory.root(), ex);
        }
        return output.position();
    }

    private void writeFile(final SnapshotOutput output, final String path, final Path file) throws IOException
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read for snapshot", file, ex);
        }
        writeBytes(output, path, bytes);
    }

    private static void writeBytes(final SnapshotOutput output, final String path, final byte[] bytes)
        throws IOException
    {
        output.beginEntry(path, bytes.length, bytes.length);
        output.content(ByteBuffer.wrap(bytes));
        output.endContent();
    }

    /**
     * Copy a block file: whole when sealed ({@code tailEnd} -1), else up to {@code tailEnd} with the header captured at
     * the cut in place of the file's.
     */
    private void copyBlock(
        final SnapshotOutput output, final ByteBuffer buffer, final long id, final Path file, final int tailEnd,
        final byte[] tailHeader) throws IOException
    {
        final String path = SnapshotDescriptor.BLOCKS_PREFIX + BlockDescriptor.fileName(id);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            metrics.onBlockFileOpened();
            final long fileLength = channel.size();
            final long contentLength = tailEnd < 0 ? fileLength : tailEnd;
            if (contentLength > fileLength)
            {
                throw new StoreException("block file is " + fileLength + " bytes long, shorter than its last " +
                    "record's end " + contentLength, file, fileLength, StoreException.UNKNOWN);
            }
            output.beginEntry(path, fileLength, contentLength);
            long position = 0;
            if (tailEnd >= 0)
            {
                position = Math.min(tailHeader.length, contentLength);
                output.content(ByteBuffer.wrap(tailHeader, 0, (int)position));
            }
            while (position < contentLength)
            {
                buffer.clear().limit((int)Math.min(buffer.capacity(), contentLength - position));
                final int read = channel.read(buffer, position);
                if (read < 0)
                {
                    throw new StoreException("block file ended at " + position + " while copying it for a snapshot " +
                        "(expected " + contentLength + " bytes)", file, position, StoreException.UNKNOWN);
                }
                metrics.onBlockBytesRead(read);
                buffer.flip();
                output.content(buffer);
                position += read;
            }
            output.endContent();
        }
    }

    /**
     * What the snapshot holds, noted under the append lock with the state it goes with.
     */
    private final class Cut
    {
        private long lastSeq;
        private long[] ids;
        private Path[] files;
        private int tailEnd;
        private final byte[] tailHeader = new byte[BlockDescriptor.HEADER_LENGTH];

        void capture()
        {
            lastSeq = index.lastSeq();
            final MessageBlock[] blocks = index.blocks();
            final int count = index.blockCount();
            ids = new long[count];
            files = new Path[count];
            for (int i = 0; i < count; i++)
            {
                ids[i] = blocks[i].id();
                files[i] = blocks[i].file();
            }
            if (count > 0)
            {
                tailEnd = index.blockIndex().writeOffset(count - 1);
                blocks[count - 1].buffer().getBytes(0, tailHeader);
            }
        }
    }
}
