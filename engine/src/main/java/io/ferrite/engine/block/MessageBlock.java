package io.ferrite.engine.block;

import io.ferrite.store.CorruptFileException;
import io.ferrite.crypto.BlockFooter;
import io.ferrite.crypto.BlockFooterCodec;
import io.ferrite.crypto.BlockKey;
import io.ferrite.engine.index.BlockSubjects;
import io.ferrite.engine.index.DeletedSequences;
import io.ferrite.engine.index.SequenceTable;
import io.ferrite.engine.metrics.StoreMetrics;
import io.ferrite.format.BlockDescriptor;
import io.ferrite.format.Crc32c;
import io.ferrite.format.FrameCounters;
import io.ferrite.format.RecordDescriptor;
import io.ferrite.format.TombstoneEpochSlots;
import io.ferrite.store.StoreIOException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static io.ferrite.format.RecordDescriptor.*;

abstract class MessageBlockLhsPadding
{
    byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
    byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
    byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
    byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
}

abstract class MessageBlockWriteOffset extends MessageBlockLhsPadding
{
    /** Writer-only: where the next record goes. */
    int writeOffset;
}

abstract class MessageBlockRhsPadding extends MessageBlockWriteOffset
{
    byte p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079;
    byte p080, p081, p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095;
    byte p096, p097, p098, p099, p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111;
    byte p112, p113, p114, p115, p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127;
}

/**
 * One block file: its mapping, its sequence table, and the append mechanics. Blocks recovered from {@code state.db}
 * start unmapped; they are mapped, and their sequence table built, on the first read that needs them — reads may touch
 * block files, state writes never do.
 * <p>
 * Threading: {@link #append}/{@link #appendSkip} from the single appending thread only. {@link #buffer()} and
 * {@link #table()} from any thread; the lazy mapping happens once, under this block's monitor (the table build under
 * its {@link BlockContents}'), which
 * only readers of the same not-yet-mapped block contend for.
 * <p>
 * The mapping readers use is unmapped only when the store closes and its read gate shows no reader inside
 * ({@link #detachMappings}), or once the block left the index (deleted, rewritten or cut) and the gate showed no
 * reader inside after that: a reader racing with the deletion may still hold the buffer, and a fault on unmapped memory
 * would crash the JVM. A block the appender writes has a second, writable mapping that
 * only the appending thread uses, let go of at the roll ({@link #detachWriter()}); every write goes through it, since a
 * write through the read-only one would crash the JVM.
 * <p>
 * The write offset, the one field the appender changes on every append, sits between paddings (the superclasses
 * above, as in Agrona): a tailer reading this block's mapping and key on another core would otherwise share its cache
 * line and lose it to every append, and every append would wait to take it back.
 */
public final class MessageBlock extends MessageBlockRhsPadding
{
    private final long id;
    private final Path file;
    private final long baseSeq;
    private final StoreMetrics metrics;
    /** Null for a plaintext stream. */
    private final BlockCrypto crypto;

    private volatile UnsafeBuffer buffer;
    private volatile BlockKey key;
    private volatile MappedByteBuffer mapped;
    /**
     * Appending thread only: the mapping records, tombstones, footers and epoch slots are written through — the same as
     * {@link #mapped} for a block opened to be read, a writable mapping of its own for one the appender writes (readers
     * and forces then go through the read-only {@link #mapped}); null once {@link #detachWriter()} let it go.
     */
    private MappedByteBuffer writeMapped;
    private UnsafeBuffer writeBuffer;

    /** Set by the appender when the footer is written; the block takes no more records. */
    private volatile boolean sealed;
    private final BlockDurability durability;
    private int limit;
    /** The file's length when known (created, opened, or rewritten), else -1. */
    private volatile int fileLength = -1;
    private long truncatedSize = -1;
    /** For a block known from state: its last sequence, so damage found later covers the right sequences. */
    private long knownLastSeq;
    /**
     * For a block known from state: its live messages then, or -1. Records cut out of the block's middle leave only a
     * sequence gap, like an {@code appendAt} jump; a table build that finds fewer messages than this tells them apart.
     */
    private int knownMsgs = -1;
    private final BlockContents contents;
    /** Set once the file was deleted or replaced: a reader holding this block must not map it. */
    private volatile boolean retired;
    /** Set by {@link #detachMappings}: the file is never mapped again. */
    private boolean unmapped;
    /**
     * Whether the file may hold tombstones (of removals in older blocks, which must be written again before this file
     * goes). Unknown, hence true, for a block recovery did not scan.
     */
    private volatile boolean holdsTombstones = true;
    /**
     * Writer-only: the epoch of the encrypted tombstones this process writes into the block (see
     * {@link FrameCounters}): 0 for a block it created, -1 for one it found or cut (its key may have sealed records
     * past the write offset), then the epoch it recorded in the header.
     */
    private int tombstoneEpoch = -1;
    /**
     * Writer-only: the epoch slot write in the header that no force has yet covered, or null. It stays until a force
     * returns, whatever else happens to the block, so a retry writes it again rather than advancing.
     */
    private TombstoneEpochSlots.Write unforcedEpochSlot;
    /** Bytes at the end of the data area only tombstones use; set with {@link #limit}. */
    private int tombstoneReserve;

    private MessageBlock(
        final long id, final Path file, final long baseSeq, final StoreMetrics metrics, final BlockCrypto crypto)
    {
        this.id = id;
        this.file = file;
        this.baseSeq = baseSeq;
        this.metrics = metrics;
        this.crypto = crypto;
        this.contents = new BlockContents(this);
        this.durability = new BlockDurability(this);
    }

    /**
     * Turn a prepared (allocated, mapped) file into a new block: write its header and rename it into place.
     */
    public static MessageBlock create(
        final BlockFile.Prepared prepared, final Path file, final long id, final long baseSeq, final long createdNanos,
        final long prevLastSeq, final StoreMetrics metrics, final BlockCrypto crypto)
    {
        return create(prepared, file, id, baseSeq, createdNanos, prevLastSeq, null, null, metrics, crypto);
    }

    /**
     * As {@link #create(BlockFile.Prepared, Path, long, long, long, long, StoreMetrics, BlockCrypto)}, with the
     * sequence table's entries allocated ahead, off the append path
     * ({@link SequenceTable#SequenceTable(long, UnsafeBuffer)}).
     *
     * @param sequenceOffsets zeroed entries the new block's sequence table takes over, or null for default ones.
     */
    public static MessageBlock create(
        final BlockFile.Prepared prepared, final Path file, final long id, final long baseSeq, final long createdNanos,
        final long prevLastSeq, final UnsafeBuffer sequenceOffsets, final BlockSubjects subjects,
        final StoreMetrics metrics, final BlockCrypto crypto)
    {
        final MessageBlock block = new MessageBlock(id, file, baseSeq, metrics, crypto);
        block.key = null == crypto ? null : crypto.newKey();
        final BlockFile.Mapping mapping = BlockFile.activate(
            prepared, file, id, baseSeq, createdNanos, prevLastSeq, block.key);
        metrics.onBlockCreated();
        block.attach(mapping);
        block.contents.install(null == sequenceOffsets ?
            new SequenceTable(baseSeq) : new SequenceTable(baseSeq, sequenceOffsets));
        block.contents.subjects(null == subjects ? new BlockSubjects(false) : subjects);
        block.holdsTombstones = false;
        block.tombstoneEpoch = 0;
        block.writeOffset = BlockDescriptor.DATA_OFFSET;
        block.durability.created(prepared.sizeForced());
        return block;
    }

    /**
     * A block known from state whose file is not opened until a read needs it.
     *
     * @param msgs its live messages (those its removed set, given next, leaves), from the block entry.
     */
    public static MessageBlock unmapped(final Path file, final long id, final long baseSeq, final int writeOffset,
        final long lastSeq, final int msgs, final StoreMetrics metrics, final BlockCrypto crypto)
    {
        final MessageBlock block = new MessageBlock(id, file, baseSeq, metrics, crypto);
        block.knownLastSeq = lastSeq;
        block.knownMsgs = msgs;
        block.writeOffset = writeOffset;
        block.durability.forcedUpTo(writeOffset);
        return block;
    }

    /**
     * Open and map an existing block file now, to scan it or to append to it.
     *
     * @param baseSeq the base sequence from state, or -1 to take it from the header.
     */
    public static MessageBlock open(
        final Path file, final long id, final long baseSeq, final boolean writable, final StoreMetrics metrics,
        final BlockCrypto crypto)
    {
        final BlockFile.Mapping mapping = BlockFile.open(file, id, writable, null != crypto);
        metrics.onBlockFileOpened();
        metrics.onBlockBytesRead(BlockDescriptor.HEADER_LENGTH);
        final UnsafeBuffer header = new UnsafeBuffer(mapping.mapped(), 0, BlockDescriptor.HEADER_LENGTH);
        final long headerBaseSeq = header.getLong(BlockDescriptor.BASE_SEQ_OFFSET);
        final MessageBlock block = new MessageBlock(id, file, baseSeq < 0 ? headerBaseSeq : baseSeq, metrics, crypto);
        block.attach(mapping);
        return block;
    }

    private void attach(final BlockFile.Mapping mapping)
    {
        final UnsafeBuffer mappedBuffer = new UnsafeBuffer(mapping.mapped());
        final int capacity = mapping.mapped().capacity();
        this.fileLength = capacity;
        if (null != crypto)
        {
            if (null == key)
            {
                key = crypto.keyFor(mappedBuffer, file);
            }
            final int declared = mappedBuffer.getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET);
            this.limit = Math.min(capacity, declared - BlockFooterCodec.FOOTER_LENGTH);
        }
        else
        {
            this.limit = capacity;
        }
        this.tombstoneReserve = RecordDescriptor.tombstoneReserve(limit - BlockDescriptor.DATA_OFFSET, null != crypto);
        durability.channel(mapping.channel());
        this.truncatedSize = mapping.truncatedSize();
        this.writeMapped = mapping.mapped();
        this.writeBuffer = mappedBuffer;
        this.mapped = mapping.readMapped();
        this.buffer = mapping.readMapped() == mapping.mapped() ? mappedBuffer : new UnsafeBuffer(mapping.readMapped());
    }

    /**
     * The block takes no more writes (the appender rolled past it): let go of its writable mapping, for the caller to
     * unmap — the roll hands it to {@link RetiredMappings}, so the unmap costs the append path nothing. Unmapped, it
     * leaves the block's pages to the read-only mapping alone, so forcing them write-protects no writable mapping — one
     * TLB shoot-down per page on every core the process runs on (docs/BENCHMARKS.md, {@code MappedWritebackBenchmark}).
     * Safe to unmap: only the appending thread ever used it, readers and forces use the read-only mapping. From here on
     * a write to this block fails with a {@link NullPointerException}, never touches unmapped memory, and nothing of
     * this block touches the returned mapping. Appending thread only.
     *
     * @return the writable mapping to unmap, or null when the block has none of its own.
     */
    public MappedByteBuffer detachWriter()
    {
        final MappedByteBuffer writable = writeMapped;
        writeMapped = null;
        writeBuffer = null;
        return null != writable && writable != mapped ? writable : null;
    }

    /**
     * Let go of both mappings, for the caller to unmap, and of the sequence tables, for the caller to free: the store
     * closed, or the block left the index, and no reader can still hold it (the caller knows: a read of an unmapped
     * page, or of freed table memory, could crash the JVM). Unmapped, the file's page-cache memory, and its disk space
     * once the file is deleted, go back at once rather than at some later garbage collection; so does the tables'
     * direct memory, which no collection may come for (see {@link SequenceTable}). The block is never mapped again: a
     * {@link #buffer()} after this fails, naming the file; a write fails with a {@link NullPointerException}; a freed
     * table lists nothing. Under the append lock when the block may still have a writer.
     *
     * @param into   gets the mappings to unmap, none twice.
     * @param tables gets the tables to free ({@link SequenceTable#free} ignores a second call).
     */
    public void detachMappings(final List<MappedByteBuffer> into, final List<SequenceTable> tables)
    {
        // Not under this block's monitor: a table build holds the contents' and then takes this one to map the block.
        contents.detachTables(tables);
        detachMappings(into);
    }

    private synchronized void detachMappings(final List<MappedByteBuffer> into)
    {
        unmapped = true;
        final MappedByteBuffer writable = writeMapped;
        final MappedByteBuffer readable = mapped;
        writeMapped = null;
        writeBuffer = null;
        mapped = null;
        buffer = null;
        if (null != writable && writable != readable)
        {
            into.add(writable);
        }
        if (null != readable)
        {
            into.add(readable);
        }
    }

    /**
     * @return the block's key, null for a plaintext block. Maps the block first if needed.
     */
    public BlockKey key()
    {
        buffer();
        return key;
    }

    public boolean isEncrypted()
    {
        return null != crypto;
    }

    public long id()
    {
        return id;
    }

    public Path file()
    {
        return file;
    }

    public long baseSeq()
    {
        return baseSeq;
    }

    public int writeOffset()
    {
        return writeOffset;
    }

    /**
     * @return the block file's length, or -1 when the file has not been opened since the store opened.
     */
    public int fileLength()
    {
        return fileLength;
    }

    /**
     * Record the length of a file this block was just given (a rewrite).
     */
    public void fileLength(final int length)
    {
        this.fileLength = length;
    }

    public int limit()
    {
        return limit;
    }

    /**
     * @return the size the file had when it was opened shorter than its header claims, else -1.
     */
    public long truncatedSize()
    {
        return truncatedSize;
    }

    /**
     * Install the result of a recovery scan: the table of what was found and where appends continue.
     */
    public void recovered(final SequenceTable table, final int writeOffset)
    {
        contents.install(table);
        this.writeOffset = writeOffset;
        durability.forcedUpTo(writeOffset);
    }

    /**
     * @return the mapped buffer, mapping the file first if no read has needed it yet.
     */
    public UnsafeBuffer buffer()
    {
        final UnsafeBuffer mappedBuffer = buffer;
        return null != mappedBuffer ? mappedBuffer : mapLazily();
    }

    /**
     * @return the mapping behind {@link #buffer()}, for checksums.
     */
    public MappedByteBuffer mapped()
    {
        buffer();
        return mapped;
    }

    /**
     * @return the sequence table, building it by scanning the mapped block if no read has needed it yet.
     */
    public SequenceTable table()
    {
        return contents.table();
    }

    /**
     * @return what the block holds as readers see it: its sequence table, removed sequences and subject summary.
     */
    public BlockContents contents()
    {
        return contents;
    }

    private synchronized UnsafeBuffer mapLazily()
    {
        if (null == buffer)
        {
            if (unmapped)
            {
                throw new IllegalStateException("block file " + file + " was unmapped: its store closed, or the " +
                    "block left the index");
            }
            if (retired)
            {
                throw new BlockRetiredException(file);
            }
            final BlockFile.Mapping mapping;
            try
            {
                mapping = BlockFile.open(file, id, false, null != crypto);
            }
            catch (final StoreIOException ex)
            {
                if (retired)
                {
                    // Deleted by the reclaimer between the check above and the open: the retirement came first.
                    throw new BlockRetiredException(file);
                }
                throw ex;
            }
            metrics.onBlockFileOpened();
            metrics.onBlockBytesRead(BlockDescriptor.HEADER_LENGTH);
            final long headerBaseSeq = mapping.mapped().getLong(BlockDescriptor.BASE_SEQ_OFFSET);
            if (headerBaseSeq != baseSeq)
            {
                // The table, removed set and reads would all be placed by the state's number, which only a damaged or
                // forged state.db gets wrong (a plaintext one's CRC can be recomputed).
                throw new CorruptFileException("block header base sequence " + headerBaseSeq +
                    " does not match " + baseSeq + ", the base state.db recorded for it", file,
                    BlockDescriptor.BASE_SEQ_OFFSET);
            }
            attach(mapping);
        }
        return buffer;
    }

    /**
     * Scan the block's records into a new sequence table, leaving out {@code deleted}. Called by {@link BlockContents}
     * under its monitor, once.
     *
     * @param removedSinceKnown messages removed since the block entry's count was taken (they are in {@code deleted}).
     */
    SequenceTable scanTable(final DeletedSequences deleted, final int removedSinceKnown)
    {
        final UnsafeBuffer data = buffer();
        final int dataEnd = Math.min(limit, writeOffset);
        final SequenceTable built = SequenceTableBuilder.build(file, data, mapped, baseSeq, dataEnd, writeOffset,
            knownLastSeq, knownMsgs < 0 ? -1 : knownMsgs - removedSinceKnown, key, deleted);
        metrics.onBlockBytesRead(dataEnd - BlockDescriptor.DATA_OFFSET);
        return built;
    }

    /**
     * Mark the file gone (deleted or replaced by a rewrite); mappings already made stay valid for their readers.
     */
    public void retire()
    {
        retired = true;
    }

    /**
     * Undo {@link #retire()}: the rewrite that was to replace this block's file failed before its rename, so the file
     * is still this block's.
     */
    public void restore()
    {
        retired = false;
    }

    public boolean isRetired()
    {
        return retired;
    }

    /**
     * Verify the message record at {@code offset} (and in an encrypted block authenticate and decrypt it).
     *
     * @return the plaintext record: this block's buffer with the record at {@code offset}, or for an encrypted block
     * the cipher's buffer with the record at index 0; null when it does not verify.
     */
    public DirectBuffer verifiedRecord(final int offset, final long seq, final RecordVerifier verifier)
    {
        return verifier.verifiedOrNull(this, buffer(), offset, seq);
    }

    /**
     * @return whether a message or skip record of {@code frameLength} bytes fits after the current data, short of the
     * room kept for tombstones ({@link RecordDescriptor#tombstoneReserve}). A record as large as the configuration
     * allows (which does not count the reserve, so that streams configured before it still open) may use the reserve
     * as the first record of a block: it fits no block otherwise.
     */
    public boolean hasRoomFor(final int frameLength)
    {
        return !sealed && (writeOffset + frameLength <= limit - tombstoneReserve ||
            writeOffset == BlockDescriptor.DATA_OFFSET && writeOffset + frameLength <= limit);
    }

    /**
     * @return whether a tombstone fits after the current data: it may use the room messages leave for it.
     */
    public boolean hasRoomForTombstone()
    {
        return !sealed && writeOffset + tombstoneFrameLength() <= limit;
    }

    /**
     * @return the bytes at the end of the block only tombstones may use.
     */
    public int tombstoneReserve()
    {
        return tombstoneReserve;
    }

    /**
     * Before the first tombstone this process writes into a block whose key may have sealed records past its write
     * offset before (found on open, or cut by a truncation): write the next tombstone epoch slot toward an epoch above
     * every one its tombstones used ({@link TombstoneEpochSlots}) into the mapped header and return it. The caller
     * forces the header and then reports it with {@link #tombstoneEpochSlotForced}, and asks again until
     * {@link #tombstoneEpoch()} is set (at most twice: a damaged slot is repaired first). Writer-only.
     * <p>
     * A write no force has covered yet is written again, unchanged, not advanced: until a force returns nothing says
     * its bytes reached the disk (a failed force may even have left the page marked clean, and writing the bytes
     * again dirties it for the next force), and advancing would write over the slot holding the highest epoch known
     * durable before its successor is — the one thing the slots' order relies on — and burn an epoch per failure.
     *
     * @return the write, or a refusal when no epoch can be started safely (see {@link TombstoneEpochSlots#next}).
     */
    public TombstoneEpochSlots.Write writeTombstoneEpochSlot()
    {
        final TombstoneEpochSlots.Write write =
            null != unforcedEpochSlot ? unforcedEpochSlot : TombstoneEpochSlots.next(buffer, id);
        if (!write.isRefused())
        {
            TombstoneEpochSlots.put(writeBuffer, id, write.slot(), write.epoch());
            unforcedEpochSlot = write;
        }
        return write;
    }

    /**
     * The header force that followed {@code write} (from {@link #writeTombstoneEpochSlot()}) returned normally: the
     * write is durable, and when it starts an epoch, tombstones written from now on use it. Writer-only.
     */
    public void tombstoneEpochSlotForced(final TombstoneEpochSlots.Write write)
    {
        if (write != unforcedEpochSlot)
        {
            throw new IllegalStateException("tombstone epoch slot write " + write + " of " + file + " is not the " +
                "one waiting for its force: " + unforcedEpochSlot);
        }
        unforcedEpochSlot = null;
        if (write.usable())
        {
            tombstoneEpoch = write.epoch();
        }
    }

    /**
     * @return the epoch the next encrypted tombstone uses: 0 in a block this process created, -1 while unknown (a
     *         block found on open or truncated takes an encrypted tombstone only after a recorded epoch).
     */
    public int tombstoneEpoch()
    {
        return tombstoneEpoch;
    }

    /**
     * Write a message record at the write offset. The caller has checked {@link #hasRoomFor(int)} and passes the
     * subject as its validated ASCII bytes. Readers learn about it only when the caller publishes {@code seq}.
     *
     * @return the record checksum.
     */
    public int append(
        final long seq, final long timestamp, final byte[] subject, final byte[] headers, final byte[] payload,
        final int frameLength, final Crc32c crc, final RecordCipher cipher)
    {
        final int offset = writeOffset;
        final int checksum = RecordWriter.writeMessage(
            writeBuffer, writeMapped, key, offset, seq, timestamp, subject, headers, payload, frameLength, crc, cipher);
        contents.table().put(seq, offset);
        writeOffset = offset + frameLength;
        return checksum;
    }

    /**
     * @return the buffer the content (headers, then payload) of the next message record goes into before
     * {@link #appendPlaced}: this block's mapping for a plaintext block, {@code cipher}'s staging buffer for an
     * encrypted one. The caller has checked {@link #hasRoomFor(int)}.
     */
    public UnsafeBuffer contentBuffer(final int subjectLength, final int contentLength, final RecordCipher cipher)
    {
        return null == key ? writeBuffer : cipher.stage(subjectLength, contentLength);
    }

    /**
     * @return where in {@link #contentBuffer} the next message record's content starts.
     */
    public int contentOffset(final int subjectLength)
    {
        return null == key ? RecordDescriptor.headersOffset(writeOffset, subjectLength) :
            RecordCipher.stagedContentOffset(subjectLength);
    }

    /**
     * Write a message record at the write offset around content already placed in {@link #contentBuffer}. Readers
     * learn about it only when the caller publishes {@code seq}.
     *
     * @return the record checksum.
     */
    public int appendPlaced(
        final long seq, final long timestamp, final byte[] subject, final int headersLength, final int payloadLength,
        final int frameLength, final Crc32c crc, final RecordCipher cipher)
    {
        final int offset = writeOffset;
        final int checksum = RecordWriter.writePlacedMessage(writeBuffer, writeMapped, key, offset, seq, timestamp,
            subject, headersLength, payloadLength, frameLength, crc, cipher);
        contents.table().put(seq, offset);
        writeOffset = offset + frameLength;
        return checksum;
    }

    /**
     * Drop content placed for a record of {@code frameLength} bytes that will not be written: zero it in a plaintext
     * block, so the next record, which may be shorter, does not leave stray bytes after it for a scan to find.
     */
    public void discardPlaced(final int frameLength)
    {
        if (null == key)
        {
            writeBuffer.setMemory(writeOffset, Math.min(frameLength, limit - writeOffset), (byte)0);
        }
    }

    /**
     * Write a skip record: {@code seq} is assigned and holds no message.
     *
     * @return the record checksum.
     */
    public int appendSkip(final long seq, final long timestamp, final Crc32c crc, final RecordCipher cipher)
    {
        final int frameLength = skipFrameLength();
        final int checksum = RecordWriter.writeSkip(
            writeBuffer, writeMapped, key, writeOffset, seq, timestamp, frameLength, crc, cipher);
        writeOffset += frameLength;
        return checksum;
    }

    /**
     * Write a tombstone: the messages in {@code [fromSeq, toSeq]} are removed.
     *
     * @param lastSeq the stream's last sequence, stamped in the header.
     * @return the record checksum.
     */
    public int appendTombstone(
        final long lastSeq, final long timestamp, final long fromSeq, final long toSeq, final long flags,
        final Crc32c crc, final RecordCipher cipher, final byte[] scratch)
    {
        if (null != key && tombstoneEpoch < 0)
        {
            throw new IllegalStateException("an encrypted tombstone needs a recorded epoch in " + file +
                " (found on open or truncated): see writeTombstoneEpochSlot");
        }
        final int frameLength = tombstoneFrameLength();
        final int checksum = RecordWriter.writeTombstone(writeBuffer, writeMapped, key, writeOffset, lastSeq, timestamp,
            fromSeq, toSeq, flags, frameLength, crc, cipher, scratch, Math.max(0, tombstoneEpoch));
        writeOffset += frameLength;
        holdsTombstones = true;
        return checksum;
    }

    public boolean holdsTombstones()
    {
        return holdsTombstones;
    }

    /**
     * Set by a scan that read every record of the block.
     */
    public void holdsTombstones(final boolean holds)
    {
        this.holdsTombstones = holds;
    }

    /**
     * @return the frame length of a tombstone in this block.
     */
    public int tombstoneFrameLength()
    {
        return (int)frameLengthForContent(TOMBSTONE_LENGTH, null != crypto);
    }

    /**
     * @return the frame length of a skip record in this block: an encrypted block authenticates skips too.
     */
    public int skipFrameLength()
    {
        return (int)frameLengthForContent(0, null != crypto);
    }

    /**
     * Write the authenticated plaintext footer of an encrypted block that will take no more records, so state writes,
     * recovery and inspection learn its last checksum, sequence range and counts without decrypting anything.
     */
    public void sealFooter(final BlockFooter footer, final BlockFooterCodec codec)
    {
        final ByteBuffer view = writeMapped.duplicate().clear();
        codec.encode(key, id, footer, view, footerOffset());
        sealed = true;
        durability.footerWritten();
    }

    public boolean isSealed()
    {
        return sealed;
    }

    /**
     * @return the footer of a sealed encrypted block, or null when the block has none (it was never sealed).
     * @throws io.ferrite.crypto.AuthenticationFailedException when a footer is there but does not authenticate.
     */
    public BlockFooter readFooter(final BlockFooterCodec codec)
    {
        final int at = footerOffset();
        if (null == key || at < BlockDescriptor.DATA_OFFSET || at + BlockFooterCodec.FOOTER_LENGTH > mapped.capacity())
        {
            return null;
        }
        final ByteBuffer view = mapped.duplicate().clear();
        return BlockFooterCodec.looksLikeFooter(view, at) ? codec.decode(key, id, view, at, at) : null;
    }

    /**
     * @return where an encrypted block's footer sits: the last {@link BlockFooterCodec#FOOTER_LENGTH} bytes.
     */
    public int footerOffset()
    {
        return buffer().getInt(BlockDescriptor.BLOCK_LENGTH_OFFSET) - BlockFooterCodec.FOOTER_LENGTH;
    }

    /**
     * Zero a torn tail found by recovery so later scans do not mistake it for damage before new records.
     */
    public void truncateTo(final int offset, final int extent)
    {
        writeBuffer.setMemory(offset, Math.min(limit, extent) - offset, (byte)0);
        writeOffset = offset;
        tombstoneEpoch = -1;
        durability.cutTo(offset);
    }

    /**
     * @return what of this block is forced, and the channel it is forced through.
     */
    public BlockDurability durability()
    {
        return durability;
    }

    MappedByteBuffer mappedOrNull()
    {
        return mapped;
    }

    @Override
    public String toString()
    {
        return "MessageBlock{id=" + id + ", file=" + file + ", baseSeq=" + baseSeq + '}';
    }
}
