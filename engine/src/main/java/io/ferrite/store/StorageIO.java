package io.ferrite.store;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Every call that makes data durable: forcing a block's mapped range, forcing a small file written through a channel,
 * and syncing a directory so entries created, renamed or deleted in it survive power loss. The engine issues no
 * force, fsync or msync except through this interface, so tests can inject latency, failures and a power-loss model,
 * and embedders can substitute their own durability (see {@code FileStreamStore.open(Path, StreamConfig, StorageIO)}).
 * <p>
 * Contract: a call returns normally only once what it covers is durable; an {@link IOException} means it may not be,
 * and the engine then reports no durability past what earlier calls covered. Calls come from the store's flusher
 * thread, from {@code writeFullState} and from {@code close()}, never from an appender or reader, and never under a
 * lock that appenders or readers take — with one exception: on a full disk, before the first tombstone goes into a
 * block found on open, the remover forces that block's 128-byte header under the append lock (see
 * {@code FrameCounters}; appends fail on a full disk anyway). Implementations must be thread-safe.
 */
public interface StorageIO
{
    /**
     * Make bytes {@code [from, to)} of a block file durable, with whatever it takes to read them back after a power
     * cut (the allocation of the disk blocks under them: {@code fdatasync} semantics for the range). The file's size is
     * made durable only when {@code metadata} is set; without it the caller knows the size is durable already (the
     * block preparer forces it before the file becomes a block).
     *
     * @param file     the block file, for error messages and for implementations that model files by name.
     * @param channel  the block's open channel; may be null when the block has none open.
     * @param mapped   the block's shared mapping, through which the bytes were written.
     * @param from     first byte to make durable.
     * @param to       end of the range, exclusive.
     * @param metadata the file is new and its size is not yet durable: force the whole file, size included.
     * @throws IOException when the range may not be durable.
     */
    void forceBlock(Path file, FileChannel channel, MappedByteBuffer mapped, int from, int to, boolean metadata)
        throws IOException;

    /**
     * Make everything written to a small file through {@code channel} durable, with its metadata ({@code fsync}).
     *
     * @throws IOException when it may not be durable.
     */
    void forceFile(Path file, FileChannel channel) throws IOException;

    /**
     * Make the entries of {@code dir} durable: files created in, renamed into or deleted from it.
     *
     * @throws IOException when they may not be durable.
     */
    void syncDirectory(Path dir) throws IOException;

    /**
     * @return the real implementation: {@code fdatasync}/{@code fsync} and {@code msync}.
     */
    static StorageIO standard()
    {
        return FileStorageIO.INSTANCE;
    }
}
