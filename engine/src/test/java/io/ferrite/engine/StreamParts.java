package io.ferrite.engine;

import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.engine.agent.StreamThreads;
import io.ferrite.engine.agent.WakeUpIdleStrategy;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.MessageBlock;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.flush.BlockFlusher;
import io.ferrite.engine.flush.UnforcedWindow;
import io.ferrite.engine.index.SubjectIndex;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.engine.state.FullStateWriter;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.RecordScanner;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamConfig;
import io.ferrite.store.SyncMode;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The engine's parts wired as {@link FileStreamStore} wires them, without the store around them and with no thread of
 * their own running (the flusher and the reclaimer are built but never started), so a test can drive one component —
 * {@link BlockRewriter}, {@link SubjectScan}, {@link StreamTruncation} — directly, on real block files, and see the
 * index it changes. Appends, removals and maintenance go through the real writer and remover under the append lock.
 * <p>
 * Nothing is recovered: the directory must be new. Payloads are a function of their sequence ({@link #payload}).
 */
final class StreamParts implements AutoCloseable
{
    final StreamConfig config;
    final StreamDirectory directory;
    final StreamIndex index = new StreamIndex();
    final StoreMetrics metrics = new StoreMetrics(Long.MAX_VALUE, LoggerFactory.getLogger(StreamParts.class));
    /** Null for a plaintext stream. */
    final BlockCrypto crypto;
    final StreamWriter writer;
    final BlockFlusher flusher;
    final StreamReader reader;
    final StreamRemover remover;
    /** The flusher agent, never run unless a test runs it. */
    final AsyncFlusher durability;

    private StreamParts(final Path dir, final StreamConfig config, final long keySeed)
    {
        this.config = config;
        this.directory = StreamDirectory.open(dir);
        if (config.encrypted())
        {
            final byte[] streamKey = new byte[32];
            new SplittableRandom(keySeed).nextBytes(streamKey);
            this.crypto = new BlockCrypto(streamKey);
        }
        else
        {
            this.crypto = null;
        }
        final UnforcedWindow window = new UnforcedWindow(config.name(), UnforcedWindow.UNBOUNDED, metrics,
            LoggerFactory.getLogger(StreamParts.class));
        this.writer = new StreamWriter(directory, index, config, metrics, crypto, window,
            StreamThreads.dedicated().preparer());
        this.flusher = new BlockFlusher(index, writer.lock(), directory.blocksDir(), directory.storageIO(), window);
        writer.flusher(flusher);
        this.reader = new StreamReader(index, null);
        this.remover = new StreamRemover(index, writer, reader);
        final Retention retention = new Retention(config.name(), config.limits(), index, remover, reader);
        writer.retention(retention);
        final FullStateWriter stateWriter = new FullStateWriter(directory, index, writer.lock(), metrics, null);
        final WakeUpIdleStrategy wakeUp = new WakeUpIdleStrategy();
        this.durability = new AsyncFlusher(config.name(), flusher, SyncMode.NONE, Long.MAX_VALUE, 0, metrics, null,
            wakeUp);
        // Built, never run: a removal only wakes it.
        final BlockRewriter rewriter = new BlockRewriter(index, directory, config, metrics, crypto);
        final ReclaimPolicy policy = new ReclaimPolicy(index, rewriter.blockSize(), 0);
        final ReclaimSteps steps = new ReclaimSteps(durability);
        remover.reclaimer(new Reclaimer(config.name(), writer, durability, retention, policy,
            new EmptiedBlockDeletion(index, writer, remover, policy, steps, stateWriter, flusher, directory),
            new SparseBlockRewrite(index, writer, remover, policy, steps, rewriter, stateWriter, flusher, directory),
            new ReclaimFailures(config.name(), metrics), wakeUp));
    }

    /**
     * A plaintext stream of 4 KiB blocks.
     */
    static StreamParts open(final Path dir)
    {
        return open(dir, 4096, false);
    }

    static StreamParts open(final Path dir, final int blockSize, final boolean encrypted)
    {
        return new StreamParts(dir, config(blockSize, encrypted), 0x6B6579L);
    }

    /**
     * @return the configuration of a stream of these parts, also for opening their directory as a store afterwards.
     */
    static StreamConfig config(final int blockSize, final boolean encrypted)
    {
        final StreamConfig.Builder builder = StreamConfig.builder("parts").blockSize(blockSize).maxMsgSize(1024);
        if (encrypted)
        {
            final byte[] key = new byte[32];
            new SplittableRandom(0xC1F3L).nextBytes(key);
            builder.encryptionKey(key);
        }
        return builder.build();
    }

    /**
     * Run {@code action} under the append lock, as maintenance does.
     */
    <T> T locked(final Supplier<T> action)
    {
        writer.lock().lock();
        try
        {
            return action.get();
        }
        finally
        {
            writer.lock().unlock();
        }
    }

    long append(final String subject)
    {
        final long seq = index.lastSeq() + 1;
        final long appended = writer.append(subject, null, payload(seq));
        if (appended != seq)
        {
            throw new IllegalStateException("appended " + appended + ", expected " + seq);
        }
        return seq;
    }

    void appendAt(final long seq, final String subject)
    {
        writer.appendAt(seq, Math.max(index.lastTime(), 1), subject, null, payload(seq));
    }

    long skip()
    {
        return writer.skip();
    }

    /**
     * @return whether a message was removed.
     */
    boolean remove(final long seq)
    {
        return locked(() -> remover.remove(seq, 0) > 0);
    }

    StoredMessage load(final long seq)
    {
        return reader.load(seq);
    }

    MessageBlock block(final int position)
    {
        return index.blocks()[position];
    }

    SubjectIndex.Entry subject(final String subject)
    {
        return index.subjects().get(subject);
    }

    /**
     * Append until the stream holds {@code blocks} blocks and the last of them holds one message.
     */
    void appendUntilBlocks(final int blocks, final String... subjects)
    {
        int i = 0;
        while (index.blockCount() < blocks)
        {
            append(subjects[i++ % subjects.length]);
        }
    }

    /**
     * @return the records of a block file, read from disk with the engine's scanner: {type, seq} each, in order
     * ({type, seq, from, to} for a plaintext tombstone), and {-1, known sequence} for damage.
     */
    static List<long[]> records(final Path file)
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final ByteBuffer mapped = ByteBuffer.allocateDirect(bytes.length).put(bytes).clear();
        final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
        final boolean encrypted = (buffer.getInt(BlockDescriptor.FLAGS_OFFSET) & BlockDescriptor.FLAG_ENCRYPTED) != 0;
        final int limit = encrypted ?
            buffer.getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET) - BlockFooterCodec.FOOTER_LENGTH : bytes.length;
        final List<long[]> records = new ArrayList<>();
        new RecordScanner().wrap(buffer, mapped, limit, encrypted).scan(BlockDescriptor.DATA_OFFSET,
            buffer.getLong(BlockDescriptor.BASE_SEQ_OFFSET) - 1, true, new RecordScanner.Visitor()
            {
                @Override
                public void onRecord(
                    final UnsafeBuffer data, final int offset, final int frameLength, final byte type,
                    final long seq, final int checksum)
                {
                    if (type == RecordDescriptor.TYPE_DELETE && !encrypted)
                    {
                        final int body = offset + RecordDescriptor.HEADER_LENGTH;
                        records.add(new long[] {
                            type, seq, data.getLong(body + RecordDescriptor.TOMBSTONE_FROM_OFFSET),
                            data.getLong(body + RecordDescriptor.TOMBSTONE_TO_OFFSET),
                        });
                    }
                    else
                    {
                        records.add(new long[] {type, seq});
                    }
                }

                @Override
                public void onDamage(final int fromOffset, final int toOffset, final long knownSeq, final boolean tail)
                {
                    records.add(new long[] {-1, knownSeq});
                }
            });
        return records;
    }

    static byte[] payload(final long seq)
    {
        return ("payload of " + seq + " " + "x".repeat((int)(seq % 37))).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close()
    {
        writer.close();
        writer.closePreallocator();
        for (final MessageBlock block : index.blocks())
        {
            block.durability().releaseChannel();
        }
        directory.close();
    }
}
