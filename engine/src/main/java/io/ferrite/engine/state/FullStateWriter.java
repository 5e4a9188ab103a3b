package io.ferrite.engine.state;

import io.ferrite.crypto.BlockKeys;
import io.ferrite.crypto.FrameCipher;
import io.ferrite.engine.block.StreamIndex;
import io.ferrite.engine.flush.AsyncFlusher;
import io.ferrite.engine.flush.CaptureListener;
import io.ferrite.engine.metrics.OperationTimer;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.zip.CRC32C;

import static io.ferrite.format.StateDescriptor.*;

/**
 * Writes {@code state.db} from memory only, and only a state that describes data the disk already holds: recovery
 * trusts the entries of sealed blocks in the state without reading them, so a state must never reach the disk before
 * the data it describes. It never waits for block data to get there either — that is the incident this store exists
 * to avoid, a state write stalled behind block I/O — so it writes a recovery point:
 * <ul>
 *   <li>When everything written so far is already durable (an idle store, or one whose last force covered it), the
 *   state is captured now, under the append lock, and written.</li>
 *   <li>Otherwise the newest image a completed force made durable is written (see {@link CaptureListener}): the
 *   flusher captured it under the append lock at exactly the moment its force covered, so its totals, block entries,
 *   removed sets and subjects all stand as of one durable point. If none newer than {@code state.db} exists yet,
 *   nothing is written. Either way the call asks for an image at the next capture, so a state written periodically
 *   lags the appends by about one force. Recovery replays whatever came after it ({@code REPLAYED_AFTER_STATE}).</li>
 * </ul>
 * The cost of {@link #write()} is a memory copy proportional to the number of blocks and subjects plus one small file
 * (write, fsync, rename, directory fsync); no block file is opened, read, decrypted or forced.
 * <p>
 * {@link #writeDurable()} is for the store's own operations that need the state to include what they just did (an
 * erase before its bytes go, close, a reclaim): it asks for an image, waits for the force that makes it durable, and
 * writes it. {@link #whileReplacingBlocks} sets {@code state.db} aside while block files are deleted or replaced, and
 * images taken before the change are never written.
 * <p>
 * Threading: any thread. The file is written under this writer's monitor, which appenders never take; the append lock
 * is held only to copy memory. The flusher's calls ({@link CaptureListener}) touch only the images.
 */
public final class FullStateWriter implements CaptureListener
{
    private static final int IMAGE_NONE = 0;
    private static final int IMAGE_TAKEN = 1;
    private static final int IMAGE_ALREADY_WRITTEN = 2;

    private final StreamDirectory directory;
    private final StreamIndex index;
    private final Lock appendLock;
    private final OperationTimer timer;
    private final StoreMetrics metrics;
    private final CRC32C crc = new CRC32C();
    /** Null for a plaintext stream. */
    private final StateCipher cipher;
    private final byte[] salt = new byte[BlockKeys.SALT_LENGTH];
    /** Serializes block replacements (reclaim, truncate) against each other. */
    private final Object replacement = new Object();
    /** Guards {@link #durable}, the image handed from the flusher to writers. */
    private final Object handOver = new Object();
    /** State-write requests: a capture answers every request up to the value it read. */
    private final AtomicLong requests = new AtomicLong();

    /** Guarded by this: the image being sealed and written. */
    private final StateImage outgoing = new StateImage();
    /** Guarded by this: the version of the image {@code state.db} holds; 0 when this store has written none. */
    private long writtenVersion;
    /** Guarded by this: block files are being replaced and {@code state.db} is deliberately absent. */
    private boolean replacing;
    /**
     * Guarded by this: {@code state.db.replaced} may exist (true until the first state this store writes, which may
     * follow a pass interrupted by a crash), so the next state written deletes it once it is durable.
     */
    private boolean replacedStateMayExist = true;

    /** Flusher-owned: the image taken at the last capture, until its force completes. */
    private StateImage captured = new StateImage();
    /** Flusher-owned: {@link #captured} holds the last capture's image. */
    private boolean capturedPending;
    /** Guarded by {@link #handOver}: the newest image a completed force made durable. */
    private StateImage durable = new StateImage();

    /** Guarded by the append lock: numbers captures in the order taken. */
    private long versions;
    /** Written under the append lock: bumped once block files were deleted or replaced. */
    private volatile long generation;
    /** Guarded by the append lock: the newest request a capture answered. */
    private long answered;

    private AsyncFlusher flusher;
    /** A {@code NONE} stream's flusher forces only when asked: a state write asks, and does not wait. */
    private boolean askFlusher;
    /** Runs before every {@code state.db} write; see {@link #beforeEachWrite(Runnable)}. */
    private volatile Runnable beforeWrite = () ->
    {
    };

    public FullStateWriter(
        final StreamDirectory directory, final StreamIndex index, final Lock appendLock, final StoreMetrics metrics,
        final StateCipher cipher)
    {
        this.cipher = cipher;
        this.directory = directory;
        this.index = index;
        this.appendLock = appendLock;
        this.metrics = metrics;
        this.timer = metrics.writeFullState();
    }

    /**
     * Connect the store's flusher, which must already report its captures here ({@code BlockFlusher.captureListener}).
     *
     * @param askFlusher start a force cycle (in the background) when a state write finds unforced data: for
     *                   {@code SyncMode.NONE}, whose flusher otherwise never runs; the other modes force on their own.
     */
    public void connect(final AsyncFlusher flusher, final boolean askFlusher)
    {
        this.flusher = Objects.requireNonNull(flusher, "flusher");
        this.askFlusher = askFlusher;
    }

    /**
     * @param hook runs before every {@code state.db} write, and a failure it throws fails the write: the store makes
     *             {@code erasures.pending} list every erasure an image may count removed, since the next open does
     *             not replay erase tombstones older than the state it reads.
     */
    public void beforeEachWrite(final Runnable hook)
    {
        this.beforeWrite = Objects.requireNonNull(hook, "hook");
    }

    @Override
    public void onCapture(final boolean flushAsked)
    {
        capturedPending = false;
        final long wanted = requests.get();
        // Not on every interval tick or group commit: a copy per cycle would cost appenders for state nobody wrote.
        if (wanted > answered || flushAsked)
        {
            captured.capture(index, ++versions, generation, wanted);
            answered = wanted;
            capturedPending = true;
        }
    }

    @Override
    public void onDurable()
    {
        if (capturedPending)
        {
            capturedPending = false;
            synchronized (handOver)
            {
                final StateImage previous = durable;
                durable = captured;
                captured = previous;
            }
        }
    }

    /**
     * Write the newest state that describes only durable data, without waiting for any block force: the state as it
     * is now when everything written is already durable, else the newest image a completed force made durable, else
     * nothing (the file already holds the newest durable state). While block files are being replaced there is no
     * {@code state.db} by design and nothing is written.
     */
    public void write()
    {
        final OperationTimer.Run run = timer.start();
        synchronized (this)
        {
            if (replacing)
            {
                run.finish("(skipped: block files are being replaced)");
                return;
            }
            if (!captureIfSettled())
            {
                // Asked for before looking, so a periodic writer always has a newer image coming.
                requestImage();
                if (takeDurableImage(0) != IMAGE_TAKEN)
                {
                    run.finish("(nothing newer is durable yet)");
                    return;
                }
            }
            run.endPhase(StoreMetrics.STATE_SERIALIZE);
            writeOutgoing(run);
        }
    }

    /**
     * Write a state that includes everything done before this call, waiting for the force that makes it durable: for
     * the store's own operations (erase before its bytes go, close). Skipped while block files are being replaced:
     * the replacement writes one at its end.
     *
     * @throws StoreException when the force or the write failed.
     */
    public void writeDurable()
    {
        writeDurable(false);
    }

    private void writeDurable(final boolean replacement)
    {
        final OperationTimer.Run run = timer.start();
        // A capture that reads the request after this increment sees everything done before it. Asked again if a
        // cycle's image was discarded (a truncation between its capture and its force).
        for (int attempt = 1; ; attempt++)
        {
            final long request = requests.incrementAndGet();
            flusher.flushAndWait();
            synchronized (this)
            {
                if (replacing && !replacement)
                {
                    run.finish("(skipped: block files are being replaced)");
                    return;
                }
                final int taken = takeDurableImage(request);
                if (taken == IMAGE_TAKEN)
                {
                    run.endPhase(StoreMetrics.STATE_BLOCKS);
                    writeOutgoing(run);
                    return;
                }
                if (taken == IMAGE_ALREADY_WRITTEN)
                {
                    run.finish("(a state as new is already written)");
                    return;
                }
            }
            if (attempt == 3)
            {
                throw new StoreException("no durable state image after " + attempt + " forces",
                    directory.stateFile(), StoreException.UNKNOWN, StoreException.UNKNOWN);
            }
        }
    }

    /**
     * Change which block files exist — delete some, or replace one with a rewrite — with no {@code state.db} on disk
     * that describes the files as they were: the state is first renamed {@code state.db.replaced} (a crash in between
     * makes the next open rebuild from the blocks, which are consistent at every step, reading from the old state only
     * which block files are older than the pass), images taken before the change are discarded, and a state taken
     * after it is written once it is durable (which deletes the old one). Plain state writes meanwhile write nothing.
     */
    public void whileReplacingBlocks(final Runnable change)
    {
        synchronized (replacement)
        {
            synchronized (this)
            {
                replacing = true;
                try
                {
                    // Kept beside, not deleted: it is the last record of which block files are older than the pass,
                    // and so of which unwritten headers a power cut can explain (StreamRecovery).
                    if (Files.exists(directory.stateFile()))
                    {
                        Files.move(directory.stateFile(), directory.replacedStateFile(),
                            StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                    replacedStateMayExist = true;
                }
                catch (final IOException ex)
                {
                    replacing = false;
                    throw new StoreIOException("set state aside before replacing blocks", directory.stateFile(), ex);
                }
                writtenVersion = 0;
            }
            boolean changed = false;
            try
            {
                directory.sync(directory.root());
                change.run();
                changed = true;
                nextGeneration();
                writeDurable(true);
            }
            finally
            {
                if (!changed)
                {
                    nextGeneration();
                }
                synchronized (this)
                {
                    replacing = false;
                }
            }
        }
    }

    private void nextGeneration()
    {
        appendLock.lock();
        try
        {
            generation++;
        }
        finally
        {
            appendLock.unlock();
        }
    }

    /**
     * Under this monitor: when everything written is durable, capture the state as it is now into the outgoing image.
     */
    private boolean captureIfSettled()
    {
        appendLock.lock();
        try
        {
            if (null == flusher || !flusher.isSettled())
            {
                return false;
            }
            outgoing.capture(index, ++versions, generation, answered);
            return true;
        }
        finally
        {
            appendLock.unlock();
        }
    }

    /**
     * Under this monitor: copy the newest durable image into the outgoing one if it answers {@code request}, belongs
     * to the current block files and is newer than {@code state.db}.
     *
     * @return {@link #IMAGE_TAKEN}; {@link #IMAGE_ALREADY_WRITTEN} when it qualifies but {@code state.db} already holds
     * it or a newer one; {@link #IMAGE_NONE} when no durable image answers {@code request} yet.
     */
    private int takeDurableImage(final long request)
    {
        synchronized (handOver)
        {
            if (durable.version() == 0 || durable.request() < request || durable.generation() != generation)
            {
                return IMAGE_NONE;
            }
            if (durable.version() <= writtenVersion)
            {
                return IMAGE_ALREADY_WRITTEN;
            }
            outgoing.copyFrom(durable);
            return IMAGE_TAKEN;
        }
    }

    /**
     * Ask for an image at the next capture, and in a {@code NONE} stream for a force cycle to take it.
     */
    private void requestImage()
    {
        requests.incrementAndGet();
        if (askFlusher)
        {
            // The future only reports the force, which the flusher records: a failure fails the store's later calls.
            flusher.flush();
        }
    }

    /**
     * Capture the stream's state as it is now, durable or not, sealed as a whole {@code state.db}: for a backup that
     * copies, beside it, exactly the block bytes it describes (a snapshot is never trusted by a running store, so the
     * rule that a state must describe only durable data does not apply; the backup forces the source afterwards so
     * it holds nothing the source could still lose). Takes the append lock for the memory copy only, and runs
     * {@code underLock} in the same critical section so the caller can note what the state describes (block files,
     * the tail's write offset); the sealing happens after, outside every lock this writer has.
     *
     * @param cipher the caller's own cipher (not thread-safe, so not this writer's), or null for a plaintext stream.
     * @return the file's bytes.
     */
    public byte[] captureForBackup(final Runnable underLock, final StateCipher cipher)
    {
        final StateImage image = new StateImage();
        appendLock.lock();
        try
        {
            image.capture(index, 0, generation, 0);
            underLock.run();
        }
        finally
        {
            appendLock.unlock();
        }
        final int length = seal(image, cipher, new byte[BlockKeys.SALT_LENGTH], new CRC32C());
        final byte[] bytes = new byte[length];
        image.buffer().getBytes(0, bytes);
        return bytes;
    }

    /**
     * Under this monitor: seal the outgoing image and replace {@code state.db} with it.
     */
    private void writeOutgoing(final OperationTimer.Run run)
    {
        beforeWrite.run();
        final int length = seal(outgoing, cipher, salt, crc);
        run.endPhase(StoreMetrics.STATE_SERIALIZE);
        final ByteBuffer content = outgoing.buffer().byteBuffer().duplicate();
        content.limit(length).position(0);
        directory.replaceAtomically(directory.stateFile(), content, (phase) ->
        {
            switch (phase)
            {
                case StreamDirectory.PhaseListener.WRITTEN -> run.endPhase(StoreMetrics.STATE_WRITE);
                case StreamDirectory.PhaseListener.SYNCED -> run.endPhase(StoreMetrics.STATE_FSYNC);
                default -> run.endPhase(StoreMetrics.STATE_RENAME);
            }
        });
        writtenVersion = outgoing.version();
        metrics.onFullStateWritten();
        if (replacedStateMayExist)
        {
            try
            {
                Files.deleteIfExists(directory.replacedStateFile());
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("delete the state set aside by a reclaim pass (state.db is written)",
                    directory.replacedStateFile(), ex);
            }
            replacedStateMayExist = false;
        }
        run.finish("(" + length + " bytes, " + outgoing.blocks() + " blocks, last seq " + outgoing.lastSeq() + ", " +
            directory.stateFile() + ")");
    }

    /**
     * Encrypt the image's subject section when {@code cipher} is given and write its header.
     *
     * @return the file's length.
     */
    private static int seal(final StateImage image, final StateCipher cipher, final byte[] salt, final CRC32C crc)
    {
        final int length = null == cipher ? image.length() : encryptSubjects(image, cipher, salt);
        sealHeader(image, length, null != cipher, salt, crc);
        return length;
    }

    /**
     * Seal the subject section, authenticating the plaintext totals and block entries before it as associated data;
     * those stay readable without the key, like block footers.
     */
    private static int encryptSubjects(final StateImage image, final StateCipher cipher, final byte[] salt)
    {
        final int plainLength = image.length();
        final int subjectsAt = image.subjectsAt();
        image.buffer().checkLimit(plainLength + FrameCipher.TAG_LENGTH);
        return subjectsAt +
            cipher.seal(image.buffer().byteBuffer(), HEADER_LENGTH, subjectsAt, plainLength - subjectsAt, salt);
    }

    private static void sealHeader(
        final StateImage image, final int length, final boolean encrypted, final byte[] salt, final CRC32C crc)
    {
        final MutableDirectBuffer buffer = image.buffer();
        final int bodyLength = length - HEADER_LENGTH;
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putInt(FLAGS_OFFSET, encrypted ? FLAG_ENCRYPTED : 0);
        buffer.putLong(BODY_LENGTH_OFFSET, bodyLength);
        buffer.putInt(BODY_CHECKSUM_OFFSET, checksum(image, crc, HEADER_LENGTH, bodyLength));
        buffer.setMemory(BODY_CHECKSUM_OFFSET + 4, HEADER_CHECKSUM_OFFSET - BODY_CHECKSUM_OFFSET - 4, (byte)0);
        if (encrypted)
        {
            buffer.putBytes(SALT_OFFSET, salt);
        }
        buffer.putInt(HEADER_CHECKSUM_OFFSET, checksum(image, crc, 0, HEADER_CHECKSUM_OFFSET));
    }

    private static int checksum(final StateImage image, final CRC32C crc, final int offset, final int length)
    {
        final ByteBuffer view = image.buffer().byteBuffer().duplicate();
        view.limit(offset + length).position(offset);
        crc.reset();
        crc.update(view);
        return (int)crc.getValue();
    }
}
