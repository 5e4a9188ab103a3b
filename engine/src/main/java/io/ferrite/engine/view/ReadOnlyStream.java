package io.ferrite.engine.view;

import io.ferrite.crypto.CryptoException;
import io.ferrite.crypto.KeyMismatchException;
import io.ferrite.crypto.StreamKeyFile;
import io.ferrite.engine.block.BlockCrypto;
import io.ferrite.engine.block.RecordCipher;
import io.ferrite.engine.index.StreamPositions;
import io.ferrite.engine.index.Subjects;
import io.ferrite.engine.state.StreamDirectory;
import io.ferrite.engine.state.StreamMetadata;
import io.ferrite.format.Crc32c;
import io.ferrite.format.PositionsDescriptor;
import io.ferrite.store.CorruptRecordException;
import io.ferrite.store.MessageHandler;
import io.ferrite.store.MessageView;
import io.ferrite.store.StoreClosedException;
import io.ferrite.store.StoreException;
import io.ferrite.store.StoreIOException;
import io.ferrite.store.StoredMessage;
import io.ferrite.store.StreamState;
import io.ferrite.store.StreamTailer;
import io.ferrite.store.StreamView;
import io.ferrite.store.SubjectState;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.TreeMap;

import static io.ferrite.format.RecordDescriptor.*;

/**
 * A {@link StreamView} of a stream another process holds open for writing: it maps the writer's
 * {@value PositionsDescriptor#FILE_NAME} file and the block files read-only and indexes the records it verified, up to
 * the last sequence the writer published. Nothing here opens {@code LOCK} or writes a file of the stream.
 * <p>
 * Protocol (docs/ENGINE.md, "Reading a stream from another process"): every call first {@link #refresh()}es — the
 * writer's state and epoch, its truncation count and blocks version, and its last sequence, each one acquire load.
 * When none moved, nothing else happens. A new blocks version lists {@code blocks/} again (the only system calls in
 * steady state, once per roll or reclaim); a new last sequence indexes the records added since, each verified
 * (checksums; an encrypted message is authenticated when it is read); a truncation or a new epoch (the writer
 * restarted) indexes the stream again from its blocks. Tombstones remove what they name from the index; sequences
 * below the published first sequence are never shown.
 * <p>
 * Threading: every call holds this view's monitor (a lock of the reading process only; the writer never waits for a
 * reader).
 */
public final class ReadOnlyStream implements StreamView
{
    private static final int RECORD_ATTEMPTS = 3;

    private final Path dir;
    private final String name;
    private final StreamDirectory directory;
    private final BlockCrypto crypto;
    private final StreamPositions positions;
    private final Crc32c crc = new Crc32c();
    private final RecordCipher cipher = new RecordCipher();
    private final MessageView view = new MessageView();
    /** Removed ranges seen in tombstones: from to to, inclusive, disjoint and not adjacent. */
    private final TreeMap<Long, Long> removed = new TreeMap<>();
    /** Published messages met whose record did not verify, until a removal names them (or they are damage). */
    private final List<Unverified> unverified = new ArrayList<>();
    /** Rewinds this view saw (truncations, or a restarted writer that kept less), for its tailers. */
    private final long[] rewindRing = new long[PositionsDescriptor.TRUNCATION_RING];

    private ViewBlock[] blocks = new ViewBlock[0];
    private long seenEpoch = -1;
    private long seenTruncations;
    private long seenBlocksVersion = -1;
    private boolean listStale = true;
    private long horizon;
    private long durable;
    private long indexedLastSeq;
    private long msgs;
    private long bytes;
    private long lastTime;
    /** Read by tailers' lock-free check, written under the monitor. */
    private volatile long rewinds;
    private DirectBuffer recordBuffer;
    private int recordOffset;
    private volatile boolean closed;

    private ReadOnlyStream(
        final Path dir, final String name, final BlockCrypto crypto, final StreamPositions positions)
    {
        this.dir = dir;
        this.name = name;
        this.directory = StreamDirectory.readOnly(dir);
        this.crypto = crypto;
        this.positions = positions;
    }

    /**
     * Open the stream in {@code dir} read-only.
     *
     * @param key the caller's key of an encrypted stream, null for a plaintext one; not modified.
     * @throws StoreException naming the path when the directory is missing, holds no stream, has no published
     *                        positions, its writer is still recovering, or the key is missing or wrong.
     */
    public static ReadOnlyStream open(final Path dir, final byte[] key)
    {
        if (!Files.isDirectory(dir))
        {
            throw new StoreException("no stream directory (missing or not a directory)", dir, StoreException.UNKNOWN,
                StoreException.UNKNOWN);
        }
        final StreamMetadata metadata = StreamMetadata.read(dir.resolve(StreamDirectory.METADATA_FILE));
        if (null == metadata)
        {
            throw new StoreException("not a stream directory: it holds no " + StreamDirectory.METADATA_FILE, dir,
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        final BlockCrypto crypto = metadata.encrypted() ? crypto(dir, metadata.name(), key) : null;
        if (!metadata.encrypted() && null != key)
        {
            throw new StoreException("stream " + metadata.name() + " is not encrypted: open it without a key", dir,
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        final StreamPositions positions = new StreamPositions(mapPositions(dir.resolve(PositionsDescriptor.FILE_NAME)));
        if (positions.writerState() == PositionsDescriptor.STATE_RECOVERING)
        {
            throw new StoreException("the stream's writer (process " + positions.writerPid() + ", epoch " +
                positions.epoch() + ") is recovering it: its positions are not published yet; open again once it is " +
                "open", dir.resolve(PositionsDescriptor.FILE_NAME), StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        final ReadOnlyStream stream = new ReadOnlyStream(dir, metadata.name(), crypto, positions);
        synchronized (stream)
        {
            stream.refresh();
        }
        return stream;
    }

    private static BlockCrypto crypto(final Path dir, final String name, final byte[] key)
    {
        final Path file = dir.resolve(StreamMetadata.KEY_FILE);
        if (null == key)
        {
            throw new StoreException("stream " + name + " is encrypted: open it with its key", file,
                StoreException.UNKNOWN, StoreException.UNKNOWN);
        }
        byte[] streamKey = null;
        try
        {
            streamKey = StreamKeyFile.open(file, key.clone(), name);
            return new BlockCrypto(streamKey);
        }
        catch (final KeyMismatchException ex)
        {
            throw new StoreException("key does not match stream " + name, file, StoreException.UNKNOWN,
                StoreException.UNKNOWN, ex);
        }
        catch (final CryptoException ex)
        {
            throw new StoreException("stream key file is unusable: " + ex.getMessage(), file, StoreException.UNKNOWN,
                StoreException.UNKNOWN, ex);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read stream key", file, ex);
        }
        finally
        {
            if (null != streamKey)
            {
                Arrays.fill(streamKey, (byte)0);
            }
        }
    }

    private static UnsafeBuffer mapPositions(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < PositionsDescriptor.LENGTH)
            {
                throw new StoreException("positions file is shorter (" + size + " bytes) than its layout (" +
                    PositionsDescriptor.LENGTH + "): its writer is creating it, or it is damaged", file, size,
                    StoreException.UNKNOWN);
            }
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, PositionsDescriptor.LENGTH);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            final UnsafeBuffer area = new UnsafeBuffer(mapped);
            if (area.getInt(PositionsDescriptor.MAGIC_OFFSET) != PositionsDescriptor.MAGIC ||
                area.getInt(PositionsDescriptor.VERSION_OFFSET) != PositionsDescriptor.VERSION)
            {
                throw new StoreException("not a positions file of this version", file,
                    PositionsDescriptor.MAGIC_OFFSET, StoreException.UNKNOWN);
            }
            return area;
        }
        catch (final NoSuchFileException ex)
        {
            throw new StoreException("no positions file: no writer of this version has opened the stream yet (open " +
                "it for writing once)", file, StoreException.UNKNOWN, StoreException.UNKNOWN, ex);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("map positions file read-only", file, ex);
        }
    }

    public String name()
    {
        return name;
    }

    public Path directory()
    {
        return dir;
    }

    /**
     * @return the writer's epoch: one more at every open of the stream for writing.
     */
    public long writerEpoch()
    {
        return positions.epoch();
    }

    /**
     * @return the process id of the last writer that opened the stream.
     */
    public long writerPid()
    {
        return positions.writerPid();
    }

    /**
     * @return whether the last writer is open: it announced itself and has not closed, and its process is alive (a
     * killed writer leaves the state open).
     */
    public boolean writerOpen()
    {
        final int state = positions.writerState();
        return state != PositionsDescriptor.STATE_CLOSED &&
            ProcessHandle.of(positions.writerPid()).map(ProcessHandle::isAlive).orElse(false);
    }

    // ---------------------------------------------------------------- following the writer

    /**
     * Catch up with the writer's published positions. Holding the monitor.
     */
    void refresh()
    {
        ensureOpen();
        // The epoch first: a writer announces itself with the recovering state before its new epoch, so a new epoch
        // read here is never paired with the state of the writer before it.
        final long epoch = positions.epoch();
        final int state = positions.writerState();
        if (state == PositionsDescriptor.STATE_RECOVERING)
        {
            // The new writer is recovering: what the view holds stays verified and visible; nothing new until it
            // publishes.
            return;
        }
        final long truncations = positions.truncations();
        if (epoch != seenEpoch)
        {
            final long lastBefore = horizon;
            final boolean first = seenEpoch < 0;
            seenEpoch = epoch;
            seenTruncations = truncations;
            reset();
            final long published = positions.lastSeq();
            if (!first && published < lastBefore)
            {
                // The restarted writer kept less than the view had shown: only what was never forced can go so.
                rewound(published);
            }
            if (!first && truncations > 0)
            {
                rewound(positions.lowestTruncatedTo(0, truncations));
            }
        }
        else if (truncations != seenTruncations)
        {
            final long lowest = positions.lowestTruncatedTo(seenTruncations, truncations);
            seenTruncations = truncations;
            rewound(lowest);
            reset();
        }
        final long published = positions.lastSeq();
        final long blocksVersion = positions.blocksVersion();
        durable = positions.durableSeq();
        if (blocksVersion != seenBlocksVersion || listStale)
        {
            seenBlocksVersion = blocksVersion;
            relist(published);
        }
        horizon = published;
        index(published);
        checkUnverified();
    }

    /**
     * Messages met whose record did not verify must be named by a removal (an erase, or a lost sequence the writer's
     * recovery marked removed and wrote a tombstone for) or lie below the published first sequence; anything else is
     * damage. The tombstone of an erase is written before its record is overwritten, so it is in a block by the time
     * the overwrite can be seen — in a block this view may not have mapped yet, so the blocks are listed again first.
     *
     * @throws CorruptRecordException naming the first such record no removal names.
     */
    private void checkUnverified()
    {
        if (unverified.isEmpty())
        {
            return;
        }
        if (dropRemovedUnverified())
        {
            return;
        }
        catchUp();
        if (!dropRemovedUnverified() && !writerMoved())
        {
            final Unverified first = unverified.get(0);
            throw new CorruptRecordException("record checksum does not verify and no removal names it (read-only " +
                "view)", first.file(), first.offset(), first.seq());
        }
    }

    /**
     * @return whether every unverified message is now known removed.
     */
    private boolean dropRemovedUnverified()
    {
        final long first = positions.firstSeq();
        unverified.removeIf((record) -> record.seq() < first || isRemoved(record.seq()));
        return unverified.isEmpty();
    }

    /**
     * Within a call, after a record did not verify: map the blocks the writer added since the refresh (the tombstone
     * that explains it may be in one) and index what they hold, up to the horizon already shown.
     */
    private void catchUp()
    {
        final long blocksVersion = positions.blocksVersion();
        if (blocksVersion != seenBlocksVersion)
        {
            seenBlocksVersion = blocksVersion;
            relist(horizon);
        }
        index(horizon);
    }

    private void rewound(final long to)
    {
        rewinds++;
        rewindRing[(int)(rewinds & (rewindRing.length - 1))] = to;
    }

    private void reset()
    {
        blocks = new ViewBlock[0];
        removed.clear();
        unverified.clear();
        listStale = true;
        indexedLastSeq = 0;
        msgs = 0;
        bytes = 0;
        lastTime = 0;
    }

    /**
     * List {@code blocks/} and map the files not mapped yet. A block that was replaced (a rewrite) or that went (a
     * reclaim) changes what the index holds, so the index is rebuilt then; new blocks are added at the end.
     */
    private void relist(final long published)
    {
        listStale = false;
        final long[] ids = directory.listBlockIds();
        final Object[] keys = new Object[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            keys[i] = fileKey(directory.blockFile(ids[i]));
        }
        if (!stillListed(ids, keys))
        {
            reset();
            listStale = false;
        }
        final List<ViewBlock> mapped = new ArrayList<>(Arrays.asList(blocks));
        final long lastMappedId = blocks.length == 0 ? -1 : blocks[blocks.length - 1].id;
        for (int i = 0; i < ids.length; i++)
        {
            if (ids[i] <= lastMappedId || null == keys[i])
            {
                continue;
            }
            final ViewBlock block = ViewBlock.map(directory.blockFile(ids[i]), ids[i], keys[i], crypto);
            if (null == block)
            {
                continue;
            }
            if (block.baseSeq > published + 1)
            {
                // Above everything published: a block a truncation is deleting, or a roll not yet published. Look
                // again at the next refresh.
                listStale = true;
                break;
            }
            mapped.add(block);
        }
        blocks = mapped.toArray(new ViewBlock[0]);
    }

    private boolean stillListed(final long[] ids, final Object[] keys)
    {
        for (final ViewBlock block : blocks)
        {
            final int at = Arrays.binarySearch(ids, block.id);
            if (at < 0 || null == keys[at] || !keys[at].equals(block.fileKey))
            {
                return false;
            }
        }
        return true;
    }

    private static Object fileKey(final Path file)
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            final Object key = attributes.fileKey();
            return null == key ? attributes.creationTime() : key;
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("read block file attributes", file, ex);
        }
    }

    /**
     * Index the records written since the last look, up to {@code published}: messages and skips at or below it,
     * tombstones whatever they carry. A record that does not verify ends the look at that block (a record being
     * written, or a tail a crash tore) unless its header verified and names a published message: then it is damage.
     */
    private void index(final long published)
    {
        for (int b = 0; b < blocks.length; b++)
        {
            final ViewBlock block = blocks[b];
            if (block.done)
            {
                continue;
            }
            indexBlock(block, published);
            if (b + 1 < blocks.length)
            {
                block.done = true;
            }
        }
    }

    private void indexBlock(final ViewBlock block, final long published)
    {
        final UnsafeBuffer buffer = block.buffer;
        int offset = block.scanEnd;
        while (offset + HEADER_LENGTH <= block.limit)
        {
            final int frameLength = buffer.getIntVolatile(offset + FRAME_LENGTH_OFFSET);
            if (frameLength < MIN_FRAME_LENGTH || frameLength > block.limit - offset ||
                (frameLength & (ALIGNMENT - 1)) != 0 ||
                crc.compute(block.mapped, offset, HEADER_CHECKSUM_OFFSET) !=
                    buffer.getInt(offset + HEADER_CHECKSUM_OFFSET))
            {
                break;
            }
            final byte type = buffer.getByte(offset + TYPE_OFFSET);
            final long seq = buffer.getLong(offset + SEQUENCE_OFFSET);
            if (type != TYPE_DELETE && seq > published)
            {
                break;
            }
            if (crc.compute(block.mapped, offset, frameLength - CHECKSUM_LENGTH) !=
                buffer.getInt(checksumOffset(offset, frameLength)))
            {
                if (type != TYPE_MESSAGE || seq > published || writerMoved())
                {
                    break;
                }
                // A published message whose header verifies but whose record does not: erased (its erase tombstone
                // follows it in the stream, written before the bytes were overwritten), or damage. Told apart once
                // everything published is indexed (checkUnverified); its verified header makes its frame length
                // trustworthy, so the look goes on past it.
                unverified.add(new Unverified(block.file, offset, seq));
                indexedLastSeq = Math.max(indexedLastSeq, seq);
                offset += frameLength;
                block.scanEnd = offset;
                continue;
            }
            if (type == TYPE_MESSAGE)
            {
                if (seq >= block.baseSeq && !isRemoved(seq))
                {
                    block.list(seq, offset);
                    msgs++;
                    bytes += contentLength(buffer, offset);
                }
                lastTime = buffer.getLong(offset + TIMESTAMP_OFFSET);
                indexedLastSeq = Math.max(indexedLastSeq, seq);
            }
            else if (type == TYPE_SKIP)
            {
                indexedLastSeq = Math.max(indexedLastSeq, seq);
            }
            else if (type == TYPE_DELETE)
            {
                applyTombstone(block, offset, seq);
            }
            offset += frameLength;
            block.scanEnd = offset;
        }
    }

    private static long contentLength(final DirectBuffer buffer, final int offset)
    {
        return (long)(buffer.getShort(offset + SUBJECT_LENGTH_OFFSET) & 0xFFFF) +
            buffer.getInt(offset + HEADERS_LENGTH_OFFSET) + buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET);
    }

    private void applyTombstone(final ViewBlock block, final int offset, final long seq)
    {
        final DirectBuffer record = null == block.key ? block.buffer :
            cipher.open(block.key, block.mapped, block.buffer, offset, seq, block.file);
        final int at = null == block.key ? offset : 0;
        final int body = at + HEADER_LENGTH + (record.getShort(at + SUBJECT_LENGTH_OFFSET) & 0xFFFF) +
            record.getInt(at + HEADERS_LENGTH_OFFSET);
        final long from = record.getLong(body + TOMBSTONE_FROM_OFFSET);
        final long to = record.getLong(body + TOMBSTONE_TO_OFFSET);
        if (from < 1 || to < from)
        {
            return;
        }
        addRemoved(from, to);
        for (final ViewBlock holder : blocks)
        {
            final long first = Math.max(from, holder.baseSeq);
            final long last = Math.min(to, holder.endSeq() - 1);
            for (long s = first; s <= last; s++)
            {
                final int listed = holder.offsetOf(s);
                if (listed != 0)
                {
                    holder.unlist(s);
                    msgs--;
                    bytes -= contentLength(holder.buffer, listed);
                }
            }
        }
    }

    /**
     * Keep {@code [from, to]} in {@link #removed} as disjoint, non-adjacent ranges, so a lookup is one floor search.
     */
    private void addRemoved(final long from, final long to)
    {
        long low = from;
        long high = to;
        final Entry<Long, Long> before = removed.floorEntry(from);
        if (null != before && before.getValue() >= from - 1)
        {
            low = before.getKey();
            high = Math.max(high, before.getValue());
        }
        for (Entry<Long, Long> next = removed.ceilingEntry(low); null != next && next.getKey() <= high + 1;
            next = removed.ceilingEntry(low))
        {
            high = Math.max(high, next.getValue());
            removed.remove(next.getKey());
        }
        removed.put(low, high);
    }

    private boolean isRemoved(final long seq)
    {
        final Entry<Long, Long> range = removed.floorEntry(seq);
        return null != range && range.getValue() >= seq;
    }

    // ---------------------------------------------------------------- reading

    /**
     * @return the block that would hold {@code seq}, or null.
     */
    private ViewBlock blockFor(final long seq)
    {
        final int position = positionFor(seq);
        return position < 0 ? null : blocks[position];
    }

    /**
     * @return the position of the block that would hold {@code seq}, -1 when below the first.
     */
    private int positionFor(final long seq)
    {
        int low = 0;
        int high = blocks.length - 1;
        int found = -1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (blocks[mid].baseSeq <= seq)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }

    /**
     * Point {@link #recordBuffer}/{@link #recordOffset} at the verified message {@code seq}.
     *
     * @return false when no message is listed there, up to {@code bound}.
     */
    boolean locate(final long seq, final long bound)
    {
        if (seq < 1 || seq > bound || seq < positions.firstSeq())
        {
            return false;
        }
        final ViewBlock block = blockFor(seq);
        final int offset = null == block ? 0 : block.offsetOf(seq);
        if (offset == 0)
        {
            return false;
        }
        final String problem = check(block, offset, seq);
        if (null != problem)
        {
            // The writer may have changed the bytes since they were indexed: an erase (its tombstone is then at the
            // tail), a truncation or a restart (the next refresh indexes again and tailers are told of the rewind).
            if (writerMoved())
            {
                return false;
            }
            catchUp();
            if (block.offsetOf(seq) == 0 || isRemoved(seq))
            {
                return false;
            }
            throw new CorruptRecordException(problem + " (read-only view)", block.file, offset, seq);
        }
        if (null == block.key)
        {
            recordBuffer = block.buffer;
            recordOffset = offset;
        }
        else
        {
            recordBuffer = cipher.open(block.key, block.mapped, block.buffer, offset, seq, block.file);
            recordOffset = 0;
        }
        return true;
    }

    /**
     * @return null when the record at {@code offset} is the message {@code seq} and its checksums verify, else what
     * is wrong.
     */
    private String check(final ViewBlock block, final int offset, final long seq)
    {
        final UnsafeBuffer buffer = block.buffer;
        final int frameLength = buffer.getInt(offset + FRAME_LENGTH_OFFSET);
        if (frameLength < MIN_FRAME_LENGTH || frameLength > block.limit - offset ||
            crc.compute(block.mapped, offset, HEADER_CHECKSUM_OFFSET) !=
                buffer.getInt(offset + HEADER_CHECKSUM_OFFSET))
        {
            return "record header does not verify";
        }
        if (crc.compute(block.mapped, offset, frameLength - CHECKSUM_LENGTH) !=
            buffer.getInt(checksumOffset(offset, frameLength)))
        {
            return "record checksum does not verify";
        }
        if (buffer.getLong(offset + SEQUENCE_OFFSET) != seq || buffer.getByte(offset + TYPE_OFFSET) != TYPE_MESSAGE)
        {
            return "record at this offset holds another sequence, or is not a message";
        }
        final boolean sealed = (buffer.getByte(offset + FLAGS_OFFSET) & FLAG_ENCRYPTED) != 0;
        if (sealed != (null != block.key))
        {
            return sealed ? "encrypted record in a plaintext block" : "plaintext record in an encrypted block";
        }
        return null;
    }

    /**
     * @return whether the writer truncated the stream or restarted since the last refresh.
     */
    private boolean writerMoved()
    {
        return positions.epoch() != seenEpoch || positions.truncations() != seenTruncations;
    }

    MessageView view()
    {
        return view.wrap(recordBuffer, recordOffset);
    }

    /**
     * @return the next sequence at or after {@code seq} (and at most {@code bound}) that is listed, or -1.
     */
    long nextListed(final long seq, final long bound)
    {
        long s = Math.max(seq, positions.firstSeq());
        while (s <= bound)
        {
            final int position = positionFor(s);
            if (position < 0)
            {
                if (blocks.length == 0)
                {
                    return -1;
                }
                s = blocks[0].baseSeq;
                continue;
            }
            final ViewBlock block = blocks[position];
            if (s >= block.endSeq())
            {
                final int next = position + 1;
                if (next >= blocks.length)
                {
                    return -1;
                }
                s = blocks[next].baseSeq;
                continue;
            }
            if (block.offsetOf(s) != 0)
            {
                return s;
            }
            s++;
        }
        return -1;
    }

    long horizon(final boolean durableOnly)
    {
        return durableOnly ? Math.min(horizon, durable) : horizon;
    }

    long rewinds()
    {
        return rewinds;
    }

    /**
     * @return the lowest rewind point among rewinds {@code seen + 1} to now, or 0 when more than the ring holds.
     */
    long lowestRewindSince(final long seen)
    {
        if (rewinds - seen > rewindRing.length)
        {
            return 0;
        }
        long lowest = Long.MAX_VALUE;
        for (long r = seen + 1; r <= rewinds; r++)
        {
            lowest = Math.min(lowest, rewindRing[(int)(r & (rewindRing.length - 1))]);
        }
        return lowest;
    }

    long publishedLastSeq()
    {
        return positions.lastSeq();
    }

    /**
     * @return whether something a poll needs may have moved since the last refresh: one acquire load each.
     */
    boolean moved(final long wantedSeq, final boolean durableOnly)
    {
        return positions.epoch() != seenEpoch || positions.truncations() != seenTruncations ||
            wantedSeq <= (durableOnly ? Math.min(positions.lastSeq(), positions.durableSeq()) : positions.lastSeq());
    }

    @Override
    public synchronized StoredMessage load(final long seq)
    {
        refresh();
        return locate(seq, horizon) ? view().toStoredMessage() : null;
    }

    @Override
    public synchronized boolean read(final long seq, final MessageHandler handler)
    {
        refresh();
        if (!locate(seq, horizon))
        {
            return false;
        }
        handler.onMessage(view());
        return true;
    }

    @Override
    public synchronized StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        if (fromSeq < 1)
        {
            throw new IllegalArgumentException("fromSeq must be >= 1: " + fromSeq);
        }
        refresh();
        for (long s = nextListed(fromSeq, horizon); s > 0; s = nextListed(s + 1, horizon))
        {
            if (locate(s, horizon) && Subjects.matches(filter, view().subject()))
            {
                return view().toStoredMessage();
            }
        }
        return null;
    }

    @Override
    public synchronized StoredMessage loadLast(final String subject)
    {
        Subjects.validateFilter(subject);
        refresh();
        final long first = Math.max(1, positions.firstSeq());
        for (long s = horizon; s >= first; s--)
        {
            if (locate(s, horizon) && Subjects.matches(subject, view().subject()))
            {
                return view().toStoredMessage();
            }
        }
        return null;
    }

    /**
     * Counted by walking every message the view lists: O(messages), for tools and occasional queries.
     */
    @Override
    public synchronized Map<String, SubjectState> subjects(final String filter)
    {
        Subjects.validateFilter(filter);
        refresh();
        final TreeMap<String, long[]> found = new TreeMap<>();
        for (long s = nextListed(1, horizon); s > 0; s = nextListed(s + 1, horizon))
        {
            if (locate(s, horizon))
            {
                final String subject = view().subject();
                if (Subjects.matches(filter, subject))
                {
                    final long at = s;
                    final long[] state = found.computeIfAbsent(subject, (k) -> new long[]{0, at, at});
                    state[0]++;
                    state[2] = s;
                }
            }
        }
        final Map<String, SubjectState> result = new TreeMap<>();
        found.forEach((subject, state) -> result.put(subject, new SubjectState(state[0], state[1], state[2])));
        return result;
    }

    @Override
    public synchronized StreamState state()
    {
        refresh();
        final long firstListed = nextListed(1, horizon);
        final long first = firstListed > 0 ? firstListed : horizon + 1;
        final long firstTime = firstListed > 0 && locate(firstListed, horizon) ? view().timestamp() : 0;
        final long count = firstListed > 0 ? msgs : 0;
        return new StreamState(count, firstListed > 0 ? bytes : 0, first, horizon, firstTime, lastTime,
            count > 0 ? horizon - first + 1 - count : 0, subjects(">").size());
    }

    @Override
    public long lastSeq()
    {
        return positions.lastSeq();
    }

    @Override
    public long durableSeq()
    {
        return positions.durableSeq();
    }

    @Override
    public long firstSeq()
    {
        return positions.firstSeq();
    }

    @Override
    public synchronized StreamTailer createTailer(final long fromSeq)
    {
        return createTailer(fromSeq, false);
    }

    @Override
    public synchronized StreamTailer createTailer(final long fromSeq, final boolean durableOnly)
    {
        refresh();
        return new ViewTailer(this, fromSeq, durableOnly);
    }

    void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(name);
        }
    }

    @Override
    public synchronized void close()
    {
        closed = true;
        blocks = new ViewBlock[0];
        crc.release();
        cipher.release();
    }

    /**
     * A published message whose header verified and whose record did not.
     */
    private record Unverified(Path file, int offset, long seq)
    {
    }

    @Override
    public String toString()
    {
        return "ReadOnlyStream[" + name + " in " + dir + ", writer pid " + positions.writerPid() + ", epoch " +
            positions.epoch() + "]";
    }
}
